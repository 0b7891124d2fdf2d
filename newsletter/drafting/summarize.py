"""One briefing per category: LLM structured output, or offline excerpts (excerpts.py).

The input is a list of source groups, one per story (an article alone until stories
are grouped); their articles, in that order, are the sources [1..n]. The sources list
itself always comes from the database, never from the model. Each story reaches the
model as its publisher, date and central sentences (compression.py). Whatever the
model writes is checked before it ships:
- citations: any [n] that is not a source of this section is removed and counted;
- quality gate: Korean whose sentences are mostly Latin letters (language_gate.py),
  or broken text such as ", , , ,", is retried once with a firmer instruction, then
  replaced by the offline summary and flagged for review;
- faithfulness, per line (faithfulness.py): every event and impact line must cite
  its sources, and the names and numbers of a line must be in the sources it cites.
  The lines that fail are sent back once with their problems stated (one call per
  section); a line still failing is removed and named in review_notes, so nothing
  flagged is ever sent, approved by hand or not. A briefing left without events is
  replaced by the offline summary.
Any LLM failure (timeout, HTTP error, truncation, refusal, schema break) or an
exhausted token budget gives the offline summary for that section only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings

from ingestion.models import Article
from newsletter import llm
from newsletter.editorial import asking, compression, excerpts, prompts, sections
from newsletter.editorial.checks import faithfulness, language_gate
from newsletter.editorial.compression import Compressed, SourceGroup
from newsletter.editorial.llm_schemas import Briefing, Repairs
from newsletter.editorial.text import clean_text
from newsletter.models import Category, Digest, LLMCall

MAX_TOPICS = 6
MAX_EVENTS = 8
MAX_FIELD_CHARS = 600
SUMMARY_MAX_TOKENS = 1800
REPAIR_MAX_TOKENS = 900

_BROKEN = [
    re.compile(r"(?:,\s*){3,}"),
    re.compile(r"\(\s*\)"),
    re.compile(r"(?:^|\s)[,.;:](?:\s+[,.;:]){1,}"),
    # Quotes left empty once the words inside them were lost: '', "", ‘’, “”.
    re.compile(r"'\s*'|\"\s*\"|‘\s*’|“\s*”"),
]


@dataclass
class SectionDraft:
    content: dict
    generated_by: str
    needs_review: bool = False
    review_notes: str = ""
    removed_citations: int = 0
    notes: list[str] = field(default_factory=list, repr=False)
    # Lines that failed the source check, before and after they were written again
    # (the latter were removed).
    flagged_lines: int = 0
    removed_lines: int = 0


def summarize_category(
    category: Category,
    articles: list[Article],
    *,
    language: str,
    digest: Digest | None = None,
    budget: llm.TokenBudget | None = None,
) -> SectionDraft:
    """The section for `category`, each article a story of its own (sources [1..n])."""
    return summarize_groups(
        category,
        compression.one_per_article(articles),
        language=language,
        digest=digest,
        budget=budget,
    )


def summarize_groups(
    category: Category,
    groups: list[SourceGroup],
    *,
    language: str,
    digest: Digest | None = None,
    budget: llm.TokenBudget | None = None,
) -> SectionDraft:
    """The section for `category`: one story per group; the groups' articles, in
    order, are the sources [1..n] (the caller numbers DigestSources the same way)."""
    articles = [article for group in groups for article in group.articles]
    draft = _draft(
        category, groups, articles, language=language, digest=digest, budget=budget
    )
    # The caller picks the sources; an article filed elsewhere since (an editor moved
    # it) keeps its number, but the section is flagged instead of silently mixing.
    strangers = [
        number
        for number, article in enumerate(articles, start=1)
        if article.category_id is not None and article.category_id != category.pk
    ]
    if strangers:
        draft.needs_review = True
        draft.notes.append(
            f"Source(s) {', '.join(map(str, strangers))} are filed under another "
            "category: check that they belong in this section."
        )
        draft.review_notes = "\n".join(draft.notes)
    return draft


def _draft(
    category: Category,
    groups: list[SourceGroup],
    articles: list[Article],
    *,
    language: str,
    digest: Digest | None,
    budget: llm.TokenBudget | None,
) -> SectionDraft:
    if not articles:
        return _offline_draft(
            category, articles, language=language, notes=["No articles."]
        )
    if not llm.is_enabled():
        return _offline_draft(category, articles, language=language)
    budget = budget or llm.TokenBudget(settings.LLM_TOKEN_BUDGET)
    section = _Section(
        category=category,
        stories=[compression.compress(group) for group in groups],
        articles=articles,
        sources=faithfulness.sources_of(articles),
        language=language,
        call=partial(
            llm.call_structured,
            purpose=LLMCall.Purpose.SUMMARIZE,
            model=settings.LLM_SUMMARY_MODEL,
            digest=digest,
            budget=budget,
        ),
        model=llm.Model(
            purpose=LLMCall.Purpose.SUMMARIZE,
            response_format=Briefing,
            max_tokens=SUMMARY_MAX_TOKENS,
            digest=digest,
            budget=budget,
        ),
    )
    answer = _ask_llm(section)
    if isinstance(answer, SectionDraft):
        return answer
    return _checked_draft(section, answer.parsed)


@dataclass
class _Section:
    """What one section's calls and checks share."""

    category: Category
    stories: list[list[Compressed]]
    articles: list[Article]
    sources: dict[int, faithfulness.Source]
    language: str
    call: partial
    model: llm.Model
    notes: list[str] = field(default_factory=list)

    @property
    def source_text(self) -> str:
        return "\n".join(source.text for source in self.sources.values())

    def offline(self, *, needs_review: bool = False) -> SectionDraft:
        return _offline_draft(
            self.category,
            self.articles,
            language=self.language,
            notes=self.notes,
            needs_review=needs_review,
        )


