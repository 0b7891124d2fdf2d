"""Story headlines: one line per story saying what happened, in each reader language.

With an LLM, the stories a reader's first screen can show (each section's first
HIGHLIGHTS stories, in rank order) get a headline per language in ``Story.headlines``,
written from the story's articles (titles and leads) in one call per language, through
``asking.ask_checked`` like every other text a reader sees. A headline must be in its
language, short, free of [n] markers, and state no name or number its story's
articles do not (``faithfulness``). An answer with a failing line is asked for again
once; a line still failing is dropped, the story keeps its title, and the digest's
notes name the headline removed. Offline, stories keep their titles
(``highlights`` orders and marks them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from newsletter import llm
from newsletter.drafting.highlights import HEADLINE_CHARS, HIGHLIGHTS
from newsletter.editorial import asking, prompts, sections, stories
from newsletter.editorial.checks import faithfulness
from newsletter.editorial.llm_schemas import Headlines
from newsletter.editorial.text import clean_text
from newsletter.models import Digest, DigestSection, LLMCall, Story

HEADLINE_MAX_TOKENS = 900
# Longer than a subject shows; the first screen cuts it at a word.
MAX_HEADLINE_CHARS = 2 * HEADLINE_CHARS


@dataclass
class _Told:
    """The stories asked about, numbered 1..n as the prompt numbers them."""

    stories: list[Story]
    sources: dict[int, list[faithfulness.Source]] = field(default_factory=dict)


def write_headlines(digest: Digest, languages: list[str]) -> list[str]:
    """Give the digest's highlightable stories their checked headlines in
    ``languages``; returns the notes for its editors. Nothing without an LLM."""
    told = _highlightable(digest)
    for story in told.stories:
        story.headlines = {}
    if not llm.is_enabled() or not told.stories:
        Story.objects.bulk_update(told.stories, ["headlines"])
        return []
    notes: list[str] = []
    budget = llm.TokenBudget(settings.LLM_TOKEN_BUDGET)
    for language in languages:
        written = _ask(digest, told, language, budget, notes)
        for number, text in written.items():
            told.stories[number - 1].headlines[language] = text
    Story.objects.bulk_update(told.stories, ["headlines"])
    return notes


def _highlightable(digest: Digest) -> _Told:
    """Each section's first HIGHLIGHTS stories: a reader's first screen shows the
    best three of their sections, so never a story ranked lower in its own."""
    ids: list[int] = []
    for section in DigestSection.objects.filter(digest=digest).order_by("position"):
        try:
            content = sections.read(section)
        except sections.SectionContentError:
            continue
        ids += [s.id for s in content.stories[:HIGHLIGHTS] if s.id not in ids]
    found = Story.objects.filter(id__in=ids).prefetch_related("articles__source")
    by_id = {story.id: story for story in found}
    told = _Told([by_id[i] for i in ids if i in by_id and by_id[i].articles.all()])
    for number, story in enumerate(told.stories, start=1):
        told.sources[number] = [
            faithfulness.Source.of(article) for article in _articles(story)
        ]
    return told


def _articles(story: Story) -> list:
    articles = sorted(story.articles.all(), key=lambda a: a.id)
    lead = [a for a in articles if a.id == story.lead_article_id]
    return lead + [a for a in articles if a.id != story.lead_article_id]


def _ask(
    digest: Digest, told: _Told, language: str, budget, notes: list[str]
) -> dict[int, str]:
    """The headlines that passed the checks, by story number."""
    model = llm.Model(
        purpose=LLMCall.Purpose.HEADLINE,
        response_format=Headlines,
        max_tokens=HEADLINE_MAX_TOKENS,
        digest=digest,
        budget=budget,
    )
    groups = [_articles(story) for story in told.stories]
    attempts = [
        prompts.headline_messages(groups, language=language, retry_note=note)
        for note in ("", prompts.retry_note(language))
    ]

    def check(answer: Headlines) -> list[str]:
        return [
            f'headline {line.id} "{line.text}" ({"; ".join(problems)})'
            for line, problems in _flagged(answer, told, language)
        ]

    asked = asking.ask_checked(model, attempts, check, what=f"headlines, {language}")
    answer = asked.answer or asked.last
    if answer is None:
        notes.append(f"Headlines ({language}): {' '.join(asked.notes)}")
        return {}
    flagged = dict(
        (line.id, problems)
        for line, problems in _flagged(answer.parsed, told, language)
    )
    for line in answer.parsed.lines:
        if line.id in flagged:
            story = told.stories[line.id - 1]
            notes.append(
                f'Headline removed ({language}), story "{story.title}": '
                f'"{line.text}" ({"; ".join(flagged[line.id])}).'
            )
    return {
        line.id: _plain(line.text)
        for line in answer.parsed.lines
        if line.id in told.sources and line.id not in flagged
    }


def _flagged(answer: Headlines, told: _Told, language: str):
    """(line, problems) of each headline that cannot be shown."""
    for line in answer.lines:
        problems = _problems(line.text, told.sources.get(line.id), language)
        if problems:
            yield line, problems


def _problems(text: str, sources, language: str) -> list[str]:
    if sources is None:
        return ["no such story"]
    plain = _plain(text)
    problems = []
    if not plain:
        problems.append("it is empty")
    elif not stories.is_in_language(plain, language):
        problems.append(f"it is not written in {prompts.language_name(language)}")
    if len(plain) > MAX_HEADLINE_CHARS:
        problems.append(f"it is longer than {MAX_HEADLINE_CHARS} characters")
    problems += [
        f"{claim} is not in the story's articles"
        for claim in faithfulness.unsupported(plain, sources, language=language)
    ]
    return problems


def _plain(text: str) -> str:
    return " ".join(sections.CITATION.sub(" ", clean_text(text)).split())
