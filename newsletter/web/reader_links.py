"""The links that carry a reader's feedback token: who they name, and where they go.

The token (``subscribers.tokens.FEEDBACK``, signed once per email, expiring after
FEEDBACK_LINK_MAX_AGE_DAYS) is in each story's vote link and in the email's link to
the reader's own page of the digest; both are checked here alike.
"""

from django.urls import reverse

from newsletter.models import Digest
from subscribers import tokens
from subscribers.models import Subscriber


def link_reader(token: str) -> tuple[Subscriber | None, str]:
    """(the subscribed reader a feedback token names, ""), or (None, why not:
    "invalid", "expired" or "not_subscribed")."""
    found = tokens.read_token(token, tokens.FEEDBACK)
    if found is None or not found.key:
        return None, "invalid"
    if found.is_expired:
        return None, "expired"
    subscriber = tokens.subscriber_for(found)
    if subscriber is None or subscriber.status != Subscriber.Status.ACTIVE:
        return None, "not_subscribed"
    return subscriber, ""


def reader_page_path(digest: Digest, token: str) -> str:
    """The reader's own page of the digest (``reader_page.digest_for_reader``)."""
    path = reverse(
        "newsletter:digest_for_reader", args=[digest.date.isoformat(), token]
    )
    if digest.edition != Digest.Edition.NEWS:
        path += f"?edition={digest.edition}"
    return path


def vote_path(token: str, story_id: int, vote: str) -> str:
    """A story's vote link on the reader's own page (``feedback.feedback``)."""
    signature = tokens.story_signature(token, story_id)
    return reverse("newsletter:feedback", args=[token, story_id, signature, vote])
