"""Open a rendered digest in headless Chromium, as a webmail client would show it."""

import base64

import pytest

from newsletter.sending.rendering import render_digest_email
from subscribers.links import SubscriberLinks
from tests.browser.conftest import ARTIFACTS
from tests.newsletter.mail_fixtures import build_digest, long_content

pytestmark = pytest.mark.browser


def test_digest_email_renders_in_chromium_on_desktop_and_phone_in_dark_mode(
    defaults, request
):
    digest = build_digest(
        slugs=("llm", "multimodal", "policy-safety"),
        content=long_content,
        sources_per_section=3,
    )
    rendered = render_digest_email(digest, categories=None)
    links = SubscriberLinks(
        preferences_url="https://news.example.com/p/t/",
        unsubscribe_url="https://news.example.com/u/t/",
        one_click_url="https://news.example.com/u/t/one-click/",
    )
    _, html = rendered.personalize(
        preferences_url=links.preferences_url, unsubscribe_url=links.unsubscribe_url
    )
    # A mail client resolves cid: from the message's own image part.
    data_uri = "data:image/png;base64," + base64.b64encode(rendered.chart_png).decode()
    html = html.replace(f"cid:{rendered.chart_cid}", data_uri)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "digest-email.html").write_text(html, encoding="utf-8")

    # Opened only now: the ORM work above must not run inside Playwright's loop.
    browser = request.getfixturevalue("browser")
    for name, width, scheme in (
        ("desktop", 800, "light"),
        ("phone", 375, "dark"),
    ):
        page = browser.new_page(
            viewport={"width": width, "height": 900}, color_scheme=scheme
        )
        page.route(
            "**/*",
            lambda route: (
                route.abort()
                if route.request.url.startswith("http")
                else route.continue_()
            ),
        )
        page.set_content(html, wait_until="load")
        chart_width = page.eval_on_selector(
            'img[alt^="카테고리별 기사 수 차트"]', "img => img.naturalWidth"
        )
        assert chart_width >= 600
        text = page.inner_text("body")
        for heading in (
            "🧠 LLM",
            "🌞 Multimodal",
            "🛡️ AI policy & safety",
            "주요 사건",
            "출처",
        ):
            assert heading in text
        assert page.eval_on_selector("html", "e => e.lang") == "ko"
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(238, 241, 245)"
        page.screenshot(
            path=str(ARTIFACTS / f"digest-email-{name}.png"), full_page=True
        )
        page.close()
    assert (ARTIFACTS / "digest-email-phone.png").stat().st_size > 10_000
