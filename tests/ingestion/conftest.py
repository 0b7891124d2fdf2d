import pytest

from devservers.feed_server import FeedServer


@pytest.fixture
def feed_server():
    with FeedServer() as server:
        yield server


@pytest.fixture
def local_fetching(settings):
    """Tests talk to 127.0.0.1, which production refuses; short limits: tight limits."""
    settings.INGEST_ALLOW_PRIVATE_HOSTS = True
    settings.INGEST_DEADLINE = 3
    settings.INGEST_READ_TIMEOUT = 2
    settings.INGEST_CONNECT_TIMEOUT = 2
    settings.INGEST_MAX_BYTES = 2 * 1024 * 1024
    return settings


def rss(*items: dict, title: str = "Test feed") -> bytes:
    """A small RSS 2.0 document; items may hold title, link, guid, date, body."""
    parts = []
    for item in items:
        fields = [f"<title>{item.get('title', 'Untitled')}</title>"]
        if item.get("link"):
            fields.append(f"<link>{item['link']}</link>")
        if item.get("guid"):
            fields.append(f"<guid>{item['guid']}</guid>")
        if item.get("date"):
            fields.append(f"<pubDate>{item['date']}</pubDate>")
        if item.get("body"):
            fields.append(f"<description><![CDATA[{item['body']}]]></description>")
        parts.append(f"<item>{''.join(fields)}</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.com/</link>{''.join(parts)}"
        "</channel></rss>"
    ).encode()


def article_page(
    title: str, paragraphs: list[str], *, canonical: str = "", lang: str = "en"
) -> bytes:
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title>{head}</head><body><nav><a href='/'>Home</a></nav>"
        f"<main><article><h1>{title}</h1>"
        f"{body}</article></main><footer>Footer text</footer></body></html>"
    ).encode()


def story_wire(server, stories: list[tuple[str, str]], path: str = "/news.xml") -> str:
    """A feed on `server` of one two-sentence article page per (title, topic): a wire
    whose stories the offline digest can quote. Returns the feed's URL."""
    items = []
    for n, (title, topic) in enumerate(stories):
        page = f"/story/{n}.html"
        text = [
            f"{title}. The announcement on {topic} was made on Monday and describes "
            "what changes for developers who build on the system every day.",
            f"Engineers said the work on {topic} took most of a year, with several "
            "teams measuring the results on public and internal test suites.",
        ]
        server.add(page, article_page(title, text), content_type="text/html")
        items.append({"title": title, "link": server.url(page), "guid": page})
    return server.add(path, rss(*items))
