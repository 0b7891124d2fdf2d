"""Sort articles into the fixed, editor-owned category list.

With an LLM: batches of at most BATCH_SIZE articles per call; the answer's category is
a Literal of the active slugs, so a label outside the list fails validation instead of
creating a new category. A batch whose call fails in any way is sorted by the offline
rules instead, and the report says so.

Offline rules: each category scores its keywords in the title (weighted) and the
opening of the text. Confidence is the winner's
margin over the runner-up, damped for weak evidence: (top - second) / (top + 1).
Matching is by whole word (newsletter.editorial.keywords: "law" is not in "flaws", "법" not in
"방법"), and a word with an everyday sense ("alignment", "agent", "inference",
"training", "model") counts only in its AI sense (newsletter.editorial.senses). Names of labs and
models weigh little: they say a story is about AI, not what about. Ties go to the
narrower category by TIE_ORDER. A learned category model
(newsletter.editorial.category_model) adds its probability to each category's share
of the rules' score; an AI story with no keyword is filed by it for review, one with
neither a keyword nor an AI term goes to the catch-all `others`.

Relevance comes first: an item not about AI goes to the catch-all whatever its words
(newsletter.editorial.relevance offline, the answer's `about_ai` with an LLM).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings

from ingestion.models import Article
from newsletter import llm
from newsletter.editorial import category_model, prompts, relevance, senses
from newsletter.editorial.keywords import KeywordSet
from newsletter.editorial.llm_schemas import label_schema
from newsletter.editorial.text import clean_text
from newsletter.models import Category, Digest, LLMCall

BATCH_SIZE = 25
# One label of the answer: id, about_ai, category, confidence, fits (~32 tokens).
LABEL_TOKENS = 45
CATCH_ALL_SLUG = "others"
# Each edition's catch-all: an article whose label is not offered goes there.
CATCH_ALL_SLUGS = frozenset({CATCH_ALL_SLUG, "papers-others"})
# Below these the article lands in its best category but editors are asked to look.
# The rules' margin-based confidence runs lower than a model's self-reported one.
REVIEW_BELOW = 0.5
RULES_REVIEW_BELOW = 0.3
RULES_TEXT_CHARS = 3000
TITLE_WEIGHT = 5.0
KEYWORD_WEIGHT = 1.0
BODY_HITS_CAP = 2
# Terms that name AI outright. Relevance is the learned model's (newsletter.editorial.relevance);
# these judge Korean text, and a title with one needs a lower score from the model.
AI_TERMS = re.compile(
    r"(?<!\w)(ai|a\.i\.|agi|artificial intelligence|machine learning|deep learning"
    r"|neural networks?|llms?|chatgpt|gpt(?:-?\w+)?|language models?|chatbots?"
    r"|openai|anthropic|deepmind|claude|gemini|mistral|grok|xai|hugging ?face|copilot"
    r"|agents?|agentic|robots?|robotics|fine-tun\w+|embeddings?|multimodal"
    r"|text-to-\w+|diffusion models?)(?!\w)"
    r"|인공지능|생성형|머신러닝|딥러닝|언어\s?모델|챗봇|로봇|에이전트",
    re.IGNORECASE,
)
NOT_AI_CONFIDENCE = 0.9
# Names of labs, models and products: they make a story AI news but say nothing of
# its subject ("Grok for Excel" is a product story, "Claude plays robotics" robotics).
AI_NAMES = re.compile(
    r"(?:openai|anthropic|deepmind|claude|gemini|mistral|grok|xai|chatgpt|gpt|llama"
    r"|copilot|le chat|qwen|deepseek)",
    re.IGNORECASE,
)
BRAND_WEIGHT = 0.25
# A title naming a versioned model ("Claude Opus 5", "GPT-5.5", "Mistral Small 4",
# "Devstral 2") announces that model: it counts as the keyword MODEL_RELEASE.
VERSIONED_MODEL = re.compile(
    r"\b(?:gpt|claude(?:\s\w+)?|grok|gemini|llama|mistral(?:\s\w+)?|\w+stral|qwen"
    r"|deepseek|phi|gemma)[\s-]?v?\d+(?:\.\d+)?\b",
    re.IGNORECASE,
)
MODEL_RELEASE = "model release"
MODEL_RELEASE_WEIGHT = 1.0
# The learned category model's probabilities (newsletter.editorial.category_model) are
# added to the rules' shares of their total score, this much weighted: equal weight
# did best in cross-validation on the training rows (bench.relevance).
CATEGORY_MODEL_WEIGHT = 1.0
# Ties go to the narrower subject first; categories not listed come after, by position.
TIE_ORDER = [
    "policy-safety",
    "robotics-agents",
    "multimodal",
    "inference",
    "training",
    "research",
    "ai-business",
    "llm",
]


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
    articles: Iterable[Article],
    *,
    digest: Digest | None = None,
    edition: str = Category.Edition.NEWS,
) -> ClassifyReport:
    """Give every article one active category of its edition and save it; editor
    labels are kept. Papers (``edition="papers"``) are read with their arXiv
    categories: load them with ``select_related("paper")``."""
    report = ClassifyReport()
    categories = list(
        Category.objects.filter(is_active=True, edition=edition).order_by(
            "position", "id"
        )
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

    rules = RuleClassifier(categories, papers=edition == Category.Edition.PAPERS)
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
    catch_all = catch_all_of(categories)
    schema = label_schema(list(by_slug))
    messages = prompts.classify_messages(categories, enumerate(batch, start=1))
    first, last = batch[0].pk, batch[-1].pk
    try:
        result = llm.call_structured(
            purpose=LLMCall.Purpose.CLASSIFY,
            model=settings.LLM_CLASSIFY_MODEL,
            messages=messages,
            response_format=schema,
            max_tokens=LABEL_TOKENS * len(batch) + 50,
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
        if not item.about_ai:
            # Relevance before category: whatever slug came with it.
            labels[index] = _Label(
                category=catch_all,
                confidence=round(confidence, 3),
                needs_review=confidence < REVIEW_BELOW,
            )
            continue
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
    """Keyword rules: whole words (newsletter.editorial.keywords), the title weighted.

    A keyword that names an AI lab or model (Claude, GPT, Grok: AI_TERMS) says a story
    is about AI, not what it is about, so it weighs BRAND_WEIGHT. Ties between
    categories go by TIE_ORDER (the narrower subject first), never to the catch-all.
    """

    def __init__(self, categories: list[Category], *, papers: bool = False) -> None:
        # Papers come from AI listings already, and their arXiv categories are words
        # of their text: "cs.CV" is as telling as "segmentation".
        self.papers = papers
        self.categories = categories
        self.catch_all = catch_all_of(categories)
        self.rules = {
            c.pk: (KeywordSet.of(c.keyword_list), _keyword_weights(c.keyword_list))
            for c in categories
            if c.pk != self.catch_all.pk
        }

    def scores(self, article: Article) -> dict[int, float]:
        title = clean_text(article.title)
        body = clean_text(prompts.article_body(article)[:RULES_TEXT_CHARS])
        # One sense per article: the title's words are read with its text.
        ai_senses = senses.ai_senses(f"{title}\n{body}")
        title = senses.mask_other_senses(title, senses=ai_senses)
        if VERSIONED_MODEL.search(title):
            title = f"{title} ({MODEL_RELEASE})"
        body = senses.mask_other_senses(body, senses=ai_senses)
        if self.papers and hasattr(article, "paper"):
            body = f"{body} {' '.join(article.paper.arxiv_categories)}"
        result = {}
        for pk, (keywords, weights) in self.rules.items():
            score = 0.0
            in_title, in_body = keywords.hits(title), keywords.hits(body)
            for word in in_title.keys() | in_body.keys():
                # Capped: one word repeated all through a text (a product name)
                # must not outvote several different words of another category.
                hits = TITLE_WEIGHT * in_title[word] + min(in_body[word], BODY_HITS_CAP)
                score += weights.get(word, KEYWORD_WEIGHT) * hits
            result[pk] = score
        return result

    def label(self, article: Article) -> _Label:
        if not is_about_ai(article, papers=self.papers):
            return _Label(
                category=self.catch_all,
                confidence=NOT_AI_CONFIDENCE,
                needs_review=False,
            )
        rule_scores = self.scores(article)
        if not any(rule_scores.values()) and not has_ai_terms(
            "\n".join(_title_and_body(article))
        ):
            # No keyword and no AI term in its AI sense ("Bayesian inference for crop
            # yields"): nothing but the relevance score says AI, so no category does.
            return _Label(category=self.catch_all, confidence=0.0, needs_review=True)
        scores = self.with_model(article, rule_scores)
        ranked = sorted(
            (c for c in self.categories if c.pk in scores),
            key=lambda c: (-scores[c.pk], _tie_rank(c)),
        )
        if not ranked or scores[ranked[0].pk] <= 0:
            return _Label(category=self.catch_all, confidence=0.0, needs_review=True)
        top = scores[ranked[0].pk]
        second = scores[ranked[1].pk] if len(ranked) > 1 else 0.0
        confidence = round((top - second) / (top + 1), 3)
        return _Label(
            category=ranked[0],
            confidence=confidence,
            # No keyword at all: the model alone filed it, an editor should look.
            needs_review=confidence < RULES_REVIEW_BELOW
            or not any(rule_scores.values()),
        )

    def with_model(
        self, article: Article, rule_scores: dict[int, float]
    ) -> dict[int, float]:
        """Each category's share of the rules' score plus the category model's
        probability for it; the rules' own scores where the model knows none of the
        categories (the Papers edition, an editor's own list) or the text is Korean."""
        slugs = {c.pk: c.slug for c in self.categories if c.pk in rule_scores}
        known = set(category_model.categories())
        if self.papers or not known & set(slugs.values()):
            return rule_scores
        title, body = _title_and_body(article)
        if relevance.is_korean(f"{title} {body}"):
            return rule_scores  # the labelled set holds too few Korean items
        probabilities = category_model.probabilities(title, body)
        total = sum(rule_scores.values())
        return {
            pk: (score / total if total else 0.0)
            + CATEGORY_MODEL_WEIGHT * probabilities.get(slugs[pk], 0.0)
            for pk, score in rule_scores.items()
        }


def _tie_rank(category: Category) -> tuple[int, int]:
    order = TIE_ORDER.index(category.slug) if category.slug in TIE_ORDER else 99
    return (order, category.position)


def _keyword_weights(words: list[str]) -> dict[str, float]:
    weights = {MODEL_RELEASE: MODEL_RELEASE_WEIGHT}
    for word in words:
        if AI_NAMES.fullmatch(word.strip()):
            weights[word.strip().lower()] = BRAND_WEIGHT
    return weights


def catch_all_of(categories: list[Category]) -> Category:
    return next(
        (c for c in categories if c.slug in CATCH_ALL_SLUGS),
        next((c for c in reversed(categories) if not c.in_digest), categories[-1]),
    )


def is_about_ai(article: Article, *, papers: bool = False) -> bool:
    """Relevance, offline (newsletter.editorial.relevance): a paper listed in an AI arXiv
    category is; Korean text by its AI terms; anything else as the model says."""
    # Only papers have one, loaded with select_related: news costs no query.
    paper = getattr(article, "paper", None) if papers else None
    return relevance.is_ai_news(
        *_title_and_body(article),
        arxiv_categories=paper.arxiv_categories if paper is not None else None,
        keyword_rule=has_ai_terms,
    )


def _title_and_body(article: Article) -> tuple[str, str]:
    """What the learned models read of an article: its title and its opening."""
    return (
        clean_text(article.title),
        clean_text(prompts.article_body(article)[:RULES_TEXT_CHARS]),
    )


def has_ai_terms(text: str) -> bool:
    """Any AI term, in its AI sense, in ``text``."""
    return AI_TERMS.search(senses.mask_other_senses(clean_text(text))) is not None


def group_by_category(
    articles: list[Article], categories: list[Category]
) -> dict[int, list[Article]]:
    """Articles per active category; a label outside the list goes to its Others."""
    # One query for every label, including those editors changed since ingestion.
    labels = dict(
        Article.objects.filter(id__in=[a.id for a in articles]).values_list(
            "id", "category_id"
        )
    )
    by_category: dict[int, list[Article]] = {c.id: [] for c in categories}
    others = next((c for c in categories if c.slug in CATCH_ALL_SLUGS), None)
    for article in articles:
        article.category_id = labels.get(article.id)
        category_id = (
            article.category_id if article.category_id in by_category else None
        )
        if category_id is None and others is not None:
            category_id = others.id
        if category_id is not None:
            by_category[category_id].append(article)
    return by_category
