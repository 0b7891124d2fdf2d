import re

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from newsletter.models import Digest
from subscribers import tokens
from subscribers.models import Subscriber
from tests.factories import SubscriberFactory, told_digest
from tests.subscribers.conftest import (
    legacy_token,
    link_from,
    token_for,
)

# The readers here chose English: pages behind their links speak it.
BUTTON = '<button type="submit">Confirm subscription</button>'
CONFIRMED = "<h1>You're subscribed</h1>"


def subscribe(client, email, categories, language="en"):
    client.post(
        "/",
        {
            "email": email,
            "language": language,
            "website": "",
            "categories": [c.id for c in categories],
        },
    )


def test_opening_the_link_asks_before_confirming(client, categories, mailoutbox):
    subscribe(client, "alice@example.com", categories[1:3])
    response = client.get(link_from(mailoutbox[0], "confirm"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "alice@example.com" in page
    for category in categories[1:3]:
        assert escape(category.name) in page
    assert escape(categories[0].name) not in page
    assert '<meta name="robots" content="noindex">' in page
    assert 'method="post"' in page
    assert "csrfmiddlewaretoken" in page
    assert BUTTON in page
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.confirmed_at is None
    assert len(mailoutbox) == 1


def test_a_link_scanner_fetching_the_link_confirms_nothing(
    client, categories, mailoutbox
):
    subscribe(client, "victim@corp.example.com", categories)
    link = link_from(mailoutbox[0], "confirm")
    scanner = Client()  # another client, no session or cookies, as a gateway is
    for _ in range(3):
        assert scanner.get(link).status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    assert not Subscriber.objects.receiving().exists()
    assert len(mailoutbox) == 1  # no welcome email


def test_pressing_the_button_activates_and_shows_the_chosen_categories(
    client, categories, mailoutbox
):
    subscribe(client, "alice@example.com", categories[1:3])
    link = link_from(mailoutbox[0], "confirm")
    client.get(link)
    response = client.post(link)
    assert response.status_code == 200
    page = response.content.decode()
    assert CONFIRMED in page
    for category in categories[1:3]:
        assert escape(category.name) in page
    assert escape(categories[0].name) not in page
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.confirmed_at is not None
    assert Subscriber.objects.receiving().filter(id=subscriber.id).exists()
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject == "Welcome to Daily AI Insights"


def test_confirmation_sends_one_welcome_email_with_the_latest_digest(
    client, categories, mailoutbox
):
    told_digest(date="2024-11-08", status=Digest.Status.SENT)
    told_digest(date="2024-11-09", status=Digest.Status.SENT)
    told_digest(date="2024-11-10", status=Digest.Status.READY)
    Digest.objects.create(date="2024-11-11", status=Digest.Status.SENT)  # empty
    subscribe(client, "alice@example.com", categories)
    link = link_from(mailoutbox[0], "confirm")
    client.post(link)
    second = client.post(link)  # a second press changes nothing
    assert second.status_code == 200
    assert len(mailoutbox) == 2
    welcome = mailoutbox[1]
    assert welcome.subject == "Welcome to Daily AI Insights"
    assert "/digests/2024-11-09/" in welcome.body
    assert "/preferences/" in welcome.body
    assert (
        welcome.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )


def test_opening_the_link_once_confirmed_shows_the_confirmed_page(
    client, categories, mailoutbox
):
    subscribe(client, "alice@example.com", categories)
    link = link_from(mailoutbox[0], "confirm")
    client.post(link)
    confirmed_at = Subscriber.objects.get().confirmed_at
    page = client.get(link).content.decode()
    assert CONFIRMED in page
    assert BUTTON not in page
    assert Subscriber.objects.get().confirmed_at == confirmed_at
    assert len(mailoutbox) == 2


def test_the_button_needs_the_csrf_token_from_the_page(categories, mailoutbox):
    browser = Client(enforce_csrf_checks=True)
    subscribe(Client(), "alice@example.com", categories)
    link = link_from(mailoutbox[0], "confirm")
    page = browser.get(link).content.decode()
    assert browser.post(link).status_code == 403
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert len(mailoutbox) == 1
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert browser.post(link, {"csrfmiddlewaretoken": csrf}).status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE
    assert len(mailoutbox) == 2


def test_only_get_and_post_are_allowed(client, categories, mailoutbox):
    subscribe(client, "alice@example.com", categories)
    link = link_from(mailoutbox[0], "confirm")
    assert client.put(link).status_code == 405
    assert client.delete(link).status_code == 405
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert len(mailoutbox) == 1


def test_tampered_confirmation_token_changes_nothing(client, categories, mailoutbox):
    subscribe(client, "alice@example.com", categories)
    link = link_from(mailoutbox[0], "confirm")
    token = link.split("/")[2]
    tampered = token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb")
    url = reverse("subscribers:confirm", args=[tampered])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 400
        assert (
            "이 링크는 사용할 수 없습니다" in response.content.decode()
        )  # Korean by default
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert len(mailoutbox) == 1


def test_token_for_another_purpose_cannot_confirm(client, categories, mailoutbox):
    subscriber = SubscriberFactory(
        email="alice@example.com", status=Subscriber.Status.PENDING
    )
    for purpose in (tokens.PREFERENCES, tokens.UNSUBSCRIBE):
        url = reverse("subscribers:confirm", args=[token_for(subscriber, purpose)])
        assert client.get(url).status_code == 400
        assert client.post(url).status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert mailoutbox == []


def test_confirmation_link_expires_after_a_week(client, categories, mailoutbox):
    subscriber = SubscriberFactory(
        email="alice@example.com", status=Subscriber.Status.PENDING
    )
    url = reverse("subscribers:confirm", args=[token_for(subscriber, tokens.CONFIRM)])
    with time_machine.travel(timezone.now() + timezone.timedelta(days=8)):
        assert client.get(url).status_code == 400
        assert client.post(url).status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert mailoutbox == []


def test_confirmation_link_for_an_erased_subscriber_is_not_found(client, categories):
    subscriber = SubscriberFactory(
        email="alice@example.com", status=Subscriber.Status.PENDING
    )
    url = reverse("subscribers:confirm", args=[token_for(subscriber, tokens.CONFIRM)])
    subscriber.delete()
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 404
        assert "구독 정보를 찾을 수 없습니다" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_old_confirmation_link_cannot_undo_an_unsubscribe(
    client, categories, mailoutbox
):
    subscriber = SubscriberFactory(
        email="alice@example.com", status=Subscriber.Status.PENDING
    )
    url = reverse("subscribers:confirm", args=[token_for(subscriber, tokens.CONFIRM)])
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1)):
        client.post(url)
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.ACTIVE
        client.post(
            reverse(
                "subscribers:unsubscribe",
                args=[token_for(subscriber, tokens.UNSUBSCRIBE)],
            )
        )
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=2)):
        # The page already says the link is spent, and the button would not help.
        page = client.get(url)
        assert page.status_code == 404
        assert BUTTON not in page.content.decode()
        assert client.post(url).status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert len(mailoutbox) == 1  # the one welcome email


