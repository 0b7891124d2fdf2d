"""The archive's tests read pages as rendered now, never from the page cache."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _no_cached_pages():
    cache.clear()
    yield
    cache.clear()