def _ask_llm(section: _Section) -> llm.LLMResult[Briefing] | SectionDraft:
    """The model's answer that passed the quality gate, or the offline fallback
    (``asking.ask_checked``: one retry with a firmer instruction)."""
    language = section.language
    attempts = [
        prompts.summary_messages(section.category, section.stories, language=language),
        prompts.summary_messages(
            section.category,
            section.stories,
            language=language,
            retry_note=prompts.retry_note(language),
        ),
    ]
    asked = asking.ask_checked(
        section.model,
        attempts,
        partial(quality_problems, language=language, sources=section.source_text),
    )
    section.notes.extend(asked.notes)
    if asked.accepted:
        return asked.answer
    if asked.last is not None:
        section.notes.append(
            "Written offline after the LLM failed the quality gate twice."
        )
    else:
        section.notes.append("This section was written offline.")
    return section.offline(needs_review=asked.needs_review)


def _checked_draft(section: _Section, briefing: Briefing) -> SectionDraft:
    """The model's briefing in stored form, each line backed by the sources it cites.

    Lines that fail the check are written again once; those still failing are
    removed and named in the notes for editors.
    """
    notes = section.notes
    content, removed = clean_citations(briefing, source_count=len(section.articles))
    if removed:
        notes.append(f"Removed {removed} citation(s) to sources that do not exist.")
    flags = faithfulness.check(content, section.sources, language=section.language)
    dropped: list[faithfulness.Flag] = []
    if flags:
        notes.append(
            f"{len(flags)} line(s) failed the source check and were written again: "
            + "; ".join(_describe(flag) for flag in flags)
        )
        content, dropped = _repaired(section, content, flags)
    for flag in dropped:
        notes.append(f"Removed, still unsupported: {_describe(flag)}")
    if not content["events"]:
        notes.append("No event survived the source check; written offline.")
        draft = section.offline(needs_review=True)
        draft.flagged_lines, draft.removed_lines = len(flags), len(dropped)
        return draft
    return SectionDraft(
        content=content,
        generated_by="llm",
        needs_review=bool(dropped),
        review_notes="\n".join(notes),
        removed_citations=removed,
        notes=notes,
        flagged_lines=len(flags),
        removed_lines=len(dropped),
    )


_describe = faithfulness.describe


def _repaired(
    section: _Section, content: dict, flags: list[faithfulness.Flag]
) -> tuple[dict, list[faithfulness.Flag]]:
    """``content`` with the flagged lines written again by the model, and the flags
    of the lines removed because they still fail (or could not be asked again)."""
    messages = prompts.repair_messages(
        section.category,
        section.stories,
        [(number, f.line.text, f.problems) for number, f in enumerate(flags, 1)],
        language=section.language,
    )
    try:
        result = section.call(
            messages=messages, response_format=Repairs, max_tokens=REPAIR_MAX_TOKENS
        )
    except llm.LLMError as exc:
        section.notes.append(f"Asking again failed ({exc}).")
        return _without(section, content, {}, flags), flags
    answers = {line.id: line for line in result.parsed.lines}
    replacements: dict[tuple[str, int | str], str] = {}
    still: list[faithfulness.Flag] = []
    for number, flag in enumerate(flags, start=1):
        answer = answers.get(number)
        text = _clip(answer.text) if answer else ""
        if text:
            text = _with_markers(text, answer.citations)
            line = faithfulness.Line(flag.line.part, flag.line.key, text)
            problems = faithfulness.line_problems(
                line, section.sources, language=section.language
            )
            if section.language == "ko":
                problems += language_gate.problems(
                    [text],
                    section.source_text,
                    threshold=settings.LLM_MAX_LATIN_SHARE,
                )
            if not problems:
                replacements[(flag.line.part, flag.line.key)] = text
                continue
            flag = faithfulness.Flag(line, problems)
        else:
            flag = faithfulness.Flag(
                flag.line, [*flag.problems, "no source supports it"]
            )
        still.append(flag)
    return _without(section, content, replacements, still), still


