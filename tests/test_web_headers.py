"""What a browser is told about every page: its Content-Security-Policy, and that the
pages behind a subscriber's personal link are never stored by a cache."""

import re

import pytest
from django.urls import reverse

from subscribers import tokens
from subscribers.models import Subscriber
from tests.factories import SubscriberFactory

PUBLIC_PAGES = [
    "subscribers:subscribe",
    "subscribers:check_email",
    "newsletter:archive",
]


def _directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (
            part.split() for part in header.split(";") if part.strip()
        )
    }


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_allow_only_this_sites_scripts_and_styles(client, defaults, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    policy = _directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # The page itself needs nothing the policy blocks: no inline style or script.
    body = response.content.decode()
    assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=", body)
    assert '<link rel="stylesheet" href="/static/site.css">' in body


def test_the_admin_carries_the_policy_too(client):
    response = client.get(reverse("admin:login"))

    assert response.status_code == 200
    assert _directives(response)["script-src"] == ["'self'"]


@pytest.fixture
def reader(defaults):
    return SubscriberFactory(email="reader@example.com", status="pending")


def _link(name: str, subscriber: Subscriber, purpose: str) -> str:
    token = tokens.make_token(subscriber.token_key, purpose)
    return reverse(f"subscribers:{name}", args=[token])


@pytest.mark.parametrize(
    "name, purpose",
    [
        ("confirm", tokens.CONFIRM),
        ("preferences", tokens.PREFERENCES),
        ("unsubscribe", tokens.UNSUBSCRIBE),
    ],
)
def test_pages_behind_a_personal_link_are_never_stored(client, reader, name, purpose):
    response = client.get(_link(name, reader, purpose))

    assert response.status_code == 200
    assert "reader@example.com" in response.content.decode()
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_a_link_signed_with_the_old_public_development_key_opens_nothing(
    client, reader, settings
):
    real_key = settings.SECRET_KEY
    settings.SECRET_KEY = "dev-insecure-key"
    forged = _link("preferences", reader, tokens.PREFERENCES)
    settings.SECRET_KEY = real_key

    response = client.get(forged)

    assert response.status_code == 400
    assert "reader@example.com" not in response.content.decode()
    # The same link signed with this install's key does open the page.
    assert (
        client.get(_link("preferences", reader, tokens.PREFERENCES)).status_code == 200
    )


@pytest.mark.parametrize("path", ["/", "/archive/", "/healthz", "/admin/login/"])
def test_every_answer_refuses_powerful_browser_features(client, defaults, path):
    response = client.get(path)

    policy = dict(
        part.strip().split("=", 1)
        for part in response.headers["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert policy[feature] == "()"
