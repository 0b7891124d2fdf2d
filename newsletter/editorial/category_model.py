"""Which News category an AI item belongs to, as a small learned model says.

Keyword rules (newsletter.drafting.classify.RuleClassifier) know the words a category
is named by, not the way its stories are told: "partners with NVIDIA to accelerate
open frontier AI" is business although it says "accelerate", a startup backing
"vertical AI" names no keyword at all. So the offline classifier adds the scores of a
multinomial logistic regression over the same features as the relevance model
(newsletter.editorial.relevance.features: the title's words, the opening's words and
pairs) to the rules' own. It is trained on the AI News rows of the labelled set
``tests/data/labels/relevance.csv`` outside its held-out quarter, each with the
category of both its readers (``categories_second_reader.csv``), and stored as
``newsletter/editorial/data/category_model.json``: per word its idf and one weight
per category.

Scoring needs no scikit-learn: the stored idf and weights make one dot product per
category and a softmax, the same arithmetic TfidfVectorizer(binary, l2) +
LogisticRegression do. It knows the default News categories only; a category an
editor adds is scored by its keywords alone. Rebuild the file (and read its held-out
figures) with ``python -m bench.classifier relevance --train``.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from newsletter.editorial.relevance import feature_vectorizer, features

MODEL_PATH = Path(__file__).resolve().parent / "data" / "category_model.json"
# Regularisation of the fit (scikit-learn's C): chosen by cross-validation on the
# training rows (bench.relevance --cross-validate), never on the held-out ones.
FIT_C = 8.0


@cache
def _model() -> dict:
    with MODEL_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


def categories() -> list[str]:
    """The category slugs the model knows."""
    return list(_model()["categories"])


def probabilities(title: str, body: str, model: dict | None = None) -> dict[str, float]:
    """The model's (the stored one's, else ``model``'s) probability of each category
    it knows, for this title and text."""
    model = model or _model()
    words = model["words"]  # word -> [idf, [weight per category]]
    present = [words[f] for f in set(features(title, body)) if f in words]
    norm = math.sqrt(sum(idf**2 for idf, _ in present)) or 1.0
    scores = list(model["intercepts"])
    for idf, weights in present:
        for index, weight in enumerate(weights):
            scores[index] += idf * weight / norm
    top = max(scores)
    exps = [math.exp(score - top) for score in scores]
    total = sum(exps)
    return {
        slug: value / total
        for slug, value in zip(model["categories"], exps, strict=True)
    }


def train(items: list[tuple[str, str, str]], *, c: float = FIT_C) -> dict:
    """A model (the JSON stored at MODEL_PATH) fitted on (title, text, category slug)
    items. scikit-learn is imported here only: serving never loads it."""
    from sklearn.linear_model import LogisticRegression

    vectorizer = feature_vectorizer()
    matrix = vectorizer.fit_transform([(title, body) for title, body, _ in items])
    fitted = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    fitted.fit(matrix, [slug for _, _, slug in items])
    columns = fitted.coef_.T  # one row per word, one weight per category
    return {
        "categories": [str(slug) for slug in fitted.classes_],
        "intercepts": [round(float(v), 4) for v in fitted.intercept_],
        "words": {
            word: [round(float(idf), 4), [round(float(w), 4) for w in weights]]
            for word, idf, weights in zip(
                vectorizer.get_feature_names_out(),
                vectorizer.idf_,
                columns,
                strict=True,
            )
        },
    }


def save(model: dict) -> None:
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    # One word a line: a retrained model reads as a diff of weights.
    head = {key: value for key, value in model.items() if key != "words"}
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "words": {']
    words = sorted(model["words"].items())
    lines += [
        f"{json.dumps(word, ensure_ascii=False)}: {json.dumps(value)}"
        + ("," if index < len(words) - 1 else "")
        for index, (word, value) in enumerate(words)
    ]
    MODEL_PATH.write_text("\n".join([*lines, "}}", ""]), encoding="utf-8")
    _model.cache_clear()
