"""A reader opens the email's web link, their own page of the digest, votes on a
story there, sees it marked, and takes it back."""

import datetime as dt
import re
from html import unescape

import pytest

from newsletter import services
from newsletter.models import Feedback
from tests.browser.conftest import ARTIFACTS
from tests.newsletter.feedback_fixtures import briefing_day
from tests.newsletter.mail_fixtures import reader

pytestmark = pytest.mark.browser

READER_LINK = re.compile(r'href="([^"]*/digests/2026-08-22/reader/[^"]+)"')


def test_vote_from_the_readers_own_page_then_undo(
    browser_page, live_server, mailoutbox, settings, defaults
):
    page = browser_page
    settings.SITE_URL = live_server.url
    alice = reader("alice@example.com", "llm")
    digest, (alpha, _) = briefing_day(
        dt.date(2026, 8, 22),
        [
            ("알파 모델 공개", ["https://alpha.example/a", "https://c.example/a"], 3),
            ("베타 칩 발표", ["https://beta.example/b"], 2.0),
        ],
    )
    services.send_and_record(digest)
    link = unescape(READER_LINK.search(mailoutbox[0].alternatives[0][0])[1])

    page.goto(link)
    first_source = page.locator("ol.sources li").first
    assert "알파 모델 공개" in first_source.inner_text()
    (ARTIFACTS / "reader").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reader" / "page.png"), full_page=True)
    first_source.get_by_title("이런 소식 더 보기").click()
    page.get_by_role("button", name="👍 이런 소식 더 보기").click()
    page.get_by_text("저장했습니다: 👍").wait_for()
    assert list(Feedback.objects.values_list("subscriber", "story", "vote")) == [
        (alice.id, alpha.id, Feedback.Vote.UP)
    ]

    # Back on the page the vote is marked; its link offers to take it back.
    page.get_by_role("link", name="다이제스트로 돌아가기").click()
    marked = page.locator("ol.sources li").first
    assert "내 의견" in marked.inner_text()
    marked.get_by_title("이런 소식 더 보기").click()
    page.get_by_text("내 의견: 👍 이런 소식 더 보기.").wait_for()
    page.get_by_role("button", name="되돌리기").click()
    page.get_by_text("되돌렸습니다").wait_for()
    assert not Feedback.objects.exists()
    page.get_by_role("link", name="다이제스트로 돌아가기").click()
    assert "내 의견" not in page.locator("ol.sources").first.inner_text()
