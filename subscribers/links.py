"""Absolute links that go into emails, built on SITE_URL: the one builder for every
email, from a single confirmation to a digest fan-out over every subscriber.

A URL is resolved once per (site, urlconf, script prefix) with a placeholder where the
token goes, then each link is a join of strings, so a fan-out pays for signing only.
"""

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from django.conf import settings
from django.urls import get_script_prefix, reverse

from subscribers import tokens
from subscribers.models import Subscriber

_MARK = "__TOKEN__"


@dataclass(frozen=True)
class SubscriberLinks:
    """The links every digest carries for its reader."""

    preferences_url: str
    unsubscribe_url: str
    one_click_url: str
    # Signed once per email; each story's 👍/👎 link adds its own MAC (tokens.py).
    feedback_token: str = ""
    # A story's MAC, computed for its 👍 link and reused for its 👎 one.
    _signatures: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def reader_token(self) -> str:
        """The token of the link to the reader's own page of a digest: their
        feedback token, or "-" (a link that opens the public page) without one."""
        return self.feedback_token or "-"

    def feedback_url(self, story_id: int, vote: str) -> str:
        """A story's 👍 (vote "up") or 👎 ("down") link for this reader, or its page
        offering both ("ask", the plain-text email's one link per story)."""
        signature = self._signatures.get(story_id)
        if signature is None:
            signature = tokens.story_signature(self.feedback_token, story_id)
            self._signatures[story_id] = signature
        return f"{self._vote_start}{story_id}/{signature}/{vote}/"

    @cached_property
    def _vote_start(self) -> str:
        """Every vote link's common start, the site's and the reader's token: an
        email holds dozens of vote links, and the settings are read once."""
        return f"{_feedback_start()}{self.feedback_token}/"


@lru_cache(maxsize=32)
def _shape(name: str, site_url: str, urlconf: str, prefix: str) -> tuple[str, str]:
    """(before, after) the token in the absolute URL named `name`."""
    path = reverse(f"subscribers:{name}", args=[_MARK])
    before, _, after = f"{site_url}{path}".partition(_MARK)
    return before, after


def _url(name: str, token: str) -> str:
    before, after = _shape(
        name, settings.SITE_URL, settings.ROOT_URLCONF, get_script_prefix()
    )
    return f"{before}{token}{after}"


@lru_cache(maxsize=32)
def _feedback_prefix(site_url: str, urlconf: str, prefix: str) -> str:
    """The absolute URL of a feedback link up to its token; the rest is
    ``<token>/<story>/<signature>/<vote>/`` (newsletter/web/urls.py)."""
    path = reverse("newsletter:feedback", args=[_MARK, 1, "S", "up"])
    before, _, after = f"{site_url}{path}".partition(_MARK)
    if after != "/1/S/up/":
        raise ValueError(f"unexpected feedback URL shape {path!r}")
    return before


def _feedback_start() -> str:
    """The absolute URL of every 👍/👎 link up to the reader's token."""
    return _feedback_prefix(
        settings.SITE_URL, settings.ROOT_URLCONF, get_script_prefix()
    )


def confirm_url(subscriber: Subscriber) -> str:
    return _url("confirm", tokens.make_token(subscriber.token_key, tokens.CONFIRM))


def preferences_url(subscriber: Subscriber) -> str:
    return _url(
        "preferences", tokens.make_token(subscriber.token_key, tokens.PREFERENCES)
    )


def manage_url(subscriber: Subscriber) -> str:
    """The short-lived link that may export or erase (sent on request only)."""
    return _url("manage", tokens.make_token(subscriber.token_key, tokens.MANAGE))


def unsubscribe_url(subscriber: Subscriber) -> str:
    return _url(
        "unsubscribe", tokens.make_token(subscriber.token_key, tokens.UNSUBSCRIBE)
    )


def one_click_url(subscriber: Subscriber) -> str:
    return _url(
        "one_click", tokens.make_token(subscriber.token_key, tokens.UNSUBSCRIBE)
    )


def subscriber_links(subscriber: Subscriber) -> SubscriberLinks:
    """A reader's digest links; unsubscribe and one-click share one token."""
    unsubscribe = tokens.make_token(subscriber.token_key, tokens.UNSUBSCRIBE)
    return SubscriberLinks(
        preferences_url=preferences_url(subscriber),
        unsubscribe_url=_url("unsubscribe", unsubscribe),
        one_click_url=_url("one_click", unsubscribe),
        feedback_token=tokens.make_token(subscriber.token_key, tokens.FEEDBACK),
    )
