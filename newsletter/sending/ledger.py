"""The delivery ledger and the fan-out of an approved digest.

One Delivery row per (digest, subscriber), created idempotently by ``send_digest``.
Every send claims its rows first with a conditional UPDATE (pending -> sending), so a
task that runs twice, or two workers holding the same ids, send each row once.

Subscribers are grouped by their language, the sections they receive and their own
order of stories (``ordering``: the boosts their preference bucket gives today's
stories, none for most readers); each group is rendered and compiled once per
process (``_templates``) and only the links differ per person. A group's render is keyed by a fingerprint of everything the email shows
(digest, sections, their sources and categories, its stories, the settings the
templates read), taken when a chunk is claimed: an editor's change reaches the next
chunk, never a stale render.

The one duplicate window: a row is marked ``sent`` after the ESP or SMTP server
accepted it. Messages of a claimed chunk are recorded together when the chunk ends
(``_Ledger.flush``); a worker killed between the server's acceptance and that flush
leaves the rows ``sending``. ``sweep_stale_deliveries`` later hands them back to
``pending`` and they go out again: at most the claimed chunk per worker process
(EMAIL_SEND_CHUNK, or the ESP's batch size) can be duplicated. The Message-ID is
stable per delivery so receivers that deduplicate on it drop the second copy.

A living worker renews its chunk's claim as it goes (``_Ledger.keep_claim``), so the
stale threshold can be minutes: only a dead worker's rows outlive it. The chunks a
dead worker had reserved but not begun are pending rows nobody advances; the
sweeper queues a send's pending rows again once none of its rows moved for that long
(``stalled_sends``), and the claim makes a second task for the same rows a no-op.
"""

import dataclasses
import hashlib
import logging
import smtplib
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from itertools import islice

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from lib.id_queries import instances_for_ids
from newsletter.models import (
    Category,
    Delivery,
    Digest,
    DigestSection,
    DigestSource,
    Story,
)
from newsletter.sending import (
    audience,
    editions,
    esp_batches,
    ordering,
    prototype,
    recipient,
)
from newsletter.sending.rendering import (
    RenderedEmail,
    chart_is_hosted,
    render_digest_email,
)
from subscribers.links import subscriber_links
from subscribers.models import Subscriber

logger = logging.getLogger(__name__)

NO_SECTION_REASON = audience.NO_SECTION_REASON
ENROL_CHUNK = 2000


class TransientSendError(Exception):
    """The server may accept this later: the rows went back to pending."""


class PermanentSendError(Exception):
    """This recipient will not accept this message."""


class DigestNotSendable(Exception):
    pass


@dataclass
class SendReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    already_done: int = 0
    queued: int = 0  # handed to Celery workers
    pending: int = 0  # left for a retry after a transient error

    def add(self, other: "SendReport") -> None:
        for name in ("sent", "skipped", "failed", "queued", "pending"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, skipped {self.skipped}, failed {self.failed}, "
            f"already done {self.already_done}, queued {self.queued}, "
            f"pending {self.pending}"
        )


