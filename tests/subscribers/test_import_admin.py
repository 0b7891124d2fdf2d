"""The admin's import: upload, the columns with the first rows, a preview that
changes nothing, then applying exactly that preview."""

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from subscribers.models import Subscriber, SubscriberImport
from tests.factories import SubscriberFactory

# The admin's words are asserted in English.
pytestmark = pytest.mark.usefixtures("english_admin")

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
IMPORT_URL = "/admin/subscribers/subscriber/import/"
CHANGELIST = "/admin/subscribers/subscriber/"


@pytest.fixture
def editor(client, categories):
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="subscribers",
            codename__in=["add_subscriber", "change_subscriber", "view_subscriber"],
        )
    )
    client.force_login(user)
    return client


def upload(client, path: Path, name: str | None = None):
    file = io.BytesIO(path.read_bytes())
    file.name = name or path.name
    return client.post(IMPORT_URL, {"file": file})


def everything() -> list[dict]:
    return list(Subscriber.objects.values().order_by("id"))


def test_mapping_preview_and_apply_of_an_unknown_file(
    editor, django_capture_on_commit_callbacks, mailoutbox
):
    SubscriberFactory(email="second.custom@example.com", name="", language="en")
    before = everything()

    response = upload(editor, DATA / "custom_mapping.csv")

    job = SubscriberImport.objects.get()
    columns_url = reverse("admin:subscribers_subscriber_import_columns", args=[job.id])
    assert response["Location"] == columns_url
    page = editor.get(columns_url).content.decode()
    assert "CSV read with your column mapping" in page
    assert "first.custom@example.com" in page and "Second Custom" in page  # rows
    assert "<th>Opt-in</th>" in page
    # Nothing mapped to the address: the editor hears so and nothing runs.
    refused = editor.post(columns_url, {"column_0": "ignore"})
    assert refused.status_code == 400
    assert "No column holds the email address" in refused.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            columns_url,
            {
                "column_0": "email",
                "column_1": "name",
                "column_2": "consented",
                "column_3": "ignore",
            },
        )

    change_url = reverse("admin:subscribers_subscriberimport_change", args=[job.id])
    assert response["Location"] == change_url
    preview = editor.get(change_url).content.decode()
    assert "Preview, nothing changed yet: 1 created, 1 updated, 0 unchanged" in preview
    assert "first.custom@example.com" in preview
    assert "active: Opt-in Y" in preview
    assert "name" in preview  # what the update changes
    assert "Apply this preview" in preview
    assert everything() == before
    assert mailoutbox == []

    apply_url = reverse("admin:subscribers_subscriber_import_apply", args=[job.id])
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(apply_url)

    assert response["Location"] == change_url
    done = editor.get(change_url).content.decode()
    assert "1 created, 1 updated, 0 unchanged, 0 held" in done
    assert "Apply this preview" not in done
    first = Subscriber.objects.get(email="first.custom@example.com")
    assert (first.status, first.name) == ("active", "First Custom")
    second = Subscriber.objects.get(email="second.custom@example.com")
    assert (second.name, second.language) == ("Second Custom", "en")
    assert mailoutbox == []
    # Applied once: the step is gone.
    assert editor.post(apply_url).status_code == 403


def test_a_known_export_comes_with_its_columns_chosen(
    editor, django_capture_on_commit_callbacks, mailoutbox
):
    upload(editor, DATA / "korean_cp949.csv")
    job = SubscriberImport.objects.get()
    columns_url = reverse("admin:subscribers_subscriber_import_columns", args=[job.id])

    page = editor.get(columns_url).content.decode()

    assert "Korean newsletter tool export" in page
    assert '<option value="status" selected>' in page
    assert "수신거부" in page
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(
            columns_url,
            {"column_0": "email", "column_1": "name", "column_2": "status"},
        )
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(reverse("admin:subscribers_subscriber_import_apply", args=[job.id]))

    assert set(Subscriber.objects.receiving().values_list("email", flat=True)) == {
        "kim.subscriber@example.com",
        "park.plain@example.com",
    }
    assert Subscriber.objects.get(email="lee.refused@example.com").is_held
    assert mailoutbox == []


def test_apply_refuses_what_the_preview_did_not_show(
    editor, django_capture_on_commit_callbacks
):
    upload(editor, DATA / "ghost.csv")
    job = SubscriberImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(
            reverse("admin:subscribers_subscriber_import_columns", args=[job.id]),
            {"column_1": "email", "column_2": "name", "column_4": "subscribed"},
        )
    # Someone signs up between the preview and the click.
    SubscriberFactory(email="member.one@example.com", status="pending")
    before = everything()

    with django_capture_on_commit_callbacks(execute=True):
        editor.post(reverse("admin:subscribers_subscriber_import_apply", args=[job.id]))

    assert everything() == before
    job.refresh_from_db()
    assert job.status == SubscriberImport.Status.PREVIEWED
    page = editor.get(
        reverse("admin:subscribers_subscriberimport_change", args=[job.id])
    ).content.decode()
    assert "changed since this preview" in page
    assert (
        "Preview, nothing changed yet: 0 created, 1 updated, 0 unchanged, 1 held"
        in page
    )


def test_invite_action_emails_only_pending_subscribers(
    editor, mailoutbox, django_capture_on_commit_callbacks
):
    waiting = SubscriberFactory(email="waiting@example.com", status="pending")
    active = SubscriberFactory(email="active@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            CHANGELIST,
            {"action": "invite_selected", "_selected_action": [waiting.id, active.id]},
            follow=True,
        )

    assert "1 invitation(s) to confirm queued" in response.content.decode()
    assert [m.to for m in mailoutbox] == [["waiting@example.com"]]
    assert "/confirm/" in mailoutbox[0].body
