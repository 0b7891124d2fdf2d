"""Building a day's digest: its window, classification, stories, sections, the
translations, the chart, then ready for review or approved."""

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ingestion.models import Article, Source
from newsletter import audit, chart, llm
from newsletter.drafting import classify, headlines, papers, summarize, translation
from newsletter.editorial import compression, excerpts, sections, stories
from newsletter.models import Category, Digest, DigestSection, DigestSource, Story
from newsletter.services import approval, bilingual, empty_day, weekly

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


def _noop(message: str) -> None:
    pass


def digest_articles(digest: Digest) -> list[Article]:
    """The window of a digest: articles published in the DIGEST_WINDOW_HOURS up to its
    window end (``stories.published_at``: the feed's date, else the page's, else first
    seen; a date after first seen counts as first seen), on the first run too, less
    those an earlier digest already sent."""
    start, end = digest.window_start, digest.window_end
    already_sent = DigestSource.objects.filter(
        section__digest__status__in=Digest.PUBLISHED_STATUSES
    ).exclude(section__digest=digest)
    # Published in the window means first seen after its start (never before it).
    candidates = (
        Article.objects.originals()
        .filter(first_seen_at__gt=start, source__kind=Source.Kind.NEWS)
        .exclude(id__in=already_sent.values("article_id"))
        .select_related("source", "category")
    )
    chosen = [a for a in candidates if start < stories.published_at(a) <= end]
    chosen.sort(key=lambda a: (stories.published_at(a), a.id))
    return chosen


def window_end(day: dt.date) -> dt.datetime:
    """Now, or the end of `day` (TIME_ZONE) for a day already over: rebuilding a past
    day (or the demo's sample day) covers what was published by then."""
    day_end = timezone.make_aware(dt.datetime.combine(day, dt.time.max))
    return min(timezone.now(), day_end)


def _open_digest(day: dt.date, *, edition: str, language: str) -> Digest:
    with transaction.atomic():
        digest, _ = Digest.objects.select_for_update().get_or_create(
            date=day, edition=edition, defaults={"language": language}
        )
        if digest.is_frozen:
            return digest
        if edition == Digest.Edition.PAPERS:
            digest.window_start, digest.window_end = _papers_window(day)
        elif edition == Digest.Edition.WEEKLY:
            digest.window_start, digest.window_end = weekly.week_window(day)
        else:
            digest.window_end = window_end(day)
            digest.window_start = digest.window_end - dt.timedelta(
                hours=settings.DIGEST_WINDOW_HOURS
            )
        digest.language = language
        digest.status = Digest.Status.DRAFT
        digest.save()
    return digest


def _papers_window(day: dt.date) -> tuple[dt.datetime | None, dt.datetime]:
    """A paper is news when an arXiv listing first announces it (``announced_at``), so
    the Papers window runs from the previous Papers digest to now; the first one
    reaches back PAPERS_FIRST_RUN_HOURS (``papers.window_papers``)."""
    previous = (
        Digest.objects.filter(
            edition=Digest.Edition.PAPERS, date__lt=day, window_end__isnull=False
        )
        .order_by("-date")
        .first()
    )
    return (previous.window_end if previous else None), timezone.now()


def build_digest(
    day: dt.date,
    *,
    edition: str = Digest.Edition.NEWS,
    language: str | None = None,
    progress: Progress = _noop,
) -> Digest:
    """Classify the window's articles, write one section per category, draw the chart.

    Idempotent per (day, edition): a re-run updates the same Digest in place, keeps
    sections an editor edited, and never touches a digest that is sending or sent.
    A build that raises leaves the digest ``failed`` with the reason in its notes; the
    next run of the day opens it again.
    """
    digest = _open_digest(
        day, edition=edition, language=language or settings.DIGEST_LANGUAGE
    )
    if digest.is_frozen:
        progress(f"digest {digest} is already {digest.status}: left as it is")
        return digest
    fill = {
        Digest.Edition.PAPERS: _fill_papers_digest,
        Digest.Edition.WEEKLY: _fill_weekly_digest,
    }.get(edition, _fill_digest)
    try:
        fill(digest, progress)
    except Exception as exc:
        Digest.objects.filter(id=digest.id).update(
            status=Digest.Status.FAILED, notes=f"Build failed: {exc!r}"[:2000]
        )
        raise
    progress(
        f"digest {digest}: {digest.sections.count()} sections, status {digest.status}"
    )
    return digest


