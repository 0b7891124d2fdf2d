"""Every browser test opens Debian's Chromium the one way here: the closed-network
switches, a Korean font a reader's machine has (this headless host may not), and
everything closed before the live server stops."""

import os
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import CHROMIUM_ARGS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _fontconfig_with_hangul(directory: Path) -> dict:
    """The NanumGothic files that ship in the koreanize-matplotlib wheel."""
    fonts = (
        Path(find_spec("koreanize_matplotlib").submodule_search_locations[0]) / "fonts"
    )
    config = directory / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{fonts}</dir><cachedir>{directory / 'cache'}</cachedir></fontconfig>"
    )
    return {**os.environ, "FONTCONFIG_FILE": str(config)}


@pytest.fixture
def browser(chromium, tmp_path):
    """A launched Chromium (Playwright's Browser), closed after the test."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium,
            args=CHROMIUM_ARGS,
            env=_fontconfig_with_hangul(tmp_path),
        )
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def _context(browser, **options):
    """A context and its page; on leaving, the context closes and so do the
    database connections the test's ORM calls opened inside Playwright's loop
    (asgiref locals follow the running loop), which would otherwise outlive the
    test and block dropping the test database."""
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield context, page
    finally:
        connections.close_all()
        context.close()


@pytest.fixture
def korean_browser(live_server, browser):
    """(context, page) of a reader whose browser speaks Korean. After live_server,
    so the browser (and its keep-alive connections, each holding a server thread and
    its database connection) closes first."""
    with _context(browser, locale="ko-KR") as opened:
        yield opened


@pytest.fixture
def browser_page(korean_browser):
    return korean_browser[1]


@pytest.fixture
def desk_page(live_server, browser):
    """An editor's page in an English-speaking browser on a desktop screen."""
    with _context(browser, locale="en-US", viewport={"width": 1280, "height": 900}) as (
        _,
        page,
    ):
        yield page


def shot(page, name: str) -> None:
    (ARTIFACTS / "desk").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "desk" / f"{name}.png"), full_page=True)


def press(page, button: str) -> None:
    """Click a button once it is in view: a page opened at #preview may still be
    scrolling there when the click lands."""
    locator = page.get_by_role("button", name=button, exact=True)
    locator.scroll_into_view_if_needed()
    locator.click()
