"""Lists brought from other tools, as their exports really look: the old tool's word
stands, and the import itself emails nobody."""

import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from subscribers import services
from subscribers.models import (
    ErasedAddress,
    Subscriber,
    SubscriberEmail,
    SubscriberImport,
)
from tests.factories import SubscriberFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"


@pytest.fixture
def command(django_capture_on_commit_callbacks, categories):
    """Run `manage.py import_subscribers` with on-commit callbacks executed (so any
    email the import queued would be in the outbox); returns what it printed."""

    def run(path, *args: str) -> str:
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("import_subscribers", str(path), *args, stdout=out)
        return out.getvalue()

    return run


def receiving() -> set[str]:
    return set(Subscriber.objects.receiving().values_list("email", flat=True))


def statuses() -> dict[str, str]:
    return dict(Subscriber.objects.values_list("email", "status"))


def everything() -> list[dict]:
    return list(Subscriber.objects.values().order_by("id"))


# Each export as its tool writes it, and who of it gets the next digest.
EXPORTS = [
    (
        [
            "mailchimp_subscribed.csv",
            "mailchimp_unsubscribed.csv",
            "mailchimp_cleaned.csv",
        ],
        {"ada@example.com", "grace@example.com"},
        {
            "imported.by.hand@example.com": "pending",
            "left@example.com": "unsubscribed",
            "bounced.box@example.com": "bounced",
        },
    ),
    (
        ["substack.csv"],
        {"paid.reader@example.com", "free.reader@example.com"},
        {"stopped.reader@example.com": "unsubscribed"},
    ),
    (
        ["ghost.csv"],
        {"member.one@example.com"},
        {"member.two@example.com": "unsubscribed"},
    ),
    (
        ["listmonk.csv"],
        {"enabled.one@example.com"},
        {
            "blocked.one@example.com": "unsubscribed",
            "disabled.one@example.com": "unsubscribed",
        },
    ),
    (
        ["buttondown.csv"],
        {"regular.reader@example.com"},
        {
            "never.confirmed@example.com": "pending",
            "gone.reader@example.com": "unsubscribed",
        },
    ),
    (
        ["korean_cp949.csv"],
        {"kim.subscriber@example.com", "park.plain@example.com"},
        {"lee.refused@example.com": "unsubscribed"},
    ),
    (
        ["korean_utf8.csv"],
        {"choi.reader@example.com"},
        {
            "jung.cancel@example.com": "unsubscribed",
            "han.left@example.com": "unsubscribed",
        },
    ),
]


@pytest.mark.parametrize(("files", "receive", "others"), EXPORTS)
def test_each_export_imports_unchanged_and_emails_nobody(
    command, mailoutbox, files, receive, others
):
    for name in files:
        command(DATA / name)

    assert receiving() == receive
    assert {e: s for e, s in statuses().items() if e not in receive} == others
    assert mailoutbox == []
    held = Subscriber.objects.exclude(status__in=["active", "pending"])
    assert all(s.is_held for s in held)  # no email of any kind, not even a sign-up's


@pytest.mark.parametrize("files", [files for files, _, _ in EXPORTS])
def test_importing_each_export_again_changes_nothing(command, mailoutbox, files):
    for name in files:
        command(DATA / name)
    before = everything()

    for name in files:
        out = command(DATA / name)
        assert "0 created, 0 updated" in out
        assert "0 held" in out  # the held rows are unchanged, not held again

    assert everything() == before
    assert mailoutbox == []


def test_people_who_left_are_never_emailed_afterwards(command, mailoutbox):
    command(DATA / "korean_cp949.csv")
    refused = Subscriber.objects.get(email="lee.refused@example.com")

    services.subscribe("lee.refused@example.com", categories=None, language="ko")
    services.send_fresh_link(refused.id, kind="preferences-link")

    assert mailoutbox == []
    assert Subscriber.objects.get(id=refused.id).status == "unsubscribed"


def test_evidence_and_names_are_recorded(command):
    command(DATA / "mailchimp_subscribed.csv")
    command(DATA / "korean_cp949.csv")

    ada = Subscriber.objects.get(email="ada@example.com")
    assert ada.name == "Ada Lovelace"
    assert ada.confirmed_at is not None
    assert "Mailchimp export “mailchimp_subscribed.csv”, line 2" in ada.import_evidence
    assert "CONFIRM_TIME 2023-03-01 09:13:02" in ada.import_evidence
    assert "imported 20" in ada.import_evidence
    assert Subscriber.objects.get(email="kim.subscriber@example.com").name == "김철수"
    refused = Subscriber.objects.get(email="lee.refused@example.com")
    assert "상태 수신거부" in refused.import_evidence
    assert refused.unsubscribe_reason == "import"
    by_hand = Subscriber.objects.get(email="imported.by.hand@example.com")
    assert (by_hand.status, by_hand.import_evidence) == ("pending", "")


def test_dry_run_shows_the_full_report_and_changes_nothing(command, mailoutbox):
    SubscriberFactory(email="ada@example.com", name="", status="pending")
    before = everything()

    out = command(DATA / "mailchimp_subscribed.csv", "--dry-run")

    assert everything() == before
    assert not SubscriberImport.objects.exists()
    assert mailoutbox == []
    assert "line 2: ada@example.com: updated (status, name)" in out
    assert "line 3: grace@example.com: created (active: CONFIRM_TIME" in out
    assert "line 4: imported.by.hand@example.com: created (pending)" in out
    assert "Mailchimp export" in out
    assert "Dry run, nothing was changed. Would do: 2 created, 1 updated" in out


