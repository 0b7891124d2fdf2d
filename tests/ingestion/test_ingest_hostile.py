"""The real web misbehaves: every kind of bad source in one run, next to a good one."""

import threading

import pytest

from devservers.feed_server import endless, redirect, trickle
from ingestion import services
from ingestion.models import Article, Source

from .conftest import article_page, rss

pytestmark = pytest.mark.django_db

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<rss version="2.0"><channel><title>&g;</title>
<item><title>Bomb &g;</title><link>http://bomb.example/1</link></item>
</channel></rss>"""

PARAGRAPHS = [
    "The research team released a compact language model that runs on a phone and answers "
    "questions about documents without sending them to a server.",
    "In their evaluation the compressed model lost less than one point of accuracy while using "
    "about a third less memory than the uncompressed baseline on the same hardware.",
    "The authors published the code and the evaluation settings so that other groups can check "
    "the results and extend the method to other languages and model families.",
]


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_source(name: str, url: str) -> Source:
    return Source.objects.create(name=name, url=url)


@pytest.fixture
def hostile_web(feed_server, local_fetching):
    server = feed_server
    stop = threading.Event()
    good_items = []
    for n in (1, 2):
        page = server.add(
            f"/good/{n}.html",
            article_page(f"Good story {n}", [f"Story {n}."] + PARAGRAPHS),
            content_type="text/html; charset=utf-8",
            gzip_body=True,
        )
        good_items.append(
            {
                "title": f"Good story {n}",
                "link": page + "?utm_source=rss#top",
                "date": "Fri, 14 Aug 2026 09:00:00 +0900",
                "body": "Teaser.",
            }
        )
    sources = {
        "good": server.add("/good.xml", rss(*good_items)),
        "bomb": server.add("/bomb.xml", BOMB),
        "huge": server.add_handler("/huge.xml", endless(total_bytes=50 * 1024 * 1024)),
        "trickle": server.add_handler(
            "/slow.xml", trickle(rss({"title": "x"}), stop=stop)
        ),
        "html": server.add(
            "/page.xml",
            b"<!DOCTYPE html><html><body><p>Hi</p></body></html>",
            content_type="text/html",
        ),
        "loop": server.add_handler("/loop-a.xml", redirect("/loop-b.xml")),
        "invalid-utf8": server.add(
            "/latin.xml",
            rss(
                {"title": "Caf\xe9 \xff\xfe", "link": server.url("/good/1.html")}
            ).replace(b"Caf\xc3\xa9 \xc3\xbf\xc3\xbe", b"Caf\xe9 \xff\xfe"),
        ),
        "500": server.add(
            "/broken.xml", b"oops", status=500, content_type="text/plain"
        ),
        "404": server.url("/missing.xml"),
        "no-links": server.add(
            "/nolinks.xml", rss({"title": "a"}, {"title": "b"}, {"title": "c"})
        ),
    }
    server.add_handler("/loop-b.xml", redirect("/loop-a.xml"))
    for name, url in sources.items():
        add_source(name, url)
    yield server
    stop.set()


def test_a_hostile_web_fails_each_bad_source_with_a_reason_and_keeps_the_good(
    hostile_web,
):
    report = services.ingest()

    state = {s.name: s for s in Source.objects.all()}
    failures = {name: reason for name, reason in report.errors}

    assert "deadline" in state["trickle"].last_error
    assert "2,097,152-byte cap" in state["huge"].last_error
    assert state["html"].last_error == "not a feed: the server returned an HTML page"
    assert "redirect loop" in state["loop"].last_error
    assert state["500"].last_error == "HTTP 500 Internal Server Error"
    assert state["404"].last_error == "HTTP 404 Not Found"
    assert (
        state["no-links"].last_error
        == "none of the feed's 3 entries links to an article"
    )
    for name in ["trickle", "huge", "html", "loop", "500", "404", "no-links"]:
        assert state[name].last_status == Source.FetchStatus.ERROR
        assert state[name].consecutive_failures == 1
        assert failures[name] == state[name].last_error
    assert report.sources_failed == 7

    # The bomb is parsed without expanding entities; its defect is noted on the source.
    bomb = Article.objects.get(source=state["bomb"])
    assert "aaaa" not in bomb.title and len(bomb.title) < 100
    assert state["bomb"].last_status == Source.FetchStatus.OK
    assert "malformed feed" in state["bomb"].last_error

    # Undecodable bytes do not lose the feed either.
    assert state["invalid-utf8"].last_status == Source.FetchStatus.OK
    assert state["invalid-utf8"].last_error.startswith("malformed feed")

    good = Article.objects.filter(source=state["good"]).order_by("title")
    assert [a.title for a in good] == ["Good story 1", "Good story 2"]
    assert [a.url for a in good] == [
        hostile_web.url("/good/1.html"),
        hostile_web.url("/good/2.html"),
    ]
    assert all(a.extraction_status == Article.Extraction.EXTRACTED for a in good)
    assert "compressed model lost less than one point" in good[0].text
    assert good[0].published_at.isoformat() == "2026-08-14T00:00:00+00:00"
    assert (
        state["good"].last_status == Source.FetchStatus.OK
        and state["good"].last_error == ""
    )


def test_a_run_twice_stores_nothing_new(hostile_web, settings):
    settings.INGEST_DEADLINE = (
        1  # the trickling source fails sooner; nothing else changes
    )
    first = services.ingest()
    count = Article.objects.count()
    second = services.ingest()
    assert first.articles_new == count > 0
    assert second.articles_new == 0
    assert Article.objects.count() == count


def test_guard_refuses_loopback_and_metadata_redirects(
    feed_server, local_fetching, settings, caplog
):
    settings.INGEST_ALLOW_PRIVATE_HOSTS = False
    port = feed_server.base_url.rsplit(":", 1)[1]
    # The test server itself is trusted by name only; any other private target is not.
    settings.INGEST_PRIVATE_HOST_ALLOWLIST = [f"localhost:{port}"]
    trusted = f"http://localhost:{port}"
    feed_server.add(
        "/plain.xml", rss({"title": "fine", "link": "http://example.com/1"})
    )
    feed_server.add_handler("/to-loopback.xml", redirect(feed_server.url("/plain.xml")))
    feed_server.add_handler(
        "/to-metadata.xml", redirect("http://169.254.169.254/latest/meta-data/")
    )
    loopback = add_source("to loopback", trusted + "/to-loopback.xml")
    metadata = add_source("to metadata", trusted + "/to-metadata.xml")
    direct = add_source("direct", feed_server.url("/plain.xml"))
    allowed = add_source("allowed", trusted + "/plain.xml")

    report = services.ingest()

    for source in (loopback, metadata, direct):
        source.refresh_from_db()
        assert source.last_status == Source.FetchStatus.ERROR
        # Editors learn that it was refused, not what the name resolved to.
        assert source.last_error == "refused: the host is not a public address"
    assert "169.254.169.254" in caplog.text  # the details are in the server log
    assert feed_server.hits["/plain.xml"] == 1  # only the trusted source reached it
    allowed.refresh_from_db()
    assert allowed.last_status == Source.FetchStatus.OK
    assert report.sources_failed == 3


def test_source_is_paused_after_repeated_failures_and_resumes(
    feed_server, local_fetching, settings
):
    settings.INGEST_PAUSE_AFTER_FAILURES = 2
    flaky = add_source("flaky", feed_server.add("/f.xml", b"down", status=503))
    services.ingest()
    services.ingest()
    flaky.refresh_from_db()
    assert flaky.consecutive_failures == 2 and flaky.paused_at is not None

    services.ingest()  # paused: not fetched
    assert feed_server.hits["/f.xml"] == 2

    feed_server.add("/f.xml", rss({"title": "back", "link": "http://example.com/back"}))
    assert services.resume_sources([flaky.id]) == 1
    report = services.ingest()
    flaky.refresh_from_db()
    assert report.sources_ok == 1
    assert flaky.paused_at is None and flaky.consecutive_failures == 0
    assert flaky.last_success_at is not None


def test_conditional_get_skips_an_unchanged_feed(feed_server, local_fetching):
    feed_server.add(
        "/c.xml",
        rss({"title": "one", "link": "http://example.com/one"}),
        etag='"v1"',
        headers={"Last-Modified": "Fri, 21 Aug 2026 10:00:00 GMT"},
    )
    source = add_source("conditional", feed_server.url("/c.xml"))
    services.ingest()
    source.refresh_from_db()
    assert source.etag == '"v1"'
    assert source.last_modified == "Fri, 21 Aug 2026 10:00:00 GMT"

    report = services.ingest()
    source.refresh_from_db()
    assert report.sources_not_modified == 1 and report.articles_seen == 0
    assert source.last_status == Source.FetchStatus.NOT_MODIFIED
    sent = feed_server.requests["/c.xml"][-1]
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Fri, 21 Aug 2026 10:00:00 GMT"


def test_broken_pages_keep_the_feed_text_with_a_reason(feed_server, local_fetching):
    feed_server.add("/pdf", b"%PDF-1.7", content_type="application/pdf")
    feed_server.add("/gone", b"no", status=410, content_type="text/plain")
    body = "<p>" + " ".join(PARAGRAPHS) + "</p>"
    feed = rss(
        {"title": "A PDF", "link": feed_server.url("/pdf"), "body": body},
        {
            "title": "Gone",
            "link": feed_server.url("/gone"),
            "body": "<p>Short teaser.</p>",
        },
    )
    add_source("pages", feed_server.add("/p.xml", feed))
    report = services.ingest()
    pdf = Article.objects.get(title="A PDF")
    gone = Article.objects.get(title="Gone")
    assert report.pages_failed == 2 and report.articles_new == 2
    assert pdf.extraction_status == Article.Extraction.FEED
    assert pdf.extraction_error == "not an HTML page (application/pdf)"
    assert pdf.text.startswith("The research team released")
    assert gone.extraction_error == "HTTP 410 Gone"
    assert gone.text == "Short teaser."


def test_feed_html_is_sanitised(feed_server, local_fetching):
    body = '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:evil()">x</a></p>'
    add_source(
        "xss",
        feed_server.add(
            "/x.xml",
            rss({"title": "XSS", "link": "http://example.com/xss", "body": body}),
        ),
    )
    services.ingest()
    article = Article.objects.get(title="XSS")
    assert (
        "<script" not in article.feed_summary and "onclick" not in article.feed_summary
    )
    assert "javascript:" not in article.feed_summary
    assert article.feed_summary.startswith("<p>Hi")


def test_same_page_from_two_feeds_is_stored_once(feed_server, local_fetching):
    page = feed_server.add(
        "/story.html",
        article_page("Story", PARAGRAPHS, canonical="https://news.example.com/story"),
        content_type="text/html",
    )
    add_source(
        "one", feed_server.add("/one.xml", rss({"title": "Story", "link": page}))
    )
    add_source(
        "two",
        feed_server.add(
            "/two.xml",
            rss({"title": "Story", "link": page + "?utm_campaign=x&fbclid=abc"}),
        ),
    )
    report = services.ingest()
    assert Article.objects.filter(url="https://news.example.com/story").count() == 1
    assert report.articles_new + report.articles_seen == 2
    assert Article.objects.count() == report.articles_new


def test_a_missing_feed_date_is_taken_from_the_page(feed_server, local_fetching):
    page = article_page("Dated", PARAGRAPHS).replace(
        b"</head>",
        b'<meta property="article:published_time" content="2026-08-20T18:30:00-04:00"></head>',
    )
    link = feed_server.add("/dated.html", page, content_type="text/html")
    add_source(
        "dates", feed_server.add("/d.xml", rss({"title": "Dated", "link": link}))
    )
    services.ingest()
    assert (
        Article.objects.get(title="Dated").published_at.isoformat()
        == "2026-08-20T22:30:00+00:00"
    )


def test_the_celery_task_ingests_one_source_in_process(feed_server, local_fetching):
    from ingestion import tasks

    source = add_source(
        "task", feed_server.add("/t.xml", rss({"title": "T", "link": "http://e.com/t"}))
    )
    result = tasks.ingest_sources.delay([source.id]).get()
    assert result["articles_new"] == 1 and result["sources_ok"] == 1
    assert Article.objects.filter(source=source, title="T").exists()


def test_editors_see_no_internal_address_or_socket_error(
    feed_server, local_fetching, settings, caplog, admin_client
):
    """The attack: add sources at internal names and read, from the admin, what each
    resolved to and whether its port answered."""
    settings.INGEST_ALLOW_PRIVATE_HOSTS = False
    port = feed_server.base_url.rsplit(":", 1)[1]
    settings.INGEST_PRIVATE_HOST_ALLOWLIST = [f"127.0.0.1:{_closed_port()}"]
    internal = add_source("internal", f"http://localhost:{port}/feed.xml")
    closed = add_source(
        "closed", f"http://{settings.INGEST_PRIVATE_HOST_ALLOWLIST[0]}/feed.xml"
    )

    services.ingest()

    internal.refresh_from_db()
    closed.refresh_from_db()
    assert internal.last_error == "refused: the host is not a public address"
    assert closed.last_error == "could not connect or read the answer"
    page = admin_client.get("/admin/ingestion/source/").content.decode()
    assert "127.0.0.1" not in page.replace(closed.url, "")
    assert "Connect" not in page and "Errno" not in page
    assert "127.0.0.1" in caplog.text  # the details are in the server log
