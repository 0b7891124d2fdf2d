"""Is it AI news at all? Decided before the category, offline.

General feeds (Hacker News, Digg Technology) carry mostly stories with no AI in them,
and many of those use AI-looking words: a GPU's memory reads, a "user agent", an
"inference" about prices, a Gemini-protocol server. A keyword list either lets them
in or keeps AI news out, so the decision is a small learned model: logistic regression
over the words of the title and the opening (each title word also as its own
feature), trained on the labelled set ``tests/data/labels/relevance.csv`` (real items
of our corpora, a third of them non-AI items a keyword rule takes for AI) and stored
as ``newsletter/editorial/data/relevance_model.json``: a vocabulary with one weight per word.

Scoring needs no scikit-learn: the stored idf and weights make a dot product, the
same arithmetic TfidfVectorizer(binary, l2) + LogisticRegression do, so it is
deterministic and takes microseconds. Rebuild the file (and read its held-out
figures) with ``python -m bench.classifier relevance --train``.

Korean text is judged by its AI terms (the labelled set holds few Korean items), and
a paper listed in an AI arXiv category is AI by its listing.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path

from lib.script import HANGUL

MODEL_PATH = Path(__file__).resolve().parent / "data" / "relevance_model.json"
# What the model reads of an article: the title, and the opening of its text.
BODY_CHARS = 1500
_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#]*(?:[.\-][a-z0-9+#]+)*|[\uac00-\ud7a3]+")
# The model reads at most this many words: the most frequent of the training set.
VOCABULARY_SIZE = 4000
# A title naming AI outright (an LLM, a lab, an AI agent) needs less of the model.
TITLE_TERM_FLOOR = 0.25
# arXiv listings whose papers are AI papers whatever their words.
AI_ARXIV_CATEGORIES = frozenset(
    {"cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.MA", "cs.NE", "cs.RO", "stat.ML"}
)


def features(title: str, body: str) -> list[str]:
    """The words the model reads: each title word twice (once marked as a title
    word, so a title can outweigh a long text), and the opening's words and pairs."""
    title_words = _TOKEN.findall((title or "").lower())
    body_words = _TOKEN.findall((body or "")[:BODY_CHARS].lower())
    words = [f"t:{w}" for w in title_words] + title_words + body_words
    pairs = [f"{a} {b}" for a, b in zip(body_words, body_words[1:], strict=False)]
    return words + pairs


def feature_vectorizer():
    """The scikit-learn vectorizer both learned models (relevance, category) fit:
    ``features`` weighted by idf, binary, l2-normed, as their stored JSON is scored.
    Imported at fitting only: serving never loads scikit-learn."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=lambda pair: features(*pair),
        binary=True,
        min_df=2,
        max_features=VOCABULARY_SIZE,
        norm="l2",
    )


@cache
def _model() -> dict:
    with MODEL_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


def ai_probability(title: str, body: str) -> float:
    """The model's probability that an item with this title and text is AI news."""
    model = _model()
    words = model["words"]  # word -> [idf, weight]
    present = [words[f] for f in set(features(title, body)) if f in words]
    norm = math.sqrt(sum(idf**2 for idf, _ in present)) or 1.0
    score = model["intercept"] + sum(idf * weight for idf, weight in present) / norm
    return 1.0 / (1.0 + math.exp(-score))


def is_korean(text: str) -> bool:
    letters = [c for c in text[:400] if c.isalpha()]
    hangul = sum(1 for c in letters if HANGUL.match(c))
    return bool(letters) and hangul / len(letters) > 0.3


def is_ai_news(
    title: str,
    body: str,
    *,
    arxiv_categories: list[str] | None = None,
    keyword_rule=None,
) -> bool:
    """AI news or not. ``keyword_rule(text) -> bool`` says whether a text names AI
    outright: it judges Korean text, and a title it accepts needs a lower score."""
    if arxiv_categories and AI_ARXIV_CATEGORIES.intersection(arxiv_categories):
        return True
    if keyword_rule is not None and is_korean(f"{title} {body}"):
        return keyword_rule(f"{title}\n{body}")
    probability = ai_probability(title, body)
    if probability >= _model()["threshold"]:
        return True
    return (
        keyword_rule is not None
        and probability >= TITLE_TERM_FLOOR
        and keyword_rule(title)
    )


def train(items: list[tuple[str, str, bool]], *, threshold: float = 0.6) -> dict:
    """A model (the JSON stored at MODEL_PATH) fitted on (title, text, is AI) items.

    scikit-learn is imported here only: serving never loads it.
    """
    from sklearn.linear_model import LogisticRegression

    vectorizer = feature_vectorizer()
    matrix = vectorizer.fit_transform([(title, body) for title, body, _ in items])
    labels = [int(is_ai) for _, _, is_ai in items]
    fitted = LogisticRegression(C=8.0, class_weight="balanced", max_iter=2000)
    fitted.fit(matrix, labels)
    vocabulary = vectorizer.get_feature_names_out()
    coefficients = fitted.coef_[0]
    return {
        "threshold": threshold,
        "intercept": round(float(fitted.intercept_[0]), 4),
        "words": {
            word: [round(float(idf), 4), round(float(weight), 4)]
            for word, idf, weight in zip(
                vocabulary, vectorizer.idf_, coefficients, strict=True
            )
        },
    }


def save(model: dict) -> None:
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    with MODEL_PATH.open("w", encoding="utf-8") as handle:
        # One word a line: a retrained model reads as a diff of weights.
        json.dump(model, handle, ensure_ascii=False, sort_keys=True, indent=0)
        handle.write("\n")
    _model.cache_clear()
