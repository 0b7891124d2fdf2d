import re

import pytest
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


def make_subscriber(
    email="alice@example.com", *, status=Subscriber.Status.ACTIVE, **fields
):
    return Subscriber.objects.create(email=email, status=status, **fields)


def token_for(subscriber: Subscriber, purpose: str) -> str:
    return tokens.make_token(subscriber.id, purpose, email=subscriber.email)
