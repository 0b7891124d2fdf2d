"""How often an editor may send tests: DIGEST_TEST_SENDS_PER_HOUR each, counted in
the cache.

A test goes to addresses an editor types, so the limit is what keeps the desk from
being a way to mail anyone in bulk. The count is a fixed window per editor and
clock hour: simple, shared by every web process through the cache (Redis in
production), and forgiving at the hour's turn, which is harmless at this size.
"""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

# What one test may add to the editor's own address and DIGEST_TEST_RECIPIENTS.
MAX_EXTRA_ADDRESSES = 5
WINDOW_SECONDS = 3600


def per_hour() -> int:
    return settings.DIGEST_TEST_SENDS_PER_HOUR


def _key(user) -> str:
    hour = int(timezone.now().timestamp()) // WINDOW_SECONDS
    return f"desk:test-sends:{user.pk}:{hour}"


def take_one(user) -> bool:
    """Count one test for ``user``; False (and nothing counted) past the limit."""
    key = _key(user)
    # add() is a no-op when the key exists, so two processes never reset each other.
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    if count > per_hour():
        cache.decr(key)
        return False
    return True
