"""How the latest send ended, in one line for /healthz: an operator's monitor sees a
relay that refused most messages without opening the desk."""

from django.db.models import Count

from newsletter.models import Delivery, Digest


def latest_send_summary() -> str:
    digest = (
        Digest.objects.filter(status__in=Digest.SENT_STATUSES)
        .order_by("-sent_at", "-id")
        .first()
    )
    if digest is None:
        return "no send finished yet"
    counts = dict(
        digest.deliveries.values_list("status").annotate(n=Count("id")).order_by()
    )
    sent = counts.get(Delivery.Status.SENT, 0)
    failed = counts.get(Delivery.Status.FAILED, 0)
    when = digest.sent_at.isoformat(timespec="seconds") if digest.sent_at else "?"
    summary = f"{digest} {digest.status} at {when}: {sent} sent, {failed} failed"
    if digest.status == Digest.Status.PARTIAL:
        return f"{summary} (most deliveries failed: check the email settings)"
    return summary
