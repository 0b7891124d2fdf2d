from django.core.management.base import BaseCommand

from newsletter import services


class Command(BaseCommand):
    help = (
        "Create the default categories and (inactive) real sources. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--activate-sources",
            action="store_true",
            help="Make the real default sources active (needs a network).",
        )

    def handle(self, *args, activate_sources: bool = False, **options):
        created = services.load_defaults(activate_sources=activate_sources)
        self.stdout.write(
            f"defaults loaded: {created['categories']} new categories, "
            f"{created['sources']} new sources"
        )
