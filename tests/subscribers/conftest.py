import re

import pytest
from django.core import signing
from django.core.cache import cache

from newsletter.models import Category
from subscribers import tokens
from subscribers.models import Subscriber


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters live in the cache with CACHE_URL (in the database, rolled
    # back after each test, without it); each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def categories(defaults):
    return list(Category.objects.for_digest())


def link_from(message, name: str) -> str:
    """The path of the first /<name>/<token>/ link in an email's text part."""
    match = re.search(rf"https?://[^/\s]+(/{name}/[^\s]+/)", message.body)
    assert match, f"no {name} link in:\n{message.body}"
    return match.group(1)


def token_for(subscriber: Subscriber, purpose: str) -> str:
    return tokens.make_token(subscriber.token_key, purpose)


def legacy_token(subscriber_id: int, email: str, purpose: str) -> str:
    """A token as links in emails sent before opaque keys carried it: [id, email]."""
    return signing.dumps(
        [subscriber_id, email.lower()], salt=f"subscribers.{purpose}", compress=True
    )


def checked_boxes(page: str, name: str = "categories") -> int:
    """How many of a page's inputs named ``name`` are ticked."""
    return len(re.findall(rf'<input[^>]*name="{name}"[^>]*\bchecked\b', page))
