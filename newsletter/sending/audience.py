"""Who a digest's send reaches: the one rule the ledger enrols by and the desk counts by.

``send_digest`` writes a Delivery row per receiving subscriber of the edition's
rhythm (``readers``: the weekly for weekly or both, the daily editions for daily or
both) and skips those with nothing in this digest (or whose email is another
edition's, ``editions``);
``recipient_counts`` answers the same question before anything is written, so the
send confirmation shows exactly the readers the send will mail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.conf import settings

from newsletter.models import Category, Digest
from newsletter.sending import editions
from subscribers.models import Subscriber, reading_language

NO_SECTION_REASON = "no section today for the chosen categories"
CHUNK = 2000


def chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def readers(digest: Digest):
    """Who this digest's edition is for, before categories: the weekly edition's
    readers chose weekly or both, the daily editions' (News, Papers) daily or both.
    Nobody else gets a row, skipped or not."""
    frequency = (
        Subscriber.Frequency.WEEKLY
        if digest.edition == Digest.Edition.WEEKLY
        else Subscriber.Frequency.DAILY
    )
    return Subscriber.objects.receiving().reading(frequency)


@dataclass(frozen=True)
class Rule:
    """What decides, per reader's received categories, whether this digest mails them."""

    in_digest: frozenset[int]
    elsewhere: frozenset[int]
    papers_today: frozenset[int]
    notice: bool

    @classmethod
    def of(cls, digest: Digest) -> Rule:
        return cls(
            in_digest=editions.section_category_ids(digest),
            elsewhere=editions.carried_elsewhere_ids(digest),
            # A reader of Papers only gets the Papers email, never also a News notice.
            papers_today=editions.section_category_ids(
                editions.companion_papers(digest)
            ),
            notice=settings.DIGEST_SEND_EMPTY_NOTICE
            and digest.edition == Digest.Edition.NEWS,
        )

    def skip_reason(self, received: frozenset[int]) -> str:
        """Why this reader gets no email of this digest; "" when they get one."""
        if received & self.elsewhere:
            return editions.CARRIED_BY_NEWS
        if received & self.in_digest:
            return ""
        if self.notice and not received & self.papers_today:
            return ""
        return NO_SECTION_REASON


@dataclass(frozen=True)
class RecipientCounts:
    """Readers a send of one digest would mail, by reading language; the News email
    also carries the day's approved Papers to ``with_papers`` of them."""

    digest: Digest
    by_language: dict[str, int]
    skipped: int
    with_papers: int

    @property
    def total(self) -> int:
        return sum(self.by_language.values())

    def rows(self) -> list[tuple[str, str, int]]:
        """(language code, its name, count) in the site's language order."""
        names = dict(settings.LANGUAGES)
        order = [code for code, _name in settings.LANGUAGES]
        return [
            (code, str(names.get(code, code)), self.by_language[code])
            for code in sorted(
                self.by_language,
                key=lambda c: order.index(c) if c in order else len(order),
            )
        ]


def recipient_counts(digest: Digest) -> RecipientCounts:
    """Count, without writing, whom ``ledger.send_digest`` would mail if it enrolled
    the list now. Once a send has started, its Delivery rows say who got it."""
    rule = Rule.of(digest)
    by_language: Counter[str] = Counter()
    skipped = with_papers = 0
    rows = (
        readers(digest)
        .order_by("id")
        .values_list("id", "language")
        .iterator(chunk_size=CHUNK)
    )
    for chunk in chunks(rows, CHUNK):
        received = Category.objects.received_ids([i for i, _code in chunk])
        for subscriber_id, code in chunk:
            mine = received[subscriber_id]
            if rule.skip_reason(mine):
                skipped += 1
                continue
            by_language[reading_language(code)] += 1
            with_papers += bool(mine & rule.papers_today)
    return RecipientCounts(
        digest=digest,
        by_language=dict(by_language),
        skipped=skipped,
        with_papers=with_papers,
    )