def _fill_digest(digest: Digest, progress: Progress) -> None:
    articles = digest_articles(digest)
    progress(f"{len(articles)} articles in the window")
    classify_fallbacks = _classify_unlabelled(articles, digest, progress)
    categories = list(
        Category.objects.filter(is_active=True, edition=Category.Edition.NEWS)
    )
    by_category = classify.group_by_category(articles, categories)
    plans = _write_stories(digest, articles, by_category, progress)
    budget = llm.TokenBudget(settings.LLM_TOKEN_BUDGET)
    generated = _write_sections(digest, categories, plans, budget, progress)
    with bilingual.editor_translations_kept(digest):
        translated = translation.translate_digest(digest, progress=progress)
    headline_notes = headlines.write_headlines(
        digest, translation.edition_languages(digest.language)
    )
    digest.category_counts = {
        category.slug: len(by_category[category.id])
        for category in categories
        if by_category[category.id]
    }
    _finish(
        digest,
        generated,
        len(articles),
        [
            _digest_notes(digest, budget, classify_fallbacks),
            *translated.notes,
            *headline_notes,
        ],
    )


def _finish(
    digest: Digest, generated: set[str], in_window: int, notes: list[str]
) -> None:
    """Both editions end alike: the chart, the usage and notes, then approved (auto-
    approve) or ready for the editors. An empty digest stays ready, saying why."""
    digest.chart_png = chart.draw_digest_chart(digest)
    _record_usage(digest)
    digest.generated_by = _generation_label(generated)
    digest.notes = "\n".join(filter(None, notes))
    digest.status = Digest.Status.READY
    digest.empty_reason = (
        empty_day.why_empty(digest, in_window) if digest.is_empty else ""
    )
    digest.save()
    if digest.empty_reason:
        logger.warning(
            "digest %s: no news in the window: %s", digest, digest.empty_reason
        )
        return
    if settings.DIGEST_AUTO_APPROVE:
        approval.approve_digest(digest.id, detail="auto-approve")
        digest.refresh_from_db()


def has_paper_sources() -> bool:
    """Whether there is a Papers edition to build: an active paper source."""
    return Source.objects.filter(kind=Source.Kind.PAPER, is_active=True).exists()


def _fill_papers_digest(digest: Digest, progress: Progress) -> None:
    """The Papers edition: the window's papers by Papers category, each section the
    best-ranked PAPERS_PER_SECTION of its category (``newsletter.drafting.papers``)."""
    found = papers.window_papers(digest)
    progress(f"{len(found)} papers in the window")
    unlabelled = [a for a in found if not a.classified_by]
    fallbacks = []
    if unlabelled:
        progress(f"classifying {len(unlabelled)} papers")
        fallbacks = classify.classify_articles(
            unlabelled, digest=digest, edition=Category.Edition.PAPERS
        ).fallbacks
    active = papers.categories()
    by_category = classify.group_by_category(found, active)
    budget = llm.TokenBudget(settings.LLM_TOKEN_BUDGET)
    kept, generated = [], set()
    for category in active:
        members = by_category[category.id]
        if not category.in_digest or not members:
            continue
        section = DigestSection.objects.filter(digest=digest, category=category).first()
        if section is not None and section.edited_by_editor:
            kept.append(section.id)
            generated.add(DigestSection.GeneratedBy.EDITOR)
            continue
        shown = papers.ranked(members, category, active)[: settings.PAPERS_PER_SECTION]
        progress(f"writing {category.name} ({len(shown)} of {len(members)} papers)")
        draft = papers.draft_section(
            category,
            shown,
            total=len(members),
            language=digest.language,
            digest=digest,
            budget=budget,
        )
        kept.append(_save_section(digest, category, shown, draft).id)
        generated.add(draft.generated_by)
    DigestSection.objects.filter(digest=digest).exclude(id__in=kept).delete()
    # Papers are read in every reader's language, translated and checked like News.
    translated = translation.translate_digest(digest, progress=progress)
    digest.category_counts = {
        c.slug: len(by_category[c.id]) for c in active if by_category[c.id]
    }
    _finish(
        digest,
        generated,
        len(found),
        [_digest_notes(digest, budget, fallbacks), *translated.notes],
    )


def _fill_weekly_digest(digest: Digest, progress: Progress) -> None:
    """The weekly edition: the week's published News stories as threads (a story and
    its follow-ups), ranked, the best WEEKLY_STORIES_PER_SECTION of each News
    category quoted per story (``newsletter.services.weekly``)."""
    told = weekly.told_stories(digest)
    ranked = weekly.ranked_threads(told)
    progress(f"{len(told)} stories told this week, {len(ranked)} once each")
    categories = list(
        Category.objects.for_digest().filter(edition=Category.Edition.NEWS)
    )
    kept, generated = [], set()
    for category in categories:
        chosen = [t for t in ranked if t.category_id == category.id]
        chosen = chosen[: settings.WEEKLY_STORIES_PER_SECTION]
        if not chosen:
            continue
        section = DigestSection.objects.filter(digest=digest, category=category).first()
        if section is not None and section.edited_by_editor:
            kept.append(section.id)
            generated.add(DigestSection.GeneratedBy.EDITOR)
            continue
        members, content = weekly.section_content(
            chosen, told, language=digest.language
        )
        draft = summarize.SectionDraft(
            content=content, generated_by=DigestSection.GeneratedBy.OFFLINE
        )
        kept.append(_save_section(digest, category, members, draft).id)
        generated.add(draft.generated_by)
    DigestSection.objects.filter(digest=digest).exclude(id__in=kept).delete()
    # The chart of the week: stories told per category, each thread once.
    digest.category_counts = {
        c.slug: n
        for c in categories
        if (n := sum(t.category_id == c.id for t in ranked))
    }
    translated = translation.translate_digest(digest, progress=progress)
    _finish(digest, generated, len(told), translated.notes)


