"""The digest in its readers' other languages: each section translated from the one
written in the digest's language.

Which languages: every language an active subscriber reads (``reading_language``)
plus DIGEST_LANGUAGE; the digest's own language is written by the summarizer, each
other one is made here from that writing. Translating the structured briefing, not
writing it again from the articles, keeps both editions saying the same thing: the
same events in the same order with the same [n] citations (checked, item by item).
It also costs less: the model reads the short briefing instead of every source
(figures in docs/architecture.md).

Each language has its own token budget, and its answers are cached like any other
call (the prompt holds the language and the text), so a same-day rebuild of
unchanged sections spends nothing. Every answer is checked (``asking.ask_checked``):
the same items and citations (``differences``), and no name or number that is in
neither the line translated nor the sources that line cites
(``faithfulness.translation_flags``); a refused answer is asked for once more. A
section the LLM cannot translate (failure, refusal, a check failed twice, budget
spent, LLM off) falls back to the offline path in that language only: excerpts
quoted from its sources (a Papers section: its extracted lines), labelled as usual.
Papers sections are translated like briefings (``TranslatedPapers``). Excerpt
sections and extracted Papers lines need no translation: quotes stay as written,
under the reader's headings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings

from newsletter import llm
from newsletter.drafting import papers, summarize
from newsletter.editorial import asking, excerpts, prompts, sections
from newsletter.editorial.checks import faithfulness
from newsletter.editorial.llm_schemas import TranslatedBriefing, TranslatedPapers
from newsletter.models import Digest, DigestSection, LLMCall
from subscribers.models import Subscriber, reading_language

# A translation is about as long as what it translates; the summary's cap suits it.
TRANSLATION_MAX_TOKENS = summarize.SUMMARY_MAX_TOKENS


@dataclass
class TranslationReport:
    """What one run made per language; ``notes`` are for the digest's editors."""

    translated: dict[str, int] = field(default_factory=dict)
    offline: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def edition_languages(digest_language: str) -> list[str]:
    """The languages the digest is read in: its own first, then DIGEST_LANGUAGE and
    every language an active subscriber reads, each once, in the site's order."""
    stored = (
        Subscriber.objects.receiving()
        .order_by()
        .values_list("language", flat=True)
        .distinct()
    )
    wanted = {reading_language(code) for code in stored}
    wanted.add(reading_language(settings.DIGEST_LANGUAGE))
    others = [code for code, _name in settings.LANGUAGES if code in wanted]
    return [digest_language] + [code for code in others if code != digest_language]


def translate_digest(
    digest: Digest,
    languages: list[str] | None = None,
    *,
    progress: Callable[[str], None] = lambda message: None,
) -> TranslationReport:
    """Give every section of ``digest`` its translations into ``languages`` (None:
    ``edition_languages``), dropping those of languages nobody reads any more."""
    if languages is None:
        languages = edition_languages(digest.language)
    targets = [code for code in languages if code != digest.language]
    budgets = {code: llm.TokenBudget(settings.LLM_TOKEN_BUDGET) for code in targets}
    report = TranslationReport()
    queryset = (
        DigestSection.objects.filter(digest=digest)
        .select_related("category", "digest")
        .prefetch_related("sources__article")
    )
    for section in queryset:
        section.translations = {}
        for language in targets:
            by = translate_section(
                section, language, budget=budgets[language], notes=report.notes
            )
            if by is not None:
                counts = (
                    report.translated if by == sections.TRANSLATED else report.offline
                )
                counts[language] = counts.get(language, 0) + 1
        section.save(update_fields=["translations", "needs_review", "review_notes"])
    for language in targets:
        progress(
            f"{language}: {report.translated.get(language, 0)} section(s) translated, "
            f"{report.offline.get(language, 0)} offline"
        )
    for language, budget in budgets.items():
        if budget.exhausted:
            report.notes.append(
                f"{language}: token budget of {budget.limit} reached, the remaining "
                "sections are offline excerpts."
            )
    return report


def translate_again(section: DigestSection) -> list[str]:
    """Give ``section`` (its content just rewritten: an editor's edit, a regenerate)
    its translations again, without saving; returns the notes for its editors."""
    notes: list[str] = []
    section.translations = {}
    if section.pk:
        for language in edition_languages(section.digest.language)[1:]:
            translate_section(section, language, notes=notes)
    return notes


