"""When the scheduler will send a digest, as the digest's page says it.

Two beat rows can send one (both created by ``services.load_defaults`` and editable in
the admin): the release job (``jobs.release_reviewed_digests``, every ten minutes)
sends what ``services.releasable_digests`` lists, and the daily run
(``jobs.run_daily``) sends the day it builds when that digest is approved by then.
Both leave a digest alone until its own ``send_at``. The answer is worked out from
the rows as they are, so an editor who moves a beat time sees the new one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django_celery_beat.models import PeriodicTask

from newsletter.models import Digest

RELEASE_TASK = "newsletter.jobs.release_reviewed_digests"
DAILY_TASK = "newsletter.jobs.run_daily"
FROZEN = set(Digest.FROZEN_STATUSES)


@dataclass(frozen=True)
class SendPlan:
    """``when`` the scheduler sends it (None: it will not by itself) and ``text``,
    the sentence the page shows."""

    when: dt.datetime | None
    text: str


def next_run(task_name: str, not_before: dt.datetime) -> dt.datetime | None:
    """The first time an enabled beat row of ``task_name`` fires at or after
    ``not_before``; None when no such row is enabled."""
    now = timezone.now()
    # Beat fires on whole minutes: the first one at or after ``not_before``...
    start = not_before.replace(second=0, microsecond=0)
    if start < not_before:
        start += dt.timedelta(minutes=1)
    # ...is the crontab's first firing strictly after the minute before it; never one
    # already past.
    after = max(now, start - dt.timedelta(minutes=1))
    times = []
    for task in PeriodicTask.objects.filter(
        enabled=True, task=task_name, crontab__isnull=False
    ).select_related("crontab"):
        estimate = task.crontab.schedule.remaining_estimate(after)
        # Crontabs fire on the minute; the estimate lands a fraction before it.
        when = now + estimate + dt.timedelta(seconds=30)
        times.append(when.replace(second=0, microsecond=0))
    return min(times, default=None)


def _local(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M")


def _scheduled_send(digest: Digest, earliest: dt.datetime) -> dt.datetime | None:
    """The first beat run from ``earliest`` on that sends this approved digest."""
    times = []
    recent = timezone.localdate(earliest) - dt.timedelta(days=1)
    if digest.send_at or digest.date >= recent:
        times.append(next_run(RELEASE_TASK, earliest))
    daily = next_run(DAILY_TASK, earliest)
    # The daily run sends only the day it builds.
    if daily is not None and timezone.localdate(daily) == digest.date:
        times.append(daily)
    return min((t for t in times if t is not None), default=None)


def send_plan(digest: Digest) -> SendPlan:
    """What the scheduler will do with ``digest``, in words for its page."""
    if digest.status in Digest.SENT_STATUSES:
        return SendPlan(None, _("Sent: nothing more goes out."))
    if digest.status in FROZEN:
        return SendPlan(
            None, _("Its send has started: the scheduler only finishes it.")
        )
    now = timezone.now()
    earliest = max(now, digest.send_at) if digest.send_at else now
    if digest.status == Digest.Status.APPROVED:
        return _approved_plan(digest, earliest)
    if digest.status == Digest.Status.READY:
        return _ready_plan(digest, earliest)
    return SendPlan(None, _("Not ready: nothing is sent until it is built."))


def _approved_plan(digest: Digest, earliest: dt.datetime) -> SendPlan:
    when = _scheduled_send(digest, earliest)
    recent = timezone.localdate(earliest) - dt.timedelta(days=1)
    if when is None and not digest.send_at and digest.date < recent:
        return SendPlan(
            None,
            _(
                "Approved, but older than yesterday: the scheduler sends it only at "
                "a send time of its own."
            ),
        )
    if when is None:
        return SendPlan(
            None,
            _(
                "Approved, but no enabled scheduler run will send it: it goes out "
                "only when someone sends it from here."
            ),
        )
    if digest.send_at:
        text = _(
            "Approved: the scheduler sends it at %(when)s, its own send time "
            "%(send_at)s."
        ) % {"when": _local(when), "send_at": _local(digest.send_at)}
    else:
        text = _("Approved: the scheduler sends it at %(when)s.") % {
            "when": _local(when)
        }
    return SendPlan(when, text)


def _ready_plan(digest: Digest, earliest: dt.datetime) -> SendPlan:
    window = settings.DIGEST_REVIEW_WINDOW_MINUTES
    if window <= 0:
        return SendPlan(
            None,
            _(
                "Waiting for approval: the scheduler sends nothing until an editor "
                "approves it."
            ),
        )
    approves_at = max(digest.updated_at + dt.timedelta(minutes=window), earliest)
    when = _scheduled_send(digest, approves_at)
    if when is None:
        return SendPlan(
            None,
            _(
                "Waiting for approval: approved automatically at %(approve)s, then "
                "sent only by hand."
            )
            % {"approve": _local(approves_at)},
        )
    return SendPlan(
        when,
        _(
            "Waiting for approval: unless an editor acts first, it is approved "
            "automatically when the review window ends and sent at %(when)s."
        )
        % {"when": _local(when)},
    )
