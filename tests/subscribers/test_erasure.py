"""Erasing a subscriber leaves no copy of the address in the admin history or in
tracking events."""

from anymail.signals import AnymailTrackingEvent, tracking
from django.contrib.admin.models import LogEntry
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from subscribers import services, tokens
from subscribers.models import Subscriber, TrackingEvent
from tests.factories import SubscriberFactory
from tests.subscribers.conftest import token_for

ADDRESS = "alice@example.com"


def traces(address=ADDRESS):
    return LogEntry.objects.filter(
        Q(object_repr__icontains=address) | Q(change_message__icontains=address)
    )


def edit_in_admin(admin_client, subscriber, **changes):
    data = {
        "email": subscriber.email,
        "status": subscriber.status,
        "language": "en",
        "categories": [],
        **changes,
    }
    url = reverse("admin:subscribers_subscriber_change", args=[subscriber.id])
    assert admin_client.post(url, data).status_code == 302


def test_erasing_scrubs_the_admin_history(admin_client, categories):
    subscriber = SubscriberFactory(email=ADDRESS)
    edit_in_admin(admin_client, subscriber)
    edit_in_admin(admin_client, subscriber, email="Alice@example.com")
    assert traces().count() == 2
    # Erasing needs the short-lived link emailed on request.
    url = reverse("subscribers:manage", args=[token_for(subscriber, tokens.MANAGE)])
    admin_client.post(url, {"action": "delete", "confirm": "on"})
    assert not Subscriber.objects.exists()
    assert not traces().exists()
    entries = LogEntry.objects.filter(object_id=str(subscriber.id))
    assert entries.count() == 2
    assert {e.object_repr for e in entries} == {f"erased subscriber #{subscriber.id}"}


def test_the_admins_delete_page_erases_and_scrubs_its_own_entry(admin_client, db):
    subscriber = SubscriberFactory(email=ADDRESS)
    edit_in_admin(admin_client, subscriber)
    url = reverse("admin:subscribers_subscriber_delete", args=[subscriber.id])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Subscriber.objects.exists()
    assert not traces().exists()
    assert LogEntry.objects.filter(object_id=str(subscriber.id)).count() == 2


def test_the_admins_bulk_delete_erases_and_scrubs(admin_client, db):
    subscriber = SubscriberFactory(email=ADDRESS)
    other = SubscriberFactory(email="bob@example.com")
    admin_client.post(
        reverse("admin:subscribers_subscriber_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [subscriber.id],
            "post": "yes",
        },
    )
    assert list(Subscriber.objects.all()) == [other]
    assert not traces().exists()
    assert LogEntry.objects.filter(object_id=str(subscriber.id)).exists()


def test_other_subscribers_history_is_left_alone(admin_client, categories):
    subscriber = SubscriberFactory(email=ADDRESS)
    other = SubscriberFactory(email="bob@example.com")
    edit_in_admin(admin_client, other)
    services.delete_subscriber(subscriber.id)
    assert LogEntry.objects.get().object_repr == "bob@example.com"


def test_erasing_drops_tracking_events_keyed_by_the_address(db):
    subscriber = SubscriberFactory(email=ADDRESS)
    for event_id in (None, "e-1"):  # no id: the key is a hash over the address
        event = AnymailTrackingEvent(
            event_type="complained",
            event_id=event_id,
            recipient=ADDRESS,
            timestamp=timezone.now(),
            message_id="m-1",
            esp_event={},
        )
        tracking.send(sender=object, event=event, esp_name="Mailgun")
    assert subscriber.tracking_events.count() == 2
    services.delete_subscriber(subscriber.id)
    event = TrackingEvent.objects.get()  # the ESP's id still deduplicates retries
    assert event.event_id == "Mailgun:e-1"
    assert event.subscriber is None