def translate_section(
    section: DigestSection,
    language: str,
    *,
    budget: llm.TokenBudget | None = None,
    notes: list[str] | None = None,
) -> str | None:
    """Store ``section`` in ``language`` (the caller saves the row): translated, or
    offline in that language when that fails. Returns who made it; None when the
    section needs no translation (excerpts, quoted abstracts) or cannot be read.

    Asked through ``asking.ask_checked``: one retry, then offline. A translation
    must say what the original says (``differences``) and state no name or number
    that is in neither the line it translates nor the sources that line cites."""
    notes = notes if notes is not None else []
    try:
        content = sections.read(section)
    except sections.SectionContentError:
        return None  # its readers get its sources only, in every language
    if content.is_excerpts or (content.is_papers and content.extracted):
        return None  # quotes stay as written, under the reader's headings
    if not llm.is_enabled():
        return _save_offline(section, language)
    shape = _PAPERS if content.is_papers else _BRIEFING
    asked = _ask(section, language, shape, budget)
    if not asked.accepted:
        _note_refusal(section, language, asked, notes)
        return _save_offline(section, language)
    answer = shape.stored(asked.answer.parsed, section.content)
    sections.save_translation(section, language, answer, by=sections.TRANSLATED)
    return sections.TRANSLATED


def _ask(section: DigestSection, language: str, shape, budget) -> asking.Asked:
    """The model asked for the translation, the retry told why the first was refused;
    every answer checked against the original and the sources its lines cite."""
    articles = [source.article for source in section.sources.all()]
    model = llm.Model(
        purpose=LLMCall.Purpose.TRANSLATE,
        response_format=shape.schema,
        max_tokens=TRANSLATION_MAX_TOKENS,
        digest=section.digest,
        budget=budget or llm.TokenBudget(settings.LLM_TOKEN_BUDGET),
    )
    attempts = [
        prompts.translation_messages(
            shape.fields(section.content),
            source_language=section.digest.language,
            language=language,
            retry_note=note,
        )
        for note in ("", prompts.translation_retry_note())
    ]
    check = partial(
        _translation_problems,
        section.content,
        shape=shape,
        language=language,
        sources=faithfulness.sources_of(articles),
    )
    return asking.ask_checked(model, attempts, check)


def _note_refusal(section, language: str, asked, notes: list[str]) -> None:
    why = "translation rejected" if asked.last is not None else "translation failed"
    note = (
        f"{section.category.slug} ({language}): {why} "
        f"({' '.join(asked.notes)}); written offline."
    )
    notes.append(note)
    if asked.last is not None and note not in section.review_notes:
        # A refused translation is a flag like a removed line: the desk shows it.
        section.needs_review = True
        section.review_notes = "\n".join(filter(None, [section.review_notes, note]))


def _translation_problems(
    original: dict, parsed, *, shape: _Shape, language: str, sources: dict
) -> list[str]:
    translated = shape.stored(parsed, original)
    problems = shape.differences(original, translated, language)
    if problems:
        return problems
    flags = faithfulness.translation_flags(
        sections.normalise(original).content, translated, sources, language=language
    )
    return [faithfulness.describe(flag) for flag in flags]


def differences(original: dict, translated: dict, language: str) -> list[str]:
    """Why ``translated`` (in stored form) is not the same briefing as ``original``
    in ``language``: a different number of items or impact areas, or an item citing
    other sources; plus the summarizer's quality gate for the language (names and
    terms of the original may stay in Latin letters)."""
    original = sections.normalise(original).content
    problems = []
    for part in ("topics", "events", "final_summary"):
        if len(translated[part]) != len(original[part]):
            problems.append(
                f"{part}: {len(translated[part])} items for {len(original[part])}"
            )
    pairs = list(zip(_cited_texts(original), _cited_texts(translated), strict=False))
    moved = [
        where
        for (where, before), (_, after) in pairs
        if sections.citations_in(before) != sections.citations_in(after)
    ]
    if moved:
        problems.append(f"citations changed in {', '.join(moved)}")
    for event, answer in zip(original["events"], translated["events"], strict=False):
        if sorted(set(answer["citations"])) != event["citations"]:
            problems.append("an event's citations list changed")
            break
    if sorted(translated["impact"]) != sorted(original["impact"]):
        problems.append("impact areas changed")
    return problems + summarize.content_problems(
        translated, language=language, sources=_plain(original).lower()
    )


