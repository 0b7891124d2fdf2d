import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from newsletter.models import Digest
from subscribers import tokens
from subscribers.models import Subscriber
from tests.subscribers.conftest import link_from, make_subscriber, token_for


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


def test_confirmation_link_activates_and_shows_the_chosen_categories(
    client, categories, mailoutbox
):
    subscribe(client, "alice@example.com", categories[1:3])
    response = client.get(link_from(mailoutbox[0], "confirm"))
    assert response.status_code == 200
    page = response.content.decode()
    for category in categories[1:3]:
        assert escape(category.name) in page
    assert escape(categories[0].name) not in page
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.confirmed_at is not None
    assert Subscriber.objects.receiving().filter(id=subscriber.id).exists()


def test_confirmation_sends_one_welcome_email_with_the_latest_digest(
    client, categories, mailoutbox
):
    Digest.objects.create(date="2024-11-08", status=Digest.Status.SENT)
    Digest.objects.create(date="2024-11-09", status=Digest.Status.SENT)
    Digest.objects.create(date="2024-11-10", status=Digest.Status.READY)
    subscribe(client, "alice@example.com", categories)
    link = link_from(mailoutbox[0], "confirm")
    client.get(link)
    client.get(link)  # a second click (or a mail scanner) changes nothing
    assert len(mailoutbox) == 2
    welcome = mailoutbox[1]
    assert welcome.subject == "Welcome to Daily AI Insights"
    assert "/digests/2024-11-09/" in welcome.body
    assert "/preferences/" in welcome.body
    assert (
        welcome.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )


def test_tampered_confirmation_token_changes_nothing(client, categories, mailoutbox):
    subscribe(client, "alice@example.com", categories)
    link = link_from(mailoutbox[0], "confirm")
    token = link.split("/")[2]
    tampered = token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb")
    response = client.get(reverse("subscribers:confirm", args=[tampered]))
    assert response.status_code == 400
    assert (
        "이 링크는 사용할 수 없습니다" in response.content.decode()
    )  # Korean by default
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_token_for_another_purpose_cannot_confirm(client, categories):
    subscriber = make_subscriber(status=Subscriber.Status.PENDING)
    for purpose in (tokens.PREFERENCES, tokens.UNSUBSCRIBE):
        response = client.get(
            reverse("subscribers:confirm", args=[token_for(subscriber, purpose)])
        )
        assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_confirmation_link_expires_after_a_week(client, categories):
    subscriber = make_subscriber(status=Subscriber.Status.PENDING)
    token = token_for(subscriber, tokens.CONFIRM)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=8)):
        response = client.get(reverse("subscribers:confirm", args=[token]))
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_confirmation_link_for_an_erased_subscriber_is_not_found(client, categories):
    subscriber = make_subscriber(status=Subscriber.Status.PENDING)
    token = token_for(subscriber, tokens.CONFIRM)
    subscriber.delete()
    response = client.get(reverse("subscribers:confirm", args=[token]))
    assert response.status_code == 404
    assert "구독 정보를 찾을 수 없습니다" in response.content.decode()


def test_old_confirmation_link_cannot_undo_an_unsubscribe(client, categories):
    subscriber = make_subscriber(status=Subscriber.Status.PENDING)
    token = token_for(subscriber, tokens.CONFIRM)
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1)):
        client.get(reverse("subscribers:confirm", args=[token]))
        subscriber.refresh_from_db()
        assert subscriber.status == Subscriber.Status.ACTIVE
        client.post(
            reverse(
                "subscribers:unsubscribe",
                args=[token_for(subscriber, tokens.UNSUBSCRIBE)],
            )
        )
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=2)):
        response = client.get(reverse("subscribers:confirm", args=[token]))
    assert response.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_markup_in_category_names_is_escaped_on_pages_and_in_emails(
    client, categories, mailoutbox
):
    hostile = categories[0]
    hostile.name = '<script>alert("c")</script>'
    hostile.save()
    assert "<script>alert" not in client.get("/").content.decode()
    subscribe(client, "alice@example.com", [hostile, categories[1]])
    confirm_page = client.get(link_from(mailoutbox[0], "confirm")).content.decode()
    assert "<script>alert" not in confirm_page
    assert "&lt;script&gt;" in confirm_page
    for message in mailoutbox:
        assert "<script>alert" not in message.alternatives[0][0]


def test_welcome_links_to_a_papers_only_day_with_its_edition(
    client, categories, mailoutbox
):
    Digest.objects.create(
        date="2024-11-09", edition=Digest.Edition.PAPERS, status=Digest.Status.SENT
    )
    subscribe(client, "alice@example.com", categories)
    client.get(link_from(mailoutbox[0], "confirm"))
    assert "/digests/2024-11-09/?edition=papers" in mailoutbox[1].body
