import pytest
from django.urls import reverse
from django.utils.html import escape

from subscribers import services
from subscribers.models import Subscriber, SubscriberEmail
from tests.factories import SubscriberFactory
from tests.subscribers.conftest import checked_boxes, link_from

URL = "/"


def post(client, email="alice@example.com", categories=None, language="ko", **extra):
    data = {"email": email, "language": language, "website": "", **extra}
    data["categories"] = [c.id for c in categories] if categories else []
    return client.post(URL, data, REMOTE_ADDR=extra.pop("ip", "203.0.113.7"))


def test_signing_up_for_the_weekly_email_only_is_kept_until_confirmed(
    client, categories, mailoutbox
):
    assert (
        post(client, categories=categories[:1], frequency="weekly").status_code == 302
    )
    subscriber = Subscriber.objects.get(email="alice@example.com")
    assert subscriber.frequency == Subscriber.Frequency.WEEKLY
    assert subscriber.status == Subscriber.Status.PENDING
    assert len(mailoutbox) == 1


def test_a_sign_up_without_a_frequency_is_daily(client, categories):
    post(client, categories=categories[:1])
    assert Subscriber.objects.get().frequency == Subscriber.Frequency.DAILY


def test_subscribe_page_offers_every_digest_category_checked(client, categories):
    page = client.get(URL).content.decode()
    for category in categories:
        assert escape(category.name) in page
    assert checked_boxes(page) == len(categories)
    assert 'name="website"' in page  # the honeypot
    assert "csrfmiddlewaretoken" in page


def test_subscribe_creates_pending_subscriber_and_sends_confirmation(
    client, categories, mailoutbox
):
    response = post(client, "  Alice@Example.COM ", categories[:2], language="en")
    assert response.status_code == 302
    assert response["Location"] == reverse("subscribers:check_email")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "Alice@example.com"
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.language == "en"
    assert set(subscriber.categories.all()) == set(categories[:2])
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["Alice@example.com"]
    assert message.subject == "Confirm your Daily AI Insights subscription"
    assert "/confirm/" in message.body
    html = message.alternatives[0][0]
    assert "/confirm/" in html


def test_confirmation_email_is_in_korean_by_default(client, categories, mailoutbox):
    post(client, "minji@example.com", categories, language="ko")
    assert "구독" in mailoutbox[0].subject


def test_choosing_every_category_is_stored_as_all(client, categories):
    post(client, "bob@example.com", categories)
    assert Subscriber.objects.get().categories.count() == 0


def test_known_and_unknown_addresses_get_the_same_answer(
    client, categories, mailoutbox
):
    SubscriberFactory(email="known@example.com")
    known = post(client, "known@example.com", categories)
    unknown = post(client, "new@example.com", categories)
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    page_known = client.get(known["Location"]).content
    page_unknown = client.get(unknown["Location"]).content
    assert page_known == page_unknown


def test_active_subscriber_asking_again_gets_a_manage_email(
    client, categories, mailoutbox
):
    subscriber = SubscriberFactory(email="known@example.com", language="en")
    subscriber.categories.set(categories[:1])
    post(client, "KNOWN@example.com", categories[2:4])
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Manage your Daily AI Insights subscription"
    assert "/preferences/" in mailoutbox[0].body
    assert "/confirm/" not in mailoutbox[0].body
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert list(subscriber.categories.all()) == categories[:1]  # untouched
    assert Subscriber.objects.count() == 1


def test_honeypot_submission_stores_and_sends_nothing(client, categories, mailoutbox):
    response = post(
        client, "bot@example.com", categories, website="http://spam.example"
    )
    assert response.status_code == 302
    assert Subscriber.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.parametrize(
    "email",
    [
        "not-an-address",
        "alice@example.com\r\nBcc: victim@example.com",
        "alice@example.com\n",
        "alice@exa mple.com",
        "a" * 250 + "@example.com",
        "<script>@example.com",
    ],
)
def test_invalid_addresses_are_refused_with_a_message(
    client, categories, mailoutbox, email
):
    response = post(client, email, categories)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert Subscriber.objects.count() == 0
    assert mailoutbox == []


def test_form_escapes_what_the_visitor_typed(client, categories):
    response = post(client, '"><script>alert(1)</script>', categories)
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_no_category_chosen_is_an_error(client, categories, mailoutbox):
    response = post(client, "alice@example.com", [])
    assert response.status_code == 200
    assert Subscriber.objects.count() == 0
    assert mailoutbox == []


def test_post_without_csrf_token_is_refused(categories, mailoutbox):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        URL,
        {"email": "a@example.com", "language": "ko", "categories": [categories[0].id]},
    )
    assert response.status_code == 403
    assert Subscriber.objects.count() == 0


def test_per_address_rate_limit_stops_emails_but_not_the_answer(
    client, categories, mailoutbox, settings
):
    settings.SUBSCRIBE_RATE_PER_ADDRESS = 2
    responses = [
        post(client, "alice@example.com", categories, ip=f"198.51.100.{i}")
        for i in range(5)
    ]
    assert {r.status_code for r in responses} == {302}
    assert len(mailoutbox) == 2


def test_per_ip_rate_limit_applies_across_addresses(
    client, categories, mailoutbox, settings
):
    settings.SUBSCRIBE_RATE_PER_IP = 3
    for i in range(6):
        post(client, f"user{i}@example.com", categories, ip="192.0.2.1")
    assert len(mailoutbox) == 3
    assert Subscriber.objects.count() == 3
    post(client, "other@example.com", categories, ip="192.0.2.2")
    assert len(mailoutbox) == 4


