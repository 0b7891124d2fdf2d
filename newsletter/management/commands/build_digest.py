from django.core.management.base import BaseCommand

from newsletter import services
from newsletter.management.commands._dates import parse_day
from newsletter.models import Digest


class Command(BaseCommand):
    help = "Classify the window's articles and (re)build the digest for a date."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--language", choices=["ko", "en"])
        parser.add_argument(
            "--edition", choices=Digest.Edition.values, default=Digest.Edition.NEWS
        )

    def handle(self, *args, date=None, language=None, edition=None, **options):
        digest = services.build_digest(
            parse_day(date),
            edition=edition or Digest.Edition.NEWS,
            language=language,
            progress=lambda m: self.stdout.write(f"  {m}"),
        )
        self.stdout.write(
            self.style.SUCCESS(f"{digest}: {digest.get_status_display()}")
        )
