import os

from django.core.management.base import BaseCommand

from newsletter.services.first_admin import create_first_admin


class Command(BaseCommand):
    help = (
        "Create the first admin from DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_EMAIL "
        "and DJANGO_SUPERUSER_PASSWORD (the names createsuperuser reads), once; "
        "nothing when the username is unset or the account exists. Safe to run again."
    )

    def handle(self, *args, **options):
        username = os.getenv("DJANGO_SUPERUSER_USERNAME", "").strip()
        if not username:
            self.stdout.write(
                "first admin: DJANGO_SUPERUSER_USERNAME not set, none created"
            )
            return
        password = os.getenv("DJANGO_SUPERUSER_PASSWORD", "")
        created = create_first_admin(
            username=username,
            email=os.getenv("DJANGO_SUPERUSER_EMAIL", "").strip(),
            password=password,
        )
        if not created:
            self.stdout.write(f"first admin: {username} exists, left unchanged")
        elif password:
            self.stdout.write(self.style.SUCCESS(f"first admin: {username} created"))
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"first admin: {username} created without a password; give it one "
                    f"with: manage.py changepassword {username}"
                )
            )
