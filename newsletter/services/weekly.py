"""The weekly edition's rows: the week's told stories, read for the ranking
(``newsletter.editorial.weekly``), and each section's sources and content.

The week is the seven days before the weekly's date (Monday's weekly: Monday to
Sunday before it), and its stories are those the News digests of those days
published: already checked and sent, so the weekly retells nothing a reader was not
told, and nothing a repeat left out. Each section is quoted offline from the stories'
own articles, per story, as a daily section is (``excerpts.story_excerpt_content``):
the first story of a thread, then a "Follow-up" line per follow-up citing its own
sources.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Sum
from django.utils import timezone

from ingestion.models import Article
from newsletter.editorial import excerpts, sections, stories, weekly
from newsletter.models import Category, Digest, Feedback, Story

WEEK_DAYS = 7


def week_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """From the start of the seventh day before ``day`` to the start of ``day``
    (TIME_ZONE): the dates of the daily digests the weekly looks back over."""
    start = dt.datetime.combine(day - dt.timedelta(days=WEEK_DAYS), dt.time.min)
    end = dt.datetime.combine(day, dt.time.min)
    return timezone.make_aware(start), timezone.make_aware(end)


# A story's readers' verdict counts once it has this many votes.
MIN_FEEDBACK_VOTES = 3


def story_feedback(story_ids: list[int]) -> dict[int, float]:
    """Readers' feedback per story, the weekly ranking's feedback term: the share of
    up votes less the share of down votes (-1 to 1, worth at most one more
    publisher), for stories with at least ``MIN_FEEDBACK_VOTES`` votes."""
    rows = (
        Feedback.objects.filter(story_id__in=story_ids)
        .values("story_id")
        .annotate(net=Sum("vote"), votes=Count("id"))
        .order_by()
    )
    return {
        row["story_id"]: row["net"] / row["votes"]
        for row in rows
        if row["votes"] >= MIN_FEEDBACK_VOTES
    }


def told_stories(digest: Digest) -> dict[int, Story]:
    """The week's stories the News digests published, in News categories that are in
    the digest, with their articles; repeats left out are not among them."""
    first_day = timezone.localdate(digest.window_start)
    rows = (
        Story.objects.filter(
            digest__edition=Digest.Edition.NEWS,
            digest__status__in=Digest.PUBLISHED_STATUSES,
            digest__date__gte=first_day,
            digest__date__lt=digest.date,
            category__edition=Category.Edition.NEWS,
            category__is_active=True,
            category__in_digest=True,
        )
        .exclude(earlier__isnull=False, is_follow_up=False)
        .select_related("digest")
        .prefetch_related("articles__source")
    )
    return {story.id: story for story in rows}


def ranked_threads(told: dict[int, Story]) -> list[weekly.Thread]:
    week = [
        weekly.WeekStory(
            id=story.id,
            earlier_id=story.earlier_id,
            category_id=story.category_id,
            publishers=frozenset(
                stories.publisher_key(a) for a in story.articles.all()
            ),
            score=story.score,
            told_on=story.digest.date,
        )
        for story in told.values()
    ]
    return weekly.ranked(weekly.threads(week), story_feedback(list(told)))


def _story_articles(story: Story) -> list[Article]:
    """The story's articles as its daily section numbered them: the quoted one first."""
    members = sorted(
        story.articles.all(), key=lambda a: (stories.published_at(a), a.id)
    )
    lead = [a for a in members if a.id == story.lead_article_id]
    return lead + [a for a in members if a.id != story.lead_article_id]


def section_content(
    chosen: list[weekly.Thread], told: dict[int, Story], *, language: str
) -> tuple[list[Article], dict]:
    """A section's numbered sources and content: each thread's first story, then its
    follow-ups, each quoted once and citing its own articles; the section's stories
    are the threads, each citing all its sources, so an email showing a thread shows
    how it developed. An article is numbered once."""
    members: list[Article] = []
    groups: list[excerpts.StoryGroup] = []
    entries = []
    for thread in chosen:
        numbers: list[int] = []
        for week_story in thread.stories:
            story = told[week_story.id]
            fresh = [a for a in _story_articles(story) if a not in members]
            if not fresh:
                continue
            own = tuple(range(len(members) + 1, len(members) + len(fresh) + 1))
            members += fresh
            numbers += own
            groups.append(
                excerpts.StoryGroup(
                    story_id=story.id,
                    numbers=own,
                    follow_up=week_story is not thread.first,
                    new_facts=tuple(story.new_facts),
                )
            )
        entries.append({"id": thread.first.id, "citations": numbers})
    content = excerpts.story_excerpt_content(members, groups, language=language)
    content["stories"] = [entry for entry in entries if entry["citations"]]
    return members, sections.normalise(content, source_count=len(members)).content
