"""Sort articles into the fixed, editor-owned category list.

With an LLM: batches of at most BATCH_SIZE articles per call; the answer's category is
a Literal of the active slugs, so a label outside the list fails validation instead of
creating a new category. A batch whose call fails in any way is sorted by the offline
rules instead, and the report says so.

Offline rules: each category scores its keywords (and the content words of its
description) in the title and the opening of the text. Confidence is the winner's
margin over the runner-up, damped for weak evidence: (top - second) / (top + 1).
Zero scores and ties go to the catch-all `others` with low confidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings

from ingestion.models import Article
from newsletter import llm, prompts
from newsletter.llm_schemas import label_schema
from newsletter.models import Category, Digest, LLMCall

BATCH_SIZE = 25
CATCH_ALL_SLUG = "others"
# Below these the article lands in its best category but editors are asked to look.
# The rules' margin-based confidence runs lower than a model's self-reported one.
REVIEW_BELOW = 0.5
RULES_REVIEW_BELOW = 0.3
RULES_TEXT_CHARS = 3000
TITLE_WEIGHT = 3.0
KEYWORD_WEIGHT = 1.0
BODY_HITS_CAP = 3
DESCRIPTION_WEIGHT = 0.5
# The digest is AI news: general feeds (Hacker News) carry stories with no AI in them,
# which keyword rules would otherwise file under whatever category their words
# resemble ("market", "deal"). Such an article goes to the catch-all, confidently.
AI_TERMS = re.compile(
    r"(?<!\w)(ai|a\.i\.|agi|artificial intelligence|machine learning|deep learning"
    r"|neural networks?|llms?|chatgpt|gpt(?:-?\w+)?|language models?|chatbots?"
    r"|openai|anthropic|deepmind|claude|gemini|mistral|grok|xai|hugging ?face|copilot"
    r"|agents?|agentic|robots?|robotics|fine-tun\w+|inference|embeddings?|multimodal"
    r"|text-to-\w+|diffusion models?)(?!\w)"
    r"|인공지능|생성형|머신러닝|딥러닝|언어\s?모델|챗봇|로봇|에이전트",
    re.IGNORECASE,
)
NOT_AI_CONFIDENCE = 0.9

_STOPWORDS = {
    "about",
    "also",
    "and",
    "anything",
    "are",
    "fits",
    "for",
    "from",
    "how",
    "into",
    "never",
    "other",
    "that",
    "the",
    "their",
    "them",
    "they",
    "this",
    "what",
    "when",
    "with",
    "counted",
    "summarised",
    "summarized",
    "things",
    "models",
    "model",
}


@dataclass
class ClassifyReport:
    total: int = 0
    by_llm: int = 0
    by_rules: int = 0
    needs_review: int = 0
    skipped_editor: int = 0
    llm_calls: int = 0
    # One line per batch that fell back from the LLM to the rules, with the reason.
    fallbacks: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def classified(self) -> int:
        return self.by_llm + self.by_rules


@dataclass
class _Label:
    category: Category
    confidence: float
    needs_review: bool


def classify_articles(
    articles: Iterable[Article], *, digest: Digest | None = None
) -> ClassifyReport:
    """Give every article one active category and save it; editor labels are kept."""
    report = ClassifyReport()
    categories = list(
        Category.objects.filter(is_active=True).order_by("position", "id")
    )
    todo = []
    for article in articles:
        report.total += 1
        if article.classified_by == Article.ClassifiedBy.EDITOR:
            report.skipped_editor += 1
        else:
            todo.append(article)
    if not todo or not categories:
        if todo:
            report.fallbacks.append("no active categories: nothing was classified")
        return report

    rules = RuleClassifier(categories)
    for start in range(0, len(todo), BATCH_SIZE):
        batch = todo[start : start + BATCH_SIZE]
        labels: dict[int, _Label] = {}
        if llm.is_enabled():
            labels = _classify_batch_with_llm(
                batch, categories, digest=digest, report=report
            )
        for index, article in enumerate(batch):
            label = labels.get(index)
            classified_by = Article.ClassifiedBy.LLM
            if label is None:
                label = rules.label(article)
                classified_by = Article.ClassifiedBy.RULES
            if _save_label(article, label, classified_by):
                if classified_by == Article.ClassifiedBy.LLM:
                    report.by_llm += 1
                else:
                    report.by_rules += 1
                report.needs_review += label.needs_review
                slug = label.category.slug
                report.counts[slug] = report.counts.get(slug, 0) + 1
            else:
                report.skipped_editor += 1
    return report


def _save_label(article: Article, label: _Label, classified_by: str) -> bool:
    # Conditional update: an editor may have labelled the article while we were working.
    updated = (
        Article.objects.filter(pk=article.pk)
        .exclude(classified_by=Article.ClassifiedBy.EDITOR)
        .update(
            category=label.category,
            category_confidence=label.confidence,
            classified_by=classified_by,
            needs_review=label.needs_review,
        )
    )
    if updated:
        article.category = label.category
        article.category_confidence = label.confidence
        article.classified_by = classified_by
        article.needs_review = label.needs_review
    return bool(updated)


def _classify_batch_with_llm(
    batch: list[Article],
    categories: list[Category],
    *,
    digest: Digest | None,
    report: ClassifyReport,
) -> dict[int, _Label]:
    """Labels by position in `batch`; positions missing from the answer are left out."""
    by_slug = {c.slug: c for c in categories}
    schema = label_schema(list(by_slug))
    messages = prompts.classify_messages(categories, enumerate(batch, start=1))
    first, last = batch[0].pk, batch[-1].pk
    try:
        result = llm.call_structured(
            purpose=LLMCall.Purpose.CLASSIFY,
            model=settings.LLM_CLASSIFY_MODEL,
            messages=messages,
            response_format=schema,
            max_tokens=40 * len(batch) + 50,
            digest=digest,
        )
    except llm.LLMError as exc:
        report.llm_calls += exc.call is not None
        report.fallbacks.append(
            f"articles {first}..{last}: LLM failed ({exc}); sorted by rules"
        )
        return {}
    report.llm_calls += not result.cached

    labels: dict[int, _Label] = {}
    for item in result.parsed.labels:
        index = item.id - 1
        if not 0 <= index < len(batch) or index in labels:
            continue
        confidence = min(1.0, max(0.0, float(item.confidence)))
        labels[index] = _Label(
            category=by_slug[item.category],
            confidence=round(confidence, 3),
            needs_review=confidence < REVIEW_BELOW or not item.fits,
        )
    missing = len(batch) - len(labels)
    if missing:
        report.fallbacks.append(
            f"articles {first}..{last}: the LLM skipped {missing} of {len(batch)}; "
            "those were sorted by rules"
        )
    return labels


class RuleClassifier:
    def __init__(self, categories: list[Category]) -> None:
        self.categories = categories
        self.catch_all = next(
            (c for c in categories if c.slug == CATCH_ALL_SLUG),
            next((c for c in reversed(categories) if not c.in_digest), categories[-1]),
        )
        self.patterns = {
            c.pk: _patterns(c.keyword_list, KEYWORD_WEIGHT)
            + _patterns(_description_words(c.description), DESCRIPTION_WEIGHT)
            for c in categories
            if c.pk != self.catch_all.pk
        }

    def scores(self, article: Article) -> dict[int, float]:
        title = prompts.clean_text(article.title).lower()
        body = prompts.clean_text(
            prompts.article_body(article)[:RULES_TEXT_CHARS]
        ).lower()
        result = {}
        for pk, patterns in self.patterns.items():
            score = 0.0
            for pattern, weight in patterns:
                # Capped: one word repeated all through a text (a product name) must
                # not outvote several different words of another category.
                body_hits = min(len(pattern.findall(body)), BODY_HITS_CAP)
                score += weight * (
                    TITLE_WEIGHT * len(pattern.findall(title)) + body_hits
                )
            result[pk] = score
        return result

    def label(self, article: Article) -> _Label:
        if not is_about_ai(article):
            return _Label(
                category=self.catch_all,
                confidence=NOT_AI_CONFIDENCE,
                needs_review=False,
            )
        scores = sorted(
            self.scores(article).items(), key=lambda kv: kv[1], reverse=True
        )
        top_pk, top = scores[0] if scores else (self.catch_all.pk, 0.0)
        second = scores[1][1] if len(scores) > 1 else 0.0
        if top <= 0 or top == second:
            confidence = 0.1 if top else 0.0
            return _Label(
                category=self.catch_all, confidence=confidence, needs_review=True
            )
        confidence = round((top - second) / (top + 1), 3)
        category = next(c for c in self.categories if c.pk == top_pk)
        return _Label(
            category=category,
            confidence=confidence,
            needs_review=confidence < RULES_REVIEW_BELOW,
        )


def is_about_ai(article: Article) -> bool:
    """Any AI term in the title or the start of the text."""
    text = f"{article.title}\n{prompts.article_body(article)[:RULES_TEXT_CHARS]}"
    return AI_TERMS.search(prompts.clean_text(text)) is not None


def _description_words(description: str) -> list[str]:
    words = re.findall(r"[^\W\d_]{4,}", description.lower())
    return [w for w in dict.fromkeys(words) if w not in _STOPWORDS]


def _patterns(words: list[str], weight: float) -> list[tuple[re.Pattern, float]]:
    result = []
    for word in words:
        word = word.lower().strip()
        if not word:
            continue
        if word.isascii():
            pattern = re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)")
        else:
            # Korean attaches particles (규제가, 규제를): match the stem anywhere.
            pattern = re.compile(re.escape(word))
        result.append((pattern, weight))
    return result
