"""What an editor does in the admin: review, edit, approve, send."""

import html
import re

import pytest
from django.urls import reverse

from newsletter.models import Category, Delivery, Digest, DigestSection
from tests.factories import (
    ArticleFactory,
    DigestFactory,
    SubscriberFactory,
    make_section,
)


@pytest.fixture
def editor_client(client, django_user_model, defaults):
    editor = django_user_model.objects.create_superuser(
        "editor", "editor@example.com", "pw"
    )
    client.force_login(editor)
    return client


@pytest.fixture
def ready_digest(defaults):
    digest = DigestFactory(status=Digest.Status.READY, chart_png=b"\x89PNG...")
    articles = [ArticleFactory(title=f"Model news {n}") for n in range(2)]
    section = make_section(
        digest, Category.objects.get(slug="llm"), articles, generated_by="offline"
    )
    return digest, section


def test_editor_edits_a_section_and_rebuild_keeps_it(editor_client, ready_digest):
    digest, section = ready_digest
    url = reverse("admin:newsletter_digestsection_change", args=[section.id])
    page = editor_client.get(url)
    assert page.status_code == 200
    assert "OpenAI가 새 모델을 공개했다. [1]" in page.content.decode()

    response = editor_client.post(
        url,
        {
            "topics": "첫 주제\n\n둘째 주제",
            "events": "모델이 나왔다 [2]\n가격이 내렸다 [1][2]",
            "economy": "비용 하락",
            "politics_society": "",
            "science_technology": "속도 향상",
            "final_summary": "한 줄 요약",
            "needs_review": "",
            "review_notes": "",
            "sources-TOTAL_FORMS": "2",
            "sources-INITIAL_FORMS": "2",
            "sources-MIN_NUM_FORMS": "0",
            "sources-MAX_NUM_FORMS": "1000",
            "sources-0-id": section.sources.all()[0].id,
            "sources-0-section": section.id,
            "sources-1-id": section.sources.all()[1].id,
            "sources-1-section": section.id,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    section.refresh_from_db()
    assert section.edited_by_editor and section.generated_by == "editor"
    assert section.content["topics"] == ["첫 주제", "둘째 주제"]
    assert section.content["events"] == [
        {"text": "모델이 나왔다 [2]", "citations": [2]},
        {"text": "가격이 내렸다 [1][2]", "citations": [1, 2]},
    ]
    assert section.content["impact"]["science_technology"] == "속도 향상"


def test_editor_cannot_cite_a_source_the_section_does_not_have(
    editor_client, ready_digest
):
    digest, section = ready_digest
    url = reverse("admin:newsletter_digestsection_change", args=[section.id])
    before = section.content

    response = editor_client.post(
        url,
        {
            "topics": "",
            "events": "없는 출처 [7]",
            "economy": "",
            "politics_society": "",
            "science_technology": "",
            "final_summary": "",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
            "sources-MIN_NUM_FORMS": "0",
            "sources-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 200
    assert "[7] is not a source of this section" in response.content.decode()
    section.refresh_from_db()
    assert section.content == before and not section.edited_by_editor


def test_editor_approves_then_sends_once(editor_client, ready_digest, mailoutbox):
    digest, _ = ready_digest
    SubscriberFactory(email="reader@example.com")
    changelist = reverse("admin:newsletter_digest_changelist")

    editor_client.post(
        changelist, {"action": "approve", "_selected_action": [digest.id]}
    )
    digest.refresh_from_db()
    assert digest.status == Digest.Status.APPROVED
    send = {"action": "send_now", "_selected_action": [digest.id]}
    # The action asks first; each confirmed send is safe to repeat.
    editor_client.post(changelist, send)
    assert mailoutbox == []
    for _ in range(2):
        editor_client.post(changelist, {**send, "post": "yes"})

    assert [m.to for m in mailoutbox] == [["reader@example.com"]]
    assert Delivery.objects.get().status == Delivery.Status.SENT
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_digest_page_in_admin_shows_chart_counts_and_sections(
    editor_client, ready_digest
):
    digest, section = ready_digest
    digest.category_counts = {"llm": 2, "others": 5}
    digest.save()

    page = editor_client.get(
        reverse("admin:newsletter_digest_change", args=[digest.id])
    )

    body = page.content.decode()
    assert page.status_code == 200
    assert reverse("newsletter:digest_chart", args=["2026-08-22"]) in body
    assert "others: 5" in body and "llm: 2" in body
    assert reverse("admin:newsletter_digestsection_change", args=[section.id]) in body


def test_category_list_counts_articles_and_review_queue(editor_client, defaults):
    llm = Category.objects.get(slug="llm")
    ArticleFactory(category=llm, needs_review=True)
    ArticleFactory(category=llm)

    page = editor_client.get(reverse("admin:newsletter_category_changelist"))

    assert page.status_code == 200
    assert (
        f'category__id__exact={llm.id}&needs_review__exact=1">1</a>'
        in page.content.decode()
    )
    assert DigestSection.objects.count() == 0


def test_the_front_page_counts_only_flags_the_next_digest_can_use(editor_client):
    import datetime as dt

    from django.utils import timezone

    from ingestion.models import Article, Paper

    llm = Category.objects.get(slug="llm")
    vision = Category.objects.get(slug="papers-vision")
    ArticleFactory(category=llm, needs_review=True, title="Fresh LLM story")
    for n in range(2):
        paper = ArticleFactory(category=vision, needs_review=True)
        Paper.objects.create(article=paper, arxiv_id=f"2608.0000{n}")
    # Flagged three days ago: its digest went out; it no longer waits for anyone.
    old = ArticleFactory(category=llm, needs_review=True, title="Old LLM story")
    Article.objects.filter(pk=old.pk).update(
        first_seen_at=timezone.now() - dt.timedelta(days=3)
    )

    page = editor_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "카테고리가 필요한 기사 1건" in page
    assert "카테고리가 필요한 논문 2건" in page
    link = re.search(r'href="([^"]+)">카테고리가 필요한 기사', page).group(1)
    listed = editor_client.get(html.unescape(link)).content.decode()
    assert "Fresh LLM story" in listed and "Old LLM story" not in listed


def test_editor_files_an_article_from_the_review_queue_and_it_stays_filed(
    editor_client, defaults
):
    from ingestion.models import Article
    from newsletter.drafting import classify

    llm = Category.objects.get(slug="llm")
    article = ArticleFactory(
        category=Category.objects.get(slug="others"),
        classified_by="rules",
        needs_review=True,
        category_confidence=0.1,
    )
    url = reverse("admin:ingestion_article_changelist")

    response = editor_client.post(
        url + "?needs_review__exact=1",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": article.id,
            "form-0-category": llm.id,
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    article.refresh_from_db()
    assert (article.category, article.classified_by) == (llm, "editor")
    assert not article.needs_review and article.category_confidence == 1.0
    classify.classify_articles([article])  # a later run never overrides an editor
    article.refresh_from_db()
    assert article.category == llm
    assert Article.objects.filter(needs_review=True).count() == 0


def test_editor_marks_labels_reviewed_without_changing_them(editor_client, defaults):
    business = Category.objects.get(slug="ai-business")
    article = ArticleFactory(
        category=business, classified_by="rules", needs_review=True
    )

    editor_client.post(
        reverse("admin:ingestion_article_changelist"),
        {"action": "mark_reviewed", "_selected_action": [article.id]},
    )

    article.refresh_from_db()
    assert (article.category, article.classified_by) == (business, "rules")
    assert not article.needs_review
