from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from newsletter import export
from newsletter.management.commands._dates import parse_day
from newsletter.models import Digest


class Command(BaseCommand):
    help = (
        "Write DIR/YYYY-MM-DD/News_YYYY-MM-DD_report.md and news_YYYY-MM-DD.png "
        "(Papers_…_report.md and paper_….png with --edition papers, "
        "Weekly_…_report.md and weekly_….png with --edition weekly)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--out", help="output folder (default: var/digests)")
        parser.add_argument(
            "--edition", choices=Digest.Edition.values, default=Digest.Edition.NEWS
        )

    def handle(self, *args, date=None, out=None, edition=None, **options):
        day = parse_day(date)
        digest = Digest.objects.filter(
            date=day, edition=edition or Digest.Edition.NEWS
        ).first()
        if digest is None:
            raise CommandError(f"no digest for {day:%Y-%m-%d}")
        path = export.export_digest(digest, out or settings.VAR_DIR / "digests")
        self.stdout.write(self.style.SUCCESS(f"wrote {path}"))
