import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone


def parse_day(value: str | None) -> dt.date:
    """--date YYYY-MM-DD; default: today in TIME_ZONE (the editors' morning)."""
    if not value:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, got {value!r}") from None
