import datetime as dt
import re
import smtplib

import pytest
from django.utils import timezone

from newsletter import services, tasks
from newsletter.models import Category, Delivery, Digest
from newsletter.sending import ledger
from subscribers import tokens
from subscribers.models import Subscriber
from tests.newsletter.mail_fixtures import build_digest, reader


@pytest.fixture
def people(defaults):
    return {
        "alice": reader("alice@example.com", "llm"),
        "bob": reader("bob@example.com"),  # no choice: every category
        "carol": reader("carol@example.com", "robotics-agents"),  # nothing today
        "dave": reader("dave@example.com", status=Subscriber.Status.UNSUBSCRIBED),
        "erin": reader("erin@example.com", is_paused=True),
    }


def _parts(message):
    return {part.get_content_type(): part for part in message.walk()}


def test_each_reader_gets_only_their_categories_over_real_smtp(sink, people):
    digest = build_digest(slugs=("llm", "multimodal"))
    report = services.send_and_record(digest)

    assert (report.sent, report.skipped, report.failed, report.already_done) == (
        2,
        1,
        0,
        0,
    )
    received = sink.by_recipient()
    assert sorted(received) == ["alice@example.com", "bob@example.com"]

    alice = received["alice@example.com"][0].message
    parts = _parts(alice)
    assert alice.get_content_type() == "multipart/related"
    assert set(parts) >= {
        "multipart/alternative",
        "text/plain",
        "text/html",
        "image/png",
    }
    html = parts["text/html"].get_content()
    text = parts["text/plain"].get_content()
    assert "🧠 LLM" in html and "🌞 Multimodal" not in html
    assert "🧠 LLM" in text and "Multimodal\n" not in text
    cid = parts["image/png"]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert parts["image/png"].get_content().startswith(b"\x89PNG")

    alice_row = Subscriber.objects.get(email="alice@example.com")
    owner = alice_row.token_key
    one_click = re.fullmatch(
        r"<(http://127\.0\.0\.1:8000/unsubscribe/([^/]+)/one-click/)>, "
        r"<mailto:digest@localhost\?subject=unsubscribe>",
        alice["List-Unsubscribe"],
    )
    assert (
        one_click and tokens.read_token(one_click[2], tokens.UNSUBSCRIBE).key == owner
    )
    assert alice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert alice["List-Id"] == "Daily AI Insights <daily-ai-insights.localhost>"
    preferences = re.search(r"http://127\.0\.0\.1:8000/preferences/([^/]+)/", text)
    assert tokens.read_token(preferences[1], tokens.PREFERENCES).key == owner
    unsubscribe = re.search(
        r'href="http://127\.0\.0\.1:8000/unsubscribe/([^/]+)/"', html
    )
    assert tokens.read_token(unsubscribe[1], tokens.UNSUBSCRIBE).key == owner

    bob_html = _parts(received["bob@example.com"][0].message)["text/html"].get_content()
    assert "🧠 LLM" in bob_html and "🌞 Multimodal" in bob_html

    rows = {
        d.subscriber.email: d for d in Delivery.objects.select_related("subscriber")
    }
    assert set(rows) == {"alice@example.com", "bob@example.com", "carol@example.com"}
    assert rows["alice@example.com"].status == Delivery.Status.SENT
    assert rows["alice@example.com"].esp_message_id == alice["Message-ID"]
    alice_id = rows["alice@example.com"].id
    assert re.fullmatch(
        rf"<digest\.20260822\.{alice_id}\.[0-9a-f]{{12}}@localhost>",
        alice["Message-ID"],
    )
    assert rows["carol@example.com"].status == Delivery.Status.SKIPPED
    assert rows["carol@example.com"].error == ledger.NO_SECTION_REASON
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT and digest.sent_at is not None


def test_running_the_fan_out_twice_sends_nothing_the_second_time(sink, people):
    digest = build_digest(slugs=("llm",))
    first = services.send_and_record(digest)
    second = services.send_and_record(digest)
    assert first.sent == 2
    assert (second.sent, second.skipped, second.failed, second.already_done) == (
        0,
        0,
        0,
        3,
    )
    assert len(sink.received) == 2
    assert Delivery.objects.count() == 3
    # Someone who subscribes after the digest went out is not sent it by a re-run.
    reader("late@example.com", "llm")
    third = services.send_and_record(digest)
    assert (third.sent, third.already_done) == (0, 3)
    assert len(sink.received) == 2