def test_markup_in_category_names_is_escaped_on_pages_and_in_emails(
    client, categories, mailoutbox
):
    hostile = categories[0]
    hostile.name = hostile.name_en = '<script>alert("c")</script>'
    hostile.save()
    assert "<script>alert" not in client.get("/").content.decode()
    subscribe(client, "alice@example.com", [hostile, categories[1]])
    link = link_from(mailoutbox[0], "confirm")
    for response in (client.get(link), client.post(link)):
        page = response.content.decode()
        assert "<script>alert" not in page
        assert "&lt;script&gt;" in page
    for message in mailoutbox:
        assert "<script>alert" not in message.alternatives[0][0]


def test_welcome_links_to_a_papers_only_day_with_its_edition(
    client, categories, mailoutbox
):
    told_digest(
        date="2024-11-09", edition=Digest.Edition.PAPERS, status=Digest.Status.SENT
    )
    subscribe(client, "alice@example.com", categories)
    client.post(link_from(mailoutbox[0], "confirm"))
    assert "/digests/2024-11-09/?edition=papers" in mailoutbox[1].body


def test_a_confirmation_link_in_the_old_id_and_address_shape_confirms_nothing(
    client, categories
):
    subscriber = SubscriberFactory(
        email="alice@example.com", status=Subscriber.Status.PENDING
    )
    old = legacy_token(subscriber.id, subscriber.email, tokens.CONFIRM)
    response = client.post(reverse("subscribers:confirm", args=[old]))
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
