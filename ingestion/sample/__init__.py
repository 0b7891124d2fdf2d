"""The offline demo corpus, served over real HTTP from 127.0.0.1.

    with serve_corpus("2026-08-22") as site:
        for feed in site.feeds: ...  # name, url, language

Feeds are real AI-lab RSS feeds of two days one week apart (see data/README.md) plus a
small Korean feed of our own. Each item links to a page on the same server whose
canonical link names the item's real URL, so ingestion takes the production path
(fetch → feedparser → page → extraction) and stores real URLs. Real arXiv listings
of two consecutive days (data/papers/) are the paper feeds, one day per snapshot.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
SNAPSHOTS = ["2026-08-15", "2026-08-22"]
# Stands for the server's address inside stored feeds; replaced when served.
BASE_PLACEHOLDER = "http://sample-corpus.invalid"
_PAGE_PATH = re.compile(r"^/pages/[0-9a-f]{20}\.html$")


@dataclass(frozen=True)
class _FeedSpec:
    file: str
    name: str
    language: str
    kind: str = "news"  # ingestion.models.Source.Kind
    weight: float = 1.0  # Source.weight: an aggregator counts less (stories' rank)
    is_aggregator: bool = False  # Source.is_aggregator


FEEDS = [
    _FeedSpec("anthropic_news", "Anthropic News", "en"),
    _FeedSpec("anthropic_research", "Anthropic Research", "en"),
    _FeedSpec("openai_research", "OpenAI Research", "en"),
    _FeedSpec("mistral_news", "Mistral AI News", "en"),
    _FeedSpec("xai_news", "xAI News", "en"),
    _FeedSpec("thinkingmachines", "Thinking Machines", "en"),
    _FeedSpec("hackernews", "Hacker News", "en", weight=0.5, is_aggregator=True),
    _FeedSpec("korean", "AI 브리핑 (샘플)", "ko"),
]
# Real arXiv listings of two consecutive days (data/papers/, arxiv_build.py), one
# day per snapshot: the Papers edition of the demo.
PAPER_FEEDS = [
    _FeedSpec("arxiv_cs_AI", "arXiv cs.AI (sample)", "en", "paper"),
    _FeedSpec("arxiv_cs_CL", "arXiv cs.CL (sample)", "en", "paper"),
    _FeedSpec("arxiv_cs_CV", "arXiv cs.CV (sample)", "en", "paper"),
]
ARXIV_DAYS = {"2026-08-15": "2026-06-17", "2026-08-22": "2026-06-18"}


@dataclass(frozen=True)
class SampleFeed:
    name: str
    url: str
    language: str
    kind: str = "news"
    weight: float = 1.0
    is_aggregator: bool = False


@dataclass
class SampleSite:
    base_url: str
    snapshot: str
    feeds: list[SampleFeed] = field(default_factory=list)

    @property
    def news_feeds(self) -> list[SampleFeed]:
        """The News edition's feeds: the arXiv ones link to arxiv.org, whose pages
        only a paper source (which fetches none) may name."""
        return [feed for feed in self.feeds if feed.kind == "news"]


@contextmanager
def serve_corpus(
    snapshot: str = SNAPSHOTS[-1], *, port: int = 0
) -> Iterator[SampleSite]:
    """Serve one day of the corpus on 127.0.0.1 until the block ends."""
    if snapshot not in SNAPSHOTS:
        raise ValueError(f"unknown snapshot {snapshot!r}; choose one of {SNAPSHOTS}")
    feed_dir = DATA_DIR / "feeds" / snapshot
    paper_dir = DATA_DIR / "papers" / snapshot
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", port), _handler_class(feed_dir, paper_dir)
    )
    httpd.daemon_threads = True
    base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.base_url = base_url
    thread = threading.Thread(
        target=httpd.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="sample-corpus",
        daemon=True,
    )
    thread.start()
    try:
        yield SampleSite(
            base_url=base_url,
            snapshot=snapshot,
            feeds=[
                SampleFeed(
                    name=spec.name,
                    url=f"{base_url}/feeds/{spec.file}.xml",
                    language=spec.language,
                    weight=spec.weight,
                    is_aggregator=spec.is_aggregator,
                )
                for spec in FEEDS
            ]
            + [
                SampleFeed(
                    name=spec.name,
                    url=f"{base_url}/papers/{spec.file}.xml",
                    language=spec.language,
                    kind=spec.kind,
                )
                for spec in PAPER_FEEDS
            ],
        )
    finally:
        httpd.shutdown()
        httpd.server_close()


def _handler_class(feed_dir: Path, paper_dir: Path):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each keep-alive response waits 40 ms

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            path = self.path.split("?", 1)[0]
            folder = {"feeds": feed_dir, "papers": paper_dir}.get(path.split("/")[1])
            if folder is not None and path.endswith(".xml"):
                name = path.split("/", 2)[2].removesuffix(".xml")
                file = folder / f"{name}.xml.gz"
                if name.isidentifier() and file.is_file():
                    stored = file.read_bytes()
                    xml = gzip.decompress(stored)
                    xml = xml.replace(
                        BASE_PLACEHOLDER.encode(), self.server.base_url.encode()
                    )
                    # From the stored file: a restart on another port keeps it valid.
                    etag = '"' + hashlib.sha256(stored).hexdigest()[:16] + '"'
                    self._send(xml, "application/rss+xml; charset=utf-8", etag=etag)
                    return
            elif _PAGE_PATH.match(path):
                file = DATA_DIR / "pages" / f"{path.removeprefix('/pages/')}.gz"
                if file.is_file():
                    self._send(
                        file.read_bytes(), "text/html; charset=utf-8", gzipped=True
                    )
                    return
            self._send(b"not found", "text/plain", status=404)

        def _send(
            self,
            body: bytes,
            content_type: str,
            *,
            status: int = 200,
            gzipped: bool = False,
            etag: str = "",
        ) -> None:
            headers = {"Content-Type": content_type}
            if etag:
                headers["ETag"] = etag
                if self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
            if gzipped:
                if "gzip" in self.headers.get("Accept-Encoding", ""):
                    headers["Content-Encoding"] = "gzip"
                else:
                    body = gzip.decompress(body)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args) -> None:  # noqa: A002
            pass

    return Handler


@dataclass(frozen=True)
class SampleItem:
    """One item of the corpus as its feed tells it: real URL, title, text, date."""

    url: str
    title: str
    text: str
    language: str
    feed: str
    published: str  # ISO date-time, "" when the feed gives none


def corpus_items() -> dict[str, SampleItem]:
    """Every item of every snapshot by its real URL (the first snapshot's copy), read
    straight from the feeds: what benchmarks and labelled sets refer to."""
    import calendar
    import datetime as dt
    from html import unescape

    import feedparser
    import nh3

    items: dict[str, SampleItem] = {}
    for snapshot in SNAPSHOTS:
        for spec in FEEDS:
            file = DATA_DIR / "feeds" / snapshot / f"{spec.file}.xml.gz"
            parsed = feedparser.parse(gzip.decompress(file.read_bytes()))
            for entry in parsed.entries:
                url = entry.get("id") or entry.get("link")
                if not url or url in items:
                    continue
                html = (entry.get("content") or [{}])[0].get("value") or entry.get(
                    "summary", ""
                )
                text = unescape(
                    nh3.clean(re.sub(r"</(?:p|h\d|li)>", "\n", html), tags=set())
                )
                stamp = entry.get("published_parsed")
                published = (
                    dt.datetime.fromtimestamp(
                        calendar.timegm(stamp), dt.UTC
                    ).isoformat()
                    if stamp
                    else ""
                )
                items[url] = SampleItem(
                    url=url,
                    title=entry.get("title", ""),
                    text=text,
                    language=spec.language,
                    feed=spec.name,
                    published=published,
                )
    return items
