"""One briefing per category: LLM structured output, or extractive offline text.

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
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings

from ingestion.models import Article
from newsletter import llm, prompts, sections
from newsletter.llm_schemas import Briefing
from newsletter.models import Category, Digest, LLMCall

MAX_TOPICS = 6
MAX_EVENTS = 8
MAX_FIELD_CHARS = 600
SUMMARY_MAX_TOKENS = 1800
# Korean sections: Hangul syllables against Latin-script words (a name counts once
# however long, so name-heavy Korean passes). Below this the text is considered broken.
MIN_HANGUL_RATIO = 0.5

OFFLINE_EVENTS = 6
OFFLINE_FINAL_SENTENCES = 3
SENTENCE_MIN_CHARS = 30
SENTENCE_MAX_CHARS = 320

NO_BASIS = {
    "ko": "오늘 기사에는 이 측면을 다룬 내용이 없습니다.",
    "en": "Today's articles do not address this.",
}

IMPACT_KEYWORDS = {
    "economy": (
        "market",
        "revenue",
        "price",
        "pricing",
        "cost",
        "billion",
        "million",
        "$",
        "investment",
        "invest",
        "customers",
        "enterprise",
        "business",
        "economic",
        "economy",
        "jobs",
        "plans",
        "partnership",
        "시장",
        "매출",
        "투자",
        "비용",
        "가격",
        "기업",
        "경제",
        "일자리",
        "억",
        "달러",
    ),
    "politics_society": (
        "government",
        "policy",
        "law",
        "regulation",
        "safety",
        "security",
        "public",
        "society",
        "rights",
        "privacy",
        "election",
        "military",
        "ethics",
        "risk",
        "workers",
        "education",
        "정부",
        "정책",
        "규제",
        "법",
        "안전",
        "보안",
        "사회",
        "윤리",
        "개인정보",
        "위험",
    ),
    "science_technology": (
        "model",
        "research",
        "benchmark",
        "training",
        "inference",
        "algorithm",
        "performance",
        "accuracy",
        "science",
        "scientific",
        "paper",
        "open-source",
        "reasoning",
        "모델",
        "연구",
        "성능",
        "기술",
        "학습",
        "추론",
        "논문",
        "벤치마크",
    ),
}

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
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+(?=[\"“‘'(\[A-Z0-9\uac00-\ud7a3])")


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
    content = offline_content(articles, language=language)
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


# --- the offline, extractive summary ---------------------------------------------


def offline_content(articles: list[Article], *, language: str) -> dict:
    """Fill the four parts with the articles' own sentences, each cited [n]."""
    no_basis = NO_BASIS.get(language, NO_BASIS["en"])
    sentences = {n: _sentences(a) for n, a in enumerate(articles, start=1)}
    titles = {n: prompts.clean_text(a.title) for n, a in enumerate(articles, start=1)}
    used: set[str] = set()

    topics = [_shorten(titles[n], 120) for n in titles][:4]

    events = []
    for n in list(titles)[:OFFLINE_EVENTS]:
        lead = next((s for s in sentences[n] if s.lower() != titles[n].lower()), "")
        used.add(lead)
        text = f"{titles[n]}: {lead}" if lead else titles[n]
        events.append({"text": f"{_shorten(text, 400)} [{n}]", "citations": [n]})

    impact = {}
    for dimension, keywords in IMPACT_KEYWORDS.items():
        best = _best_sentence(
            sentences, used, lambda s, k=keywords: _keyword_hits(s, k)
        )
        if best is None:
            impact[dimension] = no_basis
        else:
            n, sentence = best
            used.add(sentence)
            impact[dimension] = f"{sentence} [{n}]"

    frequencies = Counter(w for ss in sentences.values() for s in ss for w in _words(s))
    final_summary = []
    seen_articles: set[int] = set()
    for _ in range(OFFLINE_FINAL_SENTENCES):
        best = _best_sentence(
            {n: ss for n, ss in sentences.items() if n not in seen_articles}
            or sentences,
            used,
            lambda s: _centrality(s, frequencies),
        )
        if best is None:
            break
        n, sentence = best
        used.add(sentence)
        seen_articles.add(n)
        final_summary.append(f"{sentence} [{n}]")
    if not final_summary:
        final_summary = [f"{titles[n]} [{n}]" for n in list(titles)[:3]]
    return {
        "topics": topics,
        "events": events,
        "impact": impact,
        "final_summary": final_summary,
    }


def _sentences(article: Article) -> list[str]:
    result = []
    for paragraph in re.split(r"\n+", prompts.article_body(article)):
        paragraph = prompts.clean_text(paragraph)
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = sentence.strip()
            letters = sum(ch.isalpha() for ch in sentence)
            if (
                SENTENCE_MIN_CHARS <= len(sentence) <= SENTENCE_MAX_CHARS
                and letters >= len(sentence) * 0.6
                and "http" not in sentence
            ):
                result.append(sentence)
    return result


def _best_sentence(
    sentences: dict[int, list[str]], used: set[str], score
) -> tuple[int, str] | None:
    best: tuple[float, int, str] | None = None
    for n, candidates in sentences.items():
        for sentence in candidates:
            if sentence in used:
                continue
            value = score(sentence)
            if value > 0 and (best is None or value > best[0]):
                best = (value, n, sentence)
    return (best[1], best[2]) if best else None


def _keyword_hits(sentence: str, keywords: tuple[str, ...]) -> float:
    lowered = sentence.lower()
    return float(sum(1 for k in keywords if k in lowered))


def _words(sentence: str) -> list[str]:
    return [
        w for w in re.findall(r"[^\W\d_]{3,}", sentence.lower()) if w not in _COMMON
    ]


def _centrality(sentence: str, frequencies: Counter) -> float:
    words = _words(sentence)
    if not words:
        return 0.0
    return sum(frequencies[w] for w in set(words)) / (len(words) ** 0.5)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_COMMON = {
    "the",
    "and",
    "for",
    "that",
    "this",
    "with",
    "are",
    "was",
    "were",
    "from",
    "have",
    "has",
    "had",
    "not",
    "but",
    "our",
    "its",
    "can",
    "will",
    "you",
    "your",
    "they",
    "their",
    "them",
    "more",
    "than",
    "into",
    "also",
    "been",
    "which",
    "what",
    "when",
    "how",
    "about",
    "these",
    "those",
    "there",
    "other",
    "such",
    "some",
    "all",
    "any",
    "one",
    "two",
    "new",
    "use",
    "used",
    "using",
    "like",
    "just",
    "most",
    "many",
}
