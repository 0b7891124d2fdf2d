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
unchanged sections spends nothing. A section the LLM cannot translate (failure,
refusal, broken citations, budget spent, LLM off) falls back to the offline path in
that language only: excerpts quoted from its sources, labelled as usual. Excerpt
sections need no translation: quotes stay as written, under the reader's headings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from newsletter import llm
from newsletter.drafting import summarize
from newsletter.editorial import excerpts, prompts, sections
from newsletter.editorial.llm_schemas import TranslatedBriefing
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
        section.save(update_fields=["translations"])
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
    offline excerpts when that fails. Returns who made it; None when the section
    needs no translation (excerpts) or cannot be read."""
    notes = notes if notes is not None else []
    try:
        content = sections.read(section)
    except sections.SectionContentError:
        return None  # its readers get its sources only, in every language
    if content.is_excerpts or content.is_papers:
        # Quotes stay as written; a Papers section is read in the digest's language.
        return None
    where = f"{section.category.slug} ({language})"
    if not llm.is_enabled():
        return _save_offline(section, language)
    messages = prompts.translation_messages(
        _briefing_fields(section.content),
        source_language=section.digest.language,
        language=language,
    )
    try:
        result = llm.call_structured(
            purpose=LLMCall.Purpose.TRANSLATE,
            model=settings.LLM_SUMMARY_MODEL,
            messages=messages,
            response_format=TranslatedBriefing,
            max_tokens=TRANSLATION_MAX_TOKENS,
            digest=section.digest,
            budget=budget or llm.TokenBudget(settings.LLM_TOKEN_BUDGET),
        )
    except llm.LLMError as exc:
        notes.append(f"{where}: translation failed ({exc}); written offline.")
        return _save_offline(section, language)
    answer = summarize.stored_content(result.parsed)
    problems = differences(section.content, answer, language)
    if problems:
        llm.reject(result, "; ".join(problems))
        notes.append(
            f"{where}: translation rejected ({'; '.join(problems)}); written offline."
        )
        return _save_offline(section, language)
    sections.save_translation(section, language, answer, by=sections.TRANSLATED)
    return sections.TRANSLATED


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
