"""Subscription emails go through the outbox: a broker or relay that is down delays a
confirmation, never loses it, and nothing is sent twice."""

import datetime as dt
import socket
import time
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from config.celery import app
from subscribers import outbox, services, tasks
from subscribers.models import Subscriber, SubscriberEmail
from tests.factories import SubscriberFactory

from .conftest import link_from

ADDRESS = "alice@example.com"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker_down():
    """Tasks go to a broker on a port where nothing listens, as after a crash of
    Redis: publishing fails instead of running the task here. ``broker_back()``
    ends the outage (tasks run here again, as everywhere in the tests)."""
    keys = ("task_always_eager", "broker_url", "result_backend")
    saved = {key: app.conf[key] for key in keys}
    down = f"redis://127.0.0.1:{_closed_port()}/0"
    # The result backend too, as production has it (CELERY_RESULT_BACKEND defaults
    # to the broker): a send that waited on it would take 20 s to give up.
    app.conf.update(task_always_eager=False, broker_url=down, result_backend=down)
    _forget_connections()
    yield
    app.conf.update(saved)
    _forget_connections()


def _forget_connections() -> None:
    # The app keeps its producer pool and result backend once made: made for another
    # broker, they would not notice the change.
    app._pool = app._backend_cache = None
    app._local.__dict__.pop("backend", None)


def broker_back() -> None:
    app.conf.update(task_always_eager=True)


def sign_up(client, categories):
    return client.post(
        "/",
        {
            "email": ADDRESS,
            "language": "en",
            "website": "",
            "categories": [c.id for c in categories],
        },
        REMOTE_ADDR="203.0.113.7",
    )


def sweep_later(minutes: float) -> int:
    """Run the beat sweeper as it would run `minutes` from now."""
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes)):
        return tasks.sweep_subscriber_emails()


def received_by(sink, address: str) -> list:
    return sink.by_recipient().get(address, [])


def test_a_sign_up_while_the_broker_is_down_is_confirmed_once_it_is_back(
    client, categories, sink, broker_down
):
    started = time.monotonic()
    response = sign_up(client, categories)
    answered_in = time.monotonic() - started

    assert response.status_code == 302  # the neutral "check your email"
    assert answered_in < 5
    email = SubscriberEmail.objects.get()
    assert (email.kind, email.status, email.attempts) == ("confirm", "pending", 0)
    assert received_by(sink, ADDRESS) == []

    broker_back()
    assert sweep_later(minutes=1) == 0  # its own task may still be on the way
    assert sweep_later(minutes=3) == 1
    assert sweep_later(minutes=5) == 0

    [message] = received_by(sink, ADDRESS)
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")
    assert email.sent_at is not None
    # The link was signed when the email went out: it confirms.
    text = message.message.get_body(("plain",)).get_content()
    confirm = client.post(link_from(SimpleNamespace(body=text), "confirm"))
    assert confirm.status_code in (200, 302)
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE


def test_a_late_confirmation_link_is_valid_for_seven_days_from_sending(
    client, categories, broker_down, mailoutbox
):
    sign_up(client, categories)
    broker_back()
    later = timezone.now() + dt.timedelta(days=6)
    with time_machine.travel(later):
        tasks.sweep_subscriber_emails()
    [message] = mailoutbox

    with time_machine.travel(later + dt.timedelta(days=6)):
        client.post(link_from(message, "confirm"))

    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE


def test_sending_a_row_twice_sends_once(db, mailoutbox):
    subscriber = SubscriberFactory(email=ADDRESS, status=Subscriber.Status.PENDING)
    [email] = outbox.record([subscriber.id], SubscriberEmail.Kind.CONFIRM)

    assert outbox.send(email.id) == "sent"
    assert outbox.send(email.id) == ""  # e.g. a redelivered task message
    assert tasks.send_subscriber_email(email.id) == ""

    assert len(mailoutbox) == 1


