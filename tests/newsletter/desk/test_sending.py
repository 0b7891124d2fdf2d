"""Sending with care from the desk: the confirmation and its counts, taking an
approval back, the digest's own send time and what the page says of the scheduler,
and test sends to typed addresses, limited per editor."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from newsletter import services
from newsletter.desk import schedule as send_schedule
from newsletter.models import Category, Delivery, Digest, DigestEvent
from tests.factories import (
    ArticleFactory,
    DigestFactory,
    SubscriberFactory,
    make_section,
)


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()  # the test-send counts live there


@pytest.fixture
def digest(defaults):
    digest = DigestFactory(date=timezone.localdate(), status=Digest.Status.APPROVED)
    make_section(digest, Category.objects.get(slug="llm"), [ArticleFactory()])
    return digest


@pytest.fixture
def readers(defaults):
    """Two Korean readers and one English reader of LLM news; one reader of
    robotics only, who has nothing in this digest."""
    llm = Category.objects.get(slug="llm")
    robotics = Category.objects.get(slug="robotics-agents")
    made = [
        SubscriberFactory(email="ko1@example.com", language="ko"),
        SubscriberFactory(email="ko2@example.com", language="ko"),
        SubscriberFactory(email="en1@example.com", language="en"),
        SubscriberFactory(email="robots@example.com", language="en"),
    ]
    for reader in made[:3]:
        reader.categories.set([llm])
    made[3].categories.set([robotics])
    SubscriberFactory(email="paused@example.com", is_paused=True)
    return made


def url(name, digest):
    return reverse(f"admin:newsletter_digest_{name}", args=[digest.id])


def count_cell(page: str, language: str) -> str:
    cell = page.split(f'data-language="{language}">', 1)[1]
    return cell.split("<", 1)[0]


def test_send_asks_first_with_the_count_per_language_then_sends(
    editor_client, digest, readers, mailoutbox
):
    page = editor_client.get(url("send", digest)).content.decode()

    assert "Send to subscribers?" in page
    assert count_cell(page, "ko") == "2" and count_cell(page, "en") == "1"
    assert 'class="desk-recipient-total">3<' in page
    assert "1 receiving subscriber gets no email of it" in page
    assert mailoutbox == [] and not Delivery.objects.exists()

    editor_client.post(url("send", digest), {"post": "yes"})

    assert sorted(m.to[0] for m in mailoutbox) == [
        "en1@example.com",
        "ko1@example.com",
        "ko2@example.com",
    ]
    assert Delivery.objects.filter(status="sent").count() == 3
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_the_changelist_send_action_asks_first_too(
    editor_client, digest, readers, mailoutbox
):
    changelist = reverse("admin:newsletter_digest_changelist")
    chosen = {"action": "send_now", "_selected_action": [digest.id]}

    page = editor_client.post(changelist, chosen).content.decode()
    assert count_cell(page, "ko") == "2" and mailoutbox == []

    editor_client.post(changelist, {**chosen, "post": "yes"}, follow=True)
    assert len(mailoutbox) == 3


def test_an_approval_taken_back_is_not_sent_by_the_scheduler(
    editor_client, digest, readers, mailoutbox
):
    response = editor_client.post(url("unapprove", digest))

    assert response.status_code == 302
    digest.refresh_from_db()
    assert digest.status == Digest.Status.READY and digest.approved_at is None
    event = DigestEvent.objects.get()
    assert (event.action, event.actor_name) == ("unapproved", "editor")
    assert services.release_reviewed_digests() == 0
    assert mailoutbox == [] and not Delivery.objects.exists()
    page = editor_client.get(url("change", digest)).content.decode()
    assert "Took back the approval" in page
    assert "Waiting for approval" in page


def test_a_take_back_restarts_the_review_window(digest, readers, settings):
    settings.DIGEST_REVIEW_WINDOW_MINUTES = 30
    Digest.objects.filter(id=digest.id).update(
        updated_at=timezone.now() - dt.timedelta(hours=2)
    )
    assert services.unapprove_digest(digest.id)

    # The window counts from the take-back, not from the build two hours ago.
    assert services.release_reviewed_digests() == 0
    digest.refresh_from_db()
    assert digest.status == Digest.Status.READY


def test_no_take_back_once_the_send_has_started(editor_client, digest, readers):
    Delivery.objects.create(digest=digest, subscriber=readers[0], status="sending")

    editor_client.post(url("unapprove", digest))

    digest.refresh_from_db()
    assert digest.status == Digest.Status.APPROVED
    assert not DigestEvent.objects.exists()


def test_the_page_says_when_the_scheduler_sends_it(editor_client, digest):
    now = timezone.now()
    plan = send_schedule.send_plan(digest)

    # The release job runs every ten minutes (load_defaults).
    assert now < plan.when <= now + dt.timedelta(minutes=10)
    page = editor_client.get(url("change", digest)).content.decode()
    assert "Approved: the scheduler sends it at" in page
    assert timezone.localtime(plan.when).strftime("%Y-%m-%d %H:%M") in page


def test_a_digest_with_its_own_send_time_waits_for_it(
    editor_client, digest, readers, mailoutbox
):
    later = timezone.localtime() + dt.timedelta(hours=3)
    editor_client.post(
        url("send_time", digest), {"send_at": later.strftime("%Y-%m-%dT%H:%M")}
    )

    digest.refresh_from_db()
    assert digest.send_at == later.replace(second=0, microsecond=0)
    assert DigestEvent.objects.get().action == "send_time_set"
    # The release job's first run (every ten minutes) from its own time on.
    when = send_schedule.send_plan(digest).when
    assert digest.send_at <= when < digest.send_at + dt.timedelta(minutes=10)
    assert when.minute % 10 == 0
    assert "its own send time" in editor_client.get(url("change", digest)).text

    assert services.release_reviewed_digests() == 0 and mailoutbox == []
    with time_machine.travel(digest.send_at + dt.timedelta(minutes=1)):
        assert services.release_reviewed_digests() == 1
    assert len(mailoutbox) == 3


def test_test_send_goes_to_typed_addresses_too(editor_client, digest, mailoutbox):
    response = editor_client.post(
        url("test_send", digest),
        {"preview_language": "en", "addresses": "a@example.org, b@example.org\n"},
    )

    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == [
        "a@example.org",
        "b@example.org",
        "editor@example.com",
    ]
    assert all(m.subject.startswith("[TEST]") for m in mailoutbox)
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    "typed, error",
    [
        ("not-an-address", "Not an email address: not-an-address."),
        (" ".join(f"r{n}@example.org" for n in range(6)), "At most 5 addresses"),
    ],
)
def test_test_send_refuses_bad_or_too_many_addresses(
    editor_client, digest, mailoutbox, typed, error
):
    response = editor_client.post(
        url("test_send", digest), {"addresses": typed}, follow=True
    )

    assert error in response.content.decode()
    assert mailoutbox == [] and not DigestEvent.objects.exists()


def test_test_sends_are_limited_per_editor_and_hour(
    editor_client, digest, mailoutbox, settings
):
    settings.DIGEST_TEST_SENDS_PER_HOUR = 2
    for _ in range(2):
        editor_client.post(url("test_send", digest))
    refused = editor_client.post(url("test_send", digest), follow=True)

    assert "You have sent 2 tests in the last hour" in refused.content.decode()
    assert len(mailoutbox) == 2
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        editor_client.post(url("test_send", digest))
    assert len(mailoutbox) == 3


def test_typed_addresses_need_the_test_send_permission(
    client, django_user_model, digest, mailoutbox
):
    user = django_user_model.objects.create_user(
        "viewer", "viewer@example.com", "pw", is_staff=True
    )
    user.user_permissions.add(*Permission.objects.filter(codename="view_digest"))
    client.force_login(user)

    response = client.post(url("test_send", digest), {"addresses": "x@example.org"})

    assert response.status_code == 403 and mailoutbox == []


def test_the_demo_admin_can_send_a_test_out_of_the_box(
    client, django_user_model, digest, mailoutbox
):
    from newsletter.management.commands.demo import Command

    # An admin made by an older demo, without an address, gets one too.
    django_user_model.objects.create_superuser("admin", "", "old")
    username, _password = Command()._admin_login()
    client.force_login(django_user_model.objects.get(username=username))

    client.post(url("test_send", digest))

    assert [m.to for m in mailoutbox] == [["admin@localhost"]]


def test_the_daily_runs_send_step_leaves_a_digest_with_a_later_send_time(
    digest, readers, mailoutbox
):
    from newsletter import daily

    later = timezone.now() + dt.timedelta(hours=2)
    Digest.objects.filter(id=digest.id).update(send_at=later)

    daily.send_step({"digest_id": digest.id, "send": True, "sent": None})

    assert mailoutbox == [] and not Delivery.objects.exists()
    digest.refresh_from_db()
    assert digest.status == Digest.Status.APPROVED


def test_sending_speaks_korean_to_a_korean_editor(
    editor_client, digest, readers, mailoutbox
):
    editor_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ko"

    review = editor_client.get(url("change", digest)).content.decode()
    confirm = editor_client.get(url("send", digest)).content.decode()
    sent = editor_client.post(url("send", digest), {"post": "yes"}, follow=True)

    assert "승인됨" in review and "승인 취소" in review
    assert "승인됨: 스케줄러가" in review and "추가 수신자" in review
    assert "구독자에게 발송할까요?" in confirm and "예, 지금 발송합니다" in confirm
    assert "수신 중인 구독자 1명은 이 메일을 받지 않습니다" in confirm
    assert "발송 3, 대기열 0" in sent.content.decode()
    assert "발송됨" in sent.content.decode()  # the status badge, once sent
    # Once sent, the page no longer says the scheduler will finish the send.
    assert "발송을 마쳤습니다" in sent.content.decode()
    assert "남은 발송만 마무리" not in sent.content.decode()


def test_a_ready_digest_says_when_the_review_window_sends_it(digest, settings):
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.READY)
    digest.refresh_from_db()
    assert send_schedule.send_plan(digest).when is None

    settings.DIGEST_REVIEW_WINDOW_MINUTES = 60
    with translation.override("en"):
        plan = send_schedule.send_plan(digest)

    approves_at = digest.updated_at + dt.timedelta(minutes=60)
    assert approves_at <= plan.when < approves_at + dt.timedelta(minutes=10)
    assert "approved automatically when the review window ends" in plan.text


def test_an_old_approved_digest_waits_for_a_send_time_of_its_own(defaults):
    old = DigestFactory(date=timezone.localdate() - dt.timedelta(days=5))

    with translation.override("en"):
        plan = send_schedule.send_plan(old)

    assert plan.when is None and "older than yesterday" in plan.text
    assert services.release_reviewed_digests() == 0
    services.set_send_time(old.id, timezone.now() - dt.timedelta(minutes=1))
    old.refresh_from_db()
    assert send_schedule.send_plan(old).when is not None


def test_the_confirmation_of_a_digest_not_approved_offers_no_send(
    editor_client, digest, readers, mailoutbox
):
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.READY)

    page = editor_client.get(url("send", digest)).content.decode()

    assert "Not approved: this digest will not be sent." in page
    assert "Yes, send it now" not in page and "desk-recipient-count" not in page
