"""Absolute links that go into emails, built on SITE_URL."""

from django.conf import settings
from django.urls import reverse

from subscribers import tokens
from subscribers.models import Subscriber


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def confirm_url(subscriber: Subscriber) -> str:
    token = tokens.make_token(subscriber.id, tokens.CONFIRM, email=subscriber.email)
    return _absolute(reverse("subscribers:confirm", args=[token]))


def preferences_url(subscriber: Subscriber) -> str:
    token = tokens.make_token(subscriber.id, tokens.PREFERENCES, email=subscriber.email)
    return _absolute(reverse("subscribers:preferences", args=[token]))


def unsubscribe_url(subscriber: Subscriber) -> str:
    token = tokens.make_token(subscriber.id, tokens.UNSUBSCRIBE, email=subscriber.email)
    return _absolute(reverse("subscribers:unsubscribe", args=[token]))


def one_click_url(subscriber: Subscriber) -> str:
    token = tokens.make_token(subscriber.id, tokens.UNSUBSCRIBE, email=subscriber.email)
    return _absolute(reverse("subscribers:one_click", args=[token]))
