import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from subscribers import exports
from subscribers.models import Subscriber


class Command(BaseCommand):
    help = (
        "Write every subscriber to a CSV file (UTF-8 with BOM; '-' for standard "
        "output) that import_subscribers reads back unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        subscribers = Subscriber.objects.all()
        if file == "-":
            exports.write_subscribers_csv(subscribers, sys.stdout)
            return
        try:
            with Path(file).open("w", encoding="utf-8", newline="") as stream:
                exports.write_subscribers_csv(subscribers, stream)
        except OSError as exc:
            raise CommandError(f"cannot write {file}: {exc.strerror}") from None
        self.stderr.write(f"wrote {subscribers.count()} subscribers to {file}")
