from django.conf import settings
from django.core.management.base import BaseCommand

from newsletter import daily
from newsletter.management.commands._dates import parse_day


class Command(BaseCommand):
    help = (
        "The whole morning: ingest, classify, summarize, chart, send, export. "
        "In-process without a broker; with one, queued for the workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--no-ingest", action="store_true", help="use the articles already stored"
        )
        parser.add_argument(
            "--no-send", action="store_true", help="build and export only"
        )
        parser.add_argument("--out", help="export folder (default: var/digests)")

    def handle(
        self, *args, date=None, no_ingest=False, no_send=False, out=None, **options
    ):
        day = parse_day(date)
        options = {
            "ingest_first": not no_ingest,
            "send": not no_send,
            "export_dir": out or settings.VAR_DIR / "digests",
        }
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            result = daily.start(day, **options)
            self.stdout.write(
                self.style.SUCCESS(
                    f"daily run for {day:%Y-%m-%d} queued for the workers "
                    f"({result.id}); its steps report in the worker log"
                )
            )
            return
        run = daily.run_in_process(
            day, progress=lambda m: self.stdout.write(f"  {m}"), **options
        )
        self.stdout.write(
            self.style.SUCCESS(f"{run.digest}: {run.digest.get_status_display()}")
        )
