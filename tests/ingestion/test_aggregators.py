"""Aggregators are discovery, not publishers: an item found through Hacker News is
credited to the site that published it, everywhere a reader or the model sees it."""

import pytest

from ingestion import services
from ingestion.models import Article, Source
from newsletter.editorial import compression, excerpts, prompts

from .conftest import rss

pytestmark = pytest.mark.django_db

LAB_TEXT = [
    "Kestrel Labs today released Kestrel-2, an open-weight language model for "
    "scientific writing that runs on a single workstation graphics card.",
    "The company said the model was trained on 4 trillion tokens of papers and lab "
    "notes, and that it matches larger models on three citation benchmarks.",
    "The weights and the evaluation code are published under a permissive licence "
    "so that other groups can check the results.",
]
STATEMENT_TEXT = [
    "The government suspended its trade negotiations with its largest partner on "
    "Friday and announced matching tariffs on steel and aluminium imports.",
    "Officials said the measures take effect next month and will be reviewed after "
    "the partner's response to the proposal sent last week.",
]


def page(title: str, paragraphs: list[str], *, site: str, canonical: str) -> bytes:
    """An article page as publishers write them: og:site_name names the site."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        f'<link rel="canonical" href="{canonical}">'
        f'<meta property="og:site_name" content="{site}">'
        f"</head><body><main><article><h1>{title}</h1>{body}"
        '<p><a href="https://news.ycombinator.com/item?id=1">Comments on Hacker News'
        "</a></p></article></main></body></html>"
    ).encode()


def comments_link(item_id: int) -> str:
    return (
        f'<p><a href="https://news.ycombinator.com/item?id={item_id}">'
        "Comments on Hacker News</a></p>"
    )


@pytest.fixture
def hacker_news(feed_server, local_fetching):
    """An HN-like feed on 127.0.0.1: a link to a lab's page, a link to a page that
    calls itself Hacker News, an Ask HN thread and a page naming a thread as itself."""
    lab = feed_server.add(
        "/kestrel-2",
        page(
            "Kestrel-2",
            LAB_TEXT,
            site="Kestrel Labs",
            canonical="https://kestrel-labs.example/news/kestrel-2",
        ),
        content_type="text/html",
    )
    statement = feed_server.add(
        "/statement",
        page(
            "Trade talks suspended",
            STATEMENT_TEXT,
            site="Hacker News",
            canonical="https://www.pm.gc.example/en/news/statement",
        ),
        content_type="text/html",
    )
    thread_page = feed_server.add(
        "/thread",
        page(
            "Ask HN: Which model do you use?",
            ["I use the small one for everything and my team hates it, honestly."] * 3,
            site="Hacker News",
            canonical="https://news.ycombinator.com/item?id=4",
        ),
        content_type="text/html",
    )
    date = "Fri, 21 Aug 2026 09:00:00 +0000"
    feed = feed_server.add(
        "/hn.xml",
        rss(
            {"title": "Kestrel-2", "link": lab, "date": date, "body": comments_link(1)},
            {
                "title": "Trade talks suspended",
                "link": statement,
                "date": date,
                "body": comments_link(2),
            },
            {
                "title": "Ask HN: What are you working on?",
                "link": "https://news.ycombinator.com/item?id=3",
                "date": date,
                "body": "I am building a compiler of my own." + comments_link(3),
            },
            {"title": "Ask HN: Which model?", "link": thread_page, "date": date},
            title="Hacker News",
        ),
    )
    source = Source.objects.create(name="Hacker News", url=feed, is_aggregator=True)
    report = services.ingest()
    return source, report, feed_server


def test_an_aggregators_item_is_credited_to_the_site_that_published_it(hacker_news):
    source, _, _ = hacker_news
    lab = Article.objects.get(url="https://kestrel-labs.example/news/kestrel-2")
    assert lab.source == source and lab.site_name == "Kestrel Labs"
    assert excerpts.publisher(lab) == "Kestrel Labs"
    assert excerpts.via(lab) == "Hacker News"
    # The feed's "Comments on Hacker News" line is not part of the article.
    assert "Comments on Hacker News" not in lab.text
    assert "Kestrel Labs today released Kestrel-2" in lab.text

    # A page that calls itself Hacker News (served through it): its domain speaks.
    statement = Article.objects.get(url="https://www.pm.gc.example/en/news/statement")
    assert excerpts.publisher(statement) == "pm.gc.example"

    content = excerpts.excerpt_content([lab, statement], language="en")
    publishers = {item["publisher"] for item in content["excerpts"]}
    assert publishers == {"Kestrel Labs", "pm.gc.example"}


def test_the_model_is_told_the_real_publisher(hacker_news):
    lab = Article.objects.get(url="https://kestrel-labs.example/news/kestrel-2")
    told = compression.compress(compression.SourceGroup.of([lab]))
    blocks = prompts.source_blocks([told])
    assert "Publisher: Kestrel Labs" in blocks
    assert "Hacker News" not in blocks


def test_discussion_threads_are_never_article_text(hacker_news):
    _, _, server = hacker_news
    ask = Article.objects.get(url="https://news.ycombinator.com/item?id=3")
    assert ask.text == "" and ask.feed_summary == ""
    assert ask.extraction_status == Article.Extraction.FAILED
    assert ask.extraction_error == "a discussion page, not an article"
    # The page that names a thread as itself: fetched once, its comments not kept.
    thread = Article.objects.get(url="https://news.ycombinator.com/item?id=4")
    assert server.hits["/thread"] == 1
    assert thread.text == ""
    for article in (ask, thread):
        assert excerpts.quotable_sentences(article) == []
    # The item's submitter is not the article's author.
    assert not Article.objects.exclude(author="").exists()


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        (
            "Show HN: OzBrain, a shared brain for agents",
            "OzBrain, a shared brain for agents",
        ),
        (
            "Launch HN: Kestrel (YC W26) – evals as a service",
            "Kestrel (YC W26) – evals as a service",
        ),
        (
            "Showcase: HN readers' favourite models",
            "Showcase: HN readers' favourite models",
        ),
    ],
)
def test_an_aggregators_label_is_not_part_of_the_publishers_title(title, shown):
    from ingestion import aggregators

    assert aggregators.publisher_title(title) == shown
