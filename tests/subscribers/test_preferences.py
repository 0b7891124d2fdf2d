import json

from django.test import Client
from django.urls import reverse

from newsletter.models import Delivery, Digest
from subscribers import tokens
from subscribers.models import DeletedDeliveryCount, Subscriber, TrackingEvent
from tests.factories import SubscriberFactory
from tests.subscribers.conftest import token_for


def prefs_url(subscriber):
    return reverse(
        "subscribers:preferences", args=[token_for(subscriber, tokens.PREFERENCES)]
    )


def test_preferences_page_shows_current_choices(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com", language="en")
    subscriber.categories.set(categories[:2])
    page = client.get(prefs_url(subscriber)).content.decode()
    assert "alice@example.com" in page
    assert page.count("checked") == 2
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
    forged = tokens.make_token(
        subscriber.id, tokens.PREFERENCES, email="mallory@example.com"
    )
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
    response = client.post(prefs_url(subscriber), {"action": "export"})
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
    response = client.post(prefs_url(subscriber), {"action": "delete"})
    assert response.status_code == 400
    assert Subscriber.objects.filter(id=subscriber.id).exists()


def test_delete_me_erases_the_subscriber_and_keeps_only_counts(client, categories):
    subscriber, first, second = _with_history(categories)
    url = prefs_url(subscriber)
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
