"""Real-text articles for the LLM tests (the fake server fixtures are in conftest.py).

The fixture data under tests/data/llm/ was copied from the ai-labs feeds of the shared
corpus (2026-08-22 snapshot: title, link, text of content:encoded) plus a few short
Korean articles written for these tests.
"""

import json
from pathlib import Path

from ingestion.models import Article, Source

DATA = Path(__file__).resolve().parent.parent / "data" / "llm"


def feed_items() -> list[dict]:
    return json.loads((DATA / "ai_labs_articles.json").read_text())


def korean_items() -> list[dict]:
    return json.loads((DATA / "korean_articles.json").read_text())


def make_articles(
    items: list[dict], *, language: str = "en", **fields
) -> list[Article]:
    source, _ = Source.objects.get_or_create(
        url="https://feeds.example/ai-labs.xml", defaults={"name": "AI labs"}
    )
    return [
        Article.objects.create(
            source=source,
            url=item["url"],
            title=item["title"],
            text=item["text"],
            language=language,
            extraction_status=Article.Extraction.FEED,
            **fields,
        )
        for item in items
    ]
