"""The editors' desk: the front page, the digest's review page, preview, test send,
read-only after sending, and the digest's history."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from newsletter import services
from newsletter.models import Category, Delivery, Digest, DigestEvent
from newsletter.sending import rendering
from newsletter.sending.rendering import RenderError
from subscribers.models import Subscriber, TrackingEvent
from tests.factories import (
    ArticleFactory,
    DigestFactory,
    SourceFactory,
    SubscriberFactory,
    make_section,
)


@pytest.fixture
def today_digest(defaults):
    digest = DigestFactory(
        date=timezone.localdate(),
        status=Digest.Status.READY,
        category_counts={"llm": 2, "policy-safety": 1},
    )
    llm = make_section(
        digest,
        Category.objects.get(slug="llm"),
        [
            ArticleFactory(title="Model news one"),
            ArticleFactory(title="Model news two"),
        ],
    )
    flagged = make_section(
        digest,
        Category.objects.get(slug="policy-safety"),
        [ArticleFactory(title="Safety rule story")],
        needs_review=True,
        review_notes="Number 42% appears in no source.",
    )
    return digest, llm, flagged


def staff_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user(
        "staff", "staff@example.com", "pw", is_staff=True
    )
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def change_url(digest):
    return reverse("admin:newsletter_digest_change", args=[digest.id])


def test_front_page_shows_the_day_with_links(editor_client, today_digest, settings):
    digest, _, flagged = today_digest
    reader, other = SubscriberFactory(), SubscriberFactory()
    Delivery.objects.create(digest=digest, subscriber=reader, status="sent")
    Delivery.objects.create(digest=digest, subscriber=other, status="failed")
    SubscriberFactory(status=Subscriber.Status.PENDING)
    SubscriberFactory(status=Subscriber.Status.BOUNCED, unsubscribed_at=timezone.now())
    broken = SourceFactory(
        name="Broken feed", consecutive_failures=3, last_error="HTTP 503 from host"
    )
    ArticleFactory(needs_review=True)
    sent = DigestFactory(
        date=timezone.localdate() - dt.timedelta(days=1),
        status=Digest.Status.SENT,
        sent_at=timezone.now() - dt.timedelta(hours=20),
    )
    Delivery.objects.create(digest=sent, subscriber=other, status="sent")
    TrackingEvent.objects.create(event_id="x:1", event_type="hard", subscriber=other)
    TrackingEvent.objects.create(
        event_id="x:2", event_type="complaint", subscriber=other
    )

    page = editor_client.get(reverse("admin:index")).content.decode()

    assert "Today's digests" in page
    assert f'href="{change_url(digest)}"' in page
    assert "Ready for review" in page
    assert f"?digest__id__exact={digest.id}&amp;status__exact=failed" in page
    next_run = page.split("Next daily run:", 1)[1].split("</a>", 1)[0]
    assert f"{settings.DIGEST_SCHEDULE_HOUR:02d}:00" in next_run
    assert "1 article needs a category" in page
    assert f"{change_url(digest)}#section-{flagged.id}" in page
    assert "Number 42% appears in no source." in page
    assert reverse("admin:ingestion_source_change", args=[broken.id]) in page
    assert "HTTP 503 from host" in page
    assert "<strong>2</strong> active" in page
    assert "<strong>1</strong> pending" in page
    assert "<strong>1</strong> suppressed" in page
    assert "<svg" in page and "sign-ups" in page
    # Yesterday's digest: one bounce and one complaint from its readers.
    row = page.split(f'href="{change_url(sent)}"', 1)[1].split("</tr>", 1)[0]
    assert row.count(">1</a>") == 2


def test_front_page_shows_only_what_the_user_may_view(
    client, django_user_model, today_digest
):
    SourceFactory(name="Broken feed", consecutive_failures=3, last_error="HTTP 503")
    SubscriberFactory()
    client.force_login(staff_with(django_user_model, "view_digest"))

    page = client.get(reverse("admin:index")).content.decode()

    assert "Today's digests" in page
    assert "Broken feed" not in page and "Sources in trouble" not in page
    assert "active</a>" not in page and "<svg class" not in page
    assert "need a category" not in page and "needs a category" not in page
    assert "status__exact=failed" not in page  # no delivery figures either


def test_review_page_shows_sections_sources_flags_preview_and_size(
    editor_client, today_digest
):
    digest, llm, flagged = today_digest

    page = editor_client.get(change_url(digest)).content.decode()

    assert page.index(f'id="section-{llm.id}"') < page.index(
        f'id="section-{flagged.id}"'
    )
    assert "Model news one" in page and "Safety rule story" in page
    assert "desk-flagged" in page and "Number 42% appears in no source." in page
    assert "Edit this section" in page
    assert reverse("admin:newsletter_digest_preview", args=[digest.id]) in page
    assert "of the 90.0\xa0KB budget" in page
    assert "Send this version as a test" in page


def test_preview_is_the_readers_email_framed_by_the_admin_only(
    editor_client, today_digest
):
    digest, _, _ = today_digest
    url = reverse("admin:newsletter_digest_preview", args=[digest.id])

    english = editor_client.get(url, {"preview_language": "en"})
    korean = editor_client.get(
        url, {"preview_language": "ko", "preview_category": "policy-safety"}
    )

    assert english["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in english["Content-Security-Policy"]
    assert "script-src 'none'" in english["Content-Security-Policy"]
    english_html, korean_html = english.content.decode(), korean.content.decode()
    assert 'lang="en"' in english_html and 'lang="ko"' in korean_html
    assert "data:image/png;base64," in english_html  # the chart shows
    assert "새 모델 공개" in english_html  # section text stays as written
    assert "Safety rule story" in korean_html and "Model news one" not in korean_html


def test_preview_as_a_subscriber_uses_their_language_and_categories(
    editor_client, today_digest
):
    digest, _, _ = today_digest
    reader = SubscriberFactory(email="eng@example.com", language="en")
    reader.categories.set([Category.objects.get(slug="llm")])

    page = editor_client.get(
        change_url(digest), {"preview_subscriber": "ENG@example.com"}
    ).content.decode()
    html = editor_client.get(
        reverse("admin:newsletter_digest_preview", args=[digest.id]),
        {"preview_subscriber": "eng@example.com"},
    ).content.decode()

    assert "As received by eng@example.com (en; llm)" in page
    assert 'lang="en"' in html
    assert "Model news one" in html and "Safety rule story" not in html


def test_test_send_reaches_the_editor_marked_and_is_no_delivery(
    editor_client, today_digest, mailoutbox, settings
):
    digest, _, _ = today_digest
    settings.DIGEST_TEST_RECIPIENTS = ["desk@example.com"]

    response = editor_client.post(
        reverse("admin:newsletter_digest_test_send", args=[digest.id]),
        {"preview_language": "en"},
    )

    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == [
        "desk@example.com",
        "editor@example.com",
    ]
    assert all(m.subject.startswith("[TEST] ") for m in mailoutbox)
    assert mailoutbox[0].extra_headers["X-Daily-AI-Insights-Test"] == "yes"
    assert not Delivery.objects.exists()
    event = DigestEvent.objects.get(digest=digest)
    assert event.action == "test_sent" and event.actor_name == "editor"
    assert "desk@example.com" in event.detail


def test_staff_without_the_permissions_cannot_test_send_approve_or_send(
    client, django_user_model, today_digest, mailoutbox
):
    digest, _, _ = today_digest
    SubscriberFactory()
    client.force_login(
        staff_with(
            django_user_model, "view_digest", "change_digest", "view_digestsection"
        )
    )

    SubscriberFactory(email="english@example.com", language="en")
    page = client.get(
        change_url(digest), {"preview_subscriber": "english@example.com"}
    ).content.decode()
    assert "english@example.com" not in page  # no subscriber rights: no lookup
    assert "Send this version as a test" not in page
    assert "Send to subscribers" not in page and ">Approve<" not in page
    for name in ("test_send", "approve", "send"):
        url = reverse(f"admin:newsletter_digest_{name}", args=[digest.id])
        assert client.post(url).status_code == 403, name

    assert mailoutbox == [] and not Delivery.objects.exists()
    digest.refresh_from_db()
    assert digest.status == Digest.Status.READY
    assert not DigestEvent.objects.exists()


def test_edit_in_place_saves_the_section_and_keeps_history(editor_client, today_digest):
    digest, llm, _ = today_digest
    prefix = f"section-{llm.id}"

    response = editor_client.post(
        reverse("admin:newsletter_digest_edit_section", args=[digest.id, llm.id]),
        {
            f"{prefix}-topics": "편집한 주제",
            f"{prefix}-events": "편집한 사건 [2]",
            f"{prefix}-final_summary": "편집한 요약",
            f"{prefix}-review_notes": "",
        },
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"#section-{llm.id}")
    llm.refresh_from_db()
    assert llm.content["topics"] == ["편집한 주제"] and llm.edited_by_editor
    page = editor_client.get(change_url(digest)).content.decode()
    assert "Edited a section" in page and "llm" in page.lower()


def test_edit_citing_a_missing_source_shows_the_error_and_saves_nothing(
    editor_client, today_digest
):
    digest, llm, _ = today_digest
    before = llm.content
    prefix = f"section-{llm.id}"

    response = editor_client.post(
        reverse("admin:newsletter_digest_edit_section", args=[digest.id, llm.id]),
        {f"{prefix}-topics": "주제", f"{prefix}-events": "없는 출처 [9]"},
    )

    assert response.status_code == 200
    assert "[9] is not a source of this section" in response.content.decode()
    llm.refresh_from_db()
    assert llm.content == before and not DigestEvent.objects.exists()


def test_approve_and_send_from_the_page_then_it_is_read_only(
    editor_client, today_digest, mailoutbox
):
    digest, llm, _ = today_digest
    SubscriberFactory(email="reader@example.com")

    editor_client.post(reverse("admin:newsletter_digest_approve", args=[digest.id]))
    send = reverse("admin:newsletter_digest_send", args=[digest.id])
    # The button asks first: a plain POST shows the count and sends nothing.
    confirm = editor_client.post(send).content.decode()
    assert "Send to subscribers?" in confirm and mailoutbox == []
    editor_client.post(send, {"post": "yes"})

    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT
    assert [m.to for m in mailoutbox] == [["reader@example.com"]]
    assert list(
        DigestEvent.objects.order_by("at", "id").values_list("action", "actor_name")
    ) == [("approved", "editor"), ("sent", "editor")]

    page = editor_client.get(change_url(digest)).content.decode()
    assert "read-only" in page
    assert "Edit this section" not in page and 'name="_save"' not in page
    edit = editor_client.post(
        reverse("admin:newsletter_digest_edit_section", args=[digest.id, llm.id]),
        {f"section-{llm.id}-topics": "늦은 편집"},
    )
    assert edit.status_code == 403
    section_page = reverse("admin:newsletter_digestsection_change", args=[llm.id])
    assert editor_client.post(section_page, {"topics": "늦은 편집"}).status_code == 403
    assert (
        editor_client.post(change_url(digest), {"status": "approved"}).status_code
        == 403
    )
    llm.refresh_from_db()
    digest.refresh_from_db()
    assert "늦은 편집" not in str(llm.content) and digest.status == Digest.Status.SENT


def test_regenerate_and_the_section_editor_are_kept_in_history(
    editor_client, today_digest, offline
):
    digest, llm, _ = today_digest
    editor_client.post(
        reverse("admin:newsletter_digestsection_changelist"),
        {"action": "regenerate", "_selected_action": [llm.id]},
    )
    section_page = reverse("admin:newsletter_digestsection_change", args=[llm.id])
    response = editor_client.post(
        section_page,
        {
            "topics": "표준 편집기에서 고친 주제",
            "events": "사건 [1]",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{change_url(digest)}#section-{llm.id}"
    assert list(
        DigestEvent.objects.order_by("at", "id").values_list(
            "action", "actor_name", "detail"
        )
    ) == [
        ("regenerated", "editor", str(llm.category)),
        ("edited", "editor", str(llm.category)),
    ]


def test_the_schedulers_release_is_kept_without_an_actor(
    today_digest, settings, mailoutbox
):
    digest, _, _ = today_digest
    SubscriberFactory()
    settings.DIGEST_REVIEW_WINDOW_MINUTES = 1
    Digest.objects.filter(id=digest.id).update(
        updated_at=timezone.now() - dt.timedelta(minutes=5)
    )
    assert services.release_reviewed_digests() == 1

    events = list(DigestEvent.objects.order_by("at", "id"))
    assert [(e.action, e.actor, e.actor_name) for e in events] == [
        ("approved", None, ""),
        ("sent", None, ""),
    ]
    assert "sent 1" in events[1].detail


def test_an_email_that_fails_to_render_leaves_the_page_usable(
    editor_client, today_digest, monkeypatch
):
    digest, _, _ = today_digest

    def broken(source):
        raise RenderError("MJML compile failed: unclosed tag")

    monkeypatch.setattr(rendering, "_compile", broken)

    page = editor_client.get(change_url(digest))
    frame = editor_client.get(
        reverse("admin:newsletter_digest_preview", args=[digest.id])
    )

    assert page.status_code == 200
    assert "could not be rendered: MJML compile failed" in page.content.decode()
    assert "Edit this section" in page.content.decode()
    assert frame.status_code == 500 and frame["Content-Type"].startswith("text/plain")


def test_the_desk_speaks_korean_to_a_korean_editor(client, editor, today_digest):
    digest, _, _ = today_digest
    client.force_login(editor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ko"

    front = client.get(reverse("admin:index")).content.decode()
    review = client.get(change_url(digest)).content.decode()

    assert "오늘의 다이제스트" in front and "플래그된 섹션 1개" in front
    assert "미리보기" in review and "이 버전을 테스트로 발송" in review
    assert "섹션 2개" in review


def test_a_rebuild_and_a_section_deletion_are_kept_in_history(
    editor_client, today_digest, offline, settings
):
    # Editors review before anything goes out: the rebuilt digest waits for them.
    settings.DIGEST_AUTO_APPROVE = False
    digest, llm, flagged = today_digest
    delete_url = reverse("admin:newsletter_digestsection_delete", args=[flagged.id])
    response = editor_client.post(delete_url, {"post": "yes"})
    assert response.status_code == 302
    assert not digest.sections.filter(id=flagged.id).exists()
    editor_client.post(
        reverse("admin:newsletter_digest_changelist"),
        {"action": "rebuild", "_selected_action": [digest.id]},
    )

    history = list(
        DigestEvent.objects.order_by("at", "id").values_list(
            "action", "actor_name", "detail"
        )
    )
    assert [(action, actor) for action, actor, _ in history] == [
        ("section_deleted", "editor"),
        ("rebuilt", "editor"),
    ]
    digest.refresh_from_db()
    assert digest.status == Digest.Status.READY
    assert history[0][2] == str(flagged.category)
    page = editor_client.get(change_url(digest)).content.decode()
    assert "Rebuilt" in page and "Deleted a section" in page
