"""Bounces and complaints from the ESP, through anymail's tracking webhooks.

anymail verifies the request (ANYMAIL_WEBHOOK_SECRET basic auth) and turns each
ESP's payload into an AnymailTrackingEvent; this receiver maps those onto
`services.record_bounce`. ESPs retry webhooks, so events are deduplicated by id.
"""

import hashlib
import re

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from django.dispatch import receiver

from subscribers import services

# Temporary SMTP failures: "421 ...", "450 ...", "4.2.2 mailbox full".
_TEMPORARY_SMTP = re.compile(r"^\s*(4\d\d\b|4\.\d+\.\d+)")
_SOFT_ESP_TYPES = {"softbounce", "transient", "temporary", "soft_bounce", "soft-bounce"}


def _is_soft(event: AnymailTrackingEvent) -> bool:
    if _TEMPORARY_SMTP.match(event.mta_response or ""):
        return True
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    # Postmark "Type", Mailgun "severity", SES "bounceType", SendGrid "type".
    for key in ("Type", "severity", "bounceType", "type", "bounce_classification"):
        value = raw.get(key)
        if isinstance(value, str) and value.lower() in _SOFT_ESP_TYPES:
            return True
    return False


def bounce_kind(event: AnymailTrackingEvent) -> str | None:
    """Which record_bounce kind an event is, or None for events we ignore."""
    if event.event_type == EventType.COMPLAINED:
        return services.COMPLAINT
    if event.event_type == EventType.BOUNCED:
        return services.SOFT_BOUNCE if _is_soft(event) else services.HARD_BOUNCE
    if event.event_type == EventType.UNSUBSCRIBED:
        return services.ESP_UNSUBSCRIBE
    if event.event_type == EventType.REJECTED:
        # The ESP refused to send because of its own suppression list.
        return {
            RejectReason.BOUNCED: services.HARD_BOUNCE,
            RejectReason.INVALID: services.HARD_BOUNCE,
            RejectReason.SPAM: services.COMPLAINT,
            RejectReason.UNSUBSCRIBED: services.ESP_UNSUBSCRIBE,
        }.get(event.reject_reason)
    return None


def event_key(event: AnymailTrackingEvent, *, esp_name: str) -> str:
    """A stable id per event; some ESPs send none, so hash what identifies it."""
    if event.event_id:
        return f"{esp_name}:{event.event_id}"[:255]
    parts = [
        esp_name,
        event.event_type or "",
        event.recipient or "",
        event.message_id or "",
        event.timestamp.isoformat() if event.timestamp else "",
    ]
    return (
        f"{esp_name}:sha256:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    )


@receiver(tracking, dispatch_uid="subscribers.webhooks.handle_tracking")
def handle_tracking(
    sender, event: AnymailTrackingEvent, esp_name: str, **kwargs
) -> None:
    kind = bounce_kind(event)
    if kind is None or not event.recipient:
        return
    services.record_bounce(
        event.recipient,
        kind=kind,
        event_id=event_key(event, esp_name=esp_name),
        occurred_at=event.timestamp,
    )
