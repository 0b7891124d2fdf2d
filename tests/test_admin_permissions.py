"""Admin actions run only for users holding the permission each declares.

A staff user with view-only rights once erased and unsubscribed subscribers and was
offered approve, send now, rebuild and fetch. Here every action of every registered
admin is POSTed by such a user: none is offered, each is refused with 403, and no row,
email or file changes. A user granted the action's permission still runs it.
"""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from ingestion.models import Article, Source
from newsletter.models import (
    Category,
    Delivery,
    Digest,
    DigestSection,
    LLMCall,
    Story,
)
from subscribers.models import (
    DeletedDeliveryCount,
    Subscriber,
    SubscriberEmail,
    SubscriberImport,
    TrackingEvent,
)
from tests.factories import (
    ArticleFactory,
    DigestFactory,
    SourceFactory,
    SubscriberFactory,
    make_section,
)

# The admin's words are asserted in English.
pytestmark = pytest.mark.usefixtures("english_admin")


@pytest.fixture
def rows(defaults):
    """At least one row behind every registered admin."""
    llm = Category.objects.get(slug="llm")
    digest = DigestFactory(
        status=Digest.Status.READY, chart_png=b"\x89PNG", category_counts={"llm": 1}
    )
    article = ArticleFactory(category=llm, needs_review=True)
    make_section(digest, llm, [article], generated_by="offline")
    story = Story.objects.create(digest=digest, category=llm, title=article.title)
    story.articles.set([article])
    sent = DigestFactory(date=dt.date(2026, 8, 21), status=Digest.Status.SENT)
    reader = SubscriberFactory(email="reader@example.com")
    Delivery.objects.create(digest=sent, subscriber=reader, status="sent")
    DeletedDeliveryCount.objects.create(digest=sent, status="sent", count=2)
    TrackingEvent.objects.create(event_id="postmark:1", event_type="bounced")
    SubscriberEmail.objects.create(subscriber=reader, kind="welcome", status="sent")
    SubscriberImport.objects.create(
        file_name="list.csv", status=SubscriberImport.Status.DONE, total_rows=1
    )
    LLMCall.objects.create(purpose="summarize", model="m", cache_key="k" * 64)
    # Port 9 (discard) answers nothing on 127.0.0.1: a fetch can only fail, harmlessly.
    SourceFactory(
        name="Paused feed", url="http://127.0.0.1:9/feed.xml", paused_at=timezone.now()
    )
    Group.objects.create(name="editors")
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    SolarSchedule.objects.create(event="sunrise", latitude=37.5, longitude=127.0)
    who = {"user_agent": "test", "ip_address": "127.0.0.9", "username": "ghost"}
    AccessAttempt.objects.create(
        **who, http_accept="*/*", path_info="/admin/login/", get_data="",
        post_data="", failures_since_start=1,
    )  # fmt: skip
    AccessLog.objects.create(**who, http_accept="*/*", path_info="/admin/login/")
    AccessFailureLog.objects.create(**who, http_accept="*/*", path_info="/admin/")
    assert PeriodicTask.objects.filter(enabled=True).exists()


