from django.core.management.base import BaseCommand

from ingestion import services


class Command(BaseCommand):
    help = "Fetch every active source now and store new articles."

    def add_arguments(self, parser):
        parser.add_argument(
            "--source", type=int, action="append", help="only this Source id"
        )

    def handle(self, *args, source=None, **options):
        report = services.ingest(
            source_ids=source, progress=lambda m: self.stdout.write(f"  {m}")
        )
        self.stdout.write(self.style.SUCCESS(str(report)))
