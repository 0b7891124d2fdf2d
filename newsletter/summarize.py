"""One briefing per category: LLM structured output, or offline excerpts (excerpts.py).

The caller's article order is the source numbering [1..n]; the sources list itself
always comes from the database, never from the model. Whatever the model writes is
checked before it ships:
- citations: any [n] that is not a source of this section is removed and counted;
- quality gate: Korean with too little Hangul, or broken text such as ", , , ,", is
  retried once with a firmer instruction, then replaced by the offline summary and
  flagged for review;
- faithfulness: numbers and Latin-script names that appear in none of the section's
  sources are listed in review_notes and the section is flagged for review.
Any LLM failure (timeout, HTTP error, truncation, refusal, schema break) or an
exhausted token budget gives the offline summary for that section only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings

from ingestion.models import Article
from newsletter import excerpts, llm, prompts, sections
from newsletter.llm_schemas import Briefing
from newsletter.models import Category, Digest, LLMCall

MAX_TOPICS = 6
MAX_EVENTS = 8
MAX_FIELD_CHARS = 600
SUMMARY_MAX_TOKENS = 1800
# Korean sections: Hangul syllables against Latin-script words (a name counts once
# however long, so name-heavy Korean passes). Below this the text is considered broken.
MIN_HANGUL_RATIO = 0.5

_BROKEN = [
    re.compile(r"(?:,\s*){3,}"),
    re.compile(r"\(\s*\)"),
    re.compile(r"(?:^|\s)[,.;:](?:\s+[,.;:]){1,}"),
    # Quotes left empty once the words inside them were lost: '', "", ‘’, “”.
    re.compile(r"'\s*'|\"\s*\"|‘\s*’|“\s*”"),
]
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LATIN_RUN = re.compile(r"[A-Za-z]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.\-+'’][A-Za-z0-9]+)*")


@dataclass
class SectionDraft:
    content: dict
    generated_by: str
    needs_review: bool = False
    review_notes: str = ""
    removed_citations: int = 0
    notes: list[str] = field(default_factory=list, repr=False)


def summarize_category(
    category: Category,
    articles: list[Article],
    *,
    language: str,
    digest: Digest | None = None,
    budget: llm.TokenBudget | None = None,
) -> SectionDraft:
    """The section for `category`; `articles` (its own only) are sources [1..n]."""
    draft = _draft(category, articles, language=language, digest=digest, budget=budget)
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
    notes: list[str] = []
    answer = _ask_llm(
        category,
        articles,
        language=language,
        digest=digest,
        budget=budget or llm.TokenBudget(settings.LLM_TOKEN_BUDGET),
        notes=notes,
    )
    if isinstance(answer, SectionDraft):
        return answer
    return _checked_draft(answer.parsed, articles, language=language, notes=notes)


def _ask_llm(
    category: Category,
    articles: list[Article],
    *,
    language: str,
    digest: Digest | None,
    budget: llm.TokenBudget,
    notes: list[str],
) -> llm.LLMResult[Briefing] | SectionDraft:
    """The model's answer that passed the quality gate, or the offline fallback.

    One retry with a firmer instruction; each failure is added to ``notes``.
    """
    retry_note = (
        prompts.korean_retry_note()
        if language == "ko"
        else "Your previous answer was broken text. Write clear, full sentences."
    )
    attempts = [
        prompts.summary_messages(category, articles, language=language),
        prompts.summary_messages(
            category, articles, language=language, retry_note=retry_note
        ),
    ]
    call = partial(
        llm.call_structured,
        purpose=LLMCall.Purpose.SUMMARIZE,
        model=settings.LLM_SUMMARY_MODEL,
        response_format=Briefing,
        max_tokens=SUMMARY_MAX_TOKENS,
        digest=digest,
        budget=budget,
    )
    offline = partial(_offline_draft, category, articles, language=language)
    try:
        # An earlier run needed the retry and it was accepted: reuse it, spend nothing.
        return call(messages=attempts[1], cache_only=True)
    except llm.CacheMiss:
        pass
    for attempt, messages in enumerate(attempts, start=1):
        try:
            result = call(messages=messages)
        except llm.BudgetExceeded as exc:
            notes.append(
                f"Token budget reached ({exc}); this section was written offline."
            )
            return offline(notes=notes)
        except llm.LLMError as exc:
            notes.append(f"LLM failed ({exc}); this section was written offline.")
            return offline(notes=notes, needs_review=True)
        problems = quality_problems(result.parsed, language=language)
        if not problems:
            return result
        llm.reject(result, "; ".join(problems))
        notes.append(
            f"Attempt {attempt} failed the quality gate: {'; '.join(problems)}."
        )
    notes.append("Written offline after the LLM failed the quality gate twice.")
    return offline(notes=notes, needs_review=True)


def _checked_draft(
    briefing: Briefing, articles: list[Article], *, language: str, notes: list[str]
) -> SectionDraft:
    """The model's briefing in stored form, flagged where it cites or claims badly."""
    content, removed = clean_citations(briefing, source_count=len(articles))
    needs_review = False
    if removed:
        notes.append(f"Removed {removed} citation(s) to sources that do not exist.")
    uncited = sum(1 for event in content["events"] if not event["citations"])
    if uncited:
        needs_review = True
        notes.append(f"{uncited} event(s) cite no source.")
    unsupported = unsupported_claims(content, articles, language=language)
    if unsupported:
        needs_review = True
        notes.append(
            "Not found in any source of this section (check before sending): "
            + ", ".join(unsupported)
        )
    return SectionDraft(
        content=content,
        generated_by="llm",
        needs_review=needs_review,
        review_notes="\n".join(notes),
        removed_citations=removed,
        notes=notes,
    )


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
    return [
        *content["topics"],
        *(event["text"] for event in content["events"]),
        *content["impact"].values(),
        *content["final_summary"],
    ]


