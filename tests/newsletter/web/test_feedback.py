"""A story's 👍/👎 from the email: a page on GET, a vote on POST, undo after it;
links that are forged, moved, expired or whose story is gone record nothing; the
counting redirect goes only to the story's own sources."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from newsletter import services
from newsletter.models import Feedback, StoryClick
from newsletter.services import feedback as reader_feedback
from subscribers import links
from subscribers import services as subscriber_services
from tests.newsletter.feedback_fixtures import path_of, story_day
from tests.newsletter.mail_fixtures import reader

DAY = dt.date(2026, 8, 22)


@pytest.fixture(autouse=True)
def english_visitor(client):
    """A refused link names no reader: its page speaks the browser's language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def day(defaults):
    return story_day(
        DAY,
        [
            ("알파 소식", "https://alpha.example/one", 3.0),
            ("베타 소식", "https://beta.example/one", 2.0),
        ],
    )


@pytest.fixture
def alice(defaults):
    # Pages behind her links speak the language she reads: English here.
    return reader("alice@example.com", "llm", language="en")


def _link(subscriber, story_id: int, vote: str) -> str:
    return path_of(links.subscriber_links(subscriber).feedback_url(story_id, vote))


def test_a_scanner_fetching_the_link_votes_nothing(client, day, alice):
    _, (story, _) = day
    path = _link(alice, story.id, "down")

    page = client.get(path)
    head = client.head(path)

    assert page.status_code == head.status_code == 200
    assert "알파 소식" in page.content.decode()
    assert not Feedback.objects.exists()


def test_the_confirming_post_votes_once_and_a_second_vote_replaces_it(
    client, day, alice
):
    _, (story, _) = day
    path = _link(alice, story.id, "down")

    first = client.post(path, {"action": "down"})
    again = client.post(path, {"action": "down"})
    changed = client.post(path, {"action": "up"})

    assert "Saved: 👎" in first.content.decode()
    assert "nothing changed" in again.content.decode()
    assert "Saved: 👍" in changed.content.decode()
    assert list(Feedback.objects.values_list("subscriber_id", "story_id", "vote")) == [
        (alice.id, story.id, Feedback.Vote.UP)
    ]


def test_undo_deletes_the_vote(client, day, alice):
    _, (story, _) = day
    path = _link(alice, story.id, "up")
    client.post(path, {"action": "up"})

    page = client.post(path, {"action": "undo"})

    assert "Undone" in page.content.decode()
    assert not Feedback.objects.exists()


def test_a_link_moved_to_another_story_or_forged_records_nothing(client, day, alice):
    _, (story, other) = day
    token, _, signature, vote = _link(alice, story.id, "up").strip("/").split("/")[1:]
    moved = f"/feedback/{token}/{other.id}/{signature}/{vote}/"
    forged = f"/feedback/{token[:-2]}xx/{story.id}/{signature}/{vote}/"

    for path in (moved, forged):
        page = client.post(path, {"action": "up"})
        assert page.status_code == 400
        assert "Nothing was recorded" in page.content.decode()
    assert not Feedback.objects.exists()


def test_an_expired_link_records_nothing(client, day, alice, settings):
    _, (story, _) = day
    with time_machine.travel(timezone.now() - dt.timedelta(days=31)):
        path = _link(alice, story.id, "up")

    page = client.post(path, {"action": "up"})

    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert not Feedback.objects.exists()


def test_a_vote_on_a_deleted_story_is_refused(client, day, alice):
    _, (story, _) = day
    path = _link(alice, story.id, "up")
    story.delete()

    page = client.post(path, {"action": "up"})

    assert page.status_code == 410
    assert not Feedback.objects.exists()


def test_a_vote_on_a_merged_story_lands_on_the_story_that_stayed(
    client, defaults, alice
):
    digest, (best, merged) = story_day(
        DAY,
        [
            ("감마 소식", "https://gamma.example/a", 3.0),
            ("감마 후속", "https://gamma.example/b", 1.0),
        ],
    )
    digest.status = digest.Status.READY
    digest.save()
    path = _link(alice, merged.id, "up")
    services.merge_stories([best, merged])

    page = client.post(path, {"action": "up"})

    assert page.status_code == 200
    assert list(Feedback.objects.values_list("story_id", flat=True)) == [best.id]


def test_an_unsubscribed_readers_feedback_is_deleted_and_their_links_refused(
    client, day, alice
):
    _, (story, _) = day
    path = _link(alice, story.id, "up")
    client.post(path, {"action": "up"})

    subscriber_services.unsubscribe(alice.id)

    assert not Feedback.objects.exists()
    assert client.post(path, {"action": "up"}).status_code == 410
    assert not Feedback.objects.exists()


def test_the_redirect_counts_a_click_and_goes_to_the_source(client, day):
    _, (story, _) = day

    response = client.get(f"/go/{story.id}/", {"to": "https://alpha.example/one"})
    client.head(f"/go/{story.id}/", {"to": "https://alpha.example/one"})

    assert response.status_code == 302
    assert response["Location"] == "https://alpha.example/one"
    assert list(StoryClick.objects.values_list("story_id", "count")) == [(story.id, 1)]


@pytest.mark.parametrize(
    "target",
    [
        "https://beta.example/one",  # another story's source
        "https://evil.example/",
        "javascript:alert(1)",
        "",
    ],
)
def test_the_redirect_refuses_any_url_that_is_not_a_source_of_the_story(
    client, day, target
):
    _, (story, _) = day

    response = client.get(f"/go/{story.id}/", {"to": target})

    assert response.status_code == 400
    assert "Location" not in response
    assert not StoryClick.objects.exists()


def test_the_redirect_of_an_unknown_story_is_not_found(client, day):
    assert (
        client.get("/go/999999/", {"to": "https://alpha.example/one"}).status_code
        == 404
    )


def test_with_click_counting_off_the_email_links_the_sources_directly(
    day, alice, settings, mailoutbox
):
    digest, _ = day
    settings.CLICK_COUNTING = False
    services.send_and_record(digest)

    html = mailoutbox[0].alternatives[0][0]

    assert 'href="https://alpha.example/one"' in html
    assert "/go/" not in html


def test_the_email_links_sources_through_the_counting_redirect(day, alice, mailoutbox):
    digest, (story, _) = day
    services.send_and_record(digest)

    html = mailoutbox[0].alternatives[0][0]

    assert f"/go/{story.id}/?to=https%3A%2F%2Falpha.example%2Fone" in html
    assert reader_feedback.story_counts([story.id])[story.id].clicks == 0
