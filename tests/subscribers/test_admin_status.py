"""A subscriber's status changes only through the guarded paths, never the form.

The attack: a staff user with only change_subscriber sets a complained address
back to active in the change form; an added address starts active unconfirmed.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from subscribers.models import Subscriber
from tests.factories import SubscriberFactory
from tests.subscribers.conftest import link_from

# The admin's words are asserted in English.
pytestmark = pytest.mark.usefixtures("english_admin")

CHANGELIST = "admin:subscribers_subscriber_changelist"


def _staff(django_user_model, client, codenames: list[str]):
    user = django_user_model.objects.create_user("desk", password=None)
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def _change_form_post(subscriber: Subscriber, **fields) -> dict:
    return {
        "email": subscriber.email,
        "language": subscriber.language,
        "frequency": subscriber.frequency,
        "status": Subscriber.Status.ACTIVE,
        "categories": [],
        **fields,
    }


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Subscriber.Status.COMPLAINED, "complaint"),
        (Subscriber.Status.BOUNCED, "bounce"),
        (Subscriber.Status.UNSUBSCRIBED, "admin"),
    ],
)
def test_the_change_form_cannot_revive_a_held_address(
    client, django_user_model, categories, postgres, status, reason
):
    held = SubscriberFactory(
        email="held@example.com", status=status, unsubscribe_reason=reason
    )
    desk = _staff(django_user_model, client, ["view_subscriber", "change_subscriber"])
    url = reverse("admin:subscribers_subscriber_change", args=[held.id])

    page = desk.get(url).content.decode()
    response = desk.post(url, _change_form_post(held))

    assert 'name="status"' not in page
    assert response.status_code == 302  # the other fields saved, status ignored
    held.refresh_from_db()
    assert held.status == status
    assert not Subscriber.objects.receiving().exists()


def test_lifting_needs_the_permission_and_then_a_new_confirmation(
    client, django_user_model, categories, mailoutbox
):
    held = SubscriberFactory(
        email="held@example.com",
        status=Subscriber.Status.COMPLAINED,
        unsubscribe_reason="complaint",
    )
    desk = _staff(django_user_model, client, ["view_subscriber", "change_subscriber"])
    action = {"action": "lift_suppression", "_selected_action": [held.id]}

    desk.post(reverse(CHANGELIST), action)
    held.refresh_from_db()
    assert held.status == Subscriber.Status.COMPLAINED

    lifter = Permission.objects.get(codename="lift_suppression")
    django_user_model.objects.get(username="desk").user_permissions.add(lifter)
    desk.post(reverse(CHANGELIST), action)
    held.refresh_from_db()
    assert held.status == Subscriber.Status.UNSUBSCRIBED  # not active: not mailed
    assert not Subscriber.objects.receiving().exists()
    assert mailoutbox == []


def _add(client, categories, **fields):
    data = {
        "email": "new@example.com",
        "language": "ko",
        "categories": [categories[0].id],
        **fields,
    }
    return client.post(reverse("admin:subscribers_subscriber_add"), data)


@pytest.mark.postgres
def test_an_address_added_by_hand_waits_for_its_confirmation(
    admin_client, categories, mailoutbox, django_capture_on_commit_callbacks, postgres
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _add(admin_client, categories, status=Subscriber.Status.ACTIVE)

    assert response.status_code == 302
    added = Subscriber.objects.get(email="new@example.com")
    assert added.status == Subscriber.Status.PENDING
    assert added.consent_evidence == ""
    assert [m.to for m in mailoutbox] == [["new@example.com"]]
    confirm = link_from(mailoutbox[0], "confirm")
    admin_client.post(confirm)
    added.refresh_from_db()
    assert added.status == Subscriber.Status.ACTIVE


def test_recorded_consent_makes_an_added_address_active_without_email(
    admin_client, categories, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _add(
            admin_client,
            categories,
            has_consent="on",
            consent_note="Signed the paper form at the May meetup",
        )

    added = Subscriber.objects.get(email="new@example.com")
    assert added.status == Subscriber.Status.ACTIVE
    assert added.confirmed_at is not None
    assert "Signed the paper form at the May meetup" in added.consent_evidence
    assert "recorded by admin" in added.consent_evidence
    assert mailoutbox == []


def test_consent_ticked_without_evidence_is_refused(
    admin_client, categories, mailoutbox
):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # asserts the English words
    response = _add(admin_client, categories, has_consent="on", consent_note=" ")

    assert response.status_code == 200
    assert "Say where and when they agreed." in response.content.decode()
    assert not Subscriber.objects.exists()
