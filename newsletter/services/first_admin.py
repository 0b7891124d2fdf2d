"""The first admin account of a new deployment, from the environment of its first start.

Run at every start (docker/entrypoint.sh, role migrate), so it creates the account once
and afterwards leaves it alone: a password changed in the admin is never reset to the
one still sitting in docker/.env.
"""

from django.contrib.auth import get_user_model
from django.db import transaction


def create_first_admin(*, username: str, email: str = "", password: str = "") -> bool:
    """A superuser named `username` unless one by that name exists; True if created.

    Without a password the account cannot log in until `manage.py changepassword`
    gives it one, as Django's `createsuperuser --noinput` does.
    """
    User = get_user_model()
    with transaction.atomic():
        if User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
            return False
        User.objects.create_superuser(
            username=username, email=email, password=password or None
        )
    return True