def test_sending_a_row_twice_sends_once(sink, people):
    digest = build_digest(slugs=("llm",))
    row = Delivery.objects.create(digest=digest, subscriber=people["alice"])
    ledger.send_deliveries([row.id])
    ledger.send_deliveries([row.id])  # e.g. a redelivered task message
    row.refresh_from_db()
    assert row.status == Delivery.Status.SENT and row.attempts == 1
    assert len(sink.received) == 1


def test_unsubscribing_after_enrolment_is_honoured_at_send_time(sink, people):
    digest = build_digest(slugs=("llm",))
    row = Delivery.objects.create(digest=digest, subscriber=people["alice"])
    Subscriber.objects.filter(id=people["alice"].id).update(
        status=Subscriber.Status.UNSUBSCRIBED
    )
    ledger.send_deliveries([row.id])
    row.refresh_from_db()
    assert row.status == Delivery.Status.SKIPPED and "unsubscribed" in row.error
    assert sink.received == []


def test_permanent_refusal_fails_one_row_and_the_rest_go_out(sink, people):
    sink.refuse("alice@example.com")
    digest = build_digest(slugs=("llm",))
    report = services.send_and_record(digest)
    assert (report.sent, report.failed) == (1, 1)
    alice = Delivery.objects.get(subscriber=people["alice"])
    assert alice.status == Delivery.Status.FAILED and "550" in alice.error
    assert list(sink.by_recipient()) == ["bob@example.com"]


def test_transient_refusal_hands_the_row_back_for_a_retry(sink, people):
    sink.refuse("alice@example.com", permanently=False)
    digest = build_digest(slugs=("llm",))
    row = Delivery.objects.create(digest=digest, subscriber=people["alice"])
    assert ledger.send_deliveries([row.id]).pending == 1
    row.refresh_from_db()
    assert row.status == Delivery.Status.PENDING and row.attempts == 1
    assert (
        row.error.startswith("will retry: SMTPRecipientsRefused") and "451" in row.error
    )
    sink.accept("alice@example.com")
    ledger.send_deliveries([row.id])
    row.refresh_from_db()
    assert row.status == Delivery.Status.SENT and row.attempts == 2
    assert row.error == ""
    assert list(sink.by_recipient()) == ["alice@example.com"]


def test_sweeper_brings_back_rows_of_a_dead_worker(sink, people, settings):
    settings.DELIVERY_STALE_AFTER_SECONDS = 60
    digest = build_digest(slugs=("llm",))
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.SENDING)
    old = timezone.now() - dt.timedelta(minutes=5)
    stuck = Delivery.objects.create(
        digest=digest,
        subscriber=people["alice"],
        attempts=1,
        status=Delivery.Status.SENDING,
        claimed_at=old,
    )
    fresh = Delivery.objects.create(
        digest=digest,
        subscriber=people["bob"],
        attempts=1,
        status=Delivery.Status.SENDING,
        claimed_at=timezone.now(),
    )
    assert tasks.sweep_stale_deliveries() == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == Delivery.Status.SENT
    assert fresh.status == Delivery.Status.SENDING  # its worker may still be sending
    assert list(sink.by_recipient()) == ["alice@example.com"]


def test_sweeper_queues_again_the_chunks_a_dead_worker_reserved_but_never_began(
    sink, people, settings
):
    """Pending rows nobody claimed: their task went down with the worker's reserved
    messages. Once no row of the send moved for the stale threshold they are sent."""
    settings.DELIVERY_STALE_AFTER_SECONDS = 60
    digest = build_digest(slugs=("llm",))
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.SENDING)
    old = timezone.now() - dt.timedelta(minutes=5)
    waiting = Delivery.objects.create(
        digest=digest, subscriber=people["alice"], created_at=old
    )
    assert [s.digest_id for s in ledger.stalled_sends()] == [digest.id]

    tasks.sweep_stale_deliveries()

    waiting.refresh_from_db()
    assert waiting.status == Delivery.Status.SENT
    assert list(sink.by_recipient()) == ["alice@example.com"]
    assert ledger.stalled_sends() == []


