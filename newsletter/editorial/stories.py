"""Stories: the window's articles grouped by event, ranked, checked against last week.

A story is one event however many sources report it. Everything here is deterministic:
the same articles give the same stories in the same order.

Grouping. Each article is read as its title (twice, so it weighs as much as the lead)
and the first LEAD_CHARS characters of its text. The texts of the window become TF-IDF
vectors of character 2- to 4-grams within words (``char_wb``), which match across
inflections and Korean particles ("하늘-2를" ~ "하늘-2") and need no tokenizer or
language model. Articles join one story by average-linkage clustering: two groups
merge while the mean cosine similarity between their articles is at least
SAME_EVENT_SIMILARITY. Average linkage keeps one loose pair from chaining two events
together. Two articles are never one event when published more than MAX_EVENT_SPREAD
apart, or when both name names or numbers and share none. The threshold was chosen on
tests/data/labels/story_pairs.csv (`python -m bench.stories`: 63 pairs, precision
1.00 and recall 0.86 at 0.3; 0.25 groups templated lab posts, 0.35 loses recall).

Ranking (``rank_score``), per story:

    score = Σ weight(publisher) over its independent publishers (to the hundredth)
            + RECENCY_WEIGHT × freshness

An independent publisher is a distinct host of the articles' canonical URLs (two feeds
of one lab are one voice; an aggregator's item counts as the site it points to); its
weight is the highest ``Source.weight`` editors set for a feed of it (default 1).
Freshness is 1 for a story published at the window's end and 0 for one published at
its start (the newest article counts). The publishers' sum is counted in hundredths and
recency adds less than one (RECENCY_WEIGHT < 0.01), so recency never beats an extra
publisher or a heavier one: it only orders stories with equal publishers. Among those,
a reader is offered first the story with a source in their language (``reader_key``:
a Korean reader's Korean story), then the fresher one; the digest's own order
(``plan_stories(language=…)``) is that of its language's reader. ``score_parts`` splits
a score into what editors see on the digest page.

Continuity. A story whose text is at least SAME_EVENT_SIMILARITY like a story sent in
the last STORY_CONTINUITY_DAYS is left out, unless its articles bring facts the earlier
story's articles lack (numbers, and names written in Latin script or quoted): then it
is a follow-up and those facts are kept to say what is new.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lib.script import HANGUL, is_in_language
from newsletter.editorial import prompts
from newsletter.editorial.articles import loaded_source
from newsletter.editorial.text import clean_text

if TYPE_CHECKING:
    from ingestion.models import Article

# Mean cosine similarity (TF-IDF of character 2-4-grams of title + lead) at which two
# groups of articles are one event. Tuned on tests/data/labels/story_pairs.csv.
SAME_EVENT_SIMILARITY = 0.3
LEAD_CHARS = 400
# Reports of one event come out within this span of each other.
MAX_EVENT_SPREAD = dt.timedelta(hours=48)
# How much the newest story outranks the oldest one of the window, in publishers: less
# than the hundredth publishers' weights are counted in, so it only breaks ties.
RECENCY_WEIGHT = 0.009
MAX_NEW_FACTS = 6

# A number with its Korean unit is one fact ("1조", "300억"): the unit is its size.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:조|억|만|천)?")
# Names: capitalised Latin words with a digit or a second capital (GPT-5, OpenAI),
# or any capitalised word of 3+ letters; Korean names are taken from quotes ('하늘-2').
_LATIN_NAME = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")
_QUOTED = re.compile(r"['‘\"“]([^'’\"”]{2,30})['’\"”]")


# --- when an article was published ----------------------------------------------


def published_at(article: Article) -> dt.datetime:
    """When the article came out, for the window: the feed's date, else the page's
    (both are ``published_at``), else when we first saw it. A date in the future of
    when we first saw it is a feed's mistake: first seen is used instead."""
    seen = article.first_seen_at
    moment = article.published_at or seen
    return min(moment, seen) if seen is not None else moment


# --- grouping -------------------------------------------------------------------


def similarity_text(title: str, body: str) -> str:
    title = clean_text(title)
    return f"{title} {title} {clean_text(body)[:LEAD_CHARS]}"


def article_text(article: Article) -> str:
    return similarity_text(article.title, prompts.article_body(article))