def _classify_unlabelled(
    articles: list[Article], digest: Digest, progress: Progress
) -> list[str]:
    """Label what has no label yet; returns why classification fell back, if it did."""
    unclassified = [a for a in articles if not a.classified_by]
    if not unclassified:
        return []
    progress(f"classifying {len(unclassified)} articles")
    return classify.classify_articles(unclassified, digest=digest).fallbacks


@transaction.atomic
def _write_stories(
    digest: Digest,
    articles: list[Article],
    by_category: dict[int, list[Article]],
    progress: Progress,
) -> list["stories.StoryPlan"]:
    """Group the window into stories, rank them, mark repeats of last week's; store
    them (every article in exactly one). Groupings an editor made are kept."""
    labels = {a.id: cid for cid, members in by_category.items() for a in members}
    in_window = {a.id: a for a in articles}
    fixed = [
        [in_window[i] for i in ids if i in in_window]
        for ids in _editor_groupings(digest)
    ]
    plans = stories.plan_stories(
        articles,
        labels,
        window_start=digest.window_start,
        window_end=digest.window_end,
        fixed_groups=[g for g in fixed if g],
        language=digest.language,
    )
    stories.mark_continuity(plans, _sent_stories(digest))
    # A rebuild keeps the row (and id) of a story whose articles did not change.
    existing = {
        frozenset(a.id for a in story.articles.all()): story
        for story in digest.stories.prefetch_related("articles")
    }
    kept = []
    for position, plan in enumerate(plans):
        members = frozenset(a.id for a in plan.articles)
        story = existing.pop(members, None) or Story(digest=digest)
        story.category_id = plan.category_id
        story.title = plan.lead.title[:1000]
        story.lead_article = plan.lead
        story.score = plan.score
        story.position = position
        story.earlier_id = plan.earlier_id
        story.is_follow_up = plan.is_follow_up
        story.new_facts = plan.new_facts
        story.edited_by_editor = any(members == {a.id for a in g} for g in fixed)
        story.save()
        story.articles.set(plan.articles)
        plan.story_id = story.id
        kept.append(story.id)
    digest.stories.exclude(id__in=kept).delete()
    left_out = sum(p.is_left_out for p in plans)
    progress(
        f"{len(plans)} stories ({sum(p.is_follow_up for p in plans)} follow-ups, "
        f"{left_out} already told this week)"
    )
    return plans


def _editor_groupings(digest: Digest) -> list[list[int]]:
    """Article ids of each story an editor merged or split on this digest."""
    edited = digest.stories.filter(edited_by_editor=True).prefetch_related("articles")
    return [[a.id for a in story.articles.all()] for story in edited]


def _sent_stories(digest: Digest) -> list["stories.SentStory"]:
    """The stories readers got in the last STORY_CONTINUITY_DAYS, to compare with."""
    since = digest.date - dt.timedelta(days=settings.STORY_CONTINUITY_DAYS)
    sent = (
        Story.objects.filter(
            digest__status__in=Digest.PUBLISHED_STATUSES,
            digest__edition=digest.edition,
            digest__date__gte=since,
            digest__date__lt=digest.date,
        )
        .exclude(earlier__isnull=False, is_follow_up=False)
        .prefetch_related("articles")
    )
    result = []
    for story in sent:
        members = list(story.articles.all())
        if members:
            result.append(
                stories.SentStory(
                    id=story.id,
                    texts=tuple(stories.article_text(a) for a in members),
                    full_text=stories.sent_text(members),
                )
            )
    return result


