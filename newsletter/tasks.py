"""Thin Celery wrappers around newsletter.sending.ledger. They take ids and are idempotent:
the claim in ``delivery`` makes a redelivered or retried task send nothing twice."""

from celery import shared_task

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
    return ledger.sweep_stale_deliveries()
