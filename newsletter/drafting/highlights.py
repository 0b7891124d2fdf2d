"""The reader's first screen: the day's highest-ranked stories among their sections,
ordered for the reader's language (``stories.reader_key``: among stories with equal
publishers, one with a source in that language first).

An email (and the web page) opens with HIGHLIGHTS lines, one per story, linking to
the section that tells it: its checked one-line headline in the reader's language
(``Story.headlines``, written with an LLM), else its title in that language where one
of its articles has one. A story told only in another language never leads: stories
the reader can read come first, and a foreign title is marked with its language.

The subject's headline is the first highlight and the inbox preheader the second and
third (``first_screen``): story headlines or titles only, never a section's body
text nor a [n] marker, each at most HEADLINE_CHARS, cut at a word. A day without
stories (Papers) offers its sections' first paper titles instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from newsletter.editorial import sections as section_content
from newsletter.editorial import stories
from newsletter.editorial.sections import CITATION, SectionContentError
from newsletter.models import DigestSection, Story

HIGHLIGHTS = 3
# A subject line is read on a phone: the headline stops near here, at a word.
HEADLINE_CHARS = 70


@dataclass(frozen=True)
class Highlight:
    title: str
    section: DigestSection
    story_id: int
    follow_up: bool = False
    # Whether the title is written in the reader's language (else the story has none).
    in_language: bool = True


@dataclass(frozen=True)
class FirstScreen:
    highlights: list[Highlight]
    headline: str
    preheader: str


def first_screen(
    sections: Sequence[DigestSection],
    language: str,
    *,
    boosts: Mapping[int, float] | None = None,
    read: Mapping[int, Story] | None = None,
    told: Mapping[int, Sequence] | None = None,
) -> FirstScreen:
    """The highlights, the subject's headline and the preheader for one reader
    (``boosts``: the reader's preference per story, ``sending.ordering``)."""
    shown = highlights(sections, language, boosts=boosts, read=read, told=told)
    titles = [h.title for h in shown] or _paper_titles(sections, language)
    titles = [shorten_at_word(one_line(t), HEADLINE_CHARS) for t in titles]
    return FirstScreen(
        highlights=shown,
        headline=titles[0] if titles else "",
        preheader=" · ".join(titles[1:HIGHLIGHTS]),
    )


def _paper_titles(sections: Sequence[DigestSection], language: str) -> list[str]:
    """The sections' source titles in order (a Papers day has no stories), those
    in the reader's language first, the others marked."""
    titles = [
        source.article.title
        for section in sections
        for source in sorted(section.sources.all(), key=lambda s: s.number)
        if source.article.title
    ]
    readable = [t for t in titles if stories.is_in_language(t, language)]
    return readable + [_marked(t) for t in titles if t not in readable]


def one_line(text: str) -> str:
    """A title as a subject shows it: no [n] marker, one line."""
    return " ".join(CITATION.sub(" ", text).split())


def shorten_at_word(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary where the text has spaces
    (a subject line that ends mid-word reads as a bug)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.:;·-—") + "…"


def highlights(
    sections: Sequence[DigestSection],
    language: str,
    *,
    limit: int | None = HIGHLIGHTS,
    boosts: Mapping[int, float] | None = None,
    read: Mapping[int, Story] | None = None,
    told: Mapping[int, Sequence] | None = None,
) -> list[Highlight]:
    """The `limit` best stories told in `sections` (None: all of them), best first,
    each ranked by its score plus the reader's boost for it. ``read``: those
    stories already read, with their articles (by id); else they are read here.
    ``told``: each section's stories as written (by section id), already read."""
    boosts = boosts or {}
    found: dict[int, tuple[DigestSection, bool]] = {}
    for section in sections:
        refs = _stories_told(section, told)
        for story in refs:
            found.setdefault(story.id, (section, story.follow_up))
    if not found:
        return []
    ranked = sorted(
        (
            [read[i] for i in found if i in read]
            if read is not None
            else Story.objects.filter(id__in=found).prefetch_related("articles")
        ),
        key=lambda s: (
            *stories.reader_key(
                s.score + boosts.get(s.id, 0.0), s.articles.all(), language
            ),
            s.position,
            s.id,
        ),
    )
    result = []
    for story in ranked:
        title = story_title(story, language)
        section, follow_up = found[story.id]
        in_language = stories.is_in_language(title, language)
        result.append(
            Highlight(
                title=title if in_language else _marked(title),
                section=section,
                story_id=story.id,
                follow_up=follow_up,
                in_language=in_language,
            )
        )
    # Stories the reader can read lead; the rank decides within each group.
    result.sort(key=lambda h: not h.in_language)
    return result if limit is None else result[:limit]


def _stories_told(section: DigestSection, told: Mapping[int, Sequence] | None):
    """The section's stories as written; none when its content is malformed (the
    renderer logs it; a broken section has no stories to show)."""
    if told is not None:
        return told.get(section.id, ())
    try:
        return section_content.read(section).stories
    except SectionContentError:
        return ()


def story_title(story: Story, language: str) -> str:
    """The story's checked headline in ``language``, else its best title there."""
    written = (story.headlines or {}).get(language)
    if written:
        return written
    titles = [t for t in [story.title, *(a.title for a in story.articles.all())] if t]
    return stories.title_in(titles, language)


def _marked(title: str) -> str:
    """A title in another language, with that language named by its code."""
    code = "KO" if stories.is_in_language(title, "ko") else "EN"
    return f"[{code}] {title}"