def _chunks(items: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def chunk_size() -> int:
    """Rows claimed together: one ESP batch call, or one SMTP connection's worth."""
    if esp_batches.is_batching():
        return esp_batches.batch_size()
    return settings.EMAIL_SEND_CHUNK


# --- fan-out -----------------------------------------------------------------------


@dataclass
class SendPlan:
    """What opening a send hands back: the report so far and the pending rows in
    chunks, for the caller to send here or hand to workers (``services.approval``)."""

    report: SendReport
    chunks: list[list[int]]
    digest_id: int | None


def open_send(digest_id: int) -> SendPlan:
    """Create the ledger rows for a released digest and hand back what is pending.

    Safe to run any number of times: existing rows are kept, sent rows are never
    sent again. Nothing is sent or queued here.
    """
    digest = Digest.objects.get(id=digest_id)
    if not digest.is_released:
        raise DigestNotSendable(f"digest {digest} is {digest.status}, not approved")
    if digest.is_empty:
        raise DigestNotSendable(f"digest {digest} has no sections: nothing to send")
    Digest.objects.filter(id=digest.id, status=Digest.Status.APPROVED).update(
        status=Digest.Status.SENDING
    )
    report = SendReport()
    done = [Delivery.Status.SENT, Delivery.Status.FAILED, Delivery.Status.SKIPPED]
    report.already_done = Delivery.objects.filter(
        digest=digest, status__in=done
    ).count()
    # A digest already sent takes no new readers: a re-run only finishes its own rows.
    if digest.status not in Digest.SENT_STATUSES:
        skipped_before = Delivery.objects.filter(
            digest=digest, status=Delivery.Status.SKIPPED
        ).count()
        _enrol_subscribers(digest)
        report.skipped = (
            Delivery.objects.filter(
                digest=digest, status=Delivery.Status.SKIPPED
            ).count()
            - skipped_before
        )

    pending = Delivery.objects.filter(digest=digest, status=Delivery.Status.PENDING)
    return SendPlan(report, list(_id_chunks(pending, chunk_size())), digest.id)


def send_here(plan: SendPlan) -> SendReport:
    """Send a plan's chunks in this process (Celery eager, the demo), then finish."""
    for ids in plan.chunks:
        plan.report.add(send_deliveries(ids, finish=False))
    if plan.digest_id is not None:
        finish_digest(plan.digest_id)
    return plan.report


def _id_chunks(queryset, size: int, *, page: int = 10_000) -> Iterator[list[int]]:
    """Ids in ascending chunks of ``size``, read a page at a time by keyset.

    No cursor is held across sends, and the id query runs once per page, not once
    per chunk: on a large ledger each run of it is a scan of the digest's rows.
    """
    last = 0
    while ids := list(
        queryset.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:page]
    ):
        for start in range(0, len(ids), size):
            yield ids[start : start + size]
        last = ids[-1]


def _enrol_subscribers(digest: Digest) -> None:
    """One row per receiving subscriber; those with nothing today are skipped rows,
    and so are a Papers digest's readers whose email is the News one (``audience``)."""
    rule = audience.Rule.of(digest)
    subscriber_ids = (
        audience.readers(digest)
        .order_by("id")
        .values_list("id", flat=True)
        .iterator(chunk_size=ENROL_CHUNK)
    )
    now = timezone.now()
    for ids in _chunks(subscriber_ids, ENROL_CHUNK):
        received = Category.objects.received_ids(ids)
        rows = []
        for subscriber_id in ids:
            reason = rule.skip_reason(received[subscriber_id])
            rows.append(
                Delivery(
                    digest=digest,
                    subscriber_id=subscriber_id,
                    created_at=now,
                    status=Delivery.Status.SKIPPED
                    if reason
                    else Delivery.Status.PENDING,
                    error=reason,
                )
            )
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)


