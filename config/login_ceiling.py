"""The per-username ceiling on failed admin logins, which spares the owner's usual address.

django-axes locks a (username, address) pair and an address after AXES_FAILURE_LIMIT
failures, so a stranger elsewhere cannot lock anyone out. That alone lets a botnet
guess one account's password from many addresses, a few guesses each. So once a
username has AXES_USERNAME_CEILING failures (from anywhere, within the cool-off), it
can only be logged into from an address it has logged in from before (axes keeps
successful logins in its access log); elsewhere even the right password is refused
as if it were wrong, and the refusal counts as one more failure for that address.
The owner at their usual address is never slowed; an admin lifts the ceiling with
`manage.py axes_reset_username NAME`.
"""

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.utils import timezone

from lib.client_ip import client_ip


def failures_for(username: str) -> int:
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    return rows.aggregate(n=Sum("failures_since_start"))["n"] or 0


def is_usual_address(username: str, ip: str | None) -> bool:
    return ip is not None and (
        AccessLog.objects.filter(username=username, ip_address=ip).exists()
    )


class UsernameCeilingBackend:
    """An authentication backend that authenticates nobody: it only refuses. (No
    get_user: sessions are never this backend's.)"""

    def authenticate(self, request, username=None, password=None, **kwargs):
        ceiling = settings.AXES_USERNAME_CEILING
        if request is None or not username or ceiling <= 0:
            return None
        if failures_for(username) < ceiling:
            return None
        if is_usual_address(username, client_ip(request)):
            return None
        # Stops every later backend: the login fails like a wrong password.
        raise PermissionDenied("username over its failure ceiling")
