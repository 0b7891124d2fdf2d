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
        "frequency": "daily",
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


def _copies_of(address: str) -> list[str]:
    """Every stored text outside the subscriber row that still names the address."""
    from newsletter.models import DigestEvent
    from subscribers.models import SubscriberImport

    found = [e.detail for e in DigestEvent.objects.all() if address in e.detail.lower()]
    for job in SubscriberImport.objects.all():
        if (
            address in str(job.report).lower()
            or address.encode() in bytes(job.data).lower()
        ):
            found.append(job.file_name)
    return found


def test_erasing_scrubs_the_digest_history_and_import_reports(client, categories):
    from newsletter import audit
    from newsletter.desk import preview
    from subscribers.models import SubscriberImport
    from tests.factories import DigestFactory

    alice = SubscriberFactory(email="Alice@Example.com")
    digest = DigestFactory()
    reader = preview.Reader.of(alice).describe()
    audit.record(
        digest, audit.Action.TEST_SENT, detail=f"to ed@example.com as {reader}"
    )
    skipped = {"line": 3, "email": "alice@example.com", "reason": "suppressed"}
    done = SubscriberImport.objects.create(
        file_name="may.csv",
        status=SubscriberImport.Status.DONE,
        report={"created": 1, "skipped": [skipped]},
    )
    waiting = SubscriberImport.objects.create(
        file_name="june.csv", data=b"email\nbob@example.com\nALICE@example.com\n"
    )
    assert len(_copies_of("alice@example.com")) == 3

    services.delete_subscriber(alice.id)

    assert _copies_of("alice@example.com") == []
    label = f"erased subscriber #{alice.id}"
    event = digest.events.get()
    assert event.detail.startswith(f"to ed@example.com as {label} (")
    done.refresh_from_db()
    assert done.report["skipped"] == [{**skipped, "email": label}]
    waiting.refresh_from_db()
    assert bytes(waiting.data) == f"email\nbob@example.com\n{label}\n".encode()


def test_signing_up_again_after_erasure_needs_a_new_confirmation(
    client, categories, mailoutbox
):
    alice = SubscriberFactory(email=ADDRESS)
    services.delete_subscriber(alice.id)

    services.subscribe(ADDRESS, categories=None, language="en")

    again = Subscriber.objects.get(email=ADDRESS)
    assert again.status == Subscriber.Status.PENDING
    assert not Subscriber.objects.receiving().exists()
    assert [m.to for m in mailoutbox] == [[ADDRESS]]
    assert "/confirm/" in mailoutbox[0].body


def test_the_daily_purge_erases_only_stale_unconfirmed_sign_ups(categories, settings):
    from django_celery_beat.models import PeriodicTask

    from subscribers import jobs

    settings.UNCONFIRMED_SIGNUP_MAX_AGE_DAYS = 30
    old = timezone.now() - timezone.timedelta(days=31)
    stale = SubscriberFactory(status=Subscriber.Status.PENDING, created_at=old)
    fresh = SubscriberFactory(
        status=Subscriber.Status.PENDING,
        created_at=timezone.now() - timezone.timedelta(days=29),
    )
    confirmed = SubscriberFactory(created_at=old)
    stopped = SubscriberFactory(
        status=Subscriber.Status.UNSUBSCRIBED, created_at=old, unsubscribe_reason="user"
    )

    assert jobs.purge_unconfirmed_signups.delay().get() == 1

    assert set(Subscriber.objects.values_list("id", flat=True)) == {
        fresh.id,
        confirmed.id,
        stopped.id,
    }
    assert not Subscriber.objects.filter(id=stale.id).exists()
    beat = PeriodicTask.objects.get(task="subscribers.jobs.purge_unconfirmed_signups")
    assert beat.enabled and beat.crontab.hour == "3"