def finish_digest(digest_id: int) -> bool:
    """sending -> sent (or partial, when most deliveries failed: ``Digest.send_outcome``)
    once no row is waiting; True when it moved."""
    counts = dict(
        Delivery.objects.filter(digest_id=digest_id)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    if counts.get(Delivery.Status.PENDING) or counts.get(Delivery.Status.SENDING):
        return False
    sent, failed = (
        counts.get(Delivery.Status.SENT, 0),
        counts.get(Delivery.Status.FAILED, 0),
    )
    outcome = Digest.send_outcome(sent, failed)
    moved = bool(
        Digest.objects.filter(id=digest_id, status=Digest.Status.SENDING).update(
            status=outcome, sent_at=timezone.now()
        )
    )
    if moved and outcome != Digest.Status.SENT:
        logger.error(
            "digest %s: send finished with %d of %d deliveries failed",
            digest_id,
            failed,
            sent + failed,
        )
    return moved


# --- rendering cache -----------------------------------------------------------------

# Settings the email templates and the serialised message read.
RENDER_SETTINGS = (
    "SITE_URL",
    "ROOT_URLCONF",
    "SENDER_POSTAL_ADDRESS",
    "EMAIL_HTML_MAX_BYTES",
    "EMAIL_CHART_HOSTED",
    "DEFAULT_FROM_EMAIL",
    "EMAIL_UNSUBSCRIBE_MAILTO",
    "EMAIL_USE_LOCALTIME",
    "DIGEST_STORIES_PER_SECTION",
    "CLICK_COUNTING",
)


@dataclass(frozen=True)
class _EmailState:
    """What the emails of one digest hold, as a chunk found it (``editions``)."""

    own: frozenset[int]  # the digest's in-digest section categories
    carried: frozenset[int]  # the day's Papers sections a News email carries
    elsewhere: frozenset[int]  # readers of these get this digest in another email
    version: str  # a fingerprint of everything the emails show
    stories: dict  # story id -> ordering.StoryFacts, for each reader's order


@dataclass(frozen=True)
class _Group:
    """Readers of one digest who get the same sections in the same language, as
    their chunk found them."""

    digest_id: int | None
    categories: frozenset[int]
    language: str  # ``Subscriber.reading_language``
    version: str  # ``_digest_state``'s fingerprint when the chunk was claimed
    # The reader's own order of today's stories (``ordering.order_key``; () for
    # today's order) and boosts that give it: readers with the same order share the
    # render, whichever boosts got them there.
    order: tuple = ()
    boosts: ordering.Boosts = field(default=(), compare=False)


# The columns of a section a reader's email shows; ``category__in_digest`` last.
_SECTION_COLUMNS = (
    "id",
    "position",
    "content",
    "translations",
    "generated_by",
    "category_id",
    "category__slug",
    "category__name",
    "category__name_en",
    "category__emoji",
    "category__position",
    "category__in_digest",
)


@lru_cache(maxsize=16)
def _state_queries(digest_id: int) -> tuple[tuple[str, tuple], ...]:
    """The queries ``_digest_state`` runs, compiled once per digest and process.

    They run once per claimed chunk, thousands of times in a large send; compiling
    them through the ORM each time cost more than running them.
    """
    querysets = (
        DigestSection.objects.filter(digest_id=digest_id)
        .order_by("id")
        .values_list(*_SECTION_COLUMNS),
        DigestSource.objects.filter(section__digest_id=digest_id)
        .order_by("section_id", "number")
        .values_list("section_id", "number", "article__title", "article__url"),
        # The highlights and each reader's order rank stories by these, and name
        # them by their articles' titles (``ordering.digest_stories`` reads them).
        Story.objects.filter(digest_id=digest_id)
        .order_by("id", "articles__id")
        .values_list(
            "id",
            "score",
            "position",
            "category_id",
            "title",
            "articles__title",
            "articles__url",
        ),
    )
    return tuple(qs.query.sql_with_params() for qs in querysets)


def _digest_state(digest: Digest) -> tuple[frozenset[int], str]:
    """The digest's in-digest section categories, and a fingerprint of everything
    its email shows.

    Read from the database for every chunk, so any saved change to the digest, a
    section, a section's sources, its stories or a category (editors' edits do not
    touch ``Digest.updated_at``) reaches the next chunk; and the settings the
    templates read. The rows are hashed as the database returns them.
    """
    hasher = hashlib.blake2b(digest_size=16)
    deferred = digest.get_deferred_fields()
    fields = [
        getattr(digest, f.attname)
        for f in Digest._meta.concrete_fields
        if f.attname not in deferred
    ]
    hasher.update(repr(_hashable(fields)).encode())
    in_digest: set[int] = set()
    with connection.cursor() as cursor:
        for index, (sql, params) in enumerate(_state_queries(digest.id)):
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            hasher.update(repr(rows).encode())
            if index == 0:  # the sections
                in_digest.update(row[5] for row in rows if row[-1])
    hasher.update(repr([getattr(settings, n, None) for n in RENDER_SETTINGS]).encode())
    hasher.update(repr(chart_is_hosted()).encode())
    return frozenset(in_digest), hasher.hexdigest()


def _email_state(digest: Digest) -> _EmailState:
    own, version = _digest_state(digest)
    companion = editions.companion_papers(digest)
    carried = frozenset()
    if companion is not None:
        carried, companion_version = _digest_state(companion)
        version = hashlib.blake2b(
            f"{version}:{companion_version}".encode(), digest_size=16
        ).hexdigest()
    return _EmailState(
        own=own,
        carried=carried,
        elsewhere=editions.carried_elsewhere_ids(digest),
        version=version,
        stories=_told_stories(digest.id, version),
    )


_stories_seen: OrderedDict = OrderedDict()


def _told_stories(digest_id: int, version: str) -> dict:
    """``ordering.digest_stories``, read once per version of the digest and process:
    the fingerprint covers what it reads (sections, stories, their articles)."""
    key = (digest_id, version)
    if key not in _stories_seen:
        _stories_seen[key] = ordering.digest_stories(digest_id)
        if len(_stories_seen) > 16:
            _stories_seen.popitem(last=False)
    return _stories_seen[key]


def _hashable(values: list) -> list:
    """Binary values (the chart) by their hash: PostgreSQL returns them as
    memoryviews, whose repr names an address, not the bytes."""
    return [
        hashlib.blake2b(bytes(v), digest_size=16).hexdigest()
        if isinstance(v, bytes | memoryview)
        else v
        for v in values
    ]


class _Templates:
    """Rendered emails per group (digest version, language, category set), kept per
    process."""

    def __init__(self, size: int = 512):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        # What the renders of one digest version read from the database, shared by
        # its groups (readers' own orders make hundreds of them): the version is a
        # fingerprint of all of it, so nothing kept here can be stale.
        self._reads: OrderedDict = OrderedDict()

    def _reads_for(self, group: _Group) -> dict:
        key = (group.digest_id, group.version)
        if key not in self._reads:
            self._reads[key] = {}
            if len(self._reads) > 4:
                self._reads.popitem(last=False)
        return self._reads[key]

    def get(self, digest: Digest, group: _Group) -> tuple[RenderedEmail, object]:
        if group in self._items:
            self._items.move_to_end(group)
            return self._items[group]
        reads = self._reads_for(group)
        key = ("categories", group.categories)
        if key not in reads:
            reads[key] = list(Category.objects.filter(id__in=group.categories))
        rendered = render_digest_email(
            digest,
            categories=reads[key],
            language=group.language,
            boosts=dict(group.boosts),
            reads=reads,
        )
        kept = self._items[group] = (rendered, self._template(group, rendered))
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return kept

    def _template(
        self, group: _Group, rendered: RenderedEmail
    ) -> prototype.GroupTemplate | None:
        """The group's serialised message: made from its today's-order group's,
        when that is kept, for a reader's own order (only the subject, text and HTML
        differ); else serialised, keeping its parts for the orders to come."""
        today = (
            self._items.get(dataclasses.replace(group, order=()))
            if group.order
            else None
        )
        if today is not None and today[1] is not None:
            try:
                return today[1].for_order(rendered)
            except prototype.FastPathUnavailable as exc:
                logger.debug("group serialised anew (%s)", exc)
        try:
            return prototype.GroupTemplate(rendered, orders=not group.order)
        except prototype.FastPathUnavailable as exc:
            logger.info("slow path for a group (%s)", exc)
            return None


_templates = _Templates()


# --- sending -------------------------------------------------------------------------


class _Ledger:
    """Outcomes of one claimed chunk, written together in one transaction.

    Until ``flush`` commits, messages the server already accepted are still
    ``sending``: this is the duplicate window the module docstring describes.
    """

    def __init__(self, claimed: list[int]):
        self.claimed = claimed
        self.sent: list[tuple[int, str]] = []
        self.failed: list[tuple[int, str]] = []
        self.skipped: list[tuple[int, str]] = []
        self.retry: list[int] = []
        self.retry_reason = ""
        self._renew_at = time.monotonic() + _renew_every()

    def keep_claim(self) -> None:
        """Renew the chunk's claim every third of DELIVERY_STALE_AFTER_SECONDS, so the
        sweeper never hands back the rows of a worker that is still sending them."""
        if time.monotonic() < self._renew_at:
            return
        Delivery.objects.filter(
            id__in=self.claimed, status=Delivery.Status.SENDING
        ).update(claimed_at=timezone.now())
        self._renew_at = time.monotonic() + _renew_every()

    def hand_back(self, delivery_ids: Iterable[int], reason: str) -> None:
        self.retry.extend(delivery_ids)
        self.retry_reason = reason

    def flush(self) -> SendReport:
        now = timezone.now()
        with transaction.atomic():
            if self.sent:
                # One prepared statement run per row: building a CASE expression per
                # chunk through the ORM cost more CPU than the sends themselves.
                table = connection.ops.quote_name(Delivery._meta.db_table)
                sent_at = connection.ops.adapt_datetimefield_value(now)
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {table} SET status = %s, sent_at = %s, error = '', "
                        "esp_message_id = %s WHERE id = %s AND status = %s",
                        [
                            (
                                Delivery.Status.SENT,
                                sent_at,
                                esp_id[:255],
                                delivery_id,
                                Delivery.Status.SENDING,
                            )
                            for delivery_id, esp_id in self.sent
                        ],
                    )
            for status, rows in (
                (Delivery.Status.FAILED, self.failed),
                (Delivery.Status.SKIPPED, self.skipped),
            ):
                for delivery_id, reason in rows:
                    Delivery.objects.filter(
                        id=delivery_id, status=Delivery.Status.SENDING
                    ).update(status=status, error=reason[:1000])
            if self.retry:
                # The reason stays on the pending row: admins see why it waits.
                Delivery.objects.filter(
                    id__in=self.retry, status=Delivery.Status.SENDING
                ).update(
                    status=Delivery.Status.PENDING,
                    claimed_at=None,
                    error=f"will retry: {self.retry_reason}"[:1000],
                )
        report = SendReport(
            sent=len(self.sent),
            failed=len(self.failed),
            skipped=len(self.skipped),
            pending=len(self.retry),
        )
        self.sent, self.failed, self.skipped, self.retry = [], [], [], []
        return report