def _staff(django_user_model, username: str, codenames: list[str]):
    user = django_user_model.objects.create_user(username, password=None)
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _state() -> dict:
    """Every row behind every admin, the emails sent and the files exported."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in admin.site._registry
    } | {"outbox": len(mail.outbox)}


# Actions that only read, offered to whoever may view the rows: they change nothing.
READ_ONLY_ACTIONS = {"export_selected_csv"}


def test_a_view_only_user_is_offered_no_action_and_every_one_is_refused(
    client, django_user_model, rows, settings
):
    view_codenames = list(
        Permission.objects.filter(codename__startswith="view_").values_list(
            "codename", flat=True
        )
    )
    client.force_login(_staff(django_user_model, "viewer", view_codenames))
    tried = []

    for model, model_admin in admin.site._registry.items():
        url = _changelist(model)
        page = client.get(url)
        assert page.status_code == 200, url
        offered = set(re.findall(r'<option value="(\w+)">', page.content.decode()))
        assert offered <= READ_ONLY_ACTIONS, url
        selected = [str(pk) for pk in model.objects.values_list("pk", flat=True)]
        assert selected, f"no {model._meta.label} row to act on"
        for _, name, _ in model_admin._get_base_actions():
            if name in READ_ONLY_ACTIONS:
                continue
            before = _state()
            response = client.post(
                url,
                {
                    "action": name,
                    "_selected_action": selected,
                    "index": 0,
                    "post": "yes",
                },
            )
            assert response.status_code == 403, (url, name)
            assert _state() == before, (url, name)
            tried.append(name)

    for name in ["approve", "send_now", "rebuild", "export_markdown", "regenerate",
                 "unsubscribe_selected", "erase_selected", "resume", "fetch_now",
                 "mark_reviewed", "run_tasks", "disable_tasks", "delete_selected"]:  # fmt: skip
        assert name in tried
    assert mail.outbox == []
    assert not (settings.VAR_DIR / "digests").exists()


def _digest(status=Digest.Status.READY) -> Digest:
    return Digest.objects.get(status=status)


def _approve_first() -> Digest:
    digest = _digest()
    digest.status = Digest.Status.APPROVED
    digest.save()
    return digest


def _expired_attempt() -> AccessAttempt:
    attempt = AccessAttempt.objects.get()
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=timezone.now() - dt.timedelta(days=2)
    )
    return attempt


# (model, action, permissions besides view, the rows to select, what the user sees)
GRANTED = [
    (Digest, "approve", ["approve_digest"], lambda: [_digest()],
     lambda s: Digest.objects.filter(status="approved").exists()),
    (Digest, "send_now", ["send_digest"], lambda: [_approve_first()],
     lambda s: [m.to for m in mail.outbox] == [["reader@example.com"]]),
    (Digest, "rebuild", ["change_digest"], lambda: [_digest()],
     lambda s: "Rebuilt." in s),
    (Digest, "export_markdown", ["change_digest"], lambda: [_digest()],
     lambda s: "News_2026-08-22_report.md" in s),
    (DigestSection, "regenerate", ["change_digestsection"],
     lambda: list(DigestSection.objects.all()), lambda s: "Regenerated." in s),
    (Subscriber, "unsubscribe_selected", ["change_subscriber"],
     lambda: list(Subscriber.objects.all()),
     lambda s: Subscriber.objects.get().status == "unsubscribed"),
    (Subscriber, "erase_selected", ["erase_subscriber"],
     lambda: list(Subscriber.objects.all()),
     lambda s: not Subscriber.objects.exists()),
    # Django's own delete erases the same way: the delivery survives as a count.
    (Subscriber, "delete_selected", ["delete_subscriber", "delete_delivery"],
     lambda: list(Subscriber.objects.all()),
     lambda s: not Subscriber.objects.exists()
     and DeletedDeliveryCount.objects.get(status="sent").count == 3),
    (Source, "resume", ["change_source"],
     lambda: list(Source.objects.filter(paused_at__isnull=False)),
     lambda s: not Source.objects.filter(paused_at__isnull=False).exists()),
    (Source, "fetch_now", ["fetch_source"],
     lambda: list(Source.objects.filter(name="Paused feed")),
     lambda s: Source.objects.get(name="Paused feed").last_fetched_at is not None),
    (Article, "mark_reviewed", ["change_article"], lambda: list(Article.objects.all()),
     lambda s: not Article.objects.filter(needs_review=True).exists()),
    (PeriodicTask, "disable_tasks", ["change_periodictask"],
     lambda: list(PeriodicTask.objects.all()),
     lambda s: not PeriodicTask.objects.filter(enabled=True).exists()),
    (AccessAttempt, "cleanup_expired_attempts", ["delete_accessattempt"],
     lambda: [_expired_attempt()], lambda s: not AccessAttempt.objects.exists()),
]  # fmt: skip


@pytest.mark.parametrize(
    "model, action, codenames, select, done", GRANTED, ids=[g[1] for g in GRANTED]
)
def test_a_user_granted_the_permission_runs_the_action(
    client, django_user_model, rows, model, action, codenames, select, done
):
    view = f"view_{model._meta.model_name}"
    client.force_login(_staff(django_user_model, "editor", [view, *codenames]))
    url = _changelist(model)
    assert f'value="{action}"' in client.get(url).content.decode()

    response = client.post(
        url,
        {
            "action": action,
            "_selected_action": [obj.pk for obj in select()],
            "index": 0,
            "post": "yes",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert done(response.content.decode()), response.content.decode()[-3000:]


def test_a_digest_status_is_never_edited_by_hand(admin_client, rows):
    sent = _digest(Digest.Status.SENT)
    url = reverse("admin:newsletter_digest_change", args=[sent.id])

    page = admin_client.get(url).content.decode()
    admin_client.post(url, {"status": Digest.Status.APPROVED})

    assert 'name="status"' not in page
    sent.refresh_from_db()
    assert sent.status == Digest.Status.SENT


def test_a_view_only_user_can_neither_file_articles_nor_edit_sections(
    client, django_user_model, rows
):
    client.force_login(
        _staff(django_user_model, "viewer", ["view_article", "view_digestsection"])
    )
    article = Article.objects.get(needs_review=True)
    section = DigestSection.objects.get()
    others = Category.objects.get(slug="others")
    before = _state()

    filed = client.post(
        _changelist(Article),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": article.id,
            "form-0-category": others.id,
            "_save": "Save",
        },
    )
    edited = client.post(
        reverse("admin:newsletter_digestsection_change", args=[section.id]),
        {"topics": "forged", "final_summary": "forged"},
    )

    assert (filed.status_code, edited.status_code) == (403, 403)
    assert _state() == before
