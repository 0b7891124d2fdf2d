"""Confirmation emails for imported subscribers, sent only when the editor asks.

An imported row without consent evidence stays pending and gets nothing from the
import itself; inviting it queues the ordinary confirmation email, in chunks spaced
IMPORT_INVITE_INTERVAL_SECONDS apart, within the per-address sign-up limit.
"""

import logging

from django.conf import settings
from django.db import transaction

from subscribers import ratelimits, tasks
from subscribers.models import Subscriber

logger = logging.getLogger(__name__)


def invite(subscriber_ids: list[int]) -> int:
    """Queue confirmations for those still pending (never a held or active row);
    returns how many were queued. Runs after the caller's transaction commits."""
    pending = (
        Subscriber.objects.filter(
            id__in=subscriber_ids, status=Subscriber.Status.PENDING
        )
        .order_by("id")
        .values_list("id", "email")
    )
    queued = [
        subscriber_id
        for subscriber_id, email in pending
        if ratelimits.within_rate(
            ratelimits.address_key(email), limit=settings.SUBSCRIBE_RATE_PER_ADDRESS
        )
    ]
    transaction.on_commit(lambda: _enqueue(queued))
    return len(queued)


def _enqueue(subscriber_ids: list[int]) -> None:
    size = max(1, settings.IMPORT_INVITE_CHUNK)
    for n, start in enumerate(range(0, len(subscriber_ids), size)):
        countdown = n * settings.IMPORT_INVITE_INTERVAL_SECONDS
        for subscriber_id in subscriber_ids[start : start + size]:
            try:
                tasks.send_subscriber_email.apply_async(
                    (subscriber_id, tasks.CONFIRM), countdown=countdown
                )
            except Exception:
                logger.exception("could not queue the invitation of %s", subscriber_id)
