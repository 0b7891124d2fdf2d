"""Thin task wrappers around the outbox of subscription emails, and the one place
that hands its rows to workers."""

import logging

from celery import shared_task
from django.utils import timezone

from subscribers import outbox
from subscribers.models import SubscriberEmail

logger = logging.getLogger(__name__)


# Results ignored: the row says how it went, and a caller publishing the task then
# never waits on the result backend (Redis too, in production), which retries for
# 20 s when it is down; the sign-up page must answer at once.
@shared_task(ignore_result=True)
def send_subscriber_email(email_id: int) -> str:
    # No autoretry: a refused send goes back to the outbox with its backoff and the
    # sweeper sends it again, whatever happened to this task.
    return outbox.send(email_id)


@shared_task(ignore_result=True)
def sweep_subscriber_emails() -> int:
    """Every two minutes (beat): send again what no task sent; returns how many."""
    ids = outbox.due_ids()
    for email_id in ids:
        send_subscriber_email.delay(email_id)
    return len(ids)


def enqueue(emails: list[SubscriberEmail]) -> None:
    """Hand outbox rows to a worker (without a broker: send them here), each at its
    due time. Call once the rows are committed. A broker that cannot be reached costs
    nothing but time: the rows wait and the sweeper sends them."""
    now = timezone.now()
    for email in emails:
        countdown = max(0.0, (email.due_at - now).total_seconds())
        try:
            send_subscriber_email.apply_async((email.id,), countdown=countdown or None)
        except Exception as exc:  # the broker's error, whatever its client raises
            # One attempt is enough to know: the page that asked must answer now.
            logger.warning(
                "could not queue %s email %s and any after it (%s): they wait in "
                "the outbox for the sweeper",
                email.kind,
                email.id,
                exc,
            )
            return
