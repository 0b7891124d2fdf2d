"""Editors fix the grouping: merge stories, split articles off, and a rebuild keeps it."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from newsletter import services
from newsletter.models import Story
from tests.factories import ArticleFactory

GPT = "OpenAI releases GPT-7 language model"
CLAUDE = "Anthropic releases Claude 9 language model"


@pytest.fixture
def built(defaults, offline):
    ArticleFactory(title=GPT, text="The new LLM chatbot reasons better.")
    ArticleFactory(title=CLAUDE, text="The language model writes code.")
    return services.build_digest(timezone.localdate())


def _staff(django_user_model, *codenames):
    user = django_user_model.objects.create_user("desk", "desk@example.com", "pw")
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_an_editor_merges_two_stories_and_a_rebuild_keeps_them_merged(
    built, client, django_user_model
):
    client.force_login(_staff(django_user_model, "view_story", "change_story"))
    ids = list(built.stories.values_list("id", flat=True))
    assert len(ids) == 2

    response = client.post(
        reverse("admin:newsletter_story_changelist"),
        {"action": "merge", "_selected_action": ids},
    )

    assert response.status_code == 302
    merged = Story.objects.get(digest=built)
    assert set(merged.articles.values_list("title", flat=True)) == {GPT, CLAUDE}
    services.build_digest(built.date)
    assert Story.objects.filter(digest=built).count() == 1


def test_an_editor_splits_an_article_off_into_a_story_of_its_own(
    built, client, django_user_model
):
    client.force_login(_staff(django_user_model, "view_story", "change_story"))
    services.merge_stories(list(built.stories.all()))
    story = Story.objects.get(digest=built)
    claude = story.articles.get(title=CLAUDE)

    response = client.post(
        reverse("admin:newsletter_story_change", args=[story.id]),
        {
            "title": story.title,
            "category": story.category_id,
            "score": story.score,
            "split_off": [claude.id],
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    groups = {
        frozenset(s.articles.values_list("title", flat=True))
        for s in Story.objects.filter(digest=built)
    }
    assert groups == {frozenset({GPT}), frozenset({CLAUDE})}


def test_merging_needs_the_change_permission(built, client, django_user_model):
    client.force_login(_staff(django_user_model, "view_story"))
    ids = list(built.stories.values_list("id", flat=True))

    response = client.post(
        reverse("admin:newsletter_story_changelist"),
        {"action": "merge", "_selected_action": ids},
    )

    assert response.status_code == 403
    assert Story.objects.filter(digest=built).count() == 2


def test_an_editors_edit_of_a_section_keeps_its_stories(built):
    from newsletter.desk.forms import DigestSectionForm

    section = built.sections.get(category__slug="llm")
    stories = section.content["stories"]
    assert len(stories) == 2

    form = DigestSectionForm(
        instance=section,
        data={"excerpts": "Wire | 2026-08-22 | GPT-7 is out. [1]", "review_notes": ""},
    )
    assert form.is_valid(), form.errors
    services.edit_section(section, form.content)

    section.refresh_from_db()
    assert section.content["excerpts"][0]["text"] == "GPT-7 is out. [1]"
    assert section.content["stories"] == stories
