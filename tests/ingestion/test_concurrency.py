import threading
import time

import pytest

from devservers.feed_server import FeedServer, respond
from ingestion import fetch, sample
from ingestion.concurrency import HostLimitedPool, host_of

pytestmark = pytest.mark.usefixtures("local_fetching")


class InFlight:
    """Counts simultaneous requests the server is handling (and, through `total`,
    those of every server sharing it)."""

    def __init__(self, total: "InFlight | None" = None) -> None:
        self.now = self.peak = 0
        self.lock = threading.Lock()
        self.total = total

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        if self.total:
            self.total.enter()

    def leave(self) -> None:
        with self.lock:
            self.now -= 1
        if self.total:
            self.total.leave()

    def handler(self, request) -> None:
        self.enter()
        time.sleep(0.15)
        self.leave()
        respond(request, b"<html></html>", content_type="text/html")


def test_no_host_sees_more_than_the_per_host_limit():
    everywhere = InFlight()
    hosts = [InFlight(everywhere), InFlight(everywhere)]
    with FeedServer() as one, FeedServer() as two, fetch.make_client() as client:
        urls = []
        for server, counter in zip((one, two), hosts, strict=True):
            for n in range(8):
                urls.append(server.add_handler(f"/{n}", counter.handler))
        with HostLimitedPool(workers=8, per_host=2) as pool:
            for url in urls:
                pool.submit(
                    host_of(url),
                    lambda u=url: fetch.fetch(u, client=client).status_code,
                )
            statuses = list(pool.results())
    assert statuses == [200] * 16
    assert [h.peak for h in hosts] == [2, 2]
    # Both hosts were served at once, each at its limit: four in flight together.
    assert everywhere.peak == 4


def test_jobs_submitted_while_consuming_are_run():
    with HostLimitedPool(workers=2, per_host=1) as pool:
        pool.submit("a", lambda: "feed")
        seen = []
        for result in pool.results():
            seen.append(result)
            if result == "feed":
                for n in range(3):
                    pool.submit("b", lambda n=n: f"page {n}")
    assert seen == ["feed", "page 0", "page 1", "page 2"]


def test_sample_server_serves_feeds_and_pages_only():
    with sample.serve_corpus("2026-08-15") as site:
        assert [f.language for f in site.feeds].count("ko") == 1
        feed = fetch.fetch(site.feeds[0].url)
        assert site.base_url.encode() in feed.content
        assert b"sample-corpus.invalid" not in feed.content
        assert feed.headers["etag"]
        assert fetch.fetch(site.feeds[0].url, etag=feed.headers["etag"]).not_modified
        for path in [
            "/feeds/../manifest.json",
            "/pages/../../__init__.py",
            "/feeds/nope.xml",
        ]:
            with pytest.raises(fetch.FetchError, match="404"):
                fetch.fetch(site.base_url + path)
    with pytest.raises(ValueError, match="unknown snapshot"):
        sample.serve_corpus("1999-01-01").__enter__()
