"""Scheduled jobs: the top of the chain, started by celery beat.

They sit above services (tasks.py sits below), so they live in their own module;
config/celery.py registers them with autodiscover_tasks(related_name="jobs").
"""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from newsletter import services


@shared_task
def run_daily() -> str:
    """The morning run for today in TIME_ZONE. Safe to start twice: the day's digest is
    updated in place and the delivery ledger sends nothing twice."""
    run = services.run_daily(
        timezone.localdate(), export_dir=settings.VAR_DIR / "digests"
    )
    return f"{run.digest}: {run.digest.status}"


@shared_task
def release_reviewed_digests() -> int:
    """Send what editors approved; auto-approve digests whose review window expired."""
    return services.release_reviewed_digests()