def _renew_every() -> float:
    return settings.DELIVERY_STALE_AFTER_SECONDS / 3


def _claim(delivery_ids: list[int]) -> list[Delivery]:
    stamp = timezone.now()
    claimed = Delivery.objects.filter(
        id__in=delivery_ids, status=Delivery.Status.PENDING
    ).update(
        status=Delivery.Status.SENDING, claimed_at=stamp, attempts=F("attempts") + 1
    )
    if not claimed:
        return []
    # The stamp tells our rows from ones another worker claimed in the same instant.
    rows = [
        row
        for row in instances_for_ids(_deliveries, delivery_ids)
        if row.status == Delivery.Status.SENDING and row.claimed_at == stamp
    ]
    # Three queries compiled once, not one joined query compiled per chunk: each
    # chunk's digest is read once, not once per row.
    readers = instances_for_ids(_subscribers, [row.subscriber_id for row in rows])
    digests = instances_for_ids(_digests, [row.digest_id for row in rows])
    readers_by_id = {reader.id: reader for reader in readers}
    digests_by_id = {digest.id: digest for digest in digests}
    for row in rows:
        row.subscriber = readers_by_id[row.subscriber_id]
        row.digest = digests_by_id[row.digest_id]
    return rows


def _deliveries(ids):
    return Delivery.objects.filter(id__in=ids).order_by("id")


