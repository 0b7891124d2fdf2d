"""What the model reads of a story: central sentences of the whole articles, in order.

A story is one event and the articles that report it (a ``SourceGroup``; until stories
are grouped, each article is a group of its own). Its articles are compressed together
within one token budget (``LLM_STORY_INPUT_TOKENS``), never cut after their first N
characters, since a long article keeps its numbers, quotes and reactions further down:

- every sentence of every article is a candidate, split and filtered as the offline
  excerpts are (``excerpts.split_sentences``, ``excerpts.junk_reason``; a sentence that
  leans on the previous one is kept here: the model sees its neighbours' gist);
- each article's lead (its first LEAD_SENTENCES quotable sentences) comes first, one
  sentence per article in turn, so every source the model may cite has its say;
- the rest of the budget goes to the most central sentences by TF-IDF centrality over
  the story (a sentence sharing the story's vocabulary carries its facts), plus their
  likeness to the titles; a sentence too like one already chosen adds nothing;
- the chosen sentences are given in article order, "…" where text was left out.

An article with no quotable sentence (a title, a one-line feed summary) gives its
text cut to the budget share, the only place text is cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from newsletter.editorial import excerpts, prompts
from newsletter.editorial.text import (
    as_data,
    clean_text,
    estimate_tokens,
    truncate_to_tokens,
)

if TYPE_CHECKING:
    from ingestion.models import Article

LEAD_SENTENCES = 2
TITLE_WEIGHT = 0.5
# Two sentences this alike (cosine of TF-IDF vectors) say the same thing.
DUPLICATE_SIMILARITY = 0.7
# Kept for the model although the offline excerpts leave them out.
_TOLERATED_JUNK = {"leans_on_previous", "too_long"}
_MAX_SENTENCE_CHARS = 600
GAP = " … "


@dataclass(frozen=True)
class SourceGroup:
    """The articles of one story, in the order they are numbered as sources."""

    articles: tuple[Article, ...]

    @classmethod
    def of(cls, articles: Sequence[Article]) -> SourceGroup:
        return cls(tuple(articles))


def one_per_article(articles: Sequence[Article]) -> list[SourceGroup]:
    return [SourceGroup((article,)) for article in articles]


@dataclass(frozen=True)
class Sentence:
    text: str
    index: int  # its place among the article's sentences
    start: int  # character offset in the article body


@dataclass(frozen=True)
class Compressed:
    """What the model is given of one article."""

    article: Article
    sentences: tuple[Sentence, ...]
    text: str
    body_chars: int
    publisher: str
    published: str  # YYYY-MM-DD, or "" when unknown

    @property
    def reaches_second_half(self) -> bool:
        return any(s.start >= self.body_chars / 2 for s in self.sentences)


def story_budget() -> int:
    return int(settings.LLM_STORY_INPUT_TOKENS)


def compress(group: SourceGroup, *, budget: int | None = None) -> list[Compressed]:
    """Each article of ``group`` as the text the model reads, within ``budget`` tokens."""
    budget = story_budget() if budget is None else budget
    candidates = {id(a): _candidates(a) for a in group.articles}
    share = budget // max(1, len(group.articles))
    # Articles without a quotable sentence give their text cut to their share first.
    cut = {
        id(a): truncate_to_tokens(clean_text(prompts.article_body(a)), share)
        for a in group.articles
        if not candidates[id(a)]
    }
    left = budget - sum(estimate_tokens(text) for text in cut.values())
    pool = [(a, s) for a in group.articles for s in candidates[id(a)]]
    chosen = _choose(group, pool, left) if pool else set()
    result = []
    for article in group.articles:
        body = prompts.article_body(article)
        picked = tuple(
            s for s in candidates[id(article)] if (id(article), s.index) in chosen
        )
        # An article the budget left no room for is given by its title alone.
        text = _joined(picked) if picked else cut.get(id(article), "")
        result.append(
            Compressed(
                article,
                picked,
                text,
                len(body),
                excerpts.publisher(article),
                excerpts.published(article),
            )
        )
    return result


def _candidates(article: Article) -> list[Sentence]:
    body = prompts.article_body(article)
    title = clean_text(article.title).lower()
    found = []
    cursor = 0
    for index, sentence in enumerate(excerpts.split_sentences(body)):
        start = _locate(body, sentence, cursor)
        cursor = max(cursor, start)
        reason = excerpts.junk_reason(sentence)
        if reason is not None and reason not in _TOLERATED_JUNK:
            continue
        if len(sentence) > _MAX_SENTENCE_CHARS or sentence.lower() == title:
            continue
        found.append(Sentence(sentence, index, start))
    return found


def _locate(body: str, sentence: str, cursor: int) -> int:
    # Sentences are cleaned (spaces squeezed): find them by their first words.
    head = sentence[:30]
    position = body.find(head, cursor)
    if position < 0:
        position = body.find(head.split(" ")[0], cursor)
    return position if position >= 0 else cursor


def _cost(sentence: Sentence) -> int:
    return estimate_tokens(as_data(sentence.text)) + 1


def _choose(
    group: SourceGroup, pool: list[tuple[Article, Sentence]], budget: int
) -> set[tuple[int, int]]:
    """(id(article), sentence index) of the sentences the budget holds."""
    matrix = excerpts.tfidf(
        [s.text for _, s in pool] + [clean_text(a.title) for a in group.articles]
    )
    vectors, titles = matrix[: len(pool)], matrix[len(pool) :]
    similarity = (vectors @ vectors.T).toarray()
    centrality = (similarity.sum(axis=1) - 1) / max(len(pool) - 1, 1)
    to_titles = (vectors @ titles.T).toarray().max(axis=1)
    scores = centrality + TITLE_WEIGHT * to_titles

    leads = []
    for rank in range(LEAD_SENTENCES):
        for article in group.articles:
            own = [k for k, (a, _) in enumerate(pool) if a is article]
            if rank < len(own):
                leads.append(own[rank])
    rest = sorted(
        (k for k in range(len(pool)) if k not in leads), key=lambda k: -scores[k]
    )
    chosen: list[int] = []
    spent = 0
    for k in leads + rest:
        cost = _cost(pool[k][1])
        if spent + cost > budget:
            continue
        if any(similarity[k, j] >= DUPLICATE_SIMILARITY for j in chosen):
            continue
        chosen.append(k)
        spent += cost
    return {(id(pool[k][0]), pool[k][1].index) for k in chosen}


def _joined(sentences: Sequence[Sentence]) -> str:
    text = ""
    previous = None
    for sentence in sentences:
        if previous is None:
            text = sentence.text
        else:
            gap = " " if sentence.index == previous + 1 else GAP
            text += gap + sentence.text
        previous = sentence.index
    if sentences and sentences[0].index > 0:
        text = "… " + text
    return text
