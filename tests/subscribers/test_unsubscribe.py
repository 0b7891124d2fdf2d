import re

from django.test import Client
from django.urls import reverse

from subscribers import services, tokens
from subscribers.models import Subscriber
from tests.factories import SubscriberFactory
from tests.subscribers.conftest import legacy_token, token_for


def unsubscribe_url(subscriber):
    return reverse(
        "subscribers:unsubscribe", args=[token_for(subscriber, tokens.UNSUBSCRIBE)]
    )


def tampered(token):
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def one_click_url(subscriber):
    return reverse(
        "subscribers:one_click", args=[token_for(subscriber, tokens.UNSUBSCRIBE)]
    )


def test_unsubscribe_get_only_shows_a_button(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    response = client.get(unsubscribe_url(subscriber))
    assert response.status_code == 200
    assert '<button type="submit">' in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_unsubscribe_post_unsubscribes_and_offers_resubscribe(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    token = token_for(subscriber, tokens.UNSUBSCRIBE)
    response = client.post(reverse("subscribers:unsubscribe", args=[token]))
    assert response.status_code == 200
    page = response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_reason == "user"
    assert not Subscriber.objects.receiving().filter(id=subscriber.id).exists()
    resubscribe = reverse("subscribers:resubscribe", args=[token])
    assert resubscribe in page
    client.post(resubscribe)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_unsubscribe_needs_csrf(categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    response = Client(enforce_csrf_checks=True).post(unsubscribe_url(subscriber))
    assert response.status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_one_click_post_without_csrf_unsubscribes_and_is_idempotent(categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    strict = Client(enforce_csrf_checks=True)
    url = one_click_url(subscriber)
    first = strict.post(
        url,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    subscriber.refresh_from_db()
    stamp = subscriber.unsubscribed_at
    second = strict.post(
        url,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert first.status_code == second.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_reason == "one-click"
    assert subscriber.unsubscribed_at == stamp  # the repeat changed nothing


def test_one_click_get_changes_nothing(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    token = token_for(subscriber, tokens.UNSUBSCRIBE)
    response = client.get(reverse("subscribers:one_click", args=[token]))
    assert response.status_code == 302
    assert response["Location"] == reverse("subscribers:unsubscribe", args=[token])
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_one_click_with_a_bad_token_changes_nothing(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    for token in (
        token_for(subscriber, tokens.PREFERENCES),
        tampered(token_for(subscriber, tokens.UNSUBSCRIBE)),
        "garbage",
        "x" * 600,
    ):
        response = client.post(reverse("subscribers:one_click", args=[token]))
        assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_one_click_token_of_a_reused_id_does_not_touch_the_new_owner(
    client, categories
):
    subscriber = SubscriberFactory(email="alice@example.com")
    forged = legacy_token(subscriber.id, "old-owner@example.com", tokens.UNSUBSCRIBE)
    response = client.post(reverse("subscribers:one_click", args=[forged]))
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_modified_unsubscribe_token_shows_a_friendly_page(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    url = unsubscribe_url(subscriber).replace("/unsubscribe/", "/unsubscribe/A")
    response = client.post(url)
    assert response.status_code == 400
    assert "아무것도 바뀌지 않았습니다" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_unsubscribe_service_is_idempotent(categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    assert services.unsubscribe(subscriber.id) is True
    assert services.unsubscribe(subscriber.id) is False
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_unsubscribe_leaves_a_complaint_in_place(categories):
    subscriber = SubscriberFactory(
        email="alice@example.com", status=Subscriber.Status.COMPLAINED
    )
    assert services.unsubscribe(subscriber.id) is False
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED


def test_resubscribe_does_not_revive_a_bounced_address(client, categories):
    subscriber = SubscriberFactory(
        email="alice@example.com", status=Subscriber.Status.BOUNCED
    )
    url = reverse(
        "subscribers:resubscribe", args=[token_for(subscriber, tokens.UNSUBSCRIBE)]
    )
    response = client.post(url)
    assert response.status_code == 409
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED


def test_one_click_links_in_mail_sent_before_opaque_tokens_still_unsubscribe(
    client, categories
):
    subscriber = SubscriberFactory(email="alice@example.com")
    old = legacy_token(subscriber.id, subscriber.email, tokens.UNSUBSCRIBE)
    response = client.post(reverse("subscribers:one_click", args=[old]))
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_reason == "one-click"


def test_unsubscribe_pages_from_before_opaque_tokens_still_work(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    old = legacy_token(subscriber.id, subscriber.email, tokens.UNSUBSCRIBE)
    url = reverse("subscribers:unsubscribe", args=[old])
    assert '<button type="submit">' in client.get(url).content.decode()
    client.post(url)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_one_click_refuses_tokens_made_for_other_purposes(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    for purpose in (tokens.MANAGE, tokens.PREFERENCES, tokens.CONFIRM):
        for token in (
            token_for(subscriber, purpose),
            legacy_token(subscriber.id, subscriber.email, purpose),
        ):
            response = client.post(reverse("subscribers:one_click", args=[token]))
            assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_an_old_unsubscribe_page_leads_on_to_the_preferences_only_once(
    client, categories, mailoutbox
):
    """The attack: a forwarded email's unsubscribe link (it never expires) opened
    again and again, each time for a fresh 30-day preferences link."""
    subscriber = SubscriberFactory(email="alice@example.com")
    old_link = unsubscribe_url(subscriber)
    page = client.get(old_link).content.decode()
    onward = re.search(r'href="(/unsubscribe/[^"]+/preferences/)"', page).group(1)
    assert "/preferences/" not in page.replace(onward, "")  # no preferences token

    first = client.get(onward)
    assert first.status_code == 302
    assert first["Location"].startswith("http://")
    assert "/preferences/" in first["Location"]
    stranger = Client()
    again = stranger.get(onward)
    assert again.status_code == 410
    assert "/preferences/" not in again.get("Location", "")
    assert "send_link" in again.content.decode()
    # Opening the same unsubscribe link again offers the same, spent, way on.
    reloaded = stranger.get(old_link).content.decode()
    assert f'href="{onward}"' in reloaded

    stranger.post(onward, {"action": "send_link"})
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]  # on file only
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