def _subscribers(ids):
    return Subscriber.objects.filter(id__in=ids)


def _digests(ids):
    # Not the chart, per chunk: it is saved only with the digest, which moves
    # ``updated_at`` (in the fingerprint), and read only when a group renders.
    return Digest.objects.filter(id__in=ids).defer("chart_png")


def send_deliveries(delivery_ids: list[int], *, finish: bool = True) -> SendReport:
    """Claim and send these rows; the report counts what this call did.

    Rows already claimed elsewhere or finished are left alone. After a transient
    error the rest of the chunk is handed back to pending (``report.pending``);
    the task wrapper turns that into a retry with backoff.
    """
    rows = _claim(delivery_ids)
    if not rows:
        return SendReport()
    ledger = _Ledger([row.id for row in rows])
    report = SendReport()
    try:
        work = _sort_claimed(rows, ledger)
        if esp_batches.is_batching():
            _send_batched(work, ledger)
        else:
            _send_one_by_one(work, ledger)
    finally:
        report.add(ledger.flush())
    if finish:
        for digest_id in {row.digest_id for row in rows}:
            finish_digest(digest_id)
    return report


def _sort_claimed(
    rows: list[Delivery], ledger: _Ledger
) -> list[tuple[Delivery, _Group]]:
    """The rows to send, each with its group; the others recorded as skipped.

    Suppression and preferences are read here, right before the chunk goes out (at
    most EMAIL_SEND_CHUNK sends earlier): the claim query loaded them.
    """
    received = Category.objects.received_ids([row.subscriber_id for row in rows])
    buckets = ordering.buckets([row.subscriber_id for row in rows])
    digests: dict[int, _EmailState] = {}
    work: list[tuple[Delivery, _Group]] = []
    for row in rows:
        subscriber = row.subscriber
        if (
            subscriber.is_suppressed
            or subscriber.status != Subscriber.Status.ACTIVE
            or subscriber.is_paused
        ):
            paused = " (paused)" if subscriber.is_paused else ""
            reason = f"not receiving: {subscriber.status}{paused}"
            ledger.skipped.append((row.id, reason))
            continue
        if row.digest_id not in digests:
            digests[row.digest_id] = _email_state(row.digest)
        state = digests[row.digest_id]
        mine = received[subscriber.id]
        if mine & state.elsewhere:
            ledger.skipped.append((row.id, editions.CARRIED_BY_NEWS))
            continue
        # The sections a subscriber gets today: what they receive, if it is in.
        key = mine & state.own
        notice = settings.DIGEST_SEND_EMPTY_NOTICE and not mine & state.carried
        if not key and not notice:
            ledger.skipped.append((row.id, NO_SECTION_REASON))
            continue
        key |= mine & state.carried
        language = subscriber.reading_language
        bucket = buckets.get(subscriber.id, ())
        order, boosts = _reader_order(row.digest_id, state, key, language, bucket)
        group = _Group(row.digest_id, key, language, state.version, order, boosts)
        work.append((row, group))
    return work


