"""Signed, purpose-bound tokens for links in emails. No passwords, no sessions.

Each purpose has its own salt: a preferences token cannot confirm an address, and
an unsubscribe token cannot open the preferences page.
"""

from datetime import UTC, datetime

from django.core import signing

CONFIRM = "confirm"
PREFERENCES = "preferences"
UNSUBSCRIBE = "unsubscribe"

# Confirmation links expire; unsubscribe and preferences links in old emails keep working.
MAX_AGE = {CONFIRM: 7 * 24 * 3600, PREFERENCES: None, UNSUBSCRIBE: None}


def make_token(subscriber_id: int, purpose: str, *, email: str = "") -> str:
    if purpose not in MAX_AGE:
        raise ValueError(f"unknown token purpose {purpose!r}")
    # The email is signed in so a token dies when the row is erased and the id reused.
    return signing.dumps(
        [subscriber_id, email.lower()], salt=f"subscribers.{purpose}", compress=True
    )


def read_token(token: str, purpose: str) -> tuple[int, str] | None:
    """(subscriber id, email) for a valid token of this purpose, else None."""
    if purpose not in MAX_AGE or not token or len(token) > 500:
        return None
    try:
        value = signing.loads(
            token, salt=f"subscribers.{purpose}", max_age=MAX_AGE[purpose]
        )
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)):
        return None
    return value[0], str(value[1])


def issued_at(token: str) -> datetime | None:
    """When a token was signed. Call only after `read_token` accepted it."""
    try:
        stamp = token.rsplit(":", 2)[1]
        return datetime.fromtimestamp(signing.b62_decode(stamp), tz=UTC)
    except (IndexError, ValueError, OverflowError):
        return None
