"""A real browser for the sign-up pages: Debian's Chromium in a Korean locale."""

from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import CHROMIUM_ARGS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def korean_browser(live_server, chromium):
    """(context, page) of a browser whose language is Korean. Depends on live_server
    so the browser (and its keep-alive connections, each holding a server thread and
    its database connection) closes first."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ko-KR")
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield context, page
        finally:
            # Inside Playwright's loop the test's ORM calls get their own connection
            # (asgiref locals follow the running loop): close it here, or it
            # outlives the test and blocks dropping the test database.
            connections.close_all()
            context.close()
            browser.close()


@pytest.fixture
def browser_page(korean_browser):
    return korean_browser[1]
