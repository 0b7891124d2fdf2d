"""An English reader in a real browser: sign-up, the confirmation link from the email,
and the preferences page, all in English, whatever the browser's own language."""

import re

import pytest
from django.core.cache import cache

from newsletter import services as newsletter_services
from newsletter.models import Category
from subscribers.models import Subscriber
from tests.browser.conftest import ARTIFACTS

HANGUL = re.compile(r"[\uac00-\ud7a3]")

pytestmark = pytest.mark.browser


def link_in(message, name: str, base: str) -> str:
    match = re.search(rf"(https?://\S+?/{name}/\S+?/)(\s|$)", message.body)
    assert match, f"no {name} link in the email"
    assert match.group(1).startswith(base)
    return match.group(1)


def test_an_english_reader_signs_up_confirms_and_sets_preferences_in_english(
    korean_browser, live_server, mailoutbox, settings
):
    context, page = korean_browser
    settings.SITE_URL = live_server.url
    cache.clear()
    newsletter_services.load_defaults()
    Category.objects.filter(slug="llm").update(name="거대 언어 모델")
    llm = Category.objects.get(slug="llm")
    business = Category.objects.get(slug="ai-business")

    # The browser speaks Korean; the visitor switches the site to English.
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.get_by_role("navigation").locator("a[hreflang=en]").click()
    page.get_by_role("heading", name="Get the day's AI news in one email").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("🧠 LLM").is_checked()
    assert "거대 언어 모델" not in page.locator("main").inner_text()
    assert page.get_by_label("Email language").input_value() == "en"
    page.get_by_label("Email address").fill("bob@example.com")
    page.get_by_label(f"{business.emoji} {business.name_en}").uncheck()
    page.screenshot(path=str(ARTIFACTS / "en-1-subscribe.png"), full_page=True)
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()

    subscriber = Subscriber.objects.get()
    assert subscriber.language == "en"
    assert len(mailoutbox) == 1
    confirmation = mailoutbox[0]
    assert not HANGUL.search(confirmation.subject + confirmation.body)
    assert "🧠 LLM" in confirmation.body

    # The link is opened where the site's cookie is not (a mail app, another
    # browser): the page speaks the reader's language, not the browser's.
    context.clear_cookies()
    page.goto(link_in(confirmation, "confirm", live_server.url))
    page.get_by_role("heading", name="Confirm your subscription").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(ARTIFACTS / "en-2-confirm.png"), full_page=True)
    page.get_by_role("button", name="Confirm subscription", exact=True).click()
    page.get_by_role("heading", name="You're subscribed").wait_for()
    body = page.locator("main").inner_text()
    assert "🧠 LLM" in body and business.name_en not in body
    assert not HANGUL.search(body)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE

    # The preferences page, in English: keep LLM only.
    page.get_by_role("link", name="Change categories or language").click()
    page.get_by_role("button", name="Save").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Email language").input_value() == "en"
    # Only the language list names Korean in Korean.
    text = page.locator("main").inner_text()
    assert "한국어" in text and not HANGUL.search(text.replace("한국어", ""))
    for category in Category.objects.for_digest():
        box = page.get_by_label(f"{category.emoji} {category.display_name('en')}")
        box.set_checked(category == llm)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your choices are saved.").wait_for()
    page.screenshot(path=str(ARTIFACTS / "en-3-preferences.png"), full_page=True)
    assert list(subscriber.categories.all()) == [llm]
    subscriber.refresh_from_db()
    assert subscriber.language == "en"