def _with_markers(text: str, citations: list[int]) -> str:
    present = sections.citations_in(text)
    missing = [n for n in citations if n not in present]
    return text + "".join(f" [{n}]" for n in missing)


def _without(
    section: _Section,
    content: dict,
    replacements: dict[tuple[str, int | str], str],
    removed: list[faithfulness.Flag],
) -> dict:
    """``content`` with lines replaced and removed, in stored form again."""
    gone = {(flag.line.part, flag.line.key) for flag in removed}

    def keep(part: str, key: int | str) -> bool:
        return (part, key) not in gone

    def text(part: str, key: int | str, old: str) -> str:
        return replacements.get((part, key), old)

    result = {
        "topics": [
            text("topics", i, t)
            for i, t in enumerate(content["topics"])
            if keep("topics", i)
        ],
        "events": [
            {"text": text("events", i, e["text"]), "citations": []}
            if ("events", i) in replacements
            else e
            for i, e in enumerate(content["events"])
            if keep("events", i)
        ],
        "impact": {
            area: text("impact", area, t)
            for area, t in content["impact"].items()
            if keep("impact", area)
        },
        "final_summary": [
            text("final_summary", i, t)
            for i, t in enumerate(content["final_summary"])
            if keep("final_summary", i)
        ],
    }
    # A marker to no source in a rewritten line is dropped, as in the first answer.
    return sections.normalise(result, source_count=len(section.articles)).content


def _offline_draft(
    category: Category,
    articles: list[Article],
    *,
    language: str,
    notes: list[str] | None = None,
    needs_review: bool = False,
) -> SectionDraft:
    notes = list(notes or [])
    content = excerpts.excerpt_content(articles, language=language)
    return SectionDraft(
        content=sections.normalise(content, source_count=len(articles)).content,
        generated_by="offline",
        needs_review=needs_review,
        review_notes="\n".join(notes),
        notes=notes,
    )


# --- checks on what the model wrote ---------------------------------------------


def _texts(content: dict) -> list[str]:
    return [line.text for line in faithfulness.lines(content)]


def quality_problems(
    briefing: Briefing, *, language: str, sources: str = ""
) -> list[str]:
    """Why the answer cannot ship as it is; ``sources`` (lower case) hold the names
    and terms a Korean answer may keep in Latin letters."""
    return content_problems(
        stored_content(briefing), language=language, sources=sources
    )


def content_problems(content: dict, *, language: str, sources: str = "") -> list[str]:
    """``quality_problems`` of a briefing already in stored form."""
    texts = [t for t in _texts(content) if t.strip()]
    problems = []
    if not content["events"] or not texts:
        problems.append("the answer is empty")
    joined = "\n".join(sections.CITATION.sub(" ", t) for t in texts)
    if any(pattern.search(joined) for pattern in _BROKEN):
        problems.append("broken punctuation patterns")
    if language == "ko":
        problems += language_gate.problems(
            texts, sources, threshold=settings.LLM_MAX_LATIN_SHARE
        )
    return problems


def stored_content(briefing: Briefing) -> dict:
    """The answer in the stored shape: impact lines as text with their [n] markers,
    areas the model left null left out."""
    content = briefing.model_dump()
    content["impact"] = {
        area: _with_markers(line["text"], line["citations"])
        for area, line in content["impact"].items()
        if line and line["text"].strip()
    }
    return content


def clean_citations(briefing: Briefing, *, source_count: int) -> tuple[dict, int]:
    """The model's briefing in stored form, and how many citations pointed nowhere.

    The model's answer is capped here (so many topics and events, so long a text);
    everything about citations is the section format's rule, in ``sections``.
    """
    content = stored_content(briefing)
    content["topics"] = [_clip(t) for t in content["topics"][:MAX_TOPICS]]
    content["events"] = [
        {**event, "text": _clip(event["text"])}
        for event in content["events"][:MAX_EVENTS]
    ]
    content["impact"] = {k: _clip(v) for k, v in content["impact"].items()}
    content["final_summary"] = [_clip(s) for s in content["final_summary"]]
    result = sections.normalise(content, source_count=source_count)
    return result.content, result.removed


def _clip(text: str) -> str:
    text = clean_text(text)
    if len(text) <= MAX_FIELD_CHARS:
        return text
    # A marker cut in half ("[1") would read as text, not as a citation.
    return re.sub(r"\[[\d,\s]*$", "", text[:MAX_FIELD_CHARS])
