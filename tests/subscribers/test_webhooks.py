import base64
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from subscribers import services
from subscribers.models import Subscriber, TrackingEvent
from tests.factories import SubscriberFactory

URL = "/webhooks/anymail/postmark/tracking/"
AUTH = "hook:s3cret"


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.ESP = "postmark"
    settings.ANYMAIL = {"WEBHOOK_SECRET": AUTH}


def deliver(client, payload, auth=AUTH):
    headers = {}
    if auth:
        headers["HTTP_AUTHORIZATION"] = (
            "Basic " + base64.b64encode(auth.encode()).decode()
        )
    return client.post(
        URL, json.dumps(payload), content_type="application/json", **headers
    )


def bounce(
    event_id, email="alice@example.com", kind="HardBounce", at="2024-11-09T10:00:00Z"
):
    return {
        "RecordType": "Bounce",
        "Type": kind,
        "ID": event_id,
        "Email": email,
        "BouncedAt": at,
        "MessageID": f"msg-{event_id}",
        "Description": "test",
    }


def test_hard_bounce_suppresses_the_subscriber(client, db):
    subscriber = SubscriberFactory(email="alice@example.com")
    response = deliver(client, bounce(1, email="ALICE@example.com"))
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED
    assert subscriber.unsubscribe_reason == "bounce"
    assert not Subscriber.objects.receiving().filter(id=subscriber.id).exists()


def test_spam_complaint_suppresses_the_subscriber(client, db):
    subscriber = SubscriberFactory(email="alice@example.com")
    deliver(
        client,
        {
            "RecordType": "SpamComplaint",
            "Type": "SpamComplaint",
            "ID": 7,
            "Email": "alice@example.com",
            "BouncedAt": "2024-11-09T10:00:00Z",
        },
    )
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED


def test_webhook_without_the_secret_is_refused(client, db):
    subscriber = SubscriberFactory(email="alice@example.com")
    assert deliver(client, bounce(1), auth=None).status_code == 401
    assert deliver(client, bounce(1), auth="hook:wrong").status_code == 401
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert TrackingEvent.objects.count() == 0


def test_soft_bounces_suppress_only_after_the_limit(client, db, settings):
    settings.SOFT_BOUNCE_LIMIT = 3
    subscriber = SubscriberFactory(email="alice@example.com")
    deliver(client, bounce(1, kind="SoftBounce", at="2024-11-01T10:00:00Z"))
    deliver(client, bounce(2, kind="SoftBounce", at="2024-11-02T10:00:00Z"))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.soft_bounces == 2
    deliver(client, bounce(3, kind="SoftBounce", at="2024-11-03T10:00:00Z"))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED


def test_soft_bounces_outside_the_window_start_counting_again(db, settings):
    settings.SOFT_BOUNCE_LIMIT = 2
    settings.SOFT_BOUNCE_WINDOW_DAYS = 14
    subscriber = SubscriberFactory(email="alice@example.com")
    start = timezone.now() - timedelta(days=60)
    services.record_bounce(
        subscriber.email, kind="soft", event_id="a", occurred_at=start
    )
    services.record_bounce(
        subscriber.email,
        kind="soft",
        event_id="b",
        occurred_at=start + timedelta(days=30),
    )
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.soft_bounces == 1


def test_a_repeated_event_is_applied_once(client, db, settings):
    settings.SOFT_BOUNCE_LIMIT = 2
    subscriber = SubscriberFactory(email="alice@example.com")
    for _ in range(3):  # the ESP retries the same webhook
        assert deliver(client, bounce(99, kind="SoftBounce")).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.soft_bounces == 1
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert TrackingEvent.objects.filter(event_id="Postmark:99").count() == 1


def test_events_we_do_not_act_on_are_ignored(client, db):
    subscriber = SubscriberFactory(email="alice@example.com")
    deliver(
        client,
        {
            "RecordType": "Delivery",
            "ID": 5,
            "Recipient": "alice@example.com",
            "DeliveredAt": "2024-11-09T10:00:00Z",
            "MessageID": "m",
        },
    )
    deliver(
        client,
        {
            "RecordType": "Open",
            "Recipient": "alice@example.com",
            "ReceivedAt": "2024-11-09T10:00:00Z",
            "MessageID": "m",
        },
    )
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert TrackingEvent.objects.count() == 0


def test_bounce_for_an_unknown_address_is_recorded_and_harmless(client, db):
    assert deliver(client, bounce(8, email="nobody@example.com")).status_code == 200
    event = TrackingEvent.objects.get()
    assert event.subscriber is None
    assert event.event_type == "hard"


def test_malformed_webhook_body_changes_nothing(db):
    subscriber = SubscriberFactory(email="alice@example.com")
    client = Client(raise_request_exception=False)
    headers = {
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(AUTH.encode()).decode()
    }
    response = client.post(URL, "{not json", content_type="application/json", **headers)
    assert response.status_code == 400
    assert TrackingEvent.objects.count() == 0
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_complaint_after_unsubscribe_still_marks_complaint(db):
    subscriber = SubscriberFactory(
        email="alice@example.com", status=Subscriber.Status.UNSUBSCRIBED
    )
    services.record_bounce(subscriber.email, kind="complaint", event_id="c1")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED


def test_unknown_bounce_kind_is_an_error(db):
    with pytest.raises(ValueError):
        services.record_bounce("a@example.com", kind="maybe")


def _event(**fields):
    from anymail.signals import AnymailTrackingEvent

    defaults = {
        "event_type": "bounced",
        "recipient": "alice@example.com",
        "timestamp": timezone.now(),
        "message_id": "m-1",
        "esp_event": {},
    }
    return AnymailTrackingEvent(**{**defaults, **fields})


def test_events_without_an_id_are_deduplicated_by_content(db, settings):
    from anymail.signals import tracking

    settings.SOFT_BOUNCE_LIMIT = 5
    subscriber = SubscriberFactory(email="alice@example.com")
    event = _event(mta_response="452 4.2.2 Mailbox full")
    for _ in range(2):
        tracking.send(sender=object, event=event, esp_name="Mailgun")
    subscriber.refresh_from_db()
    assert subscriber.soft_bounces == 1
    assert TrackingEvent.objects.get().event_id.startswith("Mailgun:sha256:")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"event_type": "bounced", "mta_response": "550 5.1.1 no such user"}, "hard"),
        ({"event_type": "bounced", "esp_event": {"severity": "temporary"}}, "soft"),
        ({"event_type": "rejected", "reject_reason": "bounced"}, "hard"),
        ({"event_type": "rejected", "reject_reason": "spam"}, "complaint"),
        ({"event_type": "unsubscribed"}, "unsubscribe"),
        ({"event_type": "deferred"}, None),
        ({"event_type": "opened"}, None),
    ],
)
def test_bounce_kind_of_normalised_events(fields, expected):
    from subscribers.webhooks import bounce_kind

    assert bounce_kind(_event(**fields)) == expected


def test_esp_unsubscribe_event_stops_mail(db):
    from anymail.signals import tracking

    subscriber = SubscriberFactory(email="alice@example.com")
    tracking.send(
        sender=object,
        event=_event(event_type="unsubscribed", event_id="u1"),
        esp_name="SendGrid",
    )
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_reason == "esp"