def test_unsubscribed_address_subscribing_again_gets_a_new_confirmation(
    client, categories, mailoutbox
):
    SubscriberFactory(email="gone@example.com", status=Subscriber.Status.UNSUBSCRIBED)
    post(client, "gone@example.com", categories[:1], language="en")
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED  # until confirmed
    assert mailoutbox[0].subject == "Confirm your Daily AI Insights subscription"
    link = link_from(mailoutbox[0], "confirm")
    client.get(link)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED  # opening is not enough
    assert len(mailoutbox) == 1
    client.post(link)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert len(mailoutbox) == 2  # the welcome email
    assert list(subscriber.categories.all()) == categories[:1]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Bob@Example.COM ", "Bob@example.com"),
        ("kim@EXAMPLE.co.kr", "kim@example.co.kr"),
    ],
)
def test_normalize_email(raw, expected):
    assert services.normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["a@b.com\nX: y", "a@b.com\r", "no-at-sign", "", "a@\x00b.com"]
)
def test_normalize_email_refuses(raw):
    with pytest.raises(ValueError):
        services.normalize_email(raw)


def test_subscribe_service_refuses_header_injection(categories, mailoutbox):
    with pytest.raises(ValueError):
        services.subscribe(
            "a@example.com\nBcc: b@example.com", categories=None, language="ko"
        )
    assert Subscriber.objects.count() == 0
    assert mailoutbox == []


def test_behind_a_proxy_the_configured_header_is_the_client(
    client, categories, mailoutbox, settings
):
    settings.SUBSCRIBE_RATE_PER_IP = 1
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for i, ip in enumerate(["198.51.100.1", "198.51.100.2", "198.51.100.2"]):
        client.post(
            URL,
            {
                "email": f"p{i}@example.com",
                "language": "ko",
                "website": "",
                "categories": [categories[0].id],
            },
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_REAL_IP=ip,
        )
    assert (
        len(mailoutbox) == 2
    )  # two visitors behind one proxy, the second over its limit


def test_mail_server_down_still_gives_the_neutral_answer_and_keeps_the_email(
    client, categories, settings
):
    import socket

    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        port,
        2,
    )
    response = post(client, "alice@example.com", categories)
    assert response.status_code == 302
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    # Kept for the sweeper's next try (tests/subscribers/test_outbox.py).
    email = SubscriberEmail.objects.get()
    assert (email.kind, email.status, email.attempts) == ("confirm", "pending", 1)
    assert "Connection refused" in email.last_error


@pytest.mark.parametrize(
    "raw", ["user@[127.0.0.1]", "user@[IPv6:::1]", "user@127.0.0.1", "user@[::1]"]
)
def test_normalize_email_refuses_ip_literals(raw):
    with pytest.raises(services.IpLiteralAddress):
        services.normalize_email(raw)


@pytest.mark.parametrize(
    "raw",
    ["kim@한국.kr", "kim@XN--3E0B707E.kr", "kim@xn--3e0b707e.kr", "kim@한국.KR."],
)
def test_normalize_email_stores_an_idn_domain_as_punycode(raw):
    assert services.normalize_email(raw) == "kim@xn--3e0b707e.kr"


def test_normalize_email_refuses_an_invalid_idn_domain():
    with pytest.raises(ValueError):
        services.normalize_email("kim@xn--zz.kr")


def test_sign_up_at_an_ip_literal_gets_a_clear_error_and_sends_nothing(
    client, categories, mailoutbox
):
    response = post(client, "root@[127.0.0.1]", categories)
    assert response.status_code == 200
    assert (
        "IP 주소가 아닌 도메인 이름으로 된 주소를 입력하세요."
        in response.content.decode()
    )
    assert not Subscriber.objects.exists()
    assert mailoutbox == []
    with pytest.raises(ValueError):
        services.subscribe("root@[127.0.0.1]", categories=None, language="ko")
    assert not Subscriber.objects.exists()


def test_an_idn_domain_and_its_punycode_are_one_subscriber(
    client, categories, mailoutbox
):
    post(client, "kim@한국.kr", categories, ip="198.51.100.1")
    post(client, "kim@xn--3e0b707e.kr", categories, ip="198.51.100.2")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "kim@xn--3e0b707e.kr"
    assert [m.to for m in mailoutbox] == [["kim@xn--3e0b707e.kr"]] * 2


def test_a_bounce_reported_with_the_unicode_domain_finds_the_subscriber(categories):
    subscriber = SubscriberFactory(email="kim@xn--3e0b707e.kr")
    services.record_bounce("kim@한국.kr", kind="hard", event_id="b-1")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED


@pytest.mark.parametrize(
    "address",
    [
        "root@localhost",
        "kim@printer.local",
        "kim@mail.test",
        "kim@nowhere.invalid",
        "kim@site.example",
        "kim@LOCALHOST.",
    ],
)
def test_sign_up_at_a_reserved_or_local_domain_is_refused_and_sends_nothing(
    client, categories, mailoutbox, address
):
    response = post(client, address, categories)

    assert response.status_code == 200
    assert (
        "이 도메인의 주소로는 이메일을 보낼 수 없습니다." in response.content.decode()
    )
    assert not Subscriber.objects.exists()
    assert mailoutbox == []
    with pytest.raises(services.ReservedDomainAddress):
        services.subscribe(address, categories=None, language="ko")
    assert not Subscriber.objects.exists()
