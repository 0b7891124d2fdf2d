"""Markup hidden in a third-party feed never comes alive downstream.

Feeds escape their titles zero, one or two times; a feed reader decodes the XML and
then renders RSS <description> and Atom <summary type="html"> as HTML. Whatever the
escaping, every place the text reaches (stored rows, the web archive, both archive
feeds, the email) must show it as text and never as an element or attribute.
"""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from lxml import etree, html

from ingestion import services as ingestion_services
from ingestion.models import Article, Source
from newsletter import services
from newsletter.models import Category
from tests.factories import SubscriberFactory

from .conftest import article_page, rss

# As written in the feed's XML: one level of escaping is the XML's own, so a reader
# that decodes the XML and then the HTML finds a tag in each of these.
PAYLOAD_TITLES = {
    "OpenAI releases a new language model": (
        "&amp;lt;img src=x onerror=alert(1)&amp;gt; "
    ),
    "Anthropic trains a larger AI model": (
        "&lt;script&gt;alert(document.cookie)&lt;/script&gt; "
    ),
    "Google ships a Gemini AI model update": (
        "&amp;lt;a href=&amp;quot;javascript:alert(1)&amp;quot;&amp;gt;"
        "Read&amp;lt;/a&amp;gt; "
    ),
    "Meta open-sources a Llama language model": (
        "&amp;amp;lt;img src=x onerror=alert(2)&amp;amp;gt; "
    ),
}
# Each story its own words, or dedup would fold them into one.
STORIES = [
    "The research team released a compact language model that runs on a phone and "
    "answers questions about documents without sending them to a server.",
    "Engineers trained the larger system on a new cluster for three months and report "
    "better reasoning on mathematics and programming benchmarks than last year.",
    "The update adds image understanding to the assistant, so users can ask about "
    "charts, receipts and photographs directly inside their email and spreadsheets.",
    "The company published the weights under a permissive licence, letting hospitals "
    "and universities fine-tune the system on their own private records.",
]
BODY_PAYLOAD = "&lt;img src=x onerror=alert(3)&gt; "
CATEGORY_NAME = '<img src=x onerror="alert(4)">Large language models'
TAG_SHAPED = re.compile(r"<[A-Za-z/!?]")


def live_markup(document) -> list[str]:
    """Elements and attributes that would run or link somewhere in a reader."""
    found = []
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "script" and not element.get("type", "").endswith("json"):
            found.append("<script>")
        if element.tag in {"img", "svg", "iframe"} and element.get("src") == "x":
            found.append(f"<{element.tag} src=x>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{element.tag}[{name}]")
            if value.strip().lower().startswith("javascript:"):
                found.append(f"{element.tag}[{name}={value}]")
    return found


def feed_html_fields(body: bytes) -> dict[str, list]:
    """Every field a reader renders as HTML, parsed the way the reader parses it."""
    root = etree.fromstring(body)
    fields = {}
    for element in root.iter():
        tag = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if tag in {"title", "description", "summary", "content"} and element.text:
            fields.setdefault(tag, []).append(
                html.fragment_fromstring(element.text, create_parent="div")
            )
    return fields


@pytest.fixture
def hostile_titles_digest(feed_server, local_fetching, defaults, settings):
    items = []
    for n, (title, payload) in enumerate(PAYLOAD_TITLES.items(), start=1):
        page = feed_server.add(
            f"/story/{n}.html",
            # Each story's own words lead: the same payload in every lead would
            # make them read as one event.
            article_page(title, [f"{title}.", STORIES[n - 1] + " " + BODY_PAYLOAD]),
            content_type="text/html; charset=utf-8",
        )
        items.append(
            {
                "title": payload + title,
                "link": page,
                "date": timezone.now().strftime("%a, %d %b %Y %H:%M:%S +0000"),
                "body": f"<p>{STORIES[n - 1]} {BODY_PAYLOAD}</p>",
            }
        )
    Source.objects.create(
        name="Hostile feed", url=feed_server.add("/feed.xml", rss(*items))
    )
    Category.objects.filter(slug="llm").update(name=CATEGORY_NAME)
    SubscriberFactory(email="reader@example.com")

    report = ingestion_services.ingest()
    assert Article.objects.count() == len(PAYLOAD_TITLES), report
    digest = services.build_digest(timezone.localdate())
    services.send_digest(digest.date)
    cache.clear()
    yield digest
    cache.clear()


def test_escaped_markup_in_feed_titles_is_stored_as_plain_text(
    hostile_titles_digest,
):
    titles = sorted(Article.objects.values_list("title", flat=True))

    # Tags are gone; words inside them (a link's text, a script's) stay as text.
    for headline in PAYLOAD_TITLES:
        assert any(t.endswith(headline) for t in titles), (headline, titles)
    for title in titles:
        assert not TAG_SHAPED.search(title) and "onerror" not in title, title
    for text in Article.objects.values_list("text", flat=True):
        assert not TAG_SHAPED.search(text), text


@pytest.mark.parametrize("feed", ["newsletter:archive_feed", "newsletter:archive_rss"])
def test_archive_feeds_carry_feed_markup_only_as_text(
    client, hostile_titles_digest, feed
):
    response = client.get(reverse(feed))

    fields = feed_html_fields(response.content)
    description = fields.get("summary") or fields.get("description")
    assert description, response.content
    for parsed in [f for values in fields.values() for f in values]:
        assert live_markup(parsed) == []
    text = " ".join(d.text_content() for d in description)
    assert "OpenAI releases a new language model" in text
    assert CATEGORY_NAME in text  # the editor's name, shown as the text it is


def test_archive_page_and_email_show_feed_markup_only_as_text(
    client, hostile_titles_digest
):
    page = client.get(
        reverse("newsletter:digest_detail", args=[hostile_titles_digest.date])
    )
    [message] = mail.outbox
    email_html = message.alternatives[0][0]

    for document in (html.fromstring(page.content), html.fromstring(email_html)):
        assert live_markup(document) == []
        text = document.text_content()
        for title in PAYLOAD_TITLES:
            assert title in text
        assert CATEGORY_NAME in text
    assert "OpenAI releases a new language model" in message.body
