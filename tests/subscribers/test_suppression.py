"""A stop the person did not choose (bounce, complaint, ESP, admin) holds until an
admin lifts it: no old link, sign-up or confirmation brings the address back."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from subscribers import emails, services, tokens
from subscribers.models import Subscriber
from tests.factories import SubscriberFactory
from tests.subscribers.conftest import link_from, token_for

HELD = [
    (Subscriber.Status.UNSUBSCRIBED, "admin"),
    (Subscriber.Status.UNSUBSCRIBED, "esp"),
    (Subscriber.Status.BOUNCED, "bounce"),
    (Subscriber.Status.COMPLAINED, "complaint"),
]
CHANGELIST = reverse("admin:subscribers_subscriber_changelist")


def held(status, reason):
    return SubscriberFactory(
        email="alice@example.com",
        status=status,
        unsubscribe_reason=reason,
        unsubscribed_at=timezone.now() - timedelta(days=1),
    )


def sign_up(client, email, categories):
    return client.post(
        "/",
        {
            "email": email,
            "language": "ko",
            "website": "",
            "categories": [c.id for c in categories],
        },
    )


def assert_still_held(subscriber, status, reason):
    subscriber.refresh_from_db()
    assert subscriber.status == status
    assert subscriber.unsubscribe_reason == reason
    assert not Subscriber.objects.receiving().filter(id=subscriber.id).exists()


@pytest.mark.parametrize(("status", "reason"), HELD)
def test_old_resubscribe_link_does_not_undo_a_held_stop(
    client, categories, mailoutbox, status, reason
):
    subscriber = held(status, reason)
    token = token_for(subscriber, tokens.UNSUBSCRIBE)
    response = client.post(reverse("subscribers:resubscribe", args=[token]))
    assert response.status_code == 409
    assert "운영자만 이 중단을 해제할 수 있습니다" in response.content.decode()
    assert services.resubscribe(subscriber.id, email=subscriber.email) is False
    assert_still_held(subscriber, status, reason)
    assert mailoutbox == []


@pytest.mark.parametrize(("status", "reason"), HELD)
def test_preferences_page_cannot_resubscribe_a_held_address(
    client, categories, status, reason
):
    subscriber = held(status, reason)
    url = reverse(
        "subscribers:preferences", args=[token_for(subscriber, tokens.PREFERENCES)]
    )
    page = client.get(url).content.decode()
    assert 'value="resubscribe"' not in page
    assert client.post(url, {"action": "resubscribe"}).status_code == 400
    assert_still_held(subscriber, status, reason)


@pytest.mark.parametrize(("status", "reason"), HELD)
def test_a_confirmation_link_does_not_reactivate_a_held_address(
    client, categories, mailoutbox, status, reason
):
    subscriber = held(status, reason)
    # Signed after the stop, so only the hold itself can refuse it.
    url = reverse("subscribers:confirm", args=[token_for(subscriber, tokens.CONFIRM)])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert_still_held(subscriber, status, reason)
    assert mailoutbox == []


@pytest.mark.parametrize(("status", "reason"), HELD)
def test_signing_up_a_held_address_sends_nothing_and_looks_the_same(
    client, categories, mailoutbox, status, reason
):
    subscriber = held(status, reason)
    fresh = sign_up(client, "new@example.com", categories)
    again = sign_up(client, "ALICE@example.com", categories)
    assert again.status_code == fresh.status_code == 302
    assert again["Location"] == fresh["Location"]
    assert [m.to for m in mailoutbox] == [["new@example.com"]]
    assert_still_held(subscriber, status, reason)


@pytest.mark.parametrize(("status", "reason"), HELD)
def test_a_queued_email_to_a_held_address_is_not_sent(
    categories, mailoutbox, status, reason
):
    subscriber = held(status, reason)
    for kind in ("confirm", "manage", "welcome"):
        assert emails.send_subscriber_email(subscriber.id, kind=kind) is False
    assert mailoutbox == []


@pytest.mark.parametrize("reason", ["user", "one-click"])
def test_the_persons_own_unsubscribe_can_be_undone(categories, reason):
    subscriber = held(Subscriber.Status.UNSUBSCRIBED, reason)
    assert services.resubscribe(subscriber.id, email=subscriber.email) is True
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def _staff(*codenames) -> User:
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="subscribers", codename__in=codenames
        )
    )
    return user


def test_lifting_needs_its_own_permission(client, categories):
    subscriber = held(Subscriber.Status.COMPLAINED, "complaint")
    client.force_login(_staff("view_subscriber", "change_subscriber"))
    page = client.get(CHANGELIST).content.decode()
    assert 'value="lift_suppression"' not in page
    client.post(
        CHANGELIST, {"action": "lift_suppression", "_selected_action": [subscriber.id]}
    )
    assert_still_held(subscriber, Subscriber.Status.COMPLAINED, "complaint")


def test_lifted_address_may_sign_up_again_through_confirmation(
    client, categories, mailoutbox
):
    subscriber = held(Subscriber.Status.COMPLAINED, "complaint")
    old_resubscribe = reverse(
        "subscribers:resubscribe", args=[token_for(subscriber, tokens.UNSUBSCRIBE)]
    )
    client.force_login(
        _staff("view_subscriber", "change_subscriber", "lift_suppression")
    )
    assert 'value="lift_suppression"' in client.get(CHANGELIST).content.decode()
    client.post(
        CHANGELIST, {"action": "lift_suppression", "_selected_action": [subscriber.id]}
    )
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_reason == "lifted"
    assert mailoutbox == []  # lifting sends nothing by itself
    client.logout()
    # Lifting is no consent: the old one-click link still does nothing.
    assert client.post(old_resubscribe).status_code == 409
    sign_up(client, subscriber.email, categories)
    assert len(mailoutbox) == 1
    client.post(link_from(mailoutbox[0], "confirm"))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_a_hard_bounce_after_the_persons_unsubscribe_holds_the_address(categories):
    subscriber = held(Subscriber.Status.UNSUBSCRIBED, "user")
    services.record_bounce(subscriber.email, kind="hard", event_id="late-bounce")
    assert services.resubscribe(subscriber.id, email=subscriber.email) is False
    assert_still_held(subscriber, Subscriber.Status.BOUNCED, "bounce")
