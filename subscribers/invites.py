"""Confirmation emails for imported subscribers, sent only when the editor asks.

An imported row without consent evidence stays pending and gets nothing from the
import itself; inviting it queues the ordinary confirmation email, in chunks spaced
IMPORT_INVITE_INTERVAL_SECONDS apart, within the per-address sign-up limit.
"""

from django.conf import settings
from django.db import transaction

from subscribers import outbox, ratelimits, tasks
from subscribers.models import Subscriber, SubscriberEmail


def invite(subscriber_ids: list[int]) -> int:
    """Queue confirmations for those still pending (never a held or active row);
    returns how many were queued. They are in the outbox with the caller's
    transaction and handed to the workers once it commits."""
    pending = (
        Subscriber.objects.filter(
            id__in=subscriber_ids, status=Subscriber.Status.PENDING
        )
        .order_by("id")
        .values_list("id", "email")
    )
    allowed = [
        subscriber_id
        for subscriber_id, email in pending
        if ratelimits.within_rate(
            ratelimits.address_key(email), limit=settings.SUBSCRIBE_RATE_PER_ADDRESS
        )
    ]
    queued = []
    size = max(1, settings.IMPORT_INVITE_CHUNK)
    for n, start in enumerate(range(0, len(allowed), size)):
        queued += outbox.record(
            allowed[start : start + size],
            SubscriberEmail.Kind.CONFIRM,
            after_seconds=n * settings.IMPORT_INVITE_INTERVAL_SECONDS,
        )
    transaction.on_commit(lambda: tasks.enqueue(queued))
    return len(queued)
