"""A reader's own order, as the fan-out sends it, is the email a full render with
that order gives: the fan-out renders many orders of one (language, categories)
group from what it read and built once, and none of that may show."""

import datetime as dt

import pytest
from django.core import signing

from newsletter import services
from newsletter.editorial import sections
from newsletter.models import Feedback, Story
from newsletter.sending import ledger, ordering, prototype, recipient
from newsletter.sending.rendering import render_digest_email
from subscribers.links import subscriber_links
from tests.factories import ArticleFactory, DigestFactory, make_section
from tests.newsletter.mail_fixtures import category, reader

DAY = dt.date(2026, 8, 22)
SLUGS = ("llm", "multimodal")
PUBLISHERS = ("alpha.example", "beta.example", "gamma.example")


def _briefing(slug: str, story_ids: list[int], words: str) -> dict:
    return {
        "topics": [f"{slug} {words}"],
        "events": [
            {"text": f"{words} {n} [{n}]", "citations": [n]}
            for n in range(1, len(story_ids) + 1)
        ],
        "impact": {"economy": f"{words} [1]"},
        "final_summary": [words],
        "stories": [{"id": i, "citations": [n]} for n, i in enumerate(story_ids, 1)],
    }


@pytest.fixture
def day(defaults):
    """Two sections of three stories, each story from another publisher, the
    sections translated into English."""
    digest = DigestFactory(date=DAY, category_counts={slug: 3 for slug in SLUGS})
    for slug in SLUGS:
        articles, ids = [], []
        for rank, publisher in enumerate(PUBLISHERS):
            article = ArticleFactory(
                title=f"{slug} {publisher} 소식 & <새 모델>",
                url=f"https://{publisher}/{slug}/{rank}",
            )
            story = Story.objects.create(
                digest=digest,
                category=category(slug),
                title=article.title,
                lead_article=article,
                score=3.0 - rank * 0.5,
                position=rank,
            )
            story.articles.set([article])
            articles.append(article)
            ids.append(story.id)
        section = make_section(
            digest,
            category(slug),
            articles,
            content=_briefing(slug, ids, "모델 경쟁이 치열해졌다"),
        )
        sections.save_translation(
            section,
            "en",
            _briefing(slug, ids, "Labs compete on models"),
            by=sections.TRANSLATED,
        )
        section.save(update_fields=["translations"])
    return digest


def _parts(message) -> tuple[str, str, str]:
    # SMTP carries CRLF line ends; the render has LF.
    parts = {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in message.walk()
        if part.get_content_maintype() == "text"
    }
    return message["Subject"], parts["text/plain"], parts["text/html"]


@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_reader_with_a_preference_gets_what_a_full_render_of_their_order_gives(
    day, sink, monkeypatch, language
):
    monkeypatch.setattr(ledger, "_templates", ledger._Templates())
    # Links signed during the send and for the comparison below carry the same
    # second, whenever the clock ticks between them.
    monkeypatch.setattr(
        signing.TimestampSigner,
        "timestamp",
        lambda self: signing.b62_encode(1_787_000_000),
    )
    # The reader's message is made from today's serialised one (``for_order``):
    # counted, so this test knows it checks that path and not a fresh serialising.
    derived = []
    for_order = prototype.GroupTemplate.for_order
    monkeypatch.setattr(
        prototype.GroupTemplate,
        "for_order",
        lambda self, rendered: derived.append(1) or for_order(self, rendered),
    )
    # Readers of today's order come first, so the fan-out has rendered it and kept
    # what it read and built before it meets the reader's own order.
    for n in range(3):
        reader(f"plain{n}@example.com", language=language)
    fan = reader("fan@example.com", language=language)
    for story in Story.objects.filter(digest=day, articles__url__contains="gamma"):
        Feedback.objects.create(
            subscriber=fan,
            story=story,
            vote=Feedback.Vote.UP,
            features=ordering.story_features(story),
        )

    services.send_and_record(day)

    received = {
        address: _parts(messages[-1].message)
        for address, messages in sink.by_recipient().items()
    }
    bucket = ordering.buckets([fan.id])[fan.id]
    stories = ordering.digest_stories(day.id)
    everything = frozenset(category(slug).id for slug in SLUGS)
    boosts = dict(ordering.boosts(bucket, stories, everything))
    alone = render_digest_email(day, categories=None, language=language, boosts=boosts)
    links = subscriber_links(fan)
    text, html = alone.personalize(
        preferences_url=links.preferences_url,
        unsubscribe_url=links.unsubscribe_url,
        feedback_url=links.feedback_url,
        reader_token=links.reader_token,
    )

    assert derived == [1]
    assert received["fan@example.com"] == (alone.subject, text, html)
    # The order is the reader's own: gamma's story (cited [3]) passes beta's ([2]),
    # where the readers of today's order keep beta's first.
    today = received["plain0@example.com"][1]
    assert today.index("[2]") < today.index("[3]")
    assert text.index("[3]") < text.index("[2]")


def test_a_message_made_for_another_order_is_the_one_serialising_it_gives(day):
    """Subject (long enough to fold, Korean), text and HTML go where today's were;
    every header and part parses back as a message serialised anew."""
    stories = ordering.digest_stories(day.id)
    last = max(stories, key=lambda i: -stories[i].score)
    today = render_digest_email(day, categories=None, language="ko")
    other = render_digest_email(day, categories=None, language="ko", boosts={last: 5.0})
    assert other.subject != today.subject and other.html != today.html
    links = subscriber_links(reader("reader@example.com"))
    made = prototype.GroupTemplate(today, orders=True).for_order(other)
    fresh = prototype.GroupTemplate(other)

    def parsed(template):
        raw = (
            template.message(
                to="reader@example.com",
                links=links,
                message_id="<one@example.com>",
                date="Sat, 22 Aug 2026 07:00:00 -0000",
            )
            .message()
            .as_bytes()
        )
        message = prototype.parse(raw)
        parts = [
            (part.get_content_type(), part.get_payload(decode=True))
            for part in message.walk()
            if not part.is_multipart()
        ]
        headers = [(k, v) for k, v in message.items() if k != "Content-Type"]
        return raw.partition(b"\n\n")[0].count(b"\n"), headers, parts

    assert parsed(made) == parsed(fresh)
    assert recipient.subject_header(other.subject) in made._head
