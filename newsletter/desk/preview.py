"""A digest as one reader would receive it, before it goes out: the preview shown on
the digest's admin page and the test send to editors.

Both build the message the sender builds (`sending.rendering` then
`sending.recipient`), for a subscriber (in their own order of stories, from their
votes) or for a chosen language and category set (today's order).
Links are signed for a key that belongs to nobody: the same length as a reader's, so
the size is the reader's, but a click on them changes nobody's subscription. A test
is marked in its subject and never becomes a Delivery.
"""

import base64
from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.utils.translation import gettext as _

from newsletter import audit
from newsletter.models import Category, Digest
from newsletter.sending import ordering, recipient
from newsletter.sending.rendering import RenderedEmail, render_digest_email
from subscribers.links import SubscriberLinks, subscriber_links
from subscribers.models import Subscriber, new_token_key

TEST_SUBJECT_MARK = "[TEST]"
TEST_HEADER = "X-Daily-AI-Insights-Test"
# As long as a real key, so the links weigh what a reader's links weigh.
NOBODY_KEY = "preview-" + "0" * (len(new_token_key()) - len("preview-"))


@dataclass(frozen=True)
class Reader:
    """Who the preview is for: a subscriber, or a language and a category set (None:
    every category, as a reader who chose none receives it)."""

    language: str
    categories: tuple[Category, ...] | None = None
    subscriber: Subscriber | None = None

    @classmethod
    def of(cls, subscriber: Subscriber) -> "Reader":
        return cls(
            language=subscriber.reading_language,
            categories=tuple(Category.objects.for_subscriber(subscriber)),
            subscriber=subscriber,
        )

    def describe(self) -> str:
        who = self.subscriber.email if self.subscriber else _("a reader")
        if self.categories is None:
            chosen = _("every category")
        else:
            chosen = ", ".join(c.slug for c in self.categories) or _("no category")
        return f"{who} ({self.language}; {chosen})"


@dataclass(frozen=True)
class Preview:
    subject: str
    html: str  # as a mail client shows it: the inline chart resolved
    text: str
    html_bytes: int
    message_bytes: int
    budget: int
    shortened: bool
    is_empty: bool

    @property
    def percent_of_budget(self) -> int:
        return round(100 * self.html_bytes / self.budget) if self.budget else 0

    @property
    def over_budget(self) -> bool:
        return self.html_bytes > self.budget


def preview_links() -> SubscriberLinks:
    return subscriber_links(Subscriber(token_key=NOBODY_KEY))


def _render(digest: Digest, reader: Reader) -> RenderedEmail:
    categories = None if reader.categories is None else list(reader.categories)
    return render_digest_email(
        digest,
        categories=categories,
        language=reader.language,
        boosts=_own_order(digest, reader),
    )


def _own_order(digest: Digest, reader: Reader) -> dict[int, float]:
    """A subscriber's boosts on the digest's stories (``sending.ordering``), so the
    preview shows their own order of stories as the send does; none (today's
    order) for a language and category set."""
    if reader.subscriber is None:
        return {}
    bucket = ordering.buckets([reader.subscriber.id]).get(reader.subscriber.id)
    if not bucket:
        return {}
    stories = ordering.digest_stories(digest.id)
    received = (
        {f.category_id for f in stories.values()}
        if reader.categories is None
        else {c.id for c in reader.categories}
    )
    return dict(ordering.boosts(bucket, stories, frozenset(received)))


def _message(rendered: RenderedEmail, to: str) -> recipient.DigestEmail:
    return recipient.build_digest_message(
        rendered,
        to=to,
        links=preview_links(),
        message_id=make_msgid(domain=recipient.sender_domain()),
    )


def preview(digest: Digest, reader: Reader) -> Preview:
    rendered = _render(digest, reader)
    message = _message(rendered, reader.subscriber.email if reader.subscriber else "")
    links = preview_links()
    text, html = rendered.personalize(
        preferences_url=links.preferences_url,
        unsubscribe_url=links.unsubscribe_url,
        feedback_url=links.feedback_url,
        reader_token=links.reader_token,
    )
    html_bytes = len(html.encode())
    if rendered.chart_cid:
        data = base64.b64encode(rendered.chart_png).decode()
        html = html.replace(
            f"cid:{rendered.chart_cid}", f"data:image/png;base64,{data}"
        )
    return Preview(
        subject=rendered.subject,
        html=html,
        text=text,
        html_bytes=html_bytes,
        message_bytes=len(message.message().as_bytes()),
        budget=settings.EMAIL_HTML_MAX_BYTES,
        shortened=rendered.shortened,
        is_empty=rendered.is_empty,
    )


def test_recipients(user, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The editor's own address, DIGEST_TEST_RECIPIENTS and ``extra``, each once."""
    addresses = [getattr(user, "email", ""), *settings.DIGEST_TEST_RECIPIENTS, *extra]
    seen: dict[str, str] = {}
    for address in addresses:
        if address and address.lower() not in seen:
            seen[address.lower()] = address
    return list(seen.values())


def send_test(
    digest: Digest, reader: Reader, *, actor, extra: list[str] | tuple[str, ...] = ()
) -> list[str]:
    """Mail the reader's version to the editors and ``extra`` (addresses typed on
    the page), subject marked as a test; returns the addresses. No Delivery row: the
    ledger is the record of readers only."""
    to = test_recipients(actor, extra)
    if not to:
        raise ValueError(
            _(
                "No address to send the test to: type one, add an email address to "
                "your user or set DIGEST_TEST_RECIPIENTS."
            )
        )
    rendered = _render(digest, reader)
    for address in to:
        message = _message(rendered, address)
        message.subject = f"{TEST_SUBJECT_MARK} {message.subject}"
        message.extra_headers[TEST_HEADER] = "yes"
        message.send()
    audit.record(
        digest,
        audit.Action.TEST_SENT,
        actor=actor,
        detail=f"to {', '.join(to)} as {reader.describe()}",
    )
    return to
