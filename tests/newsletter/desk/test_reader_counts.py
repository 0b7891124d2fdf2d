"""The review desk shows what readers made of a digest: 👍, 👎 and clicks on
sources, per digest and per story (counts only, never who)."""

import datetime as dt

from newsletter.models import Feedback
from newsletter.services import feedback
from tests.newsletter.feedback_fixtures import story_day
from tests.newsletter.mail_fixtures import reader


def test_the_desk_shows_votes_and_clicks_per_digest_and_story(editor_client):
    digest, (story, other) = story_day(
        dt.date(2026, 8, 22),
        [
            ("알파 소식", "https://alpha.example/one", 3.0),
            ("베타 소식", "https://beta.example/one", 2.0),
        ],
    )
    alice, bob = reader("alice@example.com"), reader("bob@example.com")
    feedback.record_vote(alice.id, story, Feedback.Vote.UP)
    feedback.record_vote(bob.id, story, Feedback.Vote.UP)
    feedback.record_vote(bob.id, other, Feedback.Vote.DOWN)
    for _ in range(3):
        feedback.count_click(other)

    page = editor_client.get(f"/admin/newsletter/digest/{digest.id}/change/")
    html = " ".join(page.content.decode().split())

    assert "Readers: 👍 2 · 👎 1 · 3 clicks on sources" in html
    assert "· 👍 2 · 👎 0 · 0 clicks" in html
    assert "· 👍 0 · 👎 1 · 3 clicks" in html
    assert "alice@example.com" not in html
