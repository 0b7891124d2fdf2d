"""The reader's first screen: the day's highest-ranked stories among their sections,
ordered for the reader's language (``stories.reader_key``: among stories with equal
publishers, one with a source in that language first).

An email (and the web page) opens with HIGHLIGHTS lines, one per story: its title in
the reader's language where one of its articles has one, linking to the section that
tells it. The subject line's headline is the first of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lib.script import is_in_language
from newsletter.editorial import sections as section_content
from newsletter.editorial import stories
from newsletter.editorial.sections import SectionContentError
from newsletter.models import DigestSection, Story

HIGHLIGHTS = 3


@dataclass(frozen=True)
class Highlight:
    title: str
    section: DigestSection
    story_id: int
    follow_up: bool = False
    # Whether the title is written in the reader's language (else the story has none).
    in_language: bool = True


def headline(ranked: Sequence[Highlight]) -> Highlight | None:
    """The subject's story: the best one with a title in the reader's language, else
    the best one (a Korean reader's subject reads in Korean where the day allows)."""
    return next((h for h in ranked if h.in_language), ranked[0] if ranked else None)


def highlights(
    sections: Sequence[DigestSection], language: str, *, limit: int | None = HIGHLIGHTS
) -> list[Highlight]:
    """The `limit` best stories told in `sections` (None: all of them), best first."""
    told: dict[int, tuple[DigestSection, bool]] = {}
    for section in sections:
        try:
            content = section_content.read(section)
        except SectionContentError:
            continue  # the renderer logs it; a broken section has no stories to show
        for story in content.stories:
            told.setdefault(story.id, (section, story.follow_up))
    if not told:
        return []
    ranked = sorted(
        Story.objects.filter(id__in=told).prefetch_related("articles"),
        key=lambda s: (
            *stories.reader_key(s.score, s.articles.all(), language),
            s.position,
            s.id,
        ),
    )
    if limit is not None:
        ranked = ranked[:limit]
    result = []
    for story in ranked:
        titles = [
            t for t in [story.title, *(a.title for a in story.articles.all())] if t
        ]
        title = stories.title_in(titles, language)
        section, follow_up = told[story.id]
        result.append(
            Highlight(
                title=title,
                section=section,
                story_id=story.id,
                follow_up=follow_up,
                in_language=is_in_language(title, language),
            )
        )
    return result
