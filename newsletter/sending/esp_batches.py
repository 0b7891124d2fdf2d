"""ESP batch sends: one API call for a group of readers, their links merged by the ESP.

Only ESPs that merge per-recipient fields into a body sent without a stored template
batch (Mailgun, SendGrid, Brevo); with any other ESP, or SMTP, each reader gets their
own message. The ledger decides what is sent and records the outcome; this module
builds the call and reads the ESP's answer per recipient.
"""

from django.conf import settings

from newsletter.models import Delivery
from newsletter.sending import recipient
from newsletter.sending.rendering import (
    FEEDBACK_SLOT,
    PREFERENCES_URL,
    READER_TOKEN,
    UNSUBSCRIBE_URL,
    RenderedEmail,
)
from subscribers.links import subscriber_links

# Recipients per API call where the ESP sends a batch with per-recipient fields.
ESP_BATCH_LIMITS = {
    "mailgun": 1000,
    "sendgrid": 1000,
    "brevo": 1000,
    "postmark": 500,
    "resend": 100,
    "amazon_ses": 50,
}
# How each ESP substitutes a per-recipient field into a body sent without a stored
# template. Postmark, Resend and SES batch APIs only merge into stored templates,
# so with them every subscriber gets their own API call.
ESP_MERGE_FIELDS = {
    "mailgun": "%recipient.{}%",
    "sendgrid": "-{}-",
    "brevo": "{{{{ params.{} }}}}",
}
# What the ESP says about a recipient it did not take.
REFUSED_STATUSES = {"rejected", "failed", "invalid"}


def esp_name() -> str:
    return (settings.ESP or "").lower()


def is_batching() -> bool:
    return esp_name() in ESP_MERGE_FIELDS


def batch_size() -> int:
    return settings.EMAIL_BATCH_SIZE or ESP_BATCH_LIMITS[esp_name()]


def batch_message(rendered: RenderedEmail, rows: list[Delivery], *, connection):
    """One AnymailMessage to every row's subscriber, their links as merge data."""
    from anymail.message import AnymailMessage

    field = ESP_MERGE_FIELDS[esp_name()]
    tokens = {
        PREFERENCES_URL: field.format("preferences_url"),
        UNSUBSCRIBE_URL: field.format("unsubscribe_url"),
        READER_TOKEN: field.format("reader_token"),
    }
    text, html = rendered.text, rendered.html
    for placeholder, token in tokens.items():
        text, html = text.replace(placeholder, token), html.replace(placeholder, token)
    # Each story's 👍/👎 link (HTML) and its one link (text) is one more merge field
    # per reader.
    votes = sorted(
        {(int(m[1]), m[2].lower()) for m in FEEDBACK_SLOT.finditer(html + text)}
    )

    def merge_field(m) -> str:
        return field.format(f"vote_{m[1]}_{m[2].lower()}")

    text, html = (
        FEEDBACK_SLOT.sub(merge_field, text),
        FEEDBACK_SLOT.sub(merge_field, html),
    )
    message = AnymailMessage(
        subject=rendered.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.subscriber.email for row in rows],
        headers=recipient.shared_headers(),
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    if rendered.chart_cid:
        message.mixed_subtype = "related"
        for part in recipient.chart_parts(rendered):
            message.attach(part)
    message.merge_data, message.merge_headers = {}, {}
    for row in rows:
        links = subscriber_links(row.subscriber)
        message.merge_data[row.subscriber.email] = {
            "preferences_url": links.preferences_url,
            "unsubscribe_url": links.unsubscribe_url,
            "reader_token": links.reader_token,
            **{
                f"vote_{story}_{vote}": links.feedback_url(story, vote)
                for story, vote in votes
            },
        }
        message.merge_headers[row.subscriber.email] = {
            "List-Unsubscribe": recipient.list_unsubscribe(links.one_click_url),
        }
    if esp_name() == "sendgrid":
        message.esp_extra = {"merge_field_format": "-{}-"}
    return message


def recipient_outcomes(
    message, rows: list[Delivery]
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(sent, failed) as (delivery id, ESP message id or reason) after ``send()``."""
    statuses = message.anymail_status.recipients
    sent, failed = [], []
    by_email = {row.subscriber.email.lower(): row for row in rows}
    for email, row in by_email.items():
        status = statuses.get(email) or statuses.get(row.subscriber.email)
        if status is not None and status.status in REFUSED_STATUSES:
            failed.append((row.id, f"ESP status: {status.status}"))
        else:
            esp_id = status.message_id if status is not None else None
            sent.append((row.id, "" if esp_id is None else str(esp_id)))
    return sent, failed