def test_second_import_changes_nothing(command, mailoutbox):
    for name in ("mailchimp_subscribed.csv", "mailchimp_unsubscribed.csv"):
        command(DATA / name)
    before = everything()

    out = command(DATA / "mailchimp_subscribed.csv")
    out += command(DATA / "mailchimp_unsubscribed.csv")

    assert everything() == before
    assert "0 created, 0 updated, 3 unchanged" in out
    assert "0 created, 0 updated, 1 unchanged" in out
    assert mailoutbox == []


def test_email_only_file_changes_no_language_category_or_name(
    command, tmp_path, categories
):
    reader = SubscriberFactory(email="reader@example.com", language="en", name="Kim")
    reader.categories.set(categories[:1])
    path = tmp_path / "emails.csv"
    path.write_text("email\nreader@example.com\nnew@example.com\n")

    out = command(path)

    reader.refresh_from_db()
    assert (reader.language, reader.name, reader.status) == ("en", "Kim", "active")
    assert list(reader.categories.all()) == categories[:1]
    assert "line 2: reader@example.com: unchanged" in out
    new = Subscriber.objects.get(email="new@example.com")
    assert (new.status, new.language) == ("pending", "ko")


def test_a_file_that_says_someone_left_holds_an_active_reader(command, mailoutbox):
    SubscriberFactory(email="enabled.one@example.com")
    SubscriberFactory(email="blocked.one@example.com")

    out = command(DATA / "listmonk.csv")

    assert receiving() == {"enabled.one@example.com"}
    assert "blocked.one@example.com: held (unsubscribed in the file" in out
    assert mailoutbox == []


def test_suppressed_here_is_not_brought_back_by_an_active_row(command):
    SubscriberFactory(
        email="ada@example.com", status="bounced", unsubscribed_at=timezone.now()
    )

    out = command(DATA / "mailchimp_subscribed.csv")

    assert statuses()["ada@example.com"] == "bounced"
    assert "ada@example.com: held (bounced here: not brought back" in out


def test_an_erased_address_is_not_imported_again(command, mailoutbox):
    grace = SubscriberFactory(email="Grace@Example.com")
    services.delete_subscriber(grace.id)

    out = command(DATA / "mailchimp_subscribed.csv")

    assert "grace@example.com" not in statuses()
    assert "line 3: grace@example.com: rejected (erased at the person's request" in out
    assert "Grace" not in "".join(
        ErasedAddress.objects.values_list("digest", flat=True)
    )
    assert mailoutbox == []


def test_invite_emails_only_the_pending_rows_in_chunks(command, mailoutbox, settings):
    settings.IMPORT_INVITE_CHUNK = 1

    out = command(DATA / "buttondown.csv", "--invite")

    assert [m.to for m in mailoutbox] == [["never.confirmed@example.com"]]
    assert "/confirm/" in mailoutbox[0].body
    assert "1 invitations to confirm queued" in out


def test_column_mapping_reads_any_file(command, tmp_path):
    path = tmp_path / "sheet.csv"
    shutil.copy(DATA / "custom_mapping.csv", path)
    with pytest.raises(CommandError, match="No column holds the email address"):
        command(path)

    out = command(
        path,
        "--column",
        "E-mail=email",
        "--column",
        "full name=name",
        "--column",
        "Opt-in=consented",
    )

    assert "CSV read with your column mapping" in out
    first = Subscriber.objects.get(email="first.custom@example.com")
    assert (first.status, first.name) == ("active", "First Custom")
    assert "Opt-in Y" in first.import_evidence
    assert statuses()["second.custom@example.com"] == "pending"


def test_a_wrong_mapping_names_the_fix(command):
    with pytest.raises(CommandError, match="'nickname' is not a field; use one of"):
        command(DATA / "custom_mapping.csv", "--column", "Full name=nickname")
    with pytest.raises(CommandError, match="the file has no column 'Mail'"):
        command(DATA / "custom_mapping.csv", "--column", "Mail=email")
    assert not Subscriber.objects.exists()


def test_an_invitation_greets_the_person_by_the_imported_name(command, mailoutbox):
    command(
        DATA / "custom_mapping.csv",
        "--column=E-mail=email",
        "--column=Full name=name",
        "--column=Opt-in=consented",
        "--invite",
    )

    [invitation] = mailoutbox
    assert invitation.to == ["second.custom@example.com"]
    assert invitation.body.startswith("Second Custom님, 안녕하세요.")
    assert "<p>Second Custom님, 안녕하세요.</p>" in invitation.alternatives[0][0]


def test_invitations_go_out_in_chunks_spaced_apart(command, settings, tmp_path):
    settings.IMPORT_INVITE_CHUNK = 2
    settings.IMPORT_INVITE_INTERVAL_SECONDS = 60
    path = tmp_path / "list.csv"
    path.write_text("email\na@example.com\nb@example.com\nc@example.com\n")

    with time_machine.travel(dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC), tick=False):
        command(path, "--invite")

    due = {
        email.subscriber.email: f"{email.due_at:%H:%M:%S}"
        for email in SubscriberEmail.objects.select_related("subscriber")
    }
    # A worker gets each at its time (the task's countdown); the sweeper never earlier.
    assert due == {
        "a@example.com": "09:00:00",
        "b@example.com": "09:00:00",
        "c@example.com": "09:01:00",
    }


def test_erasure_takes_the_address_out_of_import_reports(command):
    command(DATA / "ghost.csv")
    member = Subscriber.objects.get(email="member.one@example.com")

    services.delete_subscriber(member.id)

    job = SubscriberImport.objects.get()
    label = f"erased subscriber #{member.id}"
    assert "member.one@example.com" not in str(job.report) + str(job.preview)
    assert [line[1] for line in job.report["lines"]] == [
        label,
        "member.two@example.com",
    ]
    assert [line[1] for line in job.preview["lines"]][0] == label
