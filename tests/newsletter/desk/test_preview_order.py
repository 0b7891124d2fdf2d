"""Previewing as a subscriber shows the email in that subscriber's own order of
stories, as the send will; a language and category set shows today's order."""

import datetime as dt

from django.urls import reverse

from newsletter.models import Feedback
from newsletter.services import feedback as reader_feedback
from tests.newsletter.feedback_fixtures import story_day
from tests.newsletter.mail_fixtures import reader


def _order(html: str) -> list[str]:
    section = html.split('id="llm"', 1)[1]
    return sorted(["알파 새 소식", "감마 소식"], key=section.index)


def test_preview_as_a_subscriber_follows_their_votes(editor_client):
    alice = reader("alice@example.com", "llm")
    _, earlier = story_day(
        dt.date(2026, 8, 21),
        [
            ("알파 첫 소식", "https://alpha.example/one", 3.0),
            ("알파 둘째 소식", "https://alpha.example/two", 2.5),
        ],
    )
    for story in earlier:  # two 👎 on one publisher: a preference
        reader_feedback.record_vote(alice.id, story, Feedback.Vote.DOWN)
    digest, _ = story_day(
        dt.date(2026, 8, 22),
        [
            ("알파 새 소식", "https://alpha.example/three", 3.0),
            ("감마 소식", "https://gamma.example/one", 2.5),
        ],
    )
    url = reverse("admin:newsletter_digest_preview", args=[digest.id])

    as_alice = editor_client.get(url, {"preview_subscriber": "alice@example.com"})
    as_korean_llm = editor_client.get(
        url, {"preview_language": "ko", "preview_category": "llm"}
    )

    assert _order(as_alice.content.decode()) == ["감마 소식", "알파 새 소식"]
    assert _order(as_korean_llm.content.decode()) == ["알파 새 소식", "감마 소식"]
