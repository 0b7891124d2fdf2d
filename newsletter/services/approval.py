"""Approving and sending a digest, each recording its history here and nowhere else:
an editor's click, the scheduler's release, auto-approve and the daily run all pass
through `approve` and `send_and_record`."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from newsletter import audit, tasks
from newsletter.models import Delivery, Digest
from newsletter.sending import ledger


@transaction.atomic
def approve_digest(digest_id: int, *, actor=None, detail: str = "") -> bool:
    """Approval. True when the digest moved to approved; `actor` (the user who
    approved, None for the scheduler or auto-approve) goes into the digest's history.
    A digest with no sections is never approved: nothing empty goes out."""
    approved = bool(
        Digest.objects.filter(id=digest_id, status__in=Digest.APPROVABLE_STATUSES)
        .with_sections()
        .update(status=Digest.Status.APPROVED, approved_at=timezone.now())
    )
    if approved:
        audit.record(digest_id, audit.Action.APPROVED, actor=actor, detail=detail)
    return approved


def send_and_record(digest: Digest, *, actor=None) -> "ledger.SendReport":
    """Hand a released digest to the delivery ledger, enqueue the chunks it hands
    back and record the send with its report in the digest's history."""
    report = tasks.dispatch(ledger.open_send(digest.id))
    audit.record(digest, audit.Action.SENT, actor=actor, detail=str(report))
    return report


def send_digest(
    day: dt.date, *, edition: str = Digest.Edition.NEWS, actor=None
) -> "ledger.SendReport | None":
    """Send an approved digest. None when there is nothing approved to send for that day.
    An editor's send (`actor`) goes into the digest's history with its report."""
    digest = Digest.objects.filter(date=day, edition=edition).first()
    if digest is None or not digest.is_released:
        return None
    return send_and_record(digest, actor=actor)


def release_reviewed_digests() -> int:
    """Send approved digests that have not gone out; with a review window set, approve
    ready digests whose window has passed first. Returns how many digests were sent."""
    window = settings.DIGEST_REVIEW_WINDOW_MINUTES
    if window > 0:
        expired = Digest.objects.filter(
            status=Digest.Status.READY,
            updated_at__lte=timezone.now() - dt.timedelta(minutes=window),
        ).with_sections()
        for digest in expired:
            approve_digest(digest.id, detail="review window passed")
    released = 0
    for digest in releasable_digests(timezone.now()):
        send_and_record(digest)
        released += 1
    return released


def releasable_digests(now: dt.datetime):
    """Approved digests the scheduler sends at ``now``: those of today or yesterday
    with no send time of their own (an approved digest from last month is news
    nobody wants now), and any whose own send time has come."""
    recent = timezone.localdate(now) - dt.timedelta(days=1)
    return (
        Digest.objects.filter(status=Digest.Status.APPROVED)
        .filter(Q(send_at__isnull=True, date__gte=recent) | Q(send_at__lte=now))
        .with_sections()
    )


# A send has started once a row is being sent or was sent: past that, no take-back.
STARTED_DELIVERIES = (Delivery.Status.SENDING, Delivery.Status.SENT)


@transaction.atomic
def unapprove_digest(digest_id: int, *, actor=None) -> bool:
    """Take an approval back (approved -> ready) while its send has not started.
    True when it moved. The ledger's own approved -> sending update is conditional
    too, so exactly one of the two wins a race."""
    started = Delivery.objects.filter(
        digest_id=OuterRef("pk"), status__in=STARTED_DELIVERIES
    )
    moved = bool(
        Digest.objects.filter(id=digest_id, status=Digest.Status.APPROVED)
        .exclude(Exists(started))
        # updated_at restarts the review window: the timed auto-approval must not
        # take back the editor's take-back at the scheduler's next run.
        .update(status=Digest.Status.READY, approved_at=None, updated_at=timezone.now())
    )
    if moved:
        audit.record(digest_id, audit.Action.UNAPPROVED, actor=actor)
    return moved


@transaction.atomic
def set_send_time(digest_id: int, when: dt.datetime | None, *, actor=None) -> bool:
    """The digest's own send time (None: the scheduler's next run after approval).
    False when the digest is already going out."""
    changed = bool(
        Digest.objects.filter(id=digest_id)
        .exclude(status__in=Digest.FROZEN_STATUSES)
        .update(send_at=when)
    )
    if changed:
        detail = timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else ""
        audit.record(digest_id, audit.Action.SEND_TIME_SET, actor=actor, detail=detail)
    return changed