# (digest, version, sections, language, bucket) -> (order, boosts), kept per process:
# a send has a few hundred of them, met again in thousands of chunks.
_orders_seen: OrderedDict = OrderedDict()
_ORDERS_KEPT = 4096


def _reader_order(
    digest_id: int,
    state: _EmailState,
    key: frozenset[int],
    language: str,
    bucket: ordering.Bucket,
) -> tuple[tuple, ordering.Boosts]:
    """(order, boosts) of a reader with this bucket; ((), ()) for today's order.
    Worked out once per version of the digest: the version covers the stories."""
    if not bucket:
        return (), ()
    memo = (digest_id, state.version, key, language, bucket)
    if memo in _orders_seen:
        return _orders_seen[memo]
    found = _orders_seen[memo] = _work_out_order(state, key, language, bucket)
    if len(_orders_seen) > _ORDERS_KEPT:
        _orders_seen.popitem(last=False)
    return found


def _work_out_order(
    state: _EmailState, key: frozenset[int], language: str, bucket: ordering.Bucket
) -> tuple[tuple, ordering.Boosts]:
    boosts = ordering.boosts(bucket, state.stories, key)
    if not boosts:
        return (), ()
    order = ordering.order_key(dict(boosts), state.stories, key, language)
    if order == ordering.order_key({}, state.stories, key, language):
        return (), ()
    return order, boosts


def _send_one_by_one(work: list[tuple[Delivery, _Group]], ledger: _Ledger) -> None:
    connection = get_connection()
    fast = prototype.accepts_pre_encoded(connection)
    index = 0
    try:
        for index, (row, group) in enumerate(work):  # noqa: B007 - read in handlers
            ledger.keep_claim()
            try:
                message = _build_message(row, group, fast=fast)
            except Exception as exc:  # one bad row never stops the chunk
                logger.exception("delivery %s: building the message failed", row.id)
                ledger.failed.append(
                    (row.id, f"render: {type(exc).__name__}: {exc}"[:1000])
                )
                continue
            try:
                connection.send_messages([message])
            except Exception as exc:
                kind, reason = classify_error(exc)
                _reset_connection(connection)
                if kind is TransientSendError:
                    logger.warning("delivery %s: %s; chunk handed back", row.id, reason)
                    ledger.hand_back((r.id for r, _ in work[index:]), reason)
                    index = len(work)
                    return
                ledger.failed.append((row.id, reason))
                continue
            ledger.sent.append((row.id, _esp_message_id(message)))
        index = len(work)
    except BaseException:
        # Unexpected: the untried rows go back rather than wait for the sweeper.
        ledger.hand_back((r.id for r, _ in work[index + 1 :]), "interrupted")
        raise
    finally:
        _reset_connection(connection)


