import re
from datetime import UTC
from pathlib import Path

import pytest

from ingestion.feeds import parse_feed

from .conftest import rss

CORPUS = Path(__file__).resolve().parents[1] / "data" / "feeds" / "feedparser"
CORPUS_FILES = sorted(CORPUS.rglob("*.xml"))


def declared(path: Path) -> tuple[dict[str, str], str]:
    """The HTTP headers and expectation a corpus file states in its first comment."""
    data = path.read_bytes()
    comment = re.search(rb"<!--(.*?)-->", data, re.S)
    headers, expect = {}, ""
    for line in (comment.group(1) if comment else b"").decode("latin-1").splitlines():
        line = line.strip()
        if line.startswith("Header:"):
            key, _, value = line.removeprefix("Header:").strip().partition(":")
            headers[key.strip()] = value.strip()
        elif line.startswith("Expect:"):
            expect = line.removeprefix("Expect:").strip()
    return headers, expect


def test_the_corpus_is_complete():
    assert len(CORPUS_FILES) == 238
    assert (CORPUS / "LICENSE").exists()


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_feedparser_corpus_file_parses_without_an_exception(path):
    headers, expect = declared(path)
    parsed = parse_feed(
        path.read_bytes(), url="http://example.com/feed.xml", headers=headers
    )
    if expect.startswith("bozo"):
        assert parsed.bozo_reason or parsed.error, "a malformed feed must say why"
    if parsed.error:
        assert parsed.error.startswith("not a feed") and not parsed.entries
    for entry in parsed.entries:
        assert isinstance(entry.title, str) and isinstance(entry.content, str)
        assert entry.published_at is None or entry.published_at.tzinfo is not None


def test_an_empty_document_is_rejected_with_a_reason():
    parsed = parse_feed(
        (CORPUS / "illformed" / "rss_empty_document.xml").read_bytes(), url="http://x/"
    )
    assert parsed.error.startswith("not a feed:")


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "not a feed: the response body is empty"),
        (
            b"<!DOCTYPE html><html><body>Hello</body></html>",
            "not a feed: the server returned an HTML page",
        ),
        (b"\x00\x01\x02 binary junk \xff", "not a feed"),
        (b'{"items": []}', "not a feed"),
    ],
)
def test_things_that_are_not_feeds_get_a_readable_reason(content, reason):
    parsed = parse_feed(content, url="http://example.com/feed")
    assert parsed.error.startswith(reason)
    assert parsed.entries == []


def test_dates_become_utc_and_relative_links_absolute():
    parsed = parse_feed(
        rss(
            {
                "title": "Seoul",
                "link": "/news/1",
                "date": "Sat, 22 Aug 2026 09:00:00 +0900",
            },
            {"title": "No date", "link": "https://example.org/2"},
        ),
        url="https://example.com/feeds/all.xml",
        headers={"Content-Type": "application/rss+xml"},
    )
    first, second = parsed.entries
    assert first.url == "https://example.com/news/1"
    assert first.published_at.isoformat() == "2026-08-22T00:00:00+00:00"
    assert first.published_at.tzinfo == UTC
    assert second.published_at is None
    assert parsed.version == "rss20" and parsed.error is None


def test_an_entry_without_link_falls_back_to_a_url_guid():
    parsed = parse_feed(
        rss(
            {"title": "a", "guid": "https://example.com/a"},
            {"title": "b", "guid": "tag:b"},
        ),
        url="http://example.com/feed",
    )
    assert [e.url for e in parsed.entries] == ["https://example.com/a", ""]


def test_invalid_utf8_keeps_the_entries_and_notes_the_defect():
    content = rss({"title": "Cafe X", "link": "http://example.com/1"}).replace(
        b"X", b"\xff\xfe"
    )
    parsed = parse_feed(
        content,
        url="http://example.com/feed",
        headers={"content-type": "text/xml; charset=utf-8"},
    )
    assert len(parsed.entries) == 1
    assert parsed.entries[0].title.startswith("Cafe")
    assert parsed.bozo_reason


def test_scripts_and_handlers_are_removed_from_feed_html():
    parsed = parse_feed(
        rss(
            {
                "title": "t",
                "link": "http://e.com/1",
                "body": '<p style="x" onmouseover="a()">ok<script>bad()</script><img src=x onerror=y></p>',
            }
        ),
        url="http://e.com/feed",
    )
    summary = parsed.entries[0].summary
    assert summary == "<p>ok</p>"