def test_sweeper_leaves_the_queued_rows_of_a_send_that_is_moving(
    sink, people, settings
):
    settings.DELIVERY_STALE_AFTER_SECONDS = 60
    digest = build_digest(slugs=("llm",))
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.SENDING)
    old = timezone.now() - dt.timedelta(minutes=5)
    queued = Delivery.objects.create(
        digest=digest, subscriber=people["alice"], created_at=old
    )
    Delivery.objects.create(  # a living worker's chunk, claimed a moment ago
        digest=digest,
        subscriber=people["bob"],
        created_at=old,
        attempts=1,
        status=Delivery.Status.SENDING,
        claimed_at=timezone.now(),
    )

    assert tasks.sweep_stale_deliveries() == 0

    queued.refresh_from_db()
    assert queued.status == Delivery.Status.PENDING  # its task is still in the queue
    assert sink.received == []
    assert ledger.stalled_sends() == []


def test_a_living_worker_renews_its_claim_while_it_sends_a_long_chunk(
    sink, people, settings
):
    """A chunk slower than the stale threshold is not handed back under its worker."""
    settings.DELIVERY_STALE_AFTER_SECONDS = 0.3
    digest = build_digest(slugs=("llm",))
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.SENDING)
    rows = [
        Delivery.objects.create(digest=digest, subscriber=people[name])
        for name in ("alice", "bob")
    ]
    sink.handler.delay = 0.25
    before = timezone.now()

    ledger.send_deliveries([row.id for row in rows])

    # Claimed at once, then claimed again after the first message took 0.25 s.
    for row in rows:
        row.refresh_from_db()
        assert row.status == Delivery.Status.SENT
        assert row.claimed_at - before >= dt.timedelta(seconds=0.2)
    assert sorted(sink.by_recipient()) == ["alice@example.com", "bob@example.com"]


def test_empty_notice_goes_out_only_when_enabled(sink, people, settings):
    settings.DIGEST_SEND_EMPTY_NOTICE = True
    digest = build_digest(slugs=("llm",))
    services.send_and_record(digest)
    carol = sink.by_recipient()["carol@example.com"][0].message
    html = _parts(carol)["text/html"].get_content()
    assert "오늘은 선택하신 분야에 새 소식이 없습니다" in html
    assert "🧠 LLM" not in html


def test_draft_digest_is_refused(db):
    from tests.factories import DigestFactory

    digest = DigestFactory(status=Digest.Status.READY)
    with pytest.raises(ledger.DigestNotSendable):
        services.send_and_record(digest)
    assert Delivery.objects.count() == 0


def test_eml_outbox_backend_writes_one_parseable_file_per_message(
    people, settings, tmp_path
):
    from email import message_from_bytes, policy

    settings.EMAIL_BACKEND = "newsletter.sending.file_backend.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "outbox"
    digest = build_digest(slugs=("llm",))
    assert services.send_and_record(digest).sent == 2
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert message["To"] in {"alice@example.com", "bob@example.com"}
        assert "🧠 LLM" in message.get_body(("html",)).get_content()


def test_mail_server_down_leaves_rows_pending_and_the_sweeper_sends_them_later(
    sink, people, settings
):
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    settings.EMAIL_PORT = closed.getsockname()[1]  # bound, not listening: refused
    settings.EMAIL_TIMEOUT = 2
    digest = build_digest(slugs=("llm",))
    report = services.send_and_record(digest)
    closed.close()
    assert (report.sent, report.failed, report.pending) == (0, 0, 2)
    assert set(
        Delivery.objects.exclude(status=Delivery.Status.SKIPPED).values_list(
            "status", "attempts"
        )
    ) == {(Delivery.Status.PENDING, 1)}
    assert Digest.objects.get(id=digest.id).status == Digest.Status.SENDING

    settings.EMAIL_PORT = sink.port
    tasks.sweep_stale_deliveries()
    assert sorted(sink.by_recipient()) == ["alice@example.com", "bob@example.com"]
    assert Digest.objects.get(id=digest.id).status == Digest.Status.SENT


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x.test": (550, b"no")}), "permanent"),
        (smtplib.SMTPRecipientsRefused({"a@x.test": (452, b"full")}), "transient"),
        (smtplib.SMTPDataError(554, b"spam"), "permanent"),
        (smtplib.SMTPDataError(421, b"busy"), "transient"),
        (smtplib.SMTPServerDisconnected("gone"), "transient"),
        (ConnectionRefusedError(111, "refused"), "transient"),
        (TimeoutError("slow"), "transient"),
        (ValueError("bug"), "permanent"),
    ],
)
def test_only_named_transient_errors_are_retried(error, kind):
    found, reason = ledger.classify_error(error)
    expected = (
        ledger.TransientSendError if kind == "transient" else ledger.PermanentSendError
    )
    assert found is expected
    assert reason