def _reset_connection(connection) -> None:
    try:
        connection.close()
    except Exception:  # a broken socket may fail to close; the next open starts clean
        logger.debug("closing the email connection failed", exc_info=True)


def _build_message(row: Delivery, group: _Group, *, fast: bool):
    rendered, template = _templates.get(row.digest, group)
    links = subscriber_links(row.subscriber)
    message_id = recipient.message_id(digest_date=row.digest.date, delivery_id=row.id)
    if fast and template is not None:
        try:
            return template.message(
                to=row.subscriber.email, links=links, message_id=message_id
            )
        except prototype.FastPathUnavailable:
            pass
    return recipient.build_digest_message(
        rendered, to=row.subscriber.email, links=links, message_id=message_id
    )


def _esp_message_id(message) -> str:
    status = getattr(message, "anymail_status", None)
    if status is not None and isinstance(status.message_id, str) and status.message_id:
        return status.message_id
    if isinstance(message, prototype.PreEncodedEmail):
        return _header_value(message.raw, b"Message-ID")
    return message.extra_headers.get("Message-ID", "")


def _header_value(raw: bytes, name: bytes) -> str:
    prefix = name + b": "
    for line in raw.split(b"\n", 8)[:8]:
        if line.startswith(prefix):
            return line[len(prefix) :].decode("ascii", "replace")
    return ""


def _send_batched(work: list[tuple[Delivery, _Group]], ledger: _Ledger) -> None:
    """One ESP API call per group in the chunk, links merged by the ESP."""
    groups: dict[_Group, list[Delivery]] = defaultdict(list)
    for row, group in work:
        groups[group].append(row)
    connection = get_connection()
    pending = [row.id for row, _ in work]
    try:
        for group, rows in groups.items():
            ledger.keep_claim()
            rendered, _ = _templates.get(rows[0].digest, group)
            if not _send_batch(rendered, rows, ledger, connection=connection):
                ledger.hand_back(pending, ledger.retry_reason)
                pending = []
                return
            done = {row.id for row in rows}
            pending = [i for i in pending if i not in done]
    except BaseException:
        ledger.hand_back(pending, "interrupted")
        raise


def _send_batch(
    rendered: RenderedEmail, rows: list[Delivery], ledger: _Ledger, *, connection
) -> bool:
    """Send one group's batch and record each row; False after a transient error,
    when the caller hands the rest of the chunk back (``ledger.retry_reason`` says
    why)."""
    message = esp_batches.batch_message(rendered, rows, connection=connection)
    try:
        message.send()
    except Exception as exc:
        kind, reason = classify_error(exc)
        if kind is TransientSendError:
            logger.warning("batch of %s: %s; chunk handed back", len(rows), reason)
            ledger.retry_reason = reason
            return False
        ledger.failed.extend((row.id, reason) for row in rows)
        return True
    sent, failed = esp_batches.recipient_outcomes(message, rows)
    ledger.sent.extend(sent)
    ledger.failed.extend(failed)
    return True


