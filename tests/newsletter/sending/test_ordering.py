"""A reader's own order: their 👍/👎 move stories within a section and the
highlights; readers without feedback keep today's order and share one render."""

import datetime as dt

import pytest

from newsletter import services
from newsletter.models import Feedback
from newsletter.sending import ordering
from tests.newsletter.feedback_fixtures import path_of, story_day, vote_links
from tests.newsletter.mail_fixtures import reader

DAY_ONE = dt.date(2026, 8, 21)
DAY_TWO = dt.date(2026, 8, 22)


def _html(message) -> str:
    return next(
        part.get_content()
        for part in message.walk()
        if part.get_content_type() == "text/html"
    )


def _emails(sink) -> dict[str, str]:
    return {
        address: _html(received[-1].message)
        for address, received in sink.by_recipient().items()
    }


def _vote(client, link: str, vote: str) -> None:
    path = path_of(link)
    assert client.get(path).status_code == 200
    assert client.post(path, {"action": vote}).status_code == 200


@pytest.fixture
def day_one(defaults, sink):
    digest, stories = story_day(
        DAY_ONE,
        [
            ("알파 첫 소식", "https://alpha.example/one", 3.0),
            ("알파 둘째 소식", "https://alpha.example/two", 2.5),
            ("베타 소식", "https://beta.example/one", 2.0),
        ],
    )
    return digest, stories


def test_a_reader_who_dislikes_two_stories_of_a_publisher_sees_its_next_ones_lower(
    day_one, sink, client
):
    alice = reader("alice@example.com", "llm")
    bob = reader("bob@example.com", "llm")
    digest, (alpha_one, alpha_two, _) = day_one
    services.send_and_record(digest)
    links = vote_links(_emails(sink)["alice@example.com"])
    _vote(client, links[alpha_one.id, "down"], "down")
    _vote(client, links[alpha_two.id, "down"], "down")
    assert Feedback.objects.filter(subscriber=alice).count() == 2
    sink.received.clear()

    tomorrow, _ = story_day(
        DAY_TWO,
        [
            ("알파 새 소식", "https://alpha.example/three", 3.0),
            ("감마 소식", "https://gamma.example/one", 2.5),
        ],
    )
    services.send_and_record(tomorrow)
    emails = _emails(sink)
    subjects = {
        address: received[-1].message["Subject"]
        for address, received in sink.by_recipient().items()
    }
    # The subject's headline is the reader's first highlight.
    assert "알파 새 소식" in subjects["bob@example.com"]
    assert "감마 소식" in subjects["alice@example.com"]

    def order(html: str) -> list[str]:
        section = html.split('id="llm"', 1)[1]
        titles = ["알파 새 소식", "감마 소식"]
        return sorted(titles, key=section.index)

    assert order(emails["bob@example.com"]) == ["알파 새 소식", "감마 소식"]
    assert order(emails["alice@example.com"]) == ["감마 소식", "알파 새 소식"]
    assert not Feedback.objects.filter(subscriber=bob).exists()


def test_one_vote_is_not_yet_a_preference():
    assert ordering.preference_bucket([(-1, ["p:alpha.example", "c:1"])]) == ()


def test_readers_sharing_a_bucket_share_it_whatever_else_they_voted():
    votes = [(-1, ["p:alpha.example", "c:1"]), (-1, ["p:alpha.example", "c:1"])]
    other = [*votes, (1, ["p:beta.example", "c:1"])]
    assert ordering.preference_bucket(votes) == (
        ("c:1", -1),
        ("p:alpha.example", -1),
    )
    assert ordering.preference_bucket(other) == (("p:alpha.example", -1),)


def test_readers_without_feedback_keep_todays_order(day_one, sink):
    for name in ("carol", "dave", "erin"):
        reader(f"{name}@example.com", "llm")
    digest, stories = day_one
    services.send_and_record(digest)
    emails = _emails(sink)

    assert len(emails) == 3
    titles = [s.title for s in stories]
    for html in emails.values():
        section = html.split('id="llm"', 1)[1]
        assert sorted(titles, key=section.index) == titles


def _vote_directly(subscriber, story, vote: int) -> None:
    Feedback.objects.create(
        subscriber=subscriber,
        story=story,
        vote=vote,
        features=ordering.story_features(story),
    )


def test_readers_render_once_per_order_not_per_bucket(defaults, settings, monkeypatch):
    from newsletter.sending import rendering

    compiled = []
    real_compile = rendering._compile
    monkeypatch.setattr(
        rendering, "_compile", lambda source: compiled.append(1) or real_compile(source)
    )
    settings.EMAIL_BACKEND = "newsletter.sending.file_backend.EmlFileBackend"
    _, (alpha_old, alpha_older, beta_old) = story_day(
        DAY_ONE,
        [
            ("알파 첫 소식", "https://alpha.example/one", 3.0),
            ("알파 둘째 소식", "https://alpha.example/two", 2.5),
            ("베타 첫 소식", "https://beta.example/one", 2.0),
        ],
    )
    plain = [reader(f"plain{n}@example.com", "llm") for n in range(3)]
    # Dislikes alpha (two votes): alpha's story today moves down.
    tired = [reader(f"tired{n}@example.com", "llm") for n in range(2)]
    for subscriber in tired:
        _vote_directly(subscriber, alpha_old, -1)
        _vote_directly(subscriber, alpha_older, -1)
    # Likes alpha: its story leads already, so today's order stands.
    fan = reader("fan@example.com", "llm")
    _vote_directly(fan, alpha_old, 1)
    _vote_directly(fan, alpha_older, 1)
    tomorrow, _ = story_day(
        DAY_TWO,
        [
            ("알파 새 소식", "https://alpha.example/three", 3.0),
            ("감마 소식", "https://gamma.example/one", 2.5),
        ],
    )

    assert services.send_and_record(tomorrow).sent == len(plain) + len(tired) + 1
    # Today's order (plain readers and the fan) and the tired readers' order.
    assert len(compiled) == 2
