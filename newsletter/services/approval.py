"""Approving and sending a digest, each recording its history here and nowhere else:
an editor's click, the scheduler's release, auto-approve and the daily run all pass
through `approve` and `send_and_record`."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from newsletter import audit
from newsletter.models import Digest
from newsletter.sending import ledger


@transaction.atomic
def approve_digest(digest_id: int, *, actor=None, detail: str = "") -> bool:
    """Approval. True when the digest moved to approved; `actor` (the user who
    approved, None for the scheduler or auto-approve) goes into the digest's history."""
    approved = bool(
        Digest.objects.filter(
            id=digest_id, status__in=Digest.APPROVABLE_STATUSES
        ).update(status=Digest.Status.APPROVED, approved_at=timezone.now())
    )
    if approved:
        audit.record(digest_id, audit.Action.APPROVED, actor=actor, detail=detail)
    return approved


def send_and_record(digest: Digest, *, actor=None) -> "ledger.SendReport":
    """Hand a released digest to the delivery ledger, enqueue the chunks it hands
    back and record the send with its report in the digest's history."""
    report = ledger.send_digest(digest.id)
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
        )
        for digest in expired:
            approve_digest(digest.id, detail="review window passed")
    # Only recent digests: an approved digest from last month is news nobody wants now.
    recent = timezone.localdate() - dt.timedelta(days=1)
    released = 0
    for digest in Digest.objects.filter(
        status=Digest.Status.APPROVED, date__gte=recent
    ):
        send_and_record(digest)
        released += 1
    return released
