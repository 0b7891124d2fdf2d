"""Bounces and complaints from the ESP, through anymail's tracking webhooks.

Only the configured ESP's endpoint exists (/webhooks/anymail/<esp>/tracking/), and
only with ANYMAIL_WEBHOOK_SECRET set: anymail alone would accept unauthenticated
posts when the secret is empty, and any of its ESP endpoints would do. anymail
checks the credentials and turns the ESP's payload into AnymailTrackingEvents; the
receiver below maps those onto `services.record_bounce`. ESPs retry webhooks, so
events are deduplicated by id.
"""

import functools
import hashlib
import logging
import re
from datetime import datetime

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from anymail.utils import get_anymail_setting
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from subscribers import services

logger = logging.getLogger(__name__)

# settings.ESP (the anymail backend module) -> that ESP's tracking view, as anymail
# 15.2's anymail/urls.py mounts them. Scaleway has no tracking webhook.
TRACKING_VIEWS = {
    "amazon_ses": "anymail.webhooks.amazon_ses.AmazonSESTrackingWebhookView",
    "brevo": "anymail.webhooks.brevo.BrevoTrackingWebhookView",
    "mailersend": "anymail.webhooks.mailersend.MailerSendTrackingWebhookView",
    "mailgun": "anymail.webhooks.mailgun.MailgunTrackingWebhookView",
    "mailjet": "anymail.webhooks.mailjet.MailjetTrackingWebhookView",
    "mailtrap": "anymail.webhooks.mailtrap.MailtrapTrackingWebhookView",
    "mandrill": "anymail.webhooks.mandrill.MandrillCombinedWebhookView",
    "postal": "anymail.webhooks.postal.PostalTrackingWebhookView",
    "postmark": "anymail.webhooks.postmark.PostmarkTrackingWebhookView",
    "resend": "anymail.webhooks.resend.ResendTrackingWebhookView",
    "sendgrid": "anymail.webhooks.sendgrid.SendGridTrackingWebhookView",
    "sendinblue": "anymail.webhooks.sendinblue.SendinBlueTrackingWebhookView",
    "sparkpost": "anymail.webhooks.sparkpost.SparkPostTrackingWebhookView",
    "unisender_go": "anymail.webhooks.unisender_go.UnisenderGoTrackingWebhookView",
}

# What anymail's parsers raise on a body that is not the ESP's shape: bad JSON or
# UTF-8 (ValueError), a list where an object belongs (TypeError, AttributeError),
# missing keys (KeyError), an unparsable SNS message (AnymailAPIError).
_MALFORMED = (ValueError, TypeError, LookupError, AttributeError, AnymailError)


def webhook_secrets() -> list[str]:
    """The accepted "user:password" pairs; empty when none is configured."""
    secret = get_anymail_setting("webhook_secret", default=None)
    if isinstance(secret, str):
        secret = [secret]
    return [s for s in secret or [] if isinstance(s, str) and s]


def _well_typed(event: AnymailTrackingEvent) -> bool:
    # anymail copies ESP values as they came; a number where the address belongs is
    # a malformed request, not an event to skip silently.
    texts = (event.recipient, event.event_id, event.mta_response, event.event_type)
    return all(v is None or isinstance(v, str) for v in texts) and (
        event.timestamp is None or isinstance(event.timestamp, datetime)
    )


@functools.cache
def _guarded_view(dotted_path: str):
    """anymail's view for one ESP, answering 401 to bad credentials and 400 to a
    malformed body (anymail itself gives 400 to the first and 500 to the second)."""
    base = import_string(dotted_path)

    class GuardedTrackingView(base):
        def post(self, request, *args, **kwargs):
            try:
                self.run_validators(request)
            except AnymailWebhookValidationFailure:
                response = HttpResponse("Invalid webhook credentials.\n", status=401)
                response["WWW-Authenticate"] = 'Basic realm="webhooks"'
                return response
            except _MALFORMED:
                return HttpResponseBadRequest("Malformed webhook body.\n")
            try:
                events = self.parse_events(request)
            except _MALFORMED:
                return HttpResponseBadRequest("Malformed webhook body.\n")
            if not all(_well_typed(event) for event in events):
                return HttpResponseBadRequest("Malformed webhook body.\n")
            # One batch is applied whole or not at all, so an ESP retry is exact.
            with transaction.atomic():
                for event in events:
                    self.signal.send(sender=base, event=event, esp_name=self.esp_name)
            return HttpResponse()

    GuardedTrackingView.__name__ = base.__name__
    return GuardedTrackingView.as_view()


@csrf_exempt
def tracking_webhook(request: HttpRequest, esp: str) -> HttpResponse:
    """The configured ESP's tracking endpoint; every other ESP's URL is a 404."""
    if esp != settings.ESP or esp not in TRACKING_VIEWS or not webhook_secrets():
        raise Http404("no such webhook")
    try:
        return _guarded_view(TRACKING_VIEWS[esp])(request)
    except ImproperlyConfigured:
        # A missing library or signing key (`check --deploy` reports it as
        # subscribers.E002): nothing can be verified, so nothing is applied, and
        # the ESP sees a temporary failure it will retry, not a crash.
        logger.exception("the %s tracking webhook is not configured", esp)
        return HttpResponse("Webhook not configured.\n", status=503)


# Temporary SMTP failures: "421 ...", "450 ...", "4.2.2 mailbox full".
_TEMPORARY_SMTP = re.compile(r"^\s*(4\d\d\b|4\.\d+\.\d+)")
_SOFT_ESP_TYPES = {"softbounce", "transient", "temporary", "soft_bounce", "soft-bounce"}


def _is_soft(event: AnymailTrackingEvent) -> bool:
    if isinstance(event.mta_response, str) and _TEMPORARY_SMTP.match(
        event.mta_response
    ):
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
    if kind is None or not isinstance(event.recipient, str) or not event.recipient:
        return
    services.record_bounce(
        event.recipient,
        kind=kind,
        event_id=event_key(event, esp_name=esp_name),
        occurred_at=event.timestamp,
    )
