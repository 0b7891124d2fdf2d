"""A real browser through the whole subscriber journey, against a live server."""

import re

import pytest
from django.core.cache import cache

from newsletter import services as newsletter_services
from newsletter.models import Category
from subscribers.models import Subscriber
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def link_in(message, name: str, base: str) -> str:
    match = re.search(rf"(https?://\S+?/{name}/\S+?/)(\s|$)", message.body)
    assert match, f"no {name} link in the email"
    assert match.group(1).startswith(base)
    return match.group(1)


def test_subscribe_confirm_change_categories_switch_to_weekly_unsubscribe(
    browser_page, live_server, mailoutbox, settings
):
    page = browser_page
    settings.SITE_URL = live_server.url
    cache.clear()
    newsletter_services.load_defaults()
    categories = list(Category.objects.for_digest())

    # Subscribe (Korean is the default language), leaving out two categories.
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.get_by_label("이메일 주소").fill("Reader@Example.COM")
    page.get_by_label(f"{categories[0].emoji} {categories[0].name}").uncheck()
    page.get_by_label(f"{categories[1].emoji} {categories[1].name}").uncheck()
    page.screenshot(path=str(ARTIFACTS / "1-subscribe.png"), full_page=True)
    page.get_by_role("button", name="구독하기").click()
    page.get_by_role("heading", name="메일함을 확인하세요").wait_for()
    page.screenshot(path=str(ARTIFACTS / "2-check-email.png"), full_page=True)

    subscriber = Subscriber.objects.get()
    assert subscriber.email == "Reader@example.com"
    assert subscriber.status == Subscriber.Status.PENDING
    assert len(mailoutbox) == 1

    # Open the confirmation link from the email: the page asks first, because mail
    # scanners open every link too.
    page.goto(link_in(mailoutbox[0], "confirm", live_server.url))
    page.get_by_role("heading", name="구독을 확인해 주세요").wait_for()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING  # the GET changed nothing
    assert len(mailoutbox) == 1
    page.screenshot(path=str(ARTIFACTS / "3-confirm.png"), full_page=True)
    page.get_by_role("button", name="구독 확인", exact=True).click()
    page.get_by_role("heading", name="구독되었습니다").wait_for()
    body = page.locator("main").inner_text()
    assert categories[2].name in body
    assert categories[0].name not in body
    page.screenshot(path=str(ARTIFACTS / "3-confirmed.png"), full_page=True)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert len(mailoutbox) == 2  # the welcome email

    # Change categories on the preferences page: keep only the first one.
    page.get_by_role("link", name="카테고리 또는 언어 변경").click()
    for category in categories:
        box = page.get_by_label(f"{category.emoji} {category.name}")
        box.set_checked(category == categories[0])
    page.get_by_role("button", name="저장").click()
    page.get_by_text("선택 사항을 저장했습니다.").wait_for()
    page.screenshot(path=str(ARTIFACTS / "4-preferences.png"), full_page=True)
    assert list(subscriber.categories.all()) == [categories[0]]

    # Switch to the weekly email on the same page; the status says what comes now.
    assert page.get_by_label("매일", exact=True).is_checked()
    page.get_by_label("매주", exact=True).check()
    page.get_by_role("button", name="저장").click()
    page.get_by_text("구독 중입니다. 주간 다이제스트를 받습니다.").wait_for()
    assert page.get_by_label("매주", exact=True).is_checked()
    page.screenshot(path=str(ARTIFACTS / "4-preferences-weekly.png"), full_page=True)
    subscriber.refresh_from_db()
    assert subscriber.frequency == Subscriber.Frequency.WEEKLY
    assert list(subscriber.categories.all()) == [categories[0]]

    # Unsubscribe through the link in the welcome email: the page asks first.
    page.goto(link_in(mailoutbox[1], "unsubscribe", live_server.url))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE  # the GET changed nothing
    page.get_by_role("button", name="구독 해지").click()
    page.get_by_role("heading", name="구독이 해지되었습니다").wait_for()
    page.screenshot(path=str(ARTIFACTS / "5-unsubscribed.png"), full_page=True)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert not Subscriber.objects.receiving().exists()

    # Changed their mind: one click brings them back.
    page.get_by_role("button", name="다시 구독하기").click()
    page.get_by_role("heading", name="다시 오신 것을 환영합니다").wait_for()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
