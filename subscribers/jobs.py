"""Jobs an editor starts from the admin, and the daily purge celery beat starts: the
top of the chain, above services.

config/celery.py registers them with autodiscover_tasks(related_name="jobs"); without
a broker they run inline.
"""

from celery import shared_task

from subscribers import import_runs, services


@shared_task
def import_subscribers(import_id: int) -> str:
    """Run an uploaded import's next step (its preview, or applying it once the
    editor approved); a repeat delivery of the task is harmless."""
    job = import_runs.run_import(import_id)
    return f"{job}" if job else f"import {import_id}: nothing to run"


@shared_task
def purge_unconfirmed_signups() -> int:
    """Daily (beat): erase sign-ups left unconfirmed past their retention."""
    return services.purge_unconfirmed_signups()
