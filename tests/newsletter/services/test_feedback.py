"""Votes and clicks as stored: erasure takes a reader's votes with them, and the
counts the desk reads."""

import datetime as dt

import pytest

from newsletter.models import Feedback
from newsletter.services import feedback
from subscribers import services as subscriber_services
from tests.newsletter.feedback_fixtures import story_day
from tests.newsletter.mail_fixtures import reader


@pytest.fixture
def day(defaults):
    return story_day(
        dt.date(2026, 8, 22),
        [
            ("알파 소식", "https://alpha.example/one", 3.0),
            ("베타 소식", "https://beta.example/one", 2.0),
        ],
    )


def test_erasing_a_reader_deletes_their_feedback(day):
    _, (story, other) = day
    alice = reader("alice@example.com")
    bob = reader("bob@example.com")
    feedback.record_vote(alice.id, story, Feedback.Vote.UP)
    feedback.record_vote(alice.id, other, Feedback.Vote.DOWN)
    feedback.record_vote(bob.id, story, Feedback.Vote.UP)

    subscriber_services.delete_subscriber(alice.id)

    assert list(Feedback.objects.values_list("subscriber_id", flat=True)) == [bob.id]


def test_counts_per_story_and_digest(day):
    digest, (story, other) = day
    for n, vote in enumerate([1, 1, -1]):
        feedback.record_vote(reader(f"r{n}@example.com").id, story, vote)
    feedback.count_click(story)
    feedback.count_click(story)
    feedback.count_click(other)

    counts = feedback.story_counts([story.id, other.id])

    assert counts[story.id] == feedback.Counts(up=2, down=1, clicks=2)
    assert counts[other.id] == feedback.Counts(up=0, down=0, clicks=1)
    assert feedback.digest_counts(digest) == feedback.Counts(up=2, down=1, clicks=3)


def test_the_weekly_reads_readers_verdict_once_a_story_has_enough_votes(day):
    from newsletter.services import weekly

    _, (story, other) = day
    assert weekly.MIN_FEEDBACK_VOTES == 3
    for n, vote in enumerate([1, 1, -1]):
        feedback.record_vote(reader(f"up{n}@example.com").id, story, vote)
    feedback.record_vote(reader("one@example.com").id, other, Feedback.Vote.DOWN)

    verdict = weekly.story_feedback([story.id, other.id])

    # Two up, one down: a third of a publisher more; one vote alone counts nothing.
    assert verdict == {story.id: pytest.approx(1 / 3)}
