import json
import re
import zlib

import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from newsletter.models import Delivery, Digest
from subscribers import tokens
from subscribers.models import DeletedDeliveryCount, Subscriber, TrackingEvent
from tests.factories import SubscriberFactory
from tests.subscribers.conftest import (
    checked_boxes,
    legacy_token,
    link_from,
    token_for,
)


def prefs_url(subscriber):
    return reverse(
        "subscribers:preferences", args=[token_for(subscriber, tokens.PREFERENCES)]
    )


def manage_url(subscriber):
    return reverse("subscribers:manage", args=[token_for(subscriber, tokens.MANAGE)])


def test_preferences_page_shows_current_choices(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com", language="en")
    subscriber.categories.set(categories[:2])
    page = client.get(prefs_url(subscriber)).content.decode()
    assert "alice@example.com" in page
    assert checked_boxes(page) == 2
    assert 'name="robots" content="noindex"' in page


def test_changing_categories_and_language_is_stored(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com", language="ko")
    url = prefs_url(subscriber)
    response = client.post(
        url,
        {
            "action": "save",
            "language": "en",
            "categories": [categories[3].id, categories[4].id],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}?done=saved"
    subscriber.refresh_from_db()
    assert subscriber.language == "en"
    assert set(subscriber.categories.all()) == {categories[3], categories[4]}


def test_switching_to_the_weekly_email_is_stored_and_shown(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com", language="en")
    url = prefs_url(subscriber)
    page = client.get(url).content.decode()
    assert checked_boxes(page, "frequency") == 1 and 'value="daily" ' in page

    response = client.post(
        url,
        {
            "action": "save",
            "language": "en",
            "frequency": "weekly",
            "categories": [categories[0].id],
        },
    )

    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.frequency == Subscriber.Frequency.WEEKLY
    page = client.get(url).content.decode()
    assert "Active. You receive the weekly digest." in page
    assert re.search(r'<input[^>]*value="weekly"[^>]*checked', page)


def test_a_forged_frequency_is_refused_and_changes_nothing(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com", language="en")
    response = client.post(
        prefs_url(subscriber),
        {
            "action": "save",
            "language": "en",
            "frequency": "hourly",
            "categories": [categories[0].id],
        },
    )
    assert response.status_code == 400
    assert "Choose daily, weekly or both." in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.frequency == Subscriber.Frequency.DAILY


def test_saving_with_no_category_is_refused(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    subscriber.categories.set(categories[:1])
    response = client.post(prefs_url(subscriber), {"action": "save", "language": "en"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert list(subscriber.categories.all()) == categories[:1]


def test_pause_and_resume(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    url = prefs_url(subscriber)
    client.post(url, {"action": "pause"})
    assert not Subscriber.objects.receiving().filter(id=subscriber.id).exists()
    client.post(url, {"action": "resume"})
    assert Subscriber.objects.receiving().filter(id=subscriber.id).exists()


def test_unsubscribe_and_resubscribe_from_preferences(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    url = prefs_url(subscriber)
    client.post(url, {"action": "unsubscribe"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    client.post(url, {"action": "resubscribe"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.unsubscribed_at is None


def test_preferences_forms_need_csrf(categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(prefs_url(subscriber), {"action": "unsubscribe"})
    assert response.status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_unsubscribe_token_cannot_open_preferences(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    url = reverse(
        "subscribers:preferences", args=[token_for(subscriber, tokens.UNSUBSCRIBE)]
    )
    assert client.get(url).status_code == 400
    response = client.post(url, {"action": "pause"})
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.is_paused is False


def test_token_of_another_address_with_the_same_id_is_refused(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    forged = legacy_token(subscriber.id, "mallory@example.com", tokens.PREFERENCES)
    response = client.post(
        reverse("subscribers:preferences", args=[forged]), {"action": "pause"}
    )
    assert response.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.is_paused is False


def test_unknown_action_changes_nothing(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    response = client.post(prefs_url(subscriber), {"action": "drop table"})
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def _with_history(categories):
    subscriber = SubscriberFactory(email="alice@example.com", language="en")
    subscriber.categories.set(categories[:1])
    first = Digest.objects.create(date="2024-11-08", status=Digest.Status.SENT)
    second = Digest.objects.create(date="2024-11-09", status=Digest.Status.SENT)
    Delivery.objects.create(
        digest=first,
        subscriber=subscriber,
        status=Delivery.Status.SENT,
        esp_message_id="<m1@example>",
    )
    Delivery.objects.create(
        digest=second,
        subscriber=subscriber,
        status=Delivery.Status.FAILED,
        error="mailbox full",
    )
    bob = SubscriberFactory(email="bob@example.com")
    Delivery.objects.create(digest=first, subscriber=bob, status=Delivery.Status.SENT)
    TrackingEvent.objects.create(
        event_id="postmark:1", event_type="soft", subscriber=subscriber
    )
    return subscriber, first, second


def test_export_downloads_everything_stored_as_json(client, categories):
    subscriber, _, _ = _with_history(categories)
    response = client.post(manage_url(subscriber), {"action": "export"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["email"] == "alice@example.com"
    assert data["language"] == "en"
    assert data["categories"] == [categories[0].slug]
    assert data["receives_all_categories"] is False
    assert [(d["digest_date"], d["status"]) for d in data["deliveries"]] == [
        ("2024-11-08", "sent"),
        ("2024-11-09", "failed"),
    ]
    assert data["deliveries"][1]["error"] == "mailbox full"
    assert data["email_events"][0]["type"] == "soft"
    assert "bob@example.com" not in response.content.decode()


def test_delete_me_needs_the_confirmation_box(client, categories):
    subscriber, _, _ = _with_history(categories)
    response = client.post(manage_url(subscriber), {"action": "delete"})
    assert response.status_code == 400
    assert Subscriber.objects.filter(id=subscriber.id).exists()


def test_delete_me_erases_the_subscriber_and_keeps_only_counts(client, categories):
    subscriber, first, second = _with_history(categories)
    url = manage_url(subscriber)
    response = client.post(url, {"action": "delete", "confirm": "on"})
    assert response.status_code == 200
    assert not Subscriber.objects.filter(email__iexact="alice@example.com").exists()
    assert not Delivery.objects.filter(subscriber_id=subscriber.id).exists()
    assert Delivery.objects.filter(subscriber__email="bob@example.com").count() == 1
    counts = {
        (c.digest_id, c.status): c.count for c in DeletedDeliveryCount.objects.all()
    }
    assert counts == {(first.id, "sent"): 1, (second.id, "failed"): 1}
    assert TrackingEvent.objects.get(event_id="postmark:1").subscriber is None
    # The old link now leads nowhere, and changes nothing.
    assert client.get(url).status_code == 404


def test_deleting_two_subscribers_adds_up_their_counts(categories):
    from subscribers import services

    digest = Digest.objects.create(date="2024-11-08", status=Digest.Status.SENT)
    for email in ("a@example.com", "b@example.com"):
        s = SubscriberFactory(email=email)
        Delivery.objects.create(
            digest=digest, subscriber=s, status=Delivery.Status.SENT
        )
        assert services.delete_subscriber(s.id) is True
        assert services.delete_subscriber(s.id) is False
    assert DeletedDeliveryCount.objects.get(digest=digest, status="sent").count == 2


# --- what links carry and how long they work ------------------------------------


def _payload(token: str) -> str:
    """What anyone who sees a link (access logs, click tracking) can decode."""
    data = token.split(":")[0]
    raw = signing.b64_decode(data.lstrip(".").encode())
    return (zlib.decompress(raw) if data.startswith(".") else raw).decode()


def test_links_in_emails_do_not_reveal_the_address(client, categories, mailoutbox):
    client.post(
        "/",
        {
            "email": "alice@example.com",
            "language": "en",
            "website": "",
            "categories": [c.id for c in categories],
        },
    )
    client.post(link_from(mailoutbox[0], "confirm"))
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.ACTIVE
    welcome = mailoutbox[1]
    paths = [
        link_from(mailoutbox[0], "confirm"),
        link_from(welcome, "preferences"),
        link_from(welcome, "unsubscribe"),
        welcome.extra_headers["List-Unsubscribe"].strip("<>").split("8000")[-1],
    ]
    for path in paths:
        token = path.strip("/").split("/")[1]
        assert "alice" not in _payload(token)
        assert json.loads(_payload(token)) == subscriber.token_key
    # Links made the old way did carry it, which is what this guards against.
    old = legacy_token(subscriber.id, subscriber.email, tokens.UNSUBSCRIBE)
    assert "alice@example.com" in _payload(old)


def test_an_expired_preferences_link_changes_nothing_and_offers_a_fresh_one(
    client, categories, mailoutbox, settings
):
    settings.PREFERENCES_LINK_MAX_AGE_DAYS = 30
    subscriber = SubscriberFactory(email="alice@example.com", language="en")
    with time_machine.travel("2026-01-01 08:00 +0000", tick=False):
        url = prefs_url(subscriber)
    with time_machine.travel("2026-01-30 08:00 +0000", tick=False):
        assert 'name="categories"' in client.get(url).content.decode()
    with time_machine.travel("2026-02-01 08:00 +0000", tick=False):
        page = client.get(url).content.decode()
        assert 'value="send_link"' in page
        assert 'name="categories"' not in page
        assert "alice@example.com" not in page
        attempts = [
            {"action": "pause"},
            {"action": "unsubscribe"},
            {"action": "export"},
            {"action": "delete", "confirm": "on"},
            {"action": "save", "language": "ko", "categories": [categories[0].id]},
        ]
        for data in attempts:
            assert client.post(url, data).status_code == 403
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.ACTIVE
        assert (subscriber.is_paused, subscriber.language) == (False, "en")
        assert not subscriber.categories.exists()
        assert mailoutbox == []

        response = client.post(url, {"action": "send_link"})
        assert response.status_code == 200
        assert "alice@example.com" not in response.content.decode()
        assert [m.to for m in mailoutbox] == [["alice@example.com"]]
        fresh = link_from(mailoutbox[0], "preferences")
        assert fresh != url
        assert 'name="categories"' in client.get(fresh).content.decode()


def test_asking_for_fresh_links_is_rate_limited_with_the_same_answer(
    client, categories, mailoutbox, settings
):
    settings.SUBSCRIBE_RATE_PER_ADDRESS = 2
    subscriber = SubscriberFactory(email="alice@example.com")
    # A preferences link from before opaque tokens counts as expired.
    url = reverse(
        "subscribers:preferences",
        args=[legacy_token(subscriber.id, subscriber.email, tokens.PREFERENCES)],
    )
    answers = [client.post(url, {"action": "send_link"}) for _ in range(4)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len(mailoutbox) == 2
    assert mailoutbox[0].subject == "Daily AI Insights 새 링크"
    assert "30일 동안 작동합니다" in mailoutbox[0].body


def test_a_forwarded_digest_link_cannot_export_or_erase_without_a_fresh_link(
    client, categories, mailoutbox
):
    subscriber, _, _ = _with_history(categories)
    url = prefs_url(subscriber)
    page = client.get(url).content.decode()
    assert 'value="export"' not in page and 'value="delete"' not in page
    assert 'value="send_manage_link"' in page
    response = client.post(url, {"action": "export"})
    assert response.status_code == 403
    assert not response["Content-Type"].startswith("application/json")
    response = client.post(url, {"action": "delete", "confirm": "on"})
    assert response.status_code == 403
    assert Subscriber.objects.filter(id=subscriber.id).exists()

    response = client.post(url, {"action": "send_manage_link"})
    assert response["Location"] == f"{url}?done=link_sent"
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert "It works for 60 minutes." in mailoutbox[0].body
    manage = link_from(mailoutbox[0], "manage")
    response = client.post(manage, {"action": "export"})
    assert json.loads(response.content)["email"] == "alice@example.com"


def test_the_export_and_erase_link_works_for_an_hour(client, categories, settings):
    settings.MANAGE_LINK_MAX_AGE_MINUTES = 60
    subscriber = SubscriberFactory(email="alice@example.com")
    with time_machine.travel("2026-01-01 08:00 +0000", tick=False):
        url = manage_url(subscriber)
    with time_machine.travel("2026-01-01 08:59 +0000", tick=False):
        assert client.post(url, {"action": "export"}).status_code == 200
    with time_machine.travel("2026-01-01 09:01 +0000", tick=False):
        response = client.post(url, {"action": "delete", "confirm": "on"})
        assert response.status_code == 403
        assert 'value="send_link"' in response.content.decode()
        assert client.post(url, {"action": "export"}).status_code == 403
    assert Subscriber.objects.filter(id=subscriber.id).exists()


def test_forged_and_cross_purpose_tokens_are_refused(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    manage = token_for(subscriber, tokens.MANAGE)
    cases = [
        ("manage", token_for(subscriber, tokens.PREFERENCES), 400),
        ("manage", token_for(subscriber, tokens.UNSUBSCRIBE), 400),
        ("manage", token_for(subscriber, tokens.CONFIRM), 400),
        ("preferences", manage, 400),
        ("unsubscribe", manage, 400),
        ("confirm", manage, 400),
        ("manage", manage[:-1] + ("A" if manage[-1] != "A" else "B"), 400),
        ("manage", signing.dumps(subscriber.token_key, salt="elsewhere"), 400),
        ("manage", signing.dumps(subscriber.token_key), 400),
        ("manage", "garbage", 400),
        # Correctly signed for a key no row has (an erased subscriber's).
        ("manage", tokens.make_token("erased-subscriber-key", tokens.MANAGE), 404),
        # The old [id, email] shape never grants export or erase.
        ("manage", legacy_token(subscriber.id, subscriber.email, tokens.MANAGE), 403),
    ]
    for name, token, status in cases:
        url = reverse(f"subscribers:{name}", args=[token])
        response = client.post(url, {"action": "delete", "confirm": "on"})
        assert response.status_code == status, (name, token)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_pages_behind_links_are_never_cached(client, categories):
    subscriber = SubscriberFactory(
        email="alice@example.com", status=Subscriber.Status.PENDING
    )
    for name, purpose in [
        ("confirm", tokens.CONFIRM),
        ("preferences", tokens.PREFERENCES),
        ("manage", tokens.MANAGE),
        ("unsubscribe", tokens.UNSUBSCRIBE),
    ]:
        url = reverse(f"subscribers:{name}", args=[token_for(subscriber, purpose)])
        response = client.get(url)
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"], name


def test_a_choice_of_only_retired_categories_means_every_category(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    subscriber.categories.set(categories[:1])
    categories[0].is_active = False
    categories[0].save()
    page = client.get(prefs_url(subscriber)).content.decode()
    assert checked_boxes(page) == len(categories) - 1
