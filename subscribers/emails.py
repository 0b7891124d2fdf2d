"""The emails a subscriber gets about their subscription (not the digest itself).

Each is three templates, emails/subscribers-<kind>-subject.txt, -body.txt and
-body.html, rendered in the subscriber's language.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from newsletter.models import Category, Digest
from subscribers import links
from subscribers.models import Subscriber, SubscriberEmail


def latest_digest_url() -> str:
    latest = Digest.objects.published().first()
    if latest is None:
        return settings.SITE_URL + reverse("newsletter:archive")
    return settings.SITE_URL + latest.get_absolute_url()


def make_message(
    name: str, to: str, ctx: dict, *, language: str
) -> EmailMultiAlternatives:
    with translation.override(language):
        subject = render_to_string(f"emails/{name}-subject.txt", ctx)
        text = render_to_string(f"emails/{name}-body.txt", ctx)
        html = render_to_string(f"emails/{name}-body.html", ctx)
    # A subject is one line whatever the template produced.
    subject = " ".join(subject.split())
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    return message


def send_subscriber_email(subscriber_id: int, *, kind: str) -> bool:
    """Send one subscription email; False when the subscriber no longer exists or
    is held by a bounce, a complaint, the ESP or an admin."""
    if kind not in SubscriberEmail.Kind.values:
        raise ValueError(f"unknown subscriber email {kind!r}")
    subscriber = Subscriber.objects.filter(id=subscriber_id).first()
    if subscriber is None or subscriber.is_held:
        # Held since the email was queued (a bounce, a complaint): nothing goes out.
        return False
    ctx = {
        "subscriber": subscriber,
        "categories": list(Category.objects.for_subscriber(subscriber)),
        "confirm_url": links.confirm_url(subscriber),
        "preferences_url": links.preferences_url(subscriber),
        "unsubscribe_url": links.unsubscribe_url(subscriber),
        "latest_digest_url": latest_digest_url(),
        # The link that may export or erase goes only into the email asked for it.
        "manage_url": links.manage_url(subscriber) if kind == "manage-link" else "",
        "manage_minutes": settings.MANAGE_LINK_MAX_AGE_MINUTES,
        "preferences_days": settings.PREFERENCES_LINK_MAX_AGE_DAYS,
        "archive_url": settings.SITE_URL + reverse("newsletter:archive"),
        "site_url": settings.SITE_URL,
        "postal_address": settings.SENDER_POSTAL_ADDRESS,
    }
    message = make_message(
        f"subscribers-{kind}",
        subscriber.email,
        ctx,
        language=subscriber.reading_language,
    )
    if kind != "confirm":
        message.extra_headers["List-Unsubscribe"] = (
            f"<{links.one_click_url(subscriber)}>"
        )
        message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.send()
    return True