def similarities(texts: Sequence[str]):
    """The cosine similarity of every pair of texts (a dense square array)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, lowercase=True
    )
    matrix = vectorizer.fit_transform([t or " " for t in texts])
    return (matrix @ matrix.T).toarray()


def group_texts(
    texts: Sequence[str], times: Sequence[dt.datetime] | None = None
) -> list[list[int]]:
    """Indexes of `texts` grouped by event; groups in order of their first index.

    With ``times`` (when each was published), texts further apart than
    MAX_EVENT_SPREAD are never one event: a lab's templated posts ("Grok 4.6 on
    Vertex AI", "… on Amazon Bedrock") read alike but come days apart. Two texts
    that both name names or numbers and share none are never one event either:
    "OpenAI releases GPT-7" and "Anthropic releases Claude 9" share only their verbs.
    """
    if len(texts) < 2:
        return [[i] for i in range(len(texts))]
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering

    distance = 1.0 - similarities(texts)
    distance[distance < 0] = 0.0
    if times is not None:
        stamps = np.array([t.timestamp() for t in times])
        apart = np.abs(stamps[:, None] - stamps[None, :])
        distance[apart > MAX_EVENT_SPREAD.total_seconds()] = 1.0
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    # Capitalised sentence openers ("The", "Today") and lone digits are no names.
    names = [
        {f.lower() for f in facts(text) if not (f.isdigit() and len(f) == 1)}
        - ENGLISH_STOP_WORDS
        for text in texts
    ]
    for i, j in zip(*np.triu_indices(len(texts), k=1), strict=True):
        if names[i] and names[j] and not names[i] & names[j]:
            distance[i, j] = distance[j, i] = 1.0
    labels = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - SAME_EVENT_SIMILARITY,
    ).fit_predict(distance)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda g: g[0])


# --- one story -------------------------------------------------------------------


@dataclass
class StoryPlan:
    """A story before it is stored: its articles, the best one first."""

    articles: list[Article]
    category_id: int | None = None
    score: float = 0.0
    earlier_id: int | None = None
    is_follow_up: bool = False
    new_facts: list[str] = field(default_factory=list)
    story_id: int | None = None  # once stored

    @property
    def lead(self) -> Article:
        return self.articles[0]

    @property
    def is_left_out(self) -> bool:
        return self.earlier_id is not None and not self.is_follow_up


def publisher_key(article: Article) -> str:
    """Who speaks: the canonical URL's host without www (feeds of one site are one)."""
    host = (urlsplit(article.url).hostname or "").removeprefix("www.")
    return host or f"source-{article.source_id}"


def _weight(article: Article) -> float:
    source = loaded_source(article)
    weight = getattr(source, "weight", 1.0)
    return max(float(weight if weight is not None else 1.0), 0.0)


def rank_score(
    articles: Sequence[Article], *, window_start: dt.datetime, window_end: dt.datetime
) -> float:
    """See the module's docstring: publishers' weights plus recency."""
    weights: dict[str, float] = {}
    for article in articles:
        key = publisher_key(article)
        weights[key] = max(weights.get(key, 0.0), _weight(article))
    newest = max(published_at(a) for a in articles)
    span = (window_end - window_start).total_seconds() or 1.0
    freshness = min(max(1.0 - (window_end - newest).total_seconds() / span, 0.0), 1.0)
    publishers = round(sum(weights.values()), 2)
    return round(publishers + RECENCY_WEIGHT * freshness, 6)


@dataclass(frozen=True)
class ScoreParts:
    """A rank score as editors read it: publishers' weight, then freshness (0-1)."""

    publishers: float
    freshness: float
    # What freshness is multiplied by in the score: the desk shows the sum as it is.
    recency_weight: float = RECENCY_WEIGHT


def score_parts(score: float) -> ScoreParts:
    publishers = math.floor(score * 100 + 1e-6) / 100
    freshness = (score - publishers) / RECENCY_WEIGHT
    return ScoreParts(publishers, round(min(max(freshness, 0.0), 1.0), 2))


def speaks(articles: Sequence[Article], language: str | None) -> bool:
    """Whether one of the articles is written in `language` (a Korean source for ko)."""
    if not language:
        return False
    return any(
        a.language == language or (language == "ko" and HANGUL.search(a.title or ""))
        for a in articles
    )


def reader_key(score: float, articles: Sequence[Article], language: str | None):
    """Sort key of a story for a reader of `language`: publishers first, then a source
    in the reader's language, then recency (see the module's docstring)."""
    return (-score_parts(score).publishers, not speaks(articles, language), -score)


def _lead_order(articles: Sequence[Article]) -> list[Article]:
    """The best article first: the heaviest source, then the first report (what
    happened, before the reactions to it), then the longest text (most facts)."""
    return sorted(
        articles,
        key=lambda a: (
            -_weight(a),
            published_at(a),
            -len(prompts.article_body(a)),
            a.id or 0,
        ),
    )


def _category(articles: Sequence[Article], labels: dict[int, int | None]) -> int | None:
    """The label most of its articles carry; a tie goes to the lead article's."""
    counts = Counter(labels.get(a.id) for a in articles)
    best = max(counts.values())
    for article in articles:
        if counts[labels.get(article.id)] == best:
            return labels.get(article.id)
    return None