def test_esp_errors_are_retried_only_for_throttling_outages_and_timeouts():
    import requests
    from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

    def api_error(status: int | None) -> AnymailAPIError:
        if status is None:  # no response at all: the connection failed
            return AnymailAPIError("connection reset")
        response = requests.Response()
        response.status_code, response.reason, response._content = (
            status,
            "Reason",
            b"{}",
        )
        return AnymailAPIError("ESP said no", status_code=status, response=response)

    transient, permanent = ledger.TransientSendError, ledger.PermanentSendError
    assert ledger.classify_error(api_error(429))[0] is transient
    assert ledger.classify_error(api_error(503))[0] is transient
    assert ledger.classify_error(api_error(None))[0] is transient
    assert ledger.classify_error(api_error(422))[0] is permanent
    assert (
        ledger.classify_error(AnymailRecipientsRefused("all refused"))[0] is permanent
    )


def test_send_task_asks_celery_for_a_retry_on_a_transient_refusal(sink, people):
    from celery.exceptions import Retry

    from newsletter import tasks

    sink.refuse("alice@example.com", permanently=False)
    digest = build_digest(slugs=("llm",))
    row = Delivery.objects.create(digest=digest, subscriber=people["alice"])
    with pytest.raises(Retry) as retry:
        tasks.send_deliveries.apply(args=[[row.id]])
    assert isinstance(retry.value.exc, ledger.TransientSendError)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.Status.PENDING, 1)
    assert sink.received == []

    sink.accept("alice@example.com")
    assert tasks.send_deliveries.apply(args=[[row.id]]).get() == {
        "sent": 1,
        "failed": 0,
        "skipped": 0,
    }
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.Status.SENT, 2)


def test_sweeper_gives_up_on_rows_failing_for_a_day_so_the_digest_finishes(
    sink, people, settings
):
    settings.DELIVERY_GIVE_UP_AFTER_SECONDS = 24 * 3600
    digest = build_digest(slugs=("llm",))
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.SENDING)
    day_old = timezone.now() - dt.timedelta(hours=25)
    row = Delivery.objects.create(
        digest=digest,
        subscriber=people["alice"],
        attempts=9,
        created_at=day_old,
        error="will retry: SMTPRecipientsRefused 451",
    )
    tasks.sweep_stale_deliveries()
    row.refresh_from_db()
    assert row.status == Delivery.Status.FAILED
    assert (
        row.error == "not delivered within 24 h; will retry: SMTPRecipientsRefused 451"
    )
    assert sink.received == []
    # Finished, not left sending; its only delivery failed, so not "sent" either.
    assert Digest.objects.get(id=digest.id).status == Digest.Status.PARTIAL


def test_a_reader_whose_only_choice_was_retired_gets_every_section(sink, people):
    # The preferences page tells carol she receives everything; so must the fan-out.
    Category.objects.filter(slug="robotics-agents").update(is_active=False)
    digest = build_digest(slugs=("llm", "multimodal"))
    services.send_and_record(digest)
    carol = sink.by_recipient()["carol@example.com"][0].message
    html = _parts(carol)["text/html"].get_content()
    assert "🧠 LLM" in html and "🌞 Multimodal" in html


def test_a_chunk_costs_the_same_queries_for_ten_readers_as_for_twenty(
    defaults, settings, mailoutbox
):
    """Claiming, sorting and sending a chunk reads its readers and digest together:
    no query per reader (a field the claim left unread would cost one each)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.EMAIL_SEND_CHUNK = 20
    digest = build_digest(slugs=("llm",))
    for n in range(30):
        reader(f"reader{n:02d}@example.com", "llm")
    plan = ledger.open_send(digest.id)
    assert [len(ids) for ids in plan.chunks] == [20, 10]

    counted = []
    for ids in reversed(plan.chunks):  # ten readers first: renders happen there
        ledger.send_deliveries(ids[:1], finish=False)  # warm the group's render
        with CaptureQueriesContext(connection) as queries:
            report = ledger.send_deliveries(ids[1:], finish=False)
        assert report.sent == len(ids) - 1
        counted.append(len(queries))

    assert counted[0] == counted[1]
    assert len(mailoutbox) == 30
    assert {m.to[0] for m in mailoutbox} == {
        f"reader{n:02d}@example.com" for n in range(30)
    }