def classify_error(exc: BaseException) -> tuple[type[Exception], str]:
    """(TransientSendError or PermanentSendError, reason) for an error from a send."""
    reason = f"{type(exc).__name__}: {exc}"[:1000]
    try:
        from anymail import exceptions as anymail_errors
    except ImportError:  # pragma: no cover - anymail is a pinned dependency
        anymail_errors = None
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(400 <= code < 500 for code in codes):
            return TransientSendError, reason
        return PermanentSendError, reason
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # A configuration problem, not the recipient's: keep the rows for a fix.
        return TransientSendError, reason
    if isinstance(exc, smtplib.SMTPResponseException):
        return (
            TransientSendError if 400 <= exc.smtp_code < 500 else PermanentSendError
        ), reason
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return TransientSendError, reason
    if anymail_errors is not None:
        if isinstance(
            exc,
            (
                anymail_errors.AnymailRecipientsRefused,
                anymail_errors.AnymailInvalidAddress,
            ),
        ):
            return PermanentSendError, reason
        if isinstance(exc, anymail_errors.AnymailAPIError):
            code = exc.status_code
            if code is None or code == 429 or code >= 500:
                return TransientSendError, reason
            return PermanentSendError, reason
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return TransientSendError, reason
    if isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException):
        return TransientSendError, reason
    return PermanentSendError, reason


# --- sweeper -------------------------------------------------------------------------


def sweep_stale_deliveries() -> tuple[int, list[list[int]]]:
    """Hand rows stuck in ``sending`` (their worker died) back to pending.

    Returns how many rows were handed back and the chunks to send again: those rows
    and pending rows that already had an attempt (a transient error outlived the
    task's retries), until DELIVERY_GIVE_UP_AFTER_SECONDS: then they fail, so the
    digest can finish.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.DELIVERY_STALE_AFTER_SECONDS)
    stalled = [send.digest_id for send in stalled_sends(now)]
    stale = Delivery.objects.filter(
        status=Delivery.Status.SENDING, claimed_at__lt=cutoff
    )
    reset = 0
    for ids in _id_chunks(stale, 1000):
        reset += Delivery.objects.filter(
            id__in=ids, status=Delivery.Status.SENDING, claimed_at__lt=cutoff
        ).update(status=Delivery.Status.PENDING, claimed_at=None)
    give_up = settings.DELIVERY_GIVE_UP_AFTER_SECONDS
    Delivery.objects.filter(
        status=Delivery.Status.PENDING,
        attempts__gt=0,
        created_at__lt=now - timedelta(seconds=give_up),
    ).update(
        status=Delivery.Status.FAILED,
        error=Concat(Value(f"not delivered within {give_up // 3600} h; "), F("error")),
    )
    retry = Delivery.objects.filter(
        Q(attempts__gt=0) | Q(digest_id__in=stalled),
        status=Delivery.Status.PENDING,
        digest__status=Digest.Status.SENDING,
    )
    return reset, list(_id_chunks(retry, chunk_size()))


@dataclass
class StalledSend:
    """A send whose rows wait for a worker that stopped: ``waiting`` rows (claimed by
    it, or pending with nobody advancing them) since ``since``."""

    digest_id: int
    waiting: int
    since: object  # datetime


def stalled_sends(now=None) -> list[StalledSend]:
    """Sending digests with rows claimed longer than DELIVERY_STALE_AFTER_SECONDS ago,
    or pending rows while none of their rows moved for that long."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.DELIVERY_STALE_AFTER_SECONDS)
    claimed_long_ago = Q(status=Delivery.Status.SENDING, claimed_at__lt=cutoff)
    rows = (
        Delivery.objects.filter(digest__status=Digest.Status.SENDING)
        .values("digest_id")
        .annotate(
            moved=Max("claimed_at"),
            sent=Max("sent_at"),
            enrolled=Max("created_at"),
            stale=Count("id", filter=claimed_long_ago),
            stale_since=Min("claimed_at", filter=claimed_long_ago),
            pending=Count("id", filter=Q(status=Delivery.Status.PENDING)),
        )
        .order_by("digest_id")
    )
    stalled = []
    for row in rows:
        last = max(t for t in (row["moved"], row["sent"], row["enrolled"]) if t)
        idle = bool(row["pending"]) and last < cutoff
        if row["stale"] or idle:
            stalled.append(
                StalledSend(
                    digest_id=row["digest_id"],
                    waiting=row["stale"] + (row["pending"] if idle else 0),
                    since=row["stale_since"] or last,
                )
            )
    return stalled


def finish_sending_digests() -> None:
    """Mark sent every digest whose rows are all done (after a sweep)."""
    for digest_id in Digest.objects.filter(status=Digest.Status.SENDING).values_list(
        "id", flat=True
    ):
        finish_digest(digest_id)