def _write_sections(
    digest: Digest,
    categories: list[Category],
    plans: list["stories.StoryPlan"],
    budget: "llm.TokenBudget",
    progress: Progress,
) -> set[str]:
    """One section per in-digest category with stories to tell, written per story; an
    editor's section is kept. Sections of categories with nothing today are removed.
    Returns who wrote them."""
    kept_section_ids = []
    generated = set()
    for category in categories:
        told = [p for p in plans if p.category_id == category.id and not p.is_left_out]
        if not category.in_digest or not told:
            continue
        section = DigestSection.objects.filter(digest=digest, category=category).first()
        if section is not None and section.edited_by_editor:
            kept_section_ids.append(section.id)
            generated.add(DigestSection.GeneratedBy.EDITOR)
            continue
        members = [a for plan in told for a in plan.articles]
        for article in members:
            # A story is filed where most of its articles are: its other articles
            # belong to this section by that choice, not by mistake.
            article.category_id = category.id
        progress(
            f"summarizing {category.name} ({len(told)} stories, {len(members)} articles)"
        )
        draft = summarize.summarize_groups(
            category,
            _source_groups(told),
            language=digest.language,
            digest=digest,
            budget=budget,
        )
        draft.content = _told_by_story(draft, told, members, digest.language)
        section = _save_section(digest, category, members, draft)
        kept_section_ids.append(section.id)
        generated.add(draft.generated_by)
    DigestSection.objects.filter(digest=digest).exclude(
        id__in=kept_section_ids
    ).delete()
    return generated


def _source_groups(told: list["stories.StoryPlan"]) -> list[compression.SourceGroup]:
    """What the summarizer reads: each story's articles together, in rank order, so
    its sources are numbered as the section numbers them."""
    return [compression.SourceGroup.of(plan.articles) for plan in told]


def _told_by_story(
    draft: "summarize.SectionDraft",
    told: list["stories.StoryPlan"],
    members: list[Article],
    language: str,
) -> dict:
    """The section's content with its stories listed (rank order, their sources); an
    offline section quotes once per story, citing every source of it."""
    groups = []
    number = 1
    for plan in told:
        numbers = tuple(range(number, number + len(plan.articles)))
        number += len(plan.articles)
        groups.append(
            excerpts.StoryGroup(
                story_id=plan.story_id,
                numbers=numbers,
                follow_up=plan.is_follow_up,
                new_facts=tuple(plan.new_facts),
            )
        )
    content = dict(draft.content)
    if draft.generated_by == DigestSection.GeneratedBy.OFFLINE:
        content = excerpts.story_excerpt_content(members, groups, language=language)
    content["stories"] = [group.as_content() for group in groups]
    return sections.normalise(content, source_count=len(members)).content


def _record_usage(digest: Digest) -> None:
    usage = llm.digest_usage(digest)
    digest.prompt_tokens = usage["prompt_tokens"]
    digest.completion_tokens = usage["completion_tokens"]
    digest.llm_calls = usage["calls"]
    digest.cost_estimate = usage["cost"]


def _generation_label(generated: set[str]) -> str:
    machine = generated - {DigestSection.GeneratedBy.EDITOR}
    if not machine:
        return "editor" if generated else ""
    return machine.pop() if len(machine) == 1 else "mixed"


def _digest_notes(
    digest: Digest, budget: "llm.TokenBudget", classify_fallbacks: list[str]
) -> str:
    notes = [
        f"Classification fell back to rules: {reason}" for reason in classify_fallbacks
    ]
    offline = digest.sections.filter(
        generated_by=DigestSection.GeneratedBy.OFFLINE
    ).count()
    if offline and not settings.LLM_ENABLED:
        notes.append(
            "No LLM configured: every section was written by the offline extractive summarizer."
        )
    elif offline:
        notes.append(f"{offline} section(s) fell back to the offline summarizer.")
    if budget.exhausted:
        notes.append(
            f"Token budget of {budget.limit} reached: remaining sections are offline."
        )
    flagged = digest.sections.filter(needs_review=True).count()
    if flagged:
        notes.append(f"{flagged} section(s) flagged for review.")
    return "\n".join(notes)


@transaction.atomic
def _save_section(
    digest: Digest,
    category: Category,
    members: list[Article],
    draft: "summarize.SectionDraft",
) -> DigestSection:
    section, _ = DigestSection.objects.update_or_create(
        digest=digest,
        category=category,
        defaults={
            "position": category.position,
            "content": draft.content,
            "generated_by": draft.generated_by,
            "needs_review": draft.needs_review,
            "review_notes": draft.review_notes,
            "removed_citations": draft.removed_citations,
        },
    )
    # Sources are numbered from the database, in the order the summarizer saw them.
    section.sources.all().delete()
    DigestSource.objects.bulk_create(
        DigestSource(section=section, article=article, number=number)
        for number, article in enumerate(members, start=1)
    )
    return section


@transaction.atomic
def rebuild_digest(digest_id: int, *, actor=None) -> Digest:
    """An editor's rebuild of one digest (edited sections kept), in its history."""
    digest = Digest.objects.get(id=digest_id)
    rebuilt = build_digest(
        digest.date, edition=digest.edition, language=digest.language
    )
    audit.record(rebuilt, audit.Action.REBUILT, actor=actor, detail=rebuilt.status)
    return rebuilt
