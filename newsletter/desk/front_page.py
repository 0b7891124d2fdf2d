"""The figures of the editors' front page (the admin index): today's digests, what
waits for review, sources in trouble, the list's health. Plain queries; the admin's
template tag (`templatetags/desk.py`) shows each part only to users who may view it.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ingestion.models import Article, Source
from newsletter.models import Delivery, Digest, DigestSection
from newsletter.services import day_runs
from subscribers.models import Subscriber, TrackingEvent

DAILY_TASK = "newsletter.jobs.run_daily"
BOUNCES = ("hard", "soft")  # TrackingEvent.event_type, as subscribers.services names it
COMPLAINTS = ("complaint",)


@dataclass
class EditionDay:
    edition: str
    label: str
    digest: Digest | None
    sections: int = 0
    flagged: int = 0
    sent: int = 0
    failed: int = 0
    pending: int = 0


def editions_today(today: dt.date | None = None) -> list[EditionDay]:
    """Each edition's digest of the day (None when not built yet), with its counts."""
    today = today or timezone.localdate()
    digests = {
        d.edition: d
        for d in Digest.objects.filter(date=today).annotate(
            n_sections=Count("sections", distinct=True),
            n_flagged=Count(
                "sections", filter=Q(sections__needs_review=True), distinct=True
            ),
        )
    }
    days = []
    for edition, label in Digest.Edition.choices:
        digest = digests.get(edition)
        if digest is None and edition == Digest.Edition.WEEKLY:
            continue  # built on its day of the week only: no row the other six
        day = EditionDay(edition=edition, label=label, digest=digest)
        if digest is not None:
            day.sections, day.flagged = digest.n_sections, digest.n_flagged
            day.sent, day.failed, day.pending = delivery_counts(digest)
        days.append(day)
    return days


def delivery_counts(digest: Digest) -> tuple[int, int, int]:
    """(sent, failed, pending) Delivery rows; a row being sent counts as pending."""
    counts = dict(
        digest.deliveries.values_list("status").annotate(n=Count("id")).order_by()
    )
    pending = counts.get(Delivery.Status.PENDING, 0) + counts.get(
        Delivery.Status.SENDING, 0
    )
    return (
        counts.get(Delivery.Status.SENT, 0),
        counts.get(Delivery.Status.FAILED, 0),
        pending,
    )


def next_daily_run(now: dt.datetime | None = None):
    """(when, periodic task) of the next enabled daily run, or None."""
    now = now or timezone.now()
    upcoming = []
    for task in PeriodicTask.objects.filter(
        enabled=True, task=DAILY_TASK, crontab__isnull=False
    ).select_related("crontab"):
        schedule = task.crontab.schedule
        # Crontabs fire on the minute; the estimate lands a fraction before it.
        when = now + schedule.remaining_estimate(now) + dt.timedelta(seconds=30)
        upcoming.append((when.replace(second=0, microsecond=0), task))
    return min(upcoming, key=lambda pair: pair[0], default=None)


def stuck_work() -> list[day_runs.Stuck]:
    """What waits for a dead worker (today's run, a send), since when, and what the
    scheduler does about it."""
    return day_runs.stuck_work()


@dataclass(frozen=True)
class ReviewQueue:
    """The articles or the papers whose category waits for an editor, among those
    the next digest can still use, and the article list showing exactly them."""

    papers: bool
    count: int
    url: str


def review_queues() -> list[ReviewQueue]:
    """News articles, then papers, flagged and first seen within the digest window:
    an older one's digest has gone out, so a count of every flag ever raised would
    only grow (a day's Papers alone raise dozens)."""
    since = timezone.now() - dt.timedelta(hours=settings.DIGEST_WINDOW_HOURS)
    flagged = Article.objects.originals().filter(
        needs_review=True, first_seen_at__gte=since
    )
    base = reverse("admin:ingestion_article_changelist")
    query = {"needs_review__exact": 1, "first_seen_at__gte": since.isoformat()}
    return [
        ReviewQueue(
            papers,
            flagged.filter(paper__isnull=not papers).count(),
            f"{base}?{urlencode({**query, 'paper': 'yes' if papers else 'no'})}",
        )
        for papers in (False, True)
    ]


def flagged_sections() -> list[DigestSection]:
    """Sections flagged for review in digests that can still change."""
    return list(
        DigestSection.objects.filter(needs_review=True)
        .exclude(digest__status__in=Digest.FROZEN_STATUSES)
        .select_related("digest", "category")
        .order_by("-digest__date", "position")[:20]
    )


def troubled_sources() -> list[Source]:
    """Active sources that are paused or failed their last fetches, worst first."""
    return list(
        Source.objects.filter(is_active=True)
        .filter(Q(paused_at__isnull=False) | Q(consecutive_failures__gt=0))
        .order_by("-consecutive_failures", "name")[:20]
    )


def subscriber_counts() -> dict[str, int]:
    counts = dict(
        Subscriber.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    return {
        "active": counts.get(Subscriber.Status.ACTIVE, 0),
        "pending": counts.get(Subscriber.Status.PENDING, 0),
        "unsubscribed": counts.get(Subscriber.Status.UNSUBSCRIBED, 0),
        "suppressed": counts.get(Subscriber.Status.BOUNCED, 0)
        + counts.get(Subscriber.Status.COMPLAINED, 0),
    }


def joins_and_leaves(days: int = 30, today: dt.date | None = None):
    """[(day, sign-ups, unsubscribes)] for the last `days` days, oldest first."""
    today = today or timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time()))

    def per_day(field: str) -> dict[dt.date, int]:
        rows = (
            Subscriber.objects.filter(**{f"{field}__gte": start})
            .annotate(day=TruncDate(field))
            .values_list("day")
            .annotate(n=Count("id"))
            .order_by()
        )
        return dict(rows)

    joined, left = per_day("created_at"), per_day("unsubscribed_at")
    return [
        (day, joined.get(day, 0), left.get(day, 0))
        for day in (first + dt.timedelta(days=n) for n in range(days))
    ]


@dataclass
class DigestBounces:
    digest: Digest
    failed: int
    bounces: int
    complaints: int


def recent_bounces(count: int = 7) -> list[DigestBounces]:
    """Failed deliveries, and bounces and complaints from its readers until the next
    digest went out, for each of the last `count` digests that were sent."""
    digests = list(
        Digest.objects.filter(
            status__in=Digest.FROZEN_STATUSES, sent_at__isnull=False
        ).order_by("-sent_at")[:count]
    )
    rows, until = [], None
    for digest in digests:
        events = TrackingEvent.objects.filter(
            subscriber__deliveries__digest=digest, received_at__gte=digest.sent_at
        )
        if until is not None:
            events = events.filter(received_at__lt=until)
        kinds = dict(
            events.values_list("event_type").annotate(n=Count("id")).order_by()
        )
        rows.append(
            DigestBounces(
                digest=digest,
                failed=digest.deliveries.filter(status=Delivery.Status.FAILED).count(),
                bounces=sum(kinds.get(k, 0) for k in BOUNCES),
                complaints=sum(kinds.get(k, 0) for k in COMPLAINTS),
            )
        )
        until = digest.sent_at
    return rows
