"""Signed, purpose-bound tokens for links in emails. No passwords, no sessions.

A token signs the subscriber's random `token_key` and nothing else, so a link in an
access log or an ESP's click tracking says nothing about whom it belongs to, and it
dies when the row is erased. Each purpose has its own salt: a preferences token
cannot confirm an address, and an unsubscribe token cannot open the preferences page.

Lifetimes: confirmation links 7 days; preference links PREFERENCES_LINK_MAX_AGE_DAYS
(an expired one still names its subscriber, so the page can offer a fresh link);
access links (export, erase) MANAGE_LINK_MAX_AGE_MINUTES; feedback links
FEEDBACK_LINK_MAX_AGE_DAYS; unsubscribe links never expire, as RFC 8058 readers
expect of the links in mail they keep.

A feedback link names one story of one reader: the reader's feedback token (signed
once per email) plus a short keyed MAC of (that token, story id), so a fan-out signs
once per reader and pays one HMAC per story, and a link cannot be moved to another
story or reader.

Tokens made before `token_key` existed signed `[id, email]`. They stay accepted for
unsubscribe and one-click (the links in mail already sent) for as long as SECRET_KEY
and the "subscribers.unsubscribe" salt stay; anywhere else they only ever count as
expired, so they can ask for a fresh link but change nothing.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

from subscribers.models import Subscriber

CONFIRM = "confirm"
PREFERENCES = "preferences"
MANAGE = "manage"
UNSUBSCRIBE = "unsubscribe"
FEEDBACK = "feedback"

PURPOSES = {CONFIRM, PREFERENCES, MANAGE, UNSUBSCRIBE, FEEDBACK}


@dataclass(frozen=True)
class LinkToken:
    """What a correctly signed token says. `key` is set for current tokens, `legacy`
    (subscriber id, email) for tokens signed before opaque keys."""

    issued_at: datetime
    is_expired: bool
    key: str = ""
    legacy: tuple[int, str] | None = None


def max_age(purpose: str) -> int | None:
    """Seconds a token of this purpose is honoured; None for never expiring."""
    if purpose == CONFIRM:
        return 7 * 24 * 3600
    if purpose == PREFERENCES:
        return settings.PREFERENCES_LINK_MAX_AGE_DAYS * 24 * 3600
    if purpose == MANAGE:
        return settings.MANAGE_LINK_MAX_AGE_MINUTES * 60
    if purpose == FEEDBACK:
        return settings.FEEDBACK_LINK_MAX_AGE_DAYS * 24 * 3600
    return None


def make_token(key: str, purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    if not key:
        raise ValueError("a token needs the subscriber's token_key")
    return signing.dumps(key, salt=f"subscribers.{purpose}")


def read_token(token: str, purpose: str) -> LinkToken | None:
    """What a token of this purpose says, expired or not; None when it is forged,
    tampered with, made for another purpose or not one of ours."""
    if purpose not in PURPOSES or not token or len(token) > 500:
        return None
    try:
        # No max_age here: an expired link must still say whose it is.
        value = signing.loads(token, salt=f"subscribers.{purpose}")
    except signing.BadSignature:
        return None
    issued = _issued_at(token)
    if issued is None:
        return None
    if isinstance(value, str) and value:
        return LinkToken(
            issued_at=issued, is_expired=_expired(issued, purpose), key=value
        )
    if _is_legacy(value):
        legacy = (value[0], str(value[1]))
        # Old tokens carry the address: honoured only where mail already sent needs them.
        expired = purpose != UNSUBSCRIBE or _expired(issued, purpose)
        return LinkToken(issued_at=issued, is_expired=expired, legacy=legacy)
    return None


@lru_cache(maxsize=8)
def _story_key(secret: str) -> bytes:
    return hashlib.sha256(f"subscribers.feedback.story:{secret}".encode()).digest()


def _story_mac(secret: str, token: str, story_id: int) -> str:
    mac = hmac.digest(_story_key(secret), f"{token}/{story_id}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac[:12]).decode()


def story_signature(token: str, story_id: int) -> str:
    """The MAC binding a reader's feedback token to one story (16 URL-safe chars)."""
    return _story_mac(settings.SECRET_KEY, token, story_id)


def is_story_signature(token: str, story_id: int, signature: str) -> bool:
    """Whether `signature` binds `token` to `story_id` (current or fallback keys)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        constant_time_compare(_story_mac(secret, token, story_id), signature)
        for secret in secrets
    )


def _is_legacy(value) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], str)
    )


def _expired(issued: datetime, purpose: str) -> bool:
    limit = max_age(purpose)
    if limit is None:
        return False
    return (datetime.now(tz=UTC) - issued).total_seconds() > limit


def _issued_at(token: str) -> datetime | None:
    # The timestamp sits inside the signed part; read it only after loads() accepted it.
    try:
        stamp = token.rsplit(":", 2)[1]
        return datetime.fromtimestamp(signing.b62_decode(stamp), tz=UTC)
    except (IndexError, ValueError, OverflowError):
        return None


def subscriber_for(found: LinkToken) -> Subscriber | None:
    """The row a token names, or None once it was erased (ids of erased rows may be
    reused; keys never are, and a legacy token must still match the address)."""
    if found.key:
        return Subscriber.objects.filter(token_key=found.key).first()
    subscriber_id, email = found.legacy
    return Subscriber.objects.filter(id=subscriber_id, email__iexact=email).first()
