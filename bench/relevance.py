"""Relevance and category on the held-out part of the labelled set.

    .venv/bin/python -m bench.classifier relevance            # held-out figures
    .venv/bin/python -m bench.classifier relevance --train    # refit, store, then figures
    .venv/bin/python -m bench.classifier relevance --train-categories  # the category model
    .venv/bin/python -m bench.classifier relevance --cross-validate

The labelled set is ``bench.labelled_set`` (tests/data/labels/relevance.csv). The
relevance model (newsletter.editorial.relevance) is fitted on the rows outside the held-out
quarter; the figures are the shipped model's on the held-out rows:

- relevance precision and recall (AI news is the positive class), over all held-out
  rows and over the non-AI rows a keyword rule takes for AI (``confuser``);
- category accuracy of the held-out AI items as the offline classifier files them
  (keyword rules plus the category model, newsletter.editorial.category_model),
  relevance gate included (an AI item gated out counts as wrong);
- the same category accuracy against the second reader's categories
  (``labelled_set.second_readings``), on the rows both readers agree on, and counting
  any category either reader gave or accepted; and how often the two readers agree,
  the ceiling a single reader's labels put on the figure;
- the Papers rows filed by the papers rules: none may land in AI Alignment on a
  non-AI sense of "alignment".
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from dataclasses import dataclass

from bench.labelled_set import Item, load_items, second_readings


@dataclass
class Figures:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0


def fit(items: list[Item]) -> dict:
    """Refit and store the relevance and category models on the training rows."""
    from newsletter.editorial import relevance

    training = [i for i in items if not i.held_out]
    # A paper of an AI listing is AI by its listing and never reaches the model; its
    # words would only crowd the vocabulary (5-fold on the training rows: precision
    # 0.914 -> 0.958 on the items the model does judge when they are left out).
    judged = [
        i for i in training if i.arxiv_category not in relevance.AI_ARXIV_CATEGORIES
    ]
    model = relevance.train([(i.title, i.text, i.is_ai) for i in judged])
    relevance.save(model)
    fit_categories(items)
    return model


def fit_categories(items: list[Item]) -> None:
    """Refit and store the category model alone on the training rows."""
    from newsletter.editorial import category_model

    training = [i for i in items if not i.held_out]
    category_model.save(category_model.train(_both_readers(_category_rows(training))))


def _category_rows(items: list[Item]) -> list[tuple[str, str, str, str]]:
    """(title, opening, category, id) of the AI News items with a category, read as
    the classifier reads an article."""
    from newsletter.drafting.classify import _title_and_body

    return [
        (*_title_and_body(_article(i)), i.category, i.id)
        for i in items
        if i.edition == "news" and i.is_ai and i.category
    ]


def _both_readers(rows) -> list[tuple[str, str, str]]:
    """Each row as (title, opening, category) once per reader: twice with one
    category where the two readers agree, once with each where they differ. The
    model learns that either category fits (5-fold on the training rows, C=8, rules
    plus the model, taught by both readers rather than the first alone: 0.756 ->
    0.779 against the first reader's categories, 0.694 -> 0.717 against the
    second's)."""
    second = second_readings()
    taught = []
    for title, body, category, item_id in rows:
        taught.append((title, body, category))
        other = second.get(item_id)
        taught.append((title, body, other.category if other else category))
    return taught


def cross_validate(items: list[Item], folds: int = 5) -> None:
    """Category accuracy of the rules, the model and their sum, by k-fold
    cross-validation over the training rows only (the held-out rows stay unseen):
    how CATEGORY_MODEL_WEIGHT and category_model.FIT_C were chosen."""
    from sklearn.model_selection import StratifiedKFold

    from bench.classifier import default_categories
    from newsletter.drafting.classify import RuleClassifier
    from newsletter.editorial import category_model

    training = [i for i in items if not i.held_out and i.edition == "news" and i.is_ai]
    training = [i for i in training if i.category]
    rows = _category_rows(training)
    categories = default_categories("news")
    rules = RuleClassifier(categories)
    slugs = {c.pk: c.slug for c in categories}
    shares = []
    for item in training:
        scores = rules.scores(_article(item))
        total = sum(scores.values()) or 1.0
        shares.append({slugs[pk]: s / total for pk, s in scores.items()})
    right: Counter = Counter()
    splits = StratifiedKFold(folds, shuffle=True, random_state=0)
    for fit_rows, test_rows in splits.split(rows, [r[2] for r in rows]):
        for c in (2.0, 8.0, 32.0):
            taught = _both_readers([rows[k] for k in fit_rows])
            model = category_model.train(taught, c=c)
            for k in test_rows:
                probs = category_model.probabilities(*rows[k][:2], model=model)
                for weight in WEIGHTS:
                    right[(c, weight)] += _pick(shares[k], probs, weight) == rows[k][2]
    print(f"category accuracy, {folds}-fold cross-validation on {len(rows)} rows:")
    for (c, weight), n in sorted(right.items(), key=lambda kv: str(kv[0])):
        print(f"  C={c:<5} {WEIGHTS[weight]:<20} {n / len(rows):.3f}")


# Weight of the model's probability beside the rules' shares (None: the model alone).
WEIGHTS = {
    0.0: "rules alone",
    0.5: "rules + 0.5 x model",
    1.0: "rules + 1 x model",
    2.0: "rules + 2 x model",
    None: "model alone",
}


def _pick(shares: dict[str, float], probs: dict[str, float], weight) -> str:
    from newsletter.drafting.classify import CATCH_ALL_SLUG, TIE_ORDER

    if weight is None:
        scores = probs
    else:
        scores = {s: shares.get(s, 0.0) + weight * p for s, p in probs.items()}
    if not any(scores.values()):
        return CATCH_ALL_SLUG
    return min(scores, key=lambda s: (-scores[s], _rank(s, TIE_ORDER)))


def _rank(slug: str, order: list[str]) -> int:
    return order.index(slug) if slug in order else len(order)


def _article(item: Item):
    from ingestion.models import Article, Paper

    article = Article(url=item.url, title=item.title, text=item.text, language="en")
    if item.arxiv_category:
        article.paper = Paper(arxiv_categories=[item.arxiv_category])
    return article


def relevance_figures(items: list[Item]) -> tuple[Figures, list[Item]]:
    from newsletter.drafting.classify import is_about_ai

    figures, misses = Figures(), []
    for item in items:
        predicted = is_about_ai(_article(item), papers=item.edition == "papers")
        figures.add(item.is_ai, predicted)
        if predicted != item.is_ai:
            misses.append(item)
    return figures, misses


def keyword_figures(items: list[Item]) -> Figures:
    """The keyword rule alone, for comparison: any AI term (in its AI sense) in the
    title or the opening 3,000 characters."""
    from newsletter.drafting.classify import RULES_TEXT_CHARS, has_ai_terms

    figures = Figures()
    for item in items:
        figures.add(
            item.is_ai, has_ai_terms(f"{item.title}\n{item.text[:RULES_TEXT_CHARS]}")
        )
    return figures


def category_figures(
    items: list[Item], edition: str
) -> tuple[int, int, Counter, dict[str, str]]:
    """(correct, total, confusion, category filed by item id) of the offline rules on
    ``items`` with a category."""
    from bench.classifier import default_categories
    from newsletter.drafting.classify import RuleClassifier

    categories = [c for c in default_categories(edition) if c.edition == edition]
    rules = RuleClassifier(categories, papers=edition == "papers")
    confusion: Counter = Counter()
    filed = {}
    for item in items:
        predicted = filed[item.id] = rules.label(_article(item)).category.slug
        confusion[(item.category, predicted, item.title)] += 1
    correct = sum(n for (t, p, _), n in confusion.items() if t == p)
    return correct, sum(confusion.values()), confusion, filed


def second_reader_lines(items: list[Item], filed: dict[str, str]) -> list[str]:
    """The held-out category figures against the second reader, and the readers'
    own agreement on the same rows."""
    second = second_readings()
    read = [i for i in items if i.id in second]
    both = [i for i in read if second[i.id].category == i.category]
    accepted = [
        i
        for i in read
        if filed[i.id] == i.category or second[i.id].accepts(filed[i.id])
    ]

    def share(hits: int, total: int) -> str:
        return f"{hits / total:.3f} ({hits}/{total})" if total else "n/a"

    return [
        "the two readers agree (held-out AI news): " + share(len(both), len(read)),
        "category accuracy against the second reader: "
        + share(sum(filed[i.id] == second[i.id].category for i in read), len(read)),
        "category accuracy where both readers agree: "
        + share(sum(filed[i.id] == i.category for i in both), len(both)),
        "category either reader gave or accepted: " + share(len(accepted), len(read)),
    ]


def report(items: list[Item]) -> None:
    held = [i for i in items if i.held_out]
    news = [i for i in held if i.edition == "news"]
    figures, misses = relevance_figures(held)
    print(
        f"labelled set: {len(items)} items, {sum(i.is_ai for i in items)} AI, "
        f"{sum(i.confuser for i in items)} non-AI a keyword rule takes for AI; "
        f"held out: {len(held)}"
    )
    print(
        f"relevance (held out): precision {figures.precision:.3f} "
        f"recall {figures.recall:.3f}  (tp {figures.tp} fp {figures.fp} "
        f"fn {figures.fn} tn {figures.tn})"
    )
    words = keyword_figures(held)
    print(
        f"  the keyword rule alone: precision {words.precision:.3f} "
        f"recall {words.recall:.3f}"
    )
    confusers = [i for i in held if i.confuser]
    kept_out = sum(1 for i in confusers if i not in misses)
    print(f"confusers kept out (held out): {kept_out}/{len(confusers)}")
    scored = [i for i in news if i.is_ai and i.category]
    correct, total, confusion, filed = category_figures(scored, "news")
    print(
        f"category accuracy (held-out AI news): {correct / total:.3f} ({correct}/{total})"
    )
    for line in second_reader_lines(scored, filed):
        print(f"  {line}")
    papers = [i for i in items if i.edition == "papers" and i.category]
    p_correct, p_total, p_confusion, _ = category_figures(papers, "papers")
    wrongly_aligned = [
        title
        for (t, p, title), _n in p_confusion.items()
        if p == "papers-alignment" and t != p
    ]
    print(
        f"papers category (all labelled papers): {p_correct}/{p_total}; "
        f"filed in AI Alignment on another sense: {len(wrongly_aligned)}"
    )
    if os.environ.get("VERBOSE"):
        for item in misses:
            print(f"  relevance miss: {item.title[:70]} | truth {item.label}")
        for (t, p, title), _n in sorted(confusion.items()):
            if t != p:
                print(f"  category miss: {title[:60]} | {t} -> {p}")
        for (t, p, title), _n in sorted(p_confusion.items()):
            if t != p:
                print(f"  papers miss: {title[:60]} | {t} -> {p}")


def main(argv: list[str]) -> None:
    items = load_items()
    if "--cross-validate" in argv:
        cross_validate(items)
        return
    if "--train" in argv:
        model = fit(items)
        print(f"stored {len(model['words'])} weighted words")
    elif "--train-categories" in argv:
        fit_categories(items)
        print("stored the category model")
    report(items)


if __name__ == "__main__":
    main(sys.argv[1:])
