"""An editor's changes to a digest being reviewed: a section's text, a section
written again, stories merged or split. A frozen digest (sending or sent) refuses them."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from ingestion.models import Article
from newsletter import audit, llm
from newsletter.drafting import papers, summarize
from newsletter.editorial import compression, sections, stories
from newsletter.models import Digest, DigestSection, MergedStory, Story
from newsletter.services import bilingual
from newsletter.services.build import _save_section, _source_groups, _told_by_story


def frozen_message(digest: Digest) -> str:
    """Why a sending or sent digest refuses a change, in the editor's language."""
    return gettext("%(digest)s is already %(status)s: it cannot change.") % {
        "digest": digest,
        "status": digest.get_status_display(),
    }


def edit_section(section: DigestSection, content: dict, *, actor=None) -> list[str]:
    """An editor's text for a section (normalised by the form's check): saved, the
    other languages follow it or keep what an editor wrote in them (``bilingual``),
    and the edit is in the digest's history. Returns notes for the editors."""
    if section.digest.is_frozen:
        raise ValueError(frozen_message(section.digest))
    sections.save_content(section, content)
    section.edited_by_editor = True
    section.generated_by = DigestSection.GeneratedBy.EDITOR
    notes = bilingual.retranslate_after_edit(section)
    section.save()
    audit.record(
        section.digest_id,
        audit.Action.EDITED,
        actor=actor,
        detail=str(section.category),
    )
    return notes


def regenerate_section(section_id: int, *, actor=None) -> DigestSection:
    """Write one section again from its stories as they are now (an editor may have
    merged or split them), dropping an editor's edits to its text."""
    section = DigestSection.objects.select_related("digest", "category").get(
        id=section_id
    )
    if section.digest.is_frozen:
        raise ValueError(frozen_message(section.digest))
    if section.digest.edition == Digest.Edition.PAPERS:
        members = _own_sources(section)
        draft = papers.draft_section(
            section.category,
            members,
            total=max(len(members), (section.content or {}).get("total", 0)),
            language=section.digest.language,
            digest=section.digest,
            budget=llm.TokenBudget(settings.LLM_TOKEN_BUDGET),
        )
    else:
        members, draft = _redraft_news_section(section)
    section = _save_section(section.digest, section.category, members, draft)
    DigestSection.objects.filter(id=section.id).update(edited_by_editor=False)
    section.refresh_from_db()
    bilingual.retranslate_after_edit(section)
    section.save(update_fields=["translations"])
    audit.record(
        section.digest_id,
        audit.Action.REGENERATED,
        actor=actor,
        detail=str(section.category),
    )
    return section


def _own_sources(section: DigestSection) -> list[Article]:
    return [
        s.article for s in section.sources.select_related("article").order_by("number")
    ]


def _redraft_news_section(section: DigestSection):
    """A News section written again from its stories as they are now; a digest built
    before stories, from its own sources."""
    told = [
        stories.plan_of(story)
        for story in section.digest.stories.filter(category=section.category)
        .select_related("lead_article")
        .prefetch_related("articles__source")
    ]
    told = [plan for plan in told if plan.articles and not plan.is_left_out]
    members = [a for plan in told for a in plan.articles] or _own_sources(section)
    draft = summarize.summarize_groups(
        section.category,
        _source_groups(told) if told else compression.one_per_article(members),
        language=section.digest.language,
        digest=section.digest,
        budget=llm.TokenBudget(settings.LLM_TOKEN_BUDGET),
    )
    if told:
        draft.content = _told_by_story(draft, told, members, section.digest.language)
    return members, draft


@transaction.atomic
def merge_stories(chosen: list[Story]) -> Story:
    """An editor's merge: the articles of `chosen` (one digest's) become the first's,
    the best ranked; the others are deleted. Kept on rebuild."""
    if len({story.digest_id for story in chosen}) != 1:
        raise ValueError(gettext("Stories of different digests cannot be merged."))
    if chosen[0].digest.is_frozen:
        raise ValueError(frozen_message(chosen[0].digest))
    chosen = sorted(chosen, key=lambda s: (-s.score, s.position, s.id))
    keep, rest = chosen[0], chosen[1:]
    for story in rest:
        keep.articles.add(*story.articles.all())
        _remember_merge(story, keep)
        story.delete()
    keep.edited_by_editor = True
    keep.save(update_fields=["edited_by_editor"])
    return keep


def _remember_merge(story: Story, keep: Story) -> None:
    """Links already out name `story`: they now reach `keep` (``MergedStory``),
    and so do the stories merged into `story` before."""
    MergedStory.objects.filter(into=story).update(into=keep)
    MergedStory.objects.update_or_create(merged_id=story.id, defaults={"into": keep})


@transaction.atomic
def split_story(story: Story, articles: list[Article]) -> Story:
    """An editor's split: `articles` leave `story` for a new story of the same digest,
    ranked just after it. Both are kept on rebuild."""
    if story.digest.is_frozen:
        raise ValueError(frozen_message(story.digest))
    articles = sorted(articles, key=lambda a: (stories.published_at(a), a.id))
    new = Story.objects.create(
        digest=story.digest,
        category=story.category,
        title=articles[0].title[:1000],
        lead_article=articles[0],
        score=story.score,
        position=story.position,
        edited_by_editor=True,
    )
    new.articles.set(articles)
    story.articles.remove(*articles)
    if story.lead_article_id in {a.id for a in articles}:
        story.lead_article = story.articles.first()
    story.edited_by_editor = True
    story.save(update_fields=["lead_article", "edited_by_editor"])
    return new
