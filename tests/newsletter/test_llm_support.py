"""Shared pieces of the LLM tests: the fake server fixture and real-text articles.

The fixture data under tests/data/llm/ was copied from the ai-labs feeds of the shared
corpus (2026-08-22 snapshot: title, link, text of content:encoded) plus a few short
Korean articles written for these tests.
"""

import json
from pathlib import Path

import pytest

from ingestion.models import Article, Source
from tests.fakes.openai_server import FakeOpenAI

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


@pytest.fixture(name="fake_llm")
def fake_llm_fixture(settings):
    """The LLM switched on and pointed at a fake server; short timeout, one retry."""
    with FakeOpenAI(timeout_sleep=1.2) as fake:
        settings.OPENAI_BASE_URL = fake.base_url
        settings.OPENAI_API_KEY = "test"
        settings.LLM_ENABLED = True
        settings.LLM_TIMEOUT = 0.5
        settings.LLM_MAX_RETRIES = 1
        settings.LLM_SUMMARY_MODEL = "fake-summary"
        settings.LLM_CLASSIFY_MODEL = "fake-classify"
        settings.LLM_TOKEN_BUDGET = 200_000
        yield fake


@pytest.fixture(name="offline")
def offline_fixture(settings):
    settings.OPENAI_BASE_URL = ""
    settings.OPENAI_API_KEY = ""
    settings.LLM_ENABLED = False