def _cited_texts(content: dict) -> list[tuple[str, str]]:
    """(where, text) of every text that may cite, in a fixed order."""
    texts = [(f"events[{i}]", e["text"]) for i, e in enumerate(content["events"])]
    texts += [
        (f"impact.{area}", content["impact"].get(area) or "")
        for area in sections.IMPACT_AREAS
    ]
    texts += [
        (f"final_summary[{i}]", t) for i, t in enumerate(content["final_summary"])
    ]
    return texts


def _briefing_fields(content: dict) -> dict:
    """A stored briefing as the Briefing schema's fields (every impact area present)."""
    content = sections.normalise(content).content
    return {
        "topics": content["topics"],
        "events": content["events"],
        "impact": {
            area: _impact_line(content["impact"].get(area))
            for area in sections.IMPACT_AREAS
        },
        "final_summary": content["final_summary"],
    }


def _save_offline(section: DigestSection, language: str) -> str:
    articles = [source.article for source in section.sources.all()]
    if (section.content or {}).get("kind") == sections.PAPERS:
        content = papers.offline_content(
            articles, total=section.content.get("total") or len(articles)
        )
    else:
        content = excerpts.excerpt_content(articles, language=language)
    sections.save_translation(
        section, language, content, by=sections.OFFLINE, source_count=len(articles)
    )
    return sections.OFFLINE


def _impact_line(text: str | None) -> dict | None:
    """A stored impact line in the schema's shape; None for an area left out."""
    if not text:
        return None
    return {"text": text, "citations": sections.citations_in(text)}


def _plain(content: dict) -> str:
    texts = content["topics"] + [text for _where, text in _cited_texts(content)]
    return "\n".join(texts)


# --- Papers sections ---------------------------------------------------------------

_PAPERS_TEXT_PARTS = ("topics", "trends", "fields", "outlook")


def _papers_fields(content: dict) -> dict:
    content = sections.normalise(content).content
    return {
        **{part: content.get(part) or [] for part in _PAPERS_TEXT_PARTS},
        "papers": content.get("papers") or [],
    }


def _papers_stored(answer: TranslatedPapers, original: dict) -> dict:
    """The answer as a stored Papers section, beside the original's sources."""
    original = sections.normalise(original).content
    content = {
        "kind": sections.PAPERS,
        "extracted": False,
        **answer.model_dump(),
        "total": original.get("total", 0),
    }
    return sections.normalise(content).content


def papers_differences(original: dict, translated: dict, language: str) -> list[str]:
    """Why ``translated`` is not the same Papers section as ``original``: another
    number of items in a part, or a paper line citing other papers; plus the
    Papers quality gate for the language."""
    original = sections.normalise(original).content
    problems = [
        f"{part}: {len(translated.get(part) or [])} items for "
        f"{len(original.get(part) or [])}"
        for part in (*_PAPERS_TEXT_PARTS, "papers")
        if len(translated.get(part) or []) != len(original.get(part) or [])
    ]
    pairs = zip(
        original.get("papers") or [], translated.get("papers") or [], strict=False
    )
    if any(a["citations"] != b["citations"] for a, b in pairs):
        problems.append("citations changed in papers")
    texts = [line.text for line in faithfulness.lines(translated)]
    words = "\n".join(line.text for line in faithfulness.lines(original)).lower()
    return problems + papers.text_problems(texts, language=language, sources=words)


@dataclass(frozen=True)
class _Shape:
    """What translating a kind of section needs: the schema, the fields sent, the
    answer in stored form, and how it may differ from the original."""

    schema: type
    fields: Callable[[dict], dict]
    stored: Callable
    differences: Callable[[dict, dict, str], list[str]]


_BRIEFING = _Shape(
    schema=TranslatedBriefing,
    fields=lambda content: _briefing_fields(content),
    stored=lambda answer, original: summarize.stored_content(answer),
    differences=lambda original, answer, language: differences(
        original, answer, language
    ),
)
_PAPERS = _Shape(
    schema=TranslatedPapers,
    fields=_papers_fields,
    stored=_papers_stored,
    differences=papers_differences,
)
