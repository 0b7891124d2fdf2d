"""Scheduled jobs: the top of the chain, started by celery beat.

They sit above services (tasks.py sits below), so they live in their own module;
config/celery.py registers them with autodiscover_tasks(related_name="jobs"), and with
them the steps of the daily run (newsletter/daily.py).
"""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from newsletter import daily, services
from newsletter.models import WorkerHeartbeat


@shared_task
def run_daily(day: str | None = None) -> str:
    """Start the morning run (today in TIME_ZONE, or ``day``) and return at once: the
    steps run as their own tasks. Safe to start twice: the day's digest is updated in
    place and the delivery ledger sends nothing twice."""
    when = dt.date.fromisoformat(day) if day else timezone.localdate()
    result = daily.start(when, export_dir=settings.VAR_DIR / "digests")
    return f"daily run for {when:%Y-%m-%d} started: {result.id}"


@shared_task
def resume_day() -> str:
    """Every 2 minutes (beat): run again today's step whose worker died, or the run
    beat started that no worker took (``daily.resume``)."""
    return daily.resume()


@shared_task
def run_weekly(day: str | None = None) -> str:
    """Start the weekly edition's run (dated today in TIME_ZONE, or ``day``, over the
    seven days before it) and return at once. Safe to start twice, like the day's."""
    when = dt.date.fromisoformat(day) if day else timezone.localdate()
    result = daily.weekly_canvas(
        when, export_dir=settings.VAR_DIR / "digests"
    ).apply_async()
    return f"weekly run for {when:%Y-%m-%d} started: {result.id}"


@shared_task
def release_reviewed_digests() -> int:
    """Send what editors approved; auto-approve digests whose review window expired."""
    return services.release_reviewed_digests()


@shared_task(bind=True)
def heartbeat(self) -> str:
    """Every minute (beat): the worker that runs it notes the time, for /healthz."""
    worker = self.request.hostname or "in-process"
    WorkerHeartbeat.objects.update_or_create(
        worker=worker, defaults={"seen_at": timezone.now()}
    )
    return worker
