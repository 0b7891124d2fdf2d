"""Addresses erased at the person's request, kept only as one-way hashes.

The hash lets an import recognise an address it must not bring back and nothing
else: it cannot be turned back into the address, and it is keyed with SECRET_KEY
(HMAC-SHA256), so a list of addresses cannot be checked against it elsewhere.
Hashes made under a previous key (SECRET_KEY_FALLBACKS) still match.
"""

import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings

from subscribers.models import ErasedAddress

_SALT = b"subscribers.erased-address"
LOOKUP_CHUNK = 500


def _keys() -> list[bytes]:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [hashlib.sha256(_SALT + str(s).encode()).digest() for s in secrets]


def _digest(key: bytes, email: str) -> str:
    # Stored addresses are normalised (services.normalize_email) and unique
    # regardless of case, so the lower-case form is the one hashed.
    return hmac.new(key, email.lower().encode(), hashlib.sha256).hexdigest()


def record(email: str) -> None:
    """Remember that this (normalised) address was erased: the one-way hash only."""
    ErasedAddress.objects.get_or_create(digest=_digest(_keys()[0], email))


def erased_among(emails: Iterable[str]) -> set[str]:
    """The addresses among `emails` (lower-cased) that were erased."""
    if not ErasedAddress.objects.exists():
        return set()
    keys = _keys()
    by_digest = {_digest(k, e): e.lower() for e in emails for k in keys}
    digests = list(by_digest)
    found = set()
    for start in range(0, len(digests), LOOKUP_CHUNK):
        chunk = digests[start : start + LOOKUP_CHUNK]
        hits = ErasedAddress.objects.filter(digest__in=chunk)
        found.update(by_digest[d] for d in hits.values_list("digest", flat=True))
    return found