def quality_problems(briefing: Briefing, *, language: str) -> list[str]:
    content = briefing.model_dump()
    texts = [t for t in _texts(content) if t.strip()]
    problems = []
    if not content["events"] or not texts:
        problems.append("the answer is empty")
    joined = "\n".join(sections.CITATION.sub(" ", t) for t in texts)
    if any(pattern.search(joined) for pattern in _BROKEN):
        problems.append("broken punctuation patterns")
    if language == "ko":
        hangul = len(_HANGUL.findall(joined))
        latin = len(_LATIN_RUN.findall(joined))
        ratio = hangul / (hangul + latin) if hangul + latin else 0.0
        if ratio < MIN_HANGUL_RATIO:
            problems.append(f"too little Hangul ({ratio:.0%} against Latin words)")
    return problems


def clean_citations(briefing: Briefing, *, source_count: int) -> tuple[dict, int]:
    """The model's briefing in stored form, and how many citations pointed nowhere.

    The model's answer is capped here (so many topics and events, so long a text);
    everything about citations is the section format's rule, in ``sections``.
    """
    content = briefing.model_dump()
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
    text = prompts.clean_text(text)
    if len(text) <= MAX_FIELD_CHARS:
        return text
    # A marker cut in half ("[1") would read as text, not as a citation.
    return re.sub(r"\[[\d,\s]*$", "", text[:MAX_FIELD_CHARS])


def unsupported_claims(
    content: dict, articles: list[Article], *, language: str
) -> list[str]:
    """Numbers and Latin-script names in `content` that none of the sources contain.

    In English text a capitalised word that starts a sentence is only checked when it
    looks like a name (a digit or a second capital, e.g. GPT-5, OpenAI): ordinary
    sentence openers would otherwise drown the list.
    """
    sources = "\n".join(
        prompts.clean_text(f"{a.title}\n{a.feed_summary}\n{a.text}") for a in articles
    ).lower()
    source_numbers = {n.replace(",", "") for n in _NUMBER.findall(sources)}
    flagged: dict[str, None] = {}
    for text in _texts(content):
        text = sections.CITATION.sub(" ", text)
        for number in _NUMBER.findall(text):
            if number.replace(",", "") not in source_numbers:
                flagged[number] = None
        for match in _LATIN_WORD.finditer(text):
            word = match.group(0)
            if language != "ko":
                if not word[0].isupper():
                    continue
                starts_sentence = not text[: match.start()].strip() or re.search(
                    r"[.!?:]\s*$", text[: match.start()]
                )
                looks_like_name = any(c.isdigit() for c in word) or any(
                    c.isupper() for c in word[1:]
                )
                if starts_sentence and not looks_like_name:
                    continue
            if not _in_sources(word, sources):
                flagged[word] = None
    return list(flagged)


def _in_sources(word: str, sources: str) -> bool:
    lowered = word.lower()
    if re.search(r"(?<![a-z0-9])" + re.escape(lowered), sources):
        return True
    parts = [p for p in re.split(r"[.\-+'’]", lowered) if p]
    return len(parts) > 1 and all(
        re.search(r"(?<![a-z0-9])" + re.escape(p), sources) for p in parts
    )
