"""A reader votes on a story from the email itself, confirms, and takes it back."""

import datetime as dt

import pytest

from newsletter import services
from newsletter.models import Feedback
from tests.newsletter.feedback_fixtures import story_day
from tests.newsletter.mail_fixtures import reader

pytestmark = pytest.mark.browser


def test_vote_from_the_email_confirm_and_undo(
    browser_page, live_server, mailoutbox, settings, defaults
):
    page = browser_page
    settings.SITE_URL = live_server.url
    alice = reader("alice@example.com", "llm")
    digest, (story, _) = story_day(
        dt.date(2026, 8, 22),
        [
            ("알파 소식", "https://alpha.example/one", 3.0),
            ("베타 소식", "https://beta.example/one", 2.0),
        ],
    )
    services.send_and_record(digest)
    page.set_content(mailoutbox[0].alternatives[0][0])

    # The email's 👎 beside the story opens a page that only asks.
    page.get_by_title("이런 소식 덜 보기").first.click()
    page.get_by_role("heading", name="이 소식에 대한 의견").wait_for()
    assert "알파 소식" in page.locator("main").inner_text()
    assert not Feedback.objects.exists()

    page.get_by_role("button", name="👎 이런 소식 덜 보기").click()
    page.get_by_text("저장했습니다: 👎").wait_for()
    assert list(Feedback.objects.values_list("subscriber_id", "story_id", "vote")) == [
        (alice.id, story.id, Feedback.Vote.DOWN)
    ]

    page.get_by_role("button", name="되돌리기").click()
    page.get_by_text("되돌렸습니다").wait_for()
    assert not Feedback.objects.exists()
