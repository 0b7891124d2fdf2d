"""Sign-up rate limits, counted where every web worker sees the same number.

With CACHE_URL (Redis) the counts live in the cache, whose INCR is atomic. Without
it they live in the database (`RateCount` rows, incremented under a row lock):
a per-process memory cache would let each gunicorn worker count alone.

Keys are normalised for limiting only (the address is stored as typed): an IPv6
client counts per /64 (one host usually holds the whole prefix) and its /48 (one
site) has a ceiling of its own, so rotating /64s inside it runs out too; `A+1@x`
and `a+2@x` count as `a@x`, and at Gmail, which ignores dots, `j.o.e@gmail.com`
counts as `joe@gmail.com`.
"""

import hashlib
import ipaddress
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from subscribers.models import RateCount


def client_key(ip: str) -> str:
    """The counter a client IP counts against: the address, or its IPv6 /64."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return f"ip:{ip}"
    if address.version == 6:
        if address.ipv4_mapped:
            return f"ip:{address.ipv4_mapped}"
        network = ipaddress.IPv6Network((int(address), 64), strict=False)
        return f"ip:{network}"
    return f"ip:{address}"


# Mailboxes where dots in the local part are not part of the name.
DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def site_key(ip: str) -> str | None:
    """The counter of an IPv6 client's /48, None for an IPv4 one."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if address.version != 6 or address.ipv4_mapped:
        return None
    return f"site:{ipaddress.IPv6Network((int(address), 48), strict=False)}"


def address_key(address: str) -> str:
    """The counter an email address counts against: no +tag, lower-cased, and at
    Gmail no dots (one mailbox, however it is spelt)."""
    local, _, domain = address.rpartition("@")
    local, domain = local.split("+", 1)[0].lower(), domain.lower()
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"address:{local}@{domain}"


def within_rate(key: str, *, limit: int) -> bool:
    """Count one attempt for `key` in the current window; False once over `limit`."""
    if limit <= 0:
        return True
    digest = hashlib.sha256(key.encode()).hexdigest()
    window = settings.SUBSCRIBE_RATE_WINDOW
    if settings.CACHE_URL:
        count = _count_in_cache(digest, window=window)
    else:
        count = _count_in_database(digest, window=window)
    return count <= limit


def _count_in_cache(digest: str, *, window: int) -> int:
    cache_key = "subscribers:rate:" + digest
    cache.add(cache_key, 0, timeout=window)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window)
        return 1


def _count_in_database(digest: str, *, window: int) -> int:
    # Fixed windows aligned to the epoch, so every worker agrees on the row.
    now = datetime.now(UTC)
    start = datetime.fromtimestamp(int(now.timestamp()) // window * window, tz=UTC)
    with transaction.atomic():
        counter, created = RateCount.objects.select_for_update().get_or_create(
            key=digest, window_start=start, defaults={"count": 1}
        )
        if not created:
            counter.count += 1  # the row lock makes this exact
            counter.save(update_fields=["count"])
    if created:  # a new window began: past windows count for nothing any more
        RateCount.objects.filter(window_start__lt=start).delete()
    return counter.count
