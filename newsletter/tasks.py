"""Thin Celery wrappers around newsletter.sending.ledger, and the one place that hands
its work to workers. They take ids and are idempotent: the claim in ``delivery`` makes
a redelivered or retried task send nothing twice."""

from celery import current_app, shared_task
from django.db import transaction

from newsletter.sending import ledger

_RETRY = {
    "autoretry_for": (ledger.TransientSendError,),
    # 1 s, 2 s, 4 s … capped well below the broker's visibility timeout
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(**_RETRY)
def send_deliveries(delivery_ids: list[int]) -> dict:
    report = ledger.send_deliveries(delivery_ids)
    if report.pending:
        raise ledger.TransientSendError(
            f"{report.pending} of {len(delivery_ids)} deliveries hit a transient error"
        )
    return {"sent": report.sent, "failed": report.failed, "skipped": report.skipped}


@shared_task
def sweep_stale_deliveries() -> int:
    reset, chunks = ledger.sweep_stale_deliveries()
    dispatch(ledger.SendPlan(ledger.SendReport(), chunks, digest_id=None))
    ledger.finish_sending_digests()
    return reset


def dispatch(plan: "ledger.SendPlan") -> "ledger.SendReport":
    """Send what the ledger handed back: here when Celery runs eagerly (the demo, a
    laptop), else one ``send_deliveries`` task per chunk on the ``email`` queue, once
    the rows are committed."""
    if current_app.conf.task_always_eager:
        return ledger.send_here(plan)
    for ids in plan.chunks:
        plan.report.queued += len(ids)
        transaction.on_commit(
            lambda ids=ids: send_deliveries.apply_async(args=[ids], queue="email")
        )
    return plan.report
