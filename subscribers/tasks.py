"""Thin task wrappers: the subscriber emails, sent after the write committed."""

from celery import shared_task

from subscribers import emails

CONFIRM = "confirm"
WELCOME = "welcome"
MANAGE = "manage"
# Asked for from a link: a fresh preferences link, or the short-lived access link.
PREFERENCES_LINK = "preferences-link"
MANAGE_LINK = "manage-link"


@shared_task(
    autoretry_for=(OSError,),  # SMTP connection trouble; ESP errors fail loudly
    retry_backoff=True,
    retry_jitter=True,
    max_retries=4,
)
def send_subscriber_email(subscriber_id: int, kind: str) -> None:
    emails.send_subscriber_email(subscriber_id, kind=kind)
