"""The daily run's own record (``DayRun``): the step it is on, its sign of life, and
what is stuck, for the resume job, the desk's front page and /healthz.

A step renews ``alive_at`` from a thread while it works; a SIGKILLed worker stops
renewing, so silence longer than DAY_RUN_STALE_SECONDS means its worker is gone, while
a long but living build (slow model calls) keeps its lease. Fetching is many small
tasks below this app: their sign of life is the sources they fetch and the articles
they store.
"""

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_celery_beat.models import PeriodicTask

from ingestion.models import Article, Source
from newsletter.models import DayRun
from newsletter.sending import ledger

DAILY_TASK = "newsletter.jobs.run_daily"

logger = logging.getLogger(__name__)


def begin(day: dt.date, *, send: bool, export_dir, ingest_first: bool) -> int:
    """A new attempt at the day (beat's run, an editor's, a missed one started again):
    the number its steps carry, so a message of an older attempt does nothing."""
    now = timezone.now()
    fields = {
        "step": DayRun.Step.FETCHING if ingest_first else DayRun.Step.BUILDING,
        "send": send,
        "export_dir": str(export_dir or ""),
        "started_at": now,
        "step_started_at": now,
        "alive_at": now,
        "finished_at": None,
        "resumed": 0,
    }
    with transaction.atomic():
        run, created = DayRun.objects.select_for_update().get_or_create(
            day=day, defaults=fields
        )
        if not created:
            for name, value in fields.items():
                setattr(run, name, value)
            run.attempt += 1
            run.save()
    return run.attempt


def enter(day: dt.date, attempt: int | None, step: str) -> bool:
    """Record that ``attempt`` is now at ``step``; False when a later attempt took the
    day over (this is a dead worker's message, redelivered). Untracked runs (a canvas
    applied by hand, in-process) have no attempt and always go on."""
    if attempt is None:
        return True
    now = timezone.now()
    done = now if step == DayRun.Step.DONE else None
    return bool(
        DayRun.objects.filter(day=day, attempt=attempt).update(
            step=step, step_started_at=now, alive_at=now, finished_at=done
        )
    )


@contextmanager
def step(day: dt.date, attempt: int | None, name: str) -> Iterator[bool]:
    """Enter ``name`` and renew the sign of life while the body runs; yields whether
    this attempt is still the day's (``enter``)."""
    current = enter(day, attempt, name)
    if not current or attempt is None or settings.CELERY_TASK_ALWAYS_EAGER:
        # In-process, whoever started the run watches it; nothing resumes it.
        yield current
        return
    stop = threading.Event()
    every = max(settings.DAY_RUN_STALE_SECONDS / 5, 0.5)

    def renew() -> None:
        try:
            while not stop.wait(every):
                try:
                    DayRun.objects.filter(day=day, attempt=attempt).update(
                        alive_at=timezone.now()
                    )
                except DatabaseError:  # a blip: the next renewal tries again
                    logger.warning("daily run %s: renewing its lease failed", day)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=renew, name="day-run-alive", daemon=True)
    thread.start()
    try:
        yield True
    finally:
        stop.set()
        thread.join(timeout=every + 10)


def last_sign_of_life(run: DayRun) -> dt.datetime:
    signs = [run.alive_at]
    if run.step == DayRun.Step.FETCHING:
        signs.append(Source.objects.aggregate(at=Max("last_fetched_at"))["at"])
        signs.append(Article.objects.aggregate(at=Max("first_seen_at"))["at"])
    return max(sign for sign in signs if sign is not None)


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.DAY_RUN_STALE_SECONDS)


def stalled(now: dt.datetime | None = None) -> DayRun | None:
    """The latest unfinished run of today or yesterday (a run that began before
    midnight) whose step has been silent too long."""
    now = now or timezone.now()
    recent = DayRun.objects.filter(
        day__gte=timezone.localdate(now) - dt.timedelta(days=1)
    ).exclude(step=DayRun.Step.DONE)
    for run in recent.order_by("-day"):
        if now - last_sign_of_life(run) > stale_after():
            return run
    return None


def gave_up(run: DayRun) -> bool:
    return run.resumed >= settings.DAY_RUN_MAX_ATTEMPTS


def take_over(run: DayRun) -> int | None:
    """The next attempt's number, or None when another resume took it first."""
    now = timezone.now()
    moved = DayRun.objects.filter(id=run.id, attempt=run.attempt).update(
        attempt=F("attempt") + 1,
        resumed=F("resumed") + 1,
        step_started_at=now,
        alive_at=now,
    )
    return run.attempt + 1 if moved else None


def missed_run(day: dt.date, now: dt.datetime | None = None) -> dt.datetime | None:
    """When beat sent the day's run that no worker started (its message went down
    with a worker), once DAY_RUN_STALE_SECONDS have passed; else None."""
    now = now or timezone.now()
    sent = [
        task.last_run_at
        for task in PeriodicTask.objects.filter(
            enabled=True,
            task=DAILY_TASK,
            last_run_at__isnull=False,
            crontab__isnull=False,
        ).select_related("crontab")
        if timezone.localtime(task.last_run_at).date() == day
        and _sent_on_schedule(task, now)
    ]
    if not sent or now - max(sent) <= stale_after():
        return None
    run = DayRun.objects.filter(day=day).first()
    if run is not None and run.started_at >= max(sent):
        return None
    return max(sent)


def _sent_on_schedule(task: PeriodicTask, now: dt.datetime) -> bool:
    """Whether ``last_run_at`` is beat sending the run at one of its times, not the
    value beat gives a row it has not run yet (the row's last change): a send was
    due in the few minutes before it."""
    since = task.last_run_at - dt.timedelta(minutes=5)
    due = now + task.crontab.schedule.remaining_estimate(since)
    return due <= task.last_run_at + dt.timedelta(seconds=1)


@dataclass
class Stuck:
    """Something waiting for a dead worker, since when, and what happens about it."""

    what: str
    since: dt.datetime
    healing: str

    def __str__(self) -> str:
        since = timezone.localtime(self.since).isoformat(timespec="seconds")
        return f"{self.what}, since {since}: {self.healing}"


def stuck_work(now: dt.datetime | None = None) -> list[Stuck]:
    """Today's run and the sends that wait for a dead worker, oldest first."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    items = []
    run = stalled(now)
    if run is not None:
        what = _(
            "daily run %(day)s: %(step)s (attempt %(attempt)s) shows no sign of life"
        ) % {"day": run.day, "step": run.get_step_display(), "attempt": run.attempt}
        healing = (
            _("given up after %(count)s resumes: start the day again")
            % {"count": run.resumed}
            if gave_up(run)
            else _("the resume job runs the step again")
        )
        items.append(Stuck(what, since=last_sign_of_life(run), healing=healing))
    missed = missed_run(today, now)
    if missed is not None:
        what = _("daily run %(day)s: beat started it, no worker took it") % {
            "day": today
        }
        healing = _("the resume job starts it again")
        items.append(Stuck(what, since=missed, healing=healing))
    for send in ledger.stalled_sends(now):
        what = _("digest %(id)s: %(count)s deliveries wait for a worker that stopped")
        healing = _("the stuck-deliveries sweeper queues them again")
        items.append(
            Stuck(
                what % {"id": send.digest_id, "count": send.waiting},
                since=send.since,
                healing=healing,
            )
        )
    return sorted(items, key=lambda item: item.since)