def test_a_relay_refusing_for_now_is_retried_with_backoff_then_fails(
    db, sink, settings
):
    settings.SUBSCRIBER_EMAIL_MAX_ATTEMPTS = 3
    settings.SUBSCRIBER_EMAIL_RETRY_SECONDS = 60
    sink.refuse(ADDRESS, permanently=False)  # 451: try again later
    subscriber = SubscriberFactory(email=ADDRESS, status=Subscriber.Status.PENDING)
    [email] = outbox.record([subscriber.id], SubscriberEmail.Kind.CONFIRM)
    start = timezone.now()

    def at(seconds: int) -> int:
        with time_machine.travel(start + dt.timedelta(seconds=seconds)):
            return tasks.sweep_subscriber_emails()

    outbox.send(email.id)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 1)
    assert "451" in email.last_error
    assert at(30) == 0  # waits its first backoff (60 s)
    assert at(61) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 2)
    assert at(61 + 100) == 0  # the second backoff is twice as long
    assert at(61 + 121) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 3)
    assert at(3600) == 0
    assert received_by(sink, ADDRESS) == []


def test_a_relay_refusing_the_address_for_good_fails_at_once(db, sink):
    sink.refuse(ADDRESS)  # 550
    subscriber = SubscriberFactory(email=ADDRESS, status=Subscriber.Status.PENDING)
    [email] = outbox.record([subscriber.id], SubscriberEmail.Kind.CONFIRM)

    assert outbox.send(email.id) == "failed"
    assert sweep_later(minutes=90) == 0

    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 1)
    assert "550" in email.last_error


def test_a_claim_whose_worker_died_is_sent_again(db, mailoutbox):
    subscriber = SubscriberFactory(email=ADDRESS, status=Subscriber.Status.PENDING)
    [email] = outbox.record([subscriber.id], SubscriberEmail.Kind.CONFIRM)
    SubscriberEmail.objects.filter(id=email.id).update(
        status="sending", claimed_at=timezone.now(), attempts=1
    )

    assert sweep_later(minutes=5) == 0  # it may still be sending
    assert sweep_later(minutes=11) == 1

    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 2)
    assert len(mailoutbox) == 1


def test_a_confirmation_for_an_address_confirmed_meanwhile_is_not_sent(db, mailoutbox):
    subscriber = SubscriberFactory(email=ADDRESS, status=Subscriber.Status.PENDING)
    [email] = outbox.record([subscriber.id], SubscriberEmail.Kind.CONFIRM)
    Subscriber.objects.filter(id=subscriber.id).update(status="active")

    assert outbox.send(email.id) == "skipped"
    assert mailoutbox == []


def test_erasing_the_subscriber_erases_what_was_queued(db):
    subscriber = SubscriberFactory(email=ADDRESS, status=Subscriber.Status.PENDING)
    outbox.record([subscriber.id], SubscriberEmail.Kind.CONFIRM)

    services.delete_subscriber(subscriber.id)

    assert not SubscriberEmail.objects.exists()


def one_waiting_and_one_refused(sink) -> None:
    sink.refuse("bob@example.com")
    alice = SubscriberFactory(email=ADDRESS, status=Subscriber.Status.PENDING)
    bob = SubscriberFactory(email="bob@example.com", status=Subscriber.Status.PENDING)
    outbox.record([alice.id], SubscriberEmail.Kind.CONFIRM)
    [refused] = outbox.record([bob.id], SubscriberEmail.Kind.CONFIRM)
    outbox.send(refused.id)


def test_staff_see_waiting_and_failed_emails_on_healthz(admin_client, client, sink):
    one_waiting_and_one_refused(sink)

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        staff = admin_client.get("/healthz").json()
        anonymous = client.get("/healthz").json()

    assert staff["subscriber_emails"].startswith(
        "1 waiting, 1 failed in the last 7 days; the oldest waiting for 3"
    )
    assert anonymous == {"status": "ok"}


def test_the_admin_front_page_counts_waiting_and_failed_emails(
    admin_client, defaults, sink
):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    front = admin_client.get("/admin/").content.decode()
    assert "Subscription emails:" not in front  # nothing to say

    one_waiting_and_one_refused(sink)
    front = admin_client.get("/admin/").content.decode()

    assert "Subscription emails:" in front
    changelist = "/admin/subscribers/subscriberemail/"
    assert f'{changelist}?status__in=pending,sending">1 waiting to be sent</a>' in front
    assert f'{changelist}?status__exact=failed">1 failed in the last 7 days' in front
    assert admin_client.get(f"{changelist}?status__exact=failed").status_code == 200
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ko"
    korean = admin_client.get("/admin/").content.decode()
    assert "구독 안내 메일:" in korean and "발송 대기 1건" in korean
