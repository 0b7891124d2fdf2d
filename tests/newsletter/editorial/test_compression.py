"""What the model reads of a story: central sentences of the whole article, in order."""

import random

from ingestion.models import Article, Source
from newsletter.editorial import compression
from newsletter.editorial.text import estimate_tokens, truncate_to_tokens

TITLE = "Rebellions raises $250 million from Nvidia for inference chips"
LEAD = "Rebellions, a Korean chip startup, announced new funding on Monday morning."
KEY = (
    "Nvidia led the $250 million round, which values Rebellions at $1.4 billion "
    "and pays for its inference chips."
)
LATER = "Rebellions said the Nvidia money will double its output of inference chips."


def filler(count: int, seed: int) -> list[str]:
    """Sentences of made-up words that share nothing with the story or each other."""
    rng = random.Random(seed)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(3))

    return [" ".join(word() for _ in range(9)).capitalize() + "." for _ in range(count)]


def long_article(**fields) -> Article:
    """A 10,000-character article whose figures come in its last third."""
    padding = filler(140, seed=3)
    body = [LEAD, *padding[:95], KEY, *padding[95:120], LATER, *padding[120:]]
    return Article(
        url="https://news.example/rebellions",
        title=TITLE,
        text="\n".join(body),
        source=Source(name="Korea Tech Daily", url="https://feeds.example/ktd"),
        **fields,
    )


def test_a_long_article_gives_its_central_sentences_from_the_second_half():
    article = long_article()
    assert len(article.text) > 8000
    [given] = compression.compress(compression.SourceGroup.of([article]), budget=400)

    assert given.text.startswith(LEAD)  # the lead first
    assert KEY in given.text and LATER in given.text
    assert given.reaches_second_half
    assert article.text.index(KEY) > len(article.text) / 2
    # In article order, "…" where text was left out, within the budget.
    indexes = [s.index for s in given.sentences]
    assert indexes == sorted(indexes) and indexes[0] == 0
    assert given.text.index(KEY) < given.text.index(LATER)
    assert f"{compression.GAP}{KEY}" in given.text
    assert estimate_tokens(given.text) <= 400
    assert given.publisher == "Korea Tech Daily"
    # Cutting the head, as before, would never have reached the figures.
    assert KEY not in truncate_to_tokens(article.text, 400)


def test_a_story_of_two_articles_shares_one_budget_and_gives_each_its_lead():
    first = long_article()
    second = Article(
        url="https://other.example/rebellions",
        title="Nvidia backs Rebellions",
        text=(
            "Nvidia is putting $250 million into Rebellions, the Korean designer of "
            "inference chips.\n" + "\n".join(filler(60, seed=9))
        ),
        source=Source(name="Chip Wire", url="https://feeds.example/chips"),
    )
    given = compression.compress(
        compression.SourceGroup.of([first, second]), budget=300
    )

    assert [g.article for g in given] == [first, second]
    assert given[0].text.startswith(LEAD)
    assert given[1].text.startswith("Nvidia is putting $250 million")
    assert sum(estimate_tokens(g.text) for g in given) <= 300
    # The sentence both sources share is central; the made-up words are not.
    assert KEY in given[0].text


def test_an_article_without_sentences_gives_its_text_within_its_share():
    article = Article(
        url="https://x.example/t",
        title="Grok 4.6",
        text="",
        feed_summary="Grok 4.6 on Vertex AI",
        source=Source(name="xAI", url="https://x.example/feed"),
    )
    [given] = compression.compress(compression.SourceGroup.of([article]), budget=100)
    assert given.text == "Grok 4.6 on Vertex AI" and given.sentences == ()