def plan_stories(
    articles: Sequence[Article],
    labels: dict[int, int | None],
    *,
    window_start: dt.datetime,
    window_end: dt.datetime,
    fixed_groups: Sequence[Sequence[Article]] = (),
    language: str | None = None,
) -> list[StoryPlan]:
    """The window's stories, best first for a reader of `language` (``reader_key``).
    ``labels`` maps article id to its category; ``fixed_groups`` are groupings an
    editor made, kept as they are."""
    fixed_ids = {a.id for group in fixed_groups for a in group}
    loose = [a for a in articles if a.id not in fixed_ids]
    groups = [list(g) for g in fixed_groups if g]
    groups += [
        [loose[i] for i in indexes]
        for indexes in group_texts(
            [article_text(a) for a in loose], [published_at(a) for a in loose]
        )
    ]
    plans = []
    for group in groups:
        ordered = _lead_order(group)
        plans.append(
            StoryPlan(
                articles=ordered,
                category_id=_category(ordered, labels),
                score=rank_score(
                    ordered, window_start=window_start, window_end=window_end
                ),
            )
        )
    plans.sort(
        key=lambda p: (
            *reader_key(p.score, p.articles, language),
            -published_at(p.lead).timestamp(),
            p.lead.id,
        )
    )
    return plans


def plan_of(story) -> StoryPlan:
    """A stored Story as a plan again (its lead article first), e.g. after an editor
    merged or split stories and a section is written again."""
    members = sorted(story.articles.all(), key=lambda a: (published_at(a), a.id))
    members.sort(key=lambda a: a.id != story.lead_article_id)
    return StoryPlan(
        articles=members,
        category_id=story.category_id,
        score=story.score,
        earlier_id=story.earlier_id,
        is_follow_up=story.is_follow_up,
        new_facts=list(story.new_facts or []),
        story_id=story.id,
    )


# --- continuity -----------------------------------------------------------------


@dataclass(frozen=True)
class SentStory:
    """A story of an earlier sent digest: what it said, to compare with."""

    id: int
    texts: tuple[str, ...]
    full_text: str


def mark_continuity(plans: list[StoryPlan], sent: Sequence[SentStory]) -> None:
    """Point each plan like a sent story at it; a follow-up when it brings new facts."""
    if not plans or not sent:
        return
    texts = [" ".join(article_text(a) for a in p.articles) for p in plans]
    texts += [" ".join(s.texts) for s in sent]
    matrix = similarities(texts)
    for index, plan in enumerate(plans):
        row = matrix[index, len(plans) :]
        best = int(row.argmax())
        if row[best] < SAME_EVENT_SIMILARITY:
            continue
        plan.earlier_id = sent[best].id
        plan.new_facts = new_facts(plan.articles, sent[best].full_text)
        plan.is_follow_up = bool(plan.new_facts)
        if plan.is_follow_up:
            # Quote the article that brings the news, not the one that repeats it.
            plan.articles.sort(key=lambda a: -len(new_facts([a], sent[best].full_text)))


def facts(text: str) -> list[str]:
    """Numbers and names in `text`, in order, each once."""
    found = [n.replace(",", "") for n in _NUMBER.findall(text)]
    found += [
        m.group(0)
        for m in _LATIN_NAME.finditer(text)
        if len(m.group(0)) >= 3 or any(c.isdigit() for c in m.group(0))
    ]
    found += [q.strip() for q in _QUOTED.findall(text) if HANGUL.search(q)]
    return list(dict.fromkeys(found))


def new_facts(articles: Sequence[Article], earlier_text: str) -> list[str]:
    """Facts of the articles' titles and leads that the earlier story never wrote."""
    known = earlier_text.lower().replace(",", "")
    result: list[str] = []
    for article in articles:
        lead = f"{article.title}\n{prompts.article_body(article)[: LEAD_CHARS * 2]}"
        for fact in facts(clean_text(lead)):
            if fact.lower() not in known and fact not in result:
                result.append(fact)
    return result[:MAX_NEW_FACTS]


def sent_text(articles: Sequence[Article]) -> str:
    """All an earlier story's articles said, for `new_facts`."""
    return "\n".join(
        clean_text(f"{a.title}\n{prompts.article_body(a)}") for a in articles
    )


# --- what readers see of a story ------------------------------------------------


def title_in(titles: Sequence[str], language: str) -> str:
    """The first title written in `language` (Hangul or not), else the first."""
    for title in titles:
        if is_in_language(title, language):
            return title
    return titles[0] if titles else ""
