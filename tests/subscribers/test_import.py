"""Editors bring their list in as CSV and take it out again."""

import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from newsletter.models import Category
from subscribers import import_runs, imports, invites, services
from subscribers.models import Subscriber, SubscriberImport
from tests.factories import SubscriberFactory


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Import `data` the way the admin does (stored, previewed, then that preview
    applied); returns the report."""

    def run_file(data: bytes, invite: bool = False) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            job = import_runs.create_import(data, file_name="list.csv")
            job = import_runs.preview_then_apply(job, invite=invite)
        assert job.status == SubscriberImport.Status.DONE, job.error
        return job.report

    return run_file


def counts(report: dict) -> tuple:
    return (report["created"], report["updated"], report["unchanged"])


def skipped(report: dict) -> list[tuple]:
    """(line, email, reason) of the rows not imported as asked."""
    return [
        (line, email, detail.split(":")[0])
        for line, email, outcome, detail in report["lines"]
        if outcome in ("rejected", "held")
    ]


def slugs(email: str) -> set[str]:
    subscriber = Subscriber.objects.get(email__iexact=email)
    return set(subscriber.categories.values_list("slug", flat=True))


LIST = (
    "email,categories,language,consented\n"
    "alice@Example.COM,llm|Multimodal,en,yes\n"
    "bob@example.com,,,no\n"
)


def test_bom_file_creates_active_and_pending_rows_and_invites_only_pending_ones(
    run, categories, mailoutbox
):
    report = run(LIST.encode("utf-8-sig"), invite=True)

    assert counts(report) == (2, 0, 0)
    assert skipped(report) == []
    alice = Subscriber.objects.get(email="alice@example.com")
    assert alice.status == Subscriber.Status.ACTIVE
    assert alice.confirmed_at is not None
    assert alice.language == "en"
    assert slugs("alice@example.com") == {"llm", "multimodal"}
    bob = Subscriber.objects.get(email="bob@example.com")
    assert bob.status == Subscriber.Status.PENDING
    assert bob.language == "ko"
    assert slugs("bob@example.com") == set()  # every category
    assert [m.to for m in mailoutbox] == [["bob@example.com"]]
    assert "/confirm/" in mailoutbox[0].body


def test_importing_the_same_file_twice_changes_nothing_and_sends_nothing(
    run, categories, mailoutbox
):
    run(LIST.encode())
    before = list(Subscriber.objects.values().order_by("id"))

    report = run(LIST.encode())

    assert counts(report) == (0, 0, 2)
    assert report["invited"] == 0
    assert list(Subscriber.objects.values().order_by("id")) == before
    assert mailoutbox == []  # the pending row waits for an invitation


def test_cp949_file_from_korean_excel_with_korean_names_and_answers(run, categories):
    Category.objects.filter(slug="llm").update(name="거대 언어 모델")
    text = (
        "email,categories,language,consented\r\n"
        "kim@example.com,거대 언어 모델,ko,예\r\n"
        "lee@example.com,,en,아니오\r\n"
    )

    report = run(text.encode("cp949"))

    assert counts(report) == (2, 0, 0)
    assert slugs("kim@example.com") == {"llm"}
    assert Subscriber.objects.get(email="kim@example.com").status == "active"
    assert Subscriber.objects.get(email="lee@example.com").status == "pending"


def test_semicolons_header_case_and_order_and_unknown_columns(run, categories):
    text = (
        " Consented ;Notes; EMAIL ;Language;CATEGORIES\n"
        "true;met at a conference;carol@example.com;EN;research | LLM\n"
        "0;;dave@example.com;;\n"
    )

    report = run(text.encode())

    assert counts(report) == (2, 0, 0)
    carol = Subscriber.objects.get(email="carol@example.com")
    assert (carol.status, carol.language) == ("active", "en")
    assert slugs("carol@example.com") == {"research", "llm"}
    assert Subscriber.objects.get(email="dave@example.com").status == "pending"


def test_invalid_rows_are_skipped_with_their_line_and_reason(run, categories):
    text = (
        "email,categories,language,consented\n"
        "ok@example.com,llm,ko,yes\n"
        "not-an-address,,,yes\n"
        "ghost@example.com,astrology,,yes\n"
        "fr@example.com,,fr,yes\n"
        "OK@EXAMPLE.com,,,yes\n"
        "maybe@example.com,,,perhaps\n"
        "\n"
        '"multi\nline@example.com",,,yes\n'
        "last@example.com,,,y\n"
    )

    report = run(text.encode())

    assert counts(report) == (2, 0, 0)
    assert skipped(report) == [
        (3, "not-an-address", "invalid address"),
        (4, "ghost@example.com", "unknown category “astrology”"),
        (5, "fr@example.com", "unknown language “fr”"),
        (6, "OK@EXAMPLE.com", "duplicate of line 2"),
        (7, "maybe@example.com", "unknown consented value “perhaps”"),
        (9, "multi\nline@example.com", "invalid address"),
    ]
    # Each reason names the fix.
    assert report["lines"][5][3].endswith(
        "use yes or no (true/false, 1/0, 예/아니오), or set the column to ignore"
    )
    assert "use a slug or name of " in report["lines"][2][3]
    assert "llm, " in report["lines"][2][3]
    assert report["lines"][3][3].endswith(
        "use ko or en, or leave the cell empty for the default"
    )
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "ok@example.com",
        "last@example.com",
    }


def test_suppressed_addresses_are_never_reactivated(run, categories, mailoutbox):
    for email, status in [
        ("gone@example.com", Subscriber.Status.UNSUBSCRIBED),
        ("bounced@example.com", Subscriber.Status.BOUNCED),
        ("angry@example.com", Subscriber.Status.COMPLAINED),
    ]:
        SubscriberFactory(email=email, status=status, unsubscribed_at=timezone.now())
    text = (
        "email,consented,categories\n"
        "gone@example.com,yes,\n"
        "bounced@example.com,no,llm\n"
        "angry@example.com,yes,\n"
    )

    report = run(text.encode())

    assert counts(report) == (0, 0, 0)
    assert [(s[0], s[2]) for s in skipped(report)] == [
        (2, "unsubscribed here"),
        (3, "bounced here"),
        (4, "complained here"),
    ]
    assert set(Subscriber.objects.values_list("status", flat=True)) == {
        "unsubscribed",
        "bounced",
        "complained",
    }
    assert slugs("bounced@example.com") == set()
    assert mailoutbox == []


def test_existing_rows_are_updated_and_pending_ones_activated(
    run, categories, mailoutbox
):
    SubscriberFactory(email="active@example.com", language="ko")
    SubscriberFactory(email="waiting@example.com", status=Subscriber.Status.PENDING)
    text = (
        "email,categories,language,consented\n"
        "active@example.com,llm,en,yes\n"
        "waiting@example.com,,ko,yes\n"
    )

    report = run(text.encode())

    assert counts(report) == (0, 2, 0)
    active = Subscriber.objects.get(email="active@example.com")
    assert (active.language, slugs(active.email)) == ("en", {"llm"})
    waiting = Subscriber.objects.get(email="waiting@example.com")
    assert waiting.status == "active" and waiting.confirmed_at is not None
    assert mailoutbox == []


def test_a_frequency_column_sets_daily_weekly_or_both_in_either_language(
    run, categories
):
    SubscriberFactory(email="known@example.com", frequency="daily")
    text = (
        "email,consented,frequency\n"
        "known@example.com,yes,weekly\n"
        'new@example.com,yes,"Both, daily and weekly"\n'
        "kim@example.com,yes,매주\n"
        "plain@example.com,yes,\n"
    )

    report = run(text.encode())

    assert counts(report) == (3, 1, 0)
    stored = dict(Subscriber.objects.values_list("email", "frequency"))
    assert stored == {
        "known@example.com": "weekly",
        "new@example.com": "both",
        "kim@example.com": "weekly",
        "plain@example.com": "daily",
    }
    assert ["frequency"] == [
        detail
        for _line, email, outcome, detail in report["lines"]
        if email == "known@example.com"
    ]


def test_an_unknown_frequency_is_refused_with_the_words_that_work(run, categories):
    SubscriberFactory(email="known@example.com", frequency="weekly")
    text = (
        "email,consented,frequency\n"
        "known@example.com,yes,monthly\n"
        "ok@example.com,yes,weekly\n"
    )

    report = run(text.encode())

    assert counts(report) == (1, 0, 0)
    [(line, email, outcome, detail)] = [
        entry for entry in report["lines"] if entry[2] == "rejected"
    ]
    assert (line, email) == (2, "known@example.com")
    assert detail == (
        "unknown frequency “monthly”: use daily, weekly or both, or leave the "
        "cell empty for daily"
    )
    assert Subscriber.objects.get(email="known@example.com").frequency == "weekly"


def test_every_digest_category_named_is_stored_as_all(run, categories):
    names = "|".join(c.slug for c in categories)
    run(f"email,categories,consented\nall@example.com,{names},yes\n".encode())
    assert slugs("all@example.com") == set()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "not a text file"),
        (b"email,consented\n\xff\xfe@example.com,yes\n", "neither UTF-8 nor CP949"),
        (b"email,consented\n", "no subscribers"),
    ],
)
def test_unreadable_files_change_nothing_and_say_why(categories, data, says):
    SubscriberFactory(email="kept@example.com")
    with pytest.raises(imports.UnreadableFile, match=says):
        import_runs.create_import(data, file_name="bad.csv")
    assert list(Subscriber.objects.values_list("email", flat=True)) == [
        "kept@example.com"
    ]
    assert not SubscriberImport.objects.exists()


def test_command_refuses_a_binary_file(tmp_path, categories):
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    with pytest.raises(CommandError, match="not a text file.*Nothing was imported"):
        call_command("import_subscribers", str(path))
    assert not Subscriber.objects.exists()


def test_a_failure_while_writing_leaves_no_rows_behind(categories, monkeypatch):
    def broken(subscriber_ids):
        raise RuntimeError("mail queue down")

    monkeypatch.setattr(invites, "invite", broken)
    job = import_runs.create_import(LIST.encode(), file_name="list.csv")

    job = import_runs.preview_then_apply(job, invite=True)

    assert job.status == SubscriberImport.Status.FAILED
    assert "nothing was changed" in job.error
    assert not Subscriber.objects.exists()


def test_confirmation_emails_respect_the_per_address_rate_limit(
    run, categories, settings, mailoutbox
):
    settings.SUBSCRIBE_RATE_PER_ADDRESS = 1
    services.subscribe("bob@example.com", categories=None, language="ko")
    mailoutbox.clear()

    report = run(LIST.encode(), invite=True)

    assert report["invited"] == 0
    assert Subscriber.objects.get(email="bob@example.com").status == "pending"
    assert mailoutbox == []


def test_progress_is_saved_while_rows_are_checked(categories, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    rows = "".join(f"r{n}@example.com,,,yes\n" for n in range(5))
    seen: list[int] = []

    imports.import_file(f"email,c,l,consented\n{rows}".encode(), progress=seen.append)

    assert seen == [2, 4, 5]


def test_export_then_import_reports_everything_unchanged(tmp_path, run, categories):
    llm, research = (Category.objects.get(slug=s) for s in ("llm", "research"))
    SubscriberFactory(
        email="en@example.com", language="en", frequency="weekly"
    ).categories.set([llm, research])
    SubscriberFactory(email="plain@example.com", confirmed_at=timezone.now())
    SubscriberFactory(email="wait@example.com", status=Subscriber.Status.PENDING)
    SubscriberFactory(email="gone@example.com", status=Subscriber.Status.UNSUBSCRIBED)
    SubscriberFactory(email="=1+2@example.com")  # a formula to a spreadsheet
    path = tmp_path / "out.csv"
    call_command("export_subscribers", str(path), stderr=io.StringIO())

    data = path.read_bytes()
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "email,categories,language,status,consented,"
        "created_at,confirmed_at,unsubscribed_at,name,frequency"
    )
    assert lines[1].startswith("en@example.com,llm|research,en,active,yes,20")
    assert lines[1].endswith(",weekly")
    assert lines[3].startswith("wait@example.com,,ko,pending,no,20")
    assert lines[5].startswith("'=1+2@example.com,,ko,active,yes,")

    report = run(data)

    assert counts(report) == (0, 0, 5)
    assert skipped(report) == []


# --- the admin --------------------------------------------------------------

IMPORT_URL = "/admin/subscribers/subscriber/import/"
CHANGELIST = "/admin/subscribers/subscriber/"


def staff(*codenames: str) -> User:
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="subscribers", codename__in=codenames
        )
    )
    return user


@pytest.mark.usefixtures("english_admin")  # asserts the English words
def test_editor_with_permissions_imports_through_the_admin(
    client, categories, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(staff("add_subscriber", "change_subscriber", "view_subscriber"))
    assert IMPORT_URL in client.get(CHANGELIST).content.decode()
    file = io.BytesIO(LIST.encode("utf-8-sig"))
    file.name = "list.csv"

    response = client.post(IMPORT_URL, {"file": file})
    job = SubscriberImport.objects.get()
    columns = reverse("admin:subscribers_subscriber_import_columns", args=[job.id])
    assert response["Location"] == columns
    with django_capture_on_commit_callbacks(execute=True):
        client.post(columns, {"column_0": "email", "column_3": "consented"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:subscribers_subscriber_import_apply", args=[job.id])
        )

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:subscribers_subscriberimport_change", args=[job.id]
    )
    page = client.get(response["Location"]).content.decode()
    assert "2 / 2 rows (100%)" in page
    assert (
        "2 created, 0 updated, 0 unchanged, 0 held (never emailed), 0 rejected" in page
    )
    assert "1 pending: not emailed until invited" in page
    assert '?status__exact=pending">pending subscribers</a>' in page
    assert Subscriber.objects.count() == 2
    # Only the columns chosen were read: no language or categories.
    assert Subscriber.objects.get(email="alice@example.com").language == "ko"
    assert mailoutbox == []
    listing = client.get(reverse("admin:subscribers_subscriberimport_changelist"))
    assert "list.csv" in listing.content.decode()


def test_editor_sees_why_a_file_is_refused_and_nothing_changes(client, categories):
    client.force_login(staff("add_subscriber", "change_subscriber", "view_subscriber"))
    file = io.BytesIO(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00")
    file.name = "list.xlsx"

    response = client.post(IMPORT_URL, {"file": file})

    assert response.status_code == 400
    assert "Save it as CSV" in response.content.decode()
    assert not SubscriberImport.objects.exists()
    assert not Subscriber.objects.exists()


def test_staff_without_permissions_is_not_offered_the_import(client, categories):
    client.force_login(staff("view_subscriber"))
    assert IMPORT_URL not in client.get(CHANGELIST).content.decode()
    assert client.get(IMPORT_URL).status_code == 403
    file = io.BytesIO(LIST.encode())
    file.name = "list.csv"
    assert client.post(IMPORT_URL, {"file": file}).status_code == 403
    assert not Subscriber.objects.exists()


def test_export_action_downloads_the_selected_subscribers(client, categories):
    client.force_login(staff("view_subscriber"))
    alice = SubscriberFactory(email="alice@example.com")
    SubscriberFactory(email="bob@example.com")

    response = client.post(
        CHANGELIST, {"action": "export_selected_csv", "_selected_action": [alice.id]}
    )

    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("alice@example.com,,ko,active,yes,")


@pytest.mark.usefixtures("english_admin")  # asserts the English words
def test_an_import_waiting_for_its_worker_shows_and_reloads_its_page(
    client, categories
):
    client.force_login(staff("add_subscriber", "change_subscriber"))
    job = import_runs.create_import(LIST.encode(), file_name="waiting.csv")
    import_runs.start_preview(job, job.mapping)
    import_runs.approve(job.id)
    SubscriberImport.objects.filter(id=job.id).update(status="pending")
    listing = client.get(reverse("admin:subscribers_subscriberimport_changelist"))
    assert "waiting to start" in listing.content.decode()

    page = client.get(
        reverse("admin:subscribers_subscriberimport_change", args=[job.id])
    ).content.decode()

    assert '<meta http-equiv="refresh" content="2">' in page
    assert "waiting.csv" in page


def test_upload_while_the_task_queue_is_down_says_so_instead_of_failing(
    client, categories, monkeypatch
):
    from subscribers import jobs

    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(jobs.import_subscribers, "delay_on_commit", unreachable)
    client.force_login(staff("add_subscriber", "change_subscriber"))
    file = io.BytesIO(LIST.encode())
    file.name = "list.csv"
    client.post(IMPORT_URL, {"file": file})
    job = SubscriberImport.objects.get()

    response = client.post(
        reverse("admin:subscribers_subscriber_import_columns", args=[job.id]),
        {"column_0": "email"},
        follow=True,
    )

    assert response.status_code == 200
    assert "task queue could not be reached" in response.content.decode()
    assert SubscriberImport.objects.get().status == SubscriberImport.Status.FAILED
    assert not Subscriber.objects.exists()
