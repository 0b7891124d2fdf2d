"""The outbox of subscription emails: one SubscriberEmail row per confirmation,
welcome or link email, written in the same transaction as the change that calls for
it, so a broker that is down when someone signs up loses nothing.

A row is sent by claiming it (pending -> sending, a conditional UPDATE), so a task
that runs twice, or the sweeper's copy racing the first one, sends it once; a sent
row is never sent again. A relay's temporary refusal puts the row back to pending
with a backoff (SUBSCRIBER_EMAIL_RETRY_SECONDS, doubling, at most an hour) until
SUBSCRIBER_EMAIL_MAX_ATTEMPTS, then it fails; a permanent refusal fails it at once.

The sweeper (beat, every two minutes: ``tasks.sweep_subscriber_emails``) hands
back what a task never picked up: rows still pending ``FIRST_SEND_GRACE`` after
they were due (the broker was down, the worker busy), retries whose backoff ran out,
and claims older than ``STALE_CLAIM`` (their worker died). That last case is the one
duplicate window: a worker killed after the relay accepted the message but before
the row was marked sent sends it again.

Links are signed when the message is rendered, so a confirmation sent late is as
fresh as one sent at once (subscribers.tokens: 7 days from sending).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Min, Q
from django.utils import timezone

from newsletter.sending.ledger import TransientSendError, classify_error
from subscribers import emails
from subscribers.models import Subscriber, SubscriberEmail

logger = logging.getLogger(__name__)

# A row's own task normally sends it within seconds; the sweeper waits this long
# before sending a second copy of the task.
FIRST_SEND_GRACE = timedelta(minutes=2)
# Far beyond an SMTP or ESP call's timeout (EMAIL_TIMEOUT): the worker is gone.
STALE_CLAIM = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=1)
SWEEP_BATCH = 500

Status = SubscriberEmail.Status


def record(
    subscriber_ids: list[int], kind: str, *, after_seconds: float = 0
) -> list[SubscriberEmail]:
    """Write one pending email per subscriber, due in ``after_seconds``; the caller
    hands the rows to ``tasks.enqueue`` once its transaction commits."""
    due = timezone.now() + timedelta(seconds=after_seconds)
    return SubscriberEmail.objects.bulk_create(
        SubscriberEmail(subscriber_id=subscriber_id, kind=kind, due_at=due)
        for subscriber_id in subscriber_ids
    )


def backoff(attempts: int) -> timedelta:
    """How long a row waits after its ``attempts``-th temporary failure."""
    first = timedelta(seconds=settings.SUBSCRIBER_EMAIL_RETRY_SECONDS)
    return min(first * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def send(email_id: int) -> str:
    """Send one outbox row if it is still pending; returns its status afterwards
    ("" when the row is gone or another task holds it). Safe to call any number of
    times: only the call that claims the row sends."""
    now = timezone.now()
    claimed = SubscriberEmail.objects.filter(id=email_id, status=Status.PENDING).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return ""  # Sent, failed, or claimed by another task already.
    email = (
        SubscriberEmail.objects.select_related("subscriber").filter(id=email_id).first()
    )
    if email is None:
        return ""  # The subscriber was erased meanwhile, and the row with them.
    if not _still_wanted(email):
        return _finish(email, Status.SKIPPED, "no longer needed")
    try:
        delivered = emails.send_subscriber_email(email.subscriber_id, kind=email.kind)
    except Exception as exc:  # whatever the backend raises is recorded on the row
        return _failed_attempt(email, exc)
    if not delivered:
        return _finish(email, Status.SKIPPED, "the address is held")
    return _finish(email, Status.SENT, "")


def _still_wanted(email: SubscriberEmail) -> bool:
    """A confirmation for an address confirmed meanwhile (an earlier email reached
    it) would only confuse; everything else still says something true."""
    if email.kind == SubscriberEmail.Kind.CONFIRM:
        return email.subscriber.status != Subscriber.Status.ACTIVE
    return True


def _finish(email: SubscriberEmail, status: str, error: str) -> str:
    sent_at = timezone.now() if status == Status.SENT else None
    SubscriberEmail.objects.filter(id=email.id).update(
        status=status, sent_at=sent_at, last_error=error
    )
    logger.info("%s email %s: %s", email.kind, email.id, status)
    return status


def _failed_attempt(email: SubscriberEmail, exc: Exception) -> str:
    kind, reason = classify_error(exc)
    if kind is TransientSendError and email.attempts < _max_attempts():
        wait = backoff(email.attempts)
        SubscriberEmail.objects.filter(id=email.id).update(
            status=Status.PENDING,
            claimed_at=None,
            due_at=timezone.now() + wait,
            last_error=reason,
        )
        logger.warning(
            "%s email %s: attempt %s refused for now, next in %s s: %s",
            email.kind,
            email.id,
            email.attempts,
            int(wait.total_seconds()),
            reason,
        )
        return Status.PENDING
    logger.error(
        "%s email %s failed after %s attempt(s): %s",
        email.kind,
        email.id,
        email.attempts,
        reason,
    )
    return _finish(email, Status.FAILED, reason)


def _max_attempts() -> int:
    return max(1, settings.SUBSCRIBER_EMAIL_MAX_ATTEMPTS)


def due_ids(*, limit: int = SWEEP_BATCH) -> list[int]:
    """What the sweeper sends again, oldest first: claims whose worker died (handed
    back to pending here), rows no task picked up, retries whose backoff ran out."""
    now = timezone.now()
    SubscriberEmail.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=Status.PENDING, claimed_at=None)
    never_tried = Q(attempts=0, due_at__lte=now - FIRST_SEND_GRACE)
    retry = Q(attempts__gt=0, due_at__lte=now)
    return list(
        SubscriberEmail.objects.filter(never_tried | retry, status=Status.PENDING)
        .order_by("due_at", "id")
        .values_list("id", flat=True)[:limit]
    )


@dataclass(frozen=True)
class OutboxState:
    pending: int
    failed: int
    oldest_pending_seconds: int | None

    def __str__(self) -> str:
        text = f"{self.pending} waiting, {self.failed} failed in the last 7 days"
        if self.oldest_pending_seconds is not None:
            text += f"; the oldest waiting for {self.oldest_pending_seconds} s"
        return text


def state() -> OutboxState:
    """What operators see (/healthz): emails still to send, and recent failures."""
    now = timezone.now()
    open_rows = SubscriberEmail.objects.filter(status__in=SubscriberEmail.OPEN_STATUSES)
    oldest = open_rows.aggregate(oldest=Min("created_at"))["oldest"]
    failed = SubscriberEmail.objects.filter(
        status=Status.FAILED, created_at__gte=now - timedelta(days=7)
    ).count()
    return OutboxState(
        pending=open_rows.count(),
        failed=failed,
        oldest_pending_seconds=int((now - oldest).total_seconds()) if oldest else None,
    )
