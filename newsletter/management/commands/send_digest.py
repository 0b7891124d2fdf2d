from django.core.management.base import BaseCommand, CommandError

from newsletter import services
from newsletter.management.commands._dates import parse_day
from newsletter.models import Digest


class Command(BaseCommand):
    help = "Send the approved digest of a date to every subscriber. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--edition", choices=Digest.Edition.values, default=Digest.Edition.NEWS
        )

    def handle(self, *args, date=None, edition=None, **options):
        day = parse_day(date)
        report = services.send_digest(day, edition=edition or Digest.Edition.NEWS)
        if report is None:
            raise CommandError(
                f"no approved digest for {day:%Y-%m-%d}: build or approve it first"
            )
        self.stdout.write(self.style.SUCCESS(str(report)))
