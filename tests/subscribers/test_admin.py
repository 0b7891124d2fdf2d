from django.urls import reverse

from newsletter.models import Delivery, Digest
from subscribers.models import DeletedDeliveryCount, Subscriber
from tests.factories import SubscriberFactory


def test_admin_lists_subscribers_and_erases_with_counts(admin_client, categories):
    alice = SubscriberFactory(email="alice@example.com")
    digest = Digest.objects.create(date="2024-11-09", status=Digest.Status.SENT)
    Delivery.objects.create(
        digest=digest, subscriber=alice, status=Delivery.Status.SENT
    )
    url = reverse("admin:subscribers_subscriber_changelist")
    assert "alice@example.com" in admin_client.get(url).content.decode()
    admin_client.post(url, {"action": "erase_selected", "_selected_action": [alice.id]})
    assert not Subscriber.objects.exists()
    assert DeletedDeliveryCount.objects.get(digest=digest, status="sent").count == 1


def test_admin_unsubscribe_action(admin_client, categories):
    bob = SubscriberFactory(email="bob@example.com")
    url = reverse("admin:subscribers_subscriber_changelist")
    admin_client.post(
        url, {"action": "unsubscribe_selected", "_selected_action": [bob.id]}
    )
    bob.refresh_from_db()
    assert bob.status == Subscriber.Status.UNSUBSCRIBED
    assert bob.unsubscribe_reason == "admin"
