"""Feed bytes in, plain entries out. Never raises on malformed input; no network.

feedparser is lenient by design: a feed with an XML error ("bozo") usually still yields
good entries, so bozo is logged and kept as ``bozo_reason``; only input with neither a
recognised version nor any entry is rejected (``error``).
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from urllib.parse import urljoin, urlsplit

import feedparser
import ftfy
import nh3

logger = logging.getLogger(__name__)

# Feed HTML is shown to editors (admin) and may reach emails: keep structure only.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
MAX_FIELD_CHARS = 200_000
# Enough for any honest feed's escaping; each round also strips the tags it uncovers.
MAX_DECODE_ROUNDS = 6
_TAG = re.compile(r"<[^>]+>")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_SPACE = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_BLOCK_END = re.compile(
    r"(?i)</(p|div|h[1-6]|li|blockquote|pre|tr|table|ul|ol)>|<br\s*/?>"
)


@dataclass
class FeedEntry:
    title: str
    url: str
    guid: str
    published_at: datetime | None
    summary: str  # sanitised HTML
    content: str  # sanitised HTML, the fullest body the feed carries
    author: str = ""


@dataclass
class ParsedFeed:
    entries: list[FeedEntry] = field(default_factory=list)
    error: str | None = None
    version: str = ""
    bozo_reason: str = ""
    title: str = ""
    link: str = ""
    language: str = ""
    # feedparser's own entries, for readers of fields beyond these (ingestion.arxiv).
    raw_entries: list = field(default_factory=list, repr=False)


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html[:MAX_FIELD_CHARS],
        tags=ALLOWED_TAGS,
        attributes={
            "a": {"href", "title"},
            "td": {"colspan", "rowspan"},
            "th": {"colspan"},
        },
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


# What UTF-8 read as Windows-1252 or Latin-1 leaves: a lead byte's letter (Â, Ã, â …)
# before a continuation byte's ("£" became "Â£", "é" "Ã©", "’" "â€™"). Only text
# holding one is handed to ftfy, whose check costs milliseconds on a Korean page.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
    "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022"
    "\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


def repaired(text: str) -> str:
    """``text`` with mojibake undone, as a page or feed that double-encoded its UTF-8
    shows it ("wanted Â£12 per month" -> "wanted £12 per month"). Only the encoding
    is fixed (ftfy's fix_encoding): quotes, dashes and widths stay as written."""
    if not text or not _MOJIBAKE.search(text):
        return text
    return ftfy.fix_encoding(text)


def html_to_text(html: str) -> str:
    """Readable plain text from (sanitised) HTML, paragraphs kept as blank lines.

    Escaped markup in the HTML is the author's text (an article about ``<div>``) and
    stays, but never shaped as a tag: see ``defuse_tags``.
    """
    text = _BLOCK_END.sub("\n\n", html)
    text = defuse_tags(repaired(unescape(_TAG.sub(" ", text))))
    lines = (_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def plain_text(value: object) -> str:
    """One line of text as a reader sees it, with no markup left, however escaped.

    Feeds escape titles zero, one or two times (``&amp;lt;img&amp;gt;``). Stripping
    tags before decoding entities would turn the escaped form into a live tag, so both
    repeat until nothing changes; script and style keep their words as text.
    """
    text = str(value or "")[:MAX_FIELD_CHARS]
    for _ in range(MAX_DECODE_ROUNDS):
        stripped = unescape(
            nh3.clean(unescape(text), tags=set(), clean_content_tags=set())
        )
        if stripped == text:
            break
        text = stripped
    return _SPACE.sub(" ", defuse_tags(repaired(text)).replace("\n", " ")).strip()


def defuse_tags(text: str) -> str:
    """Plain text that no HTML parser reads as a tag: a ``<`` that could open one
    becomes ``‹``, so a later ``|safe`` or unescaping reader finds no markup."""
    return _TAG_OPEN.sub("‹", text)


def parse_feed(content: bytes, *, url: str, headers: dict | None = None) -> ParsedFeed:
    response_headers = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    if response_headers:
        # Relative links resolve against the URL fetched; without any headers feedparser
        # would also flag the missing Content-Type, which says nothing about the feed.
        response_headers.setdefault("content-location", url)
    try:
        parsed = feedparser.parse(
            content,
            response_headers=response_headers,
            resolve_relative_uris=True,
            sanitize_html=True,
        )
    except (
        Exception
    ) as exc:  # feedparser's loose parser has crashed on odd input before
        logger.warning("feedparser crashed on %s: %r", url, exc)
        return ParsedFeed(
            error=f"feed could not be parsed: {type(exc).__name__}: {exc}"
        )

    result = ParsedFeed(version=parsed.get("version", "") or "")
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        result.bozo_reason = f"{type(exc).__name__}: {exc}" if exc else "malformed feed"
        logger.info(
            "feed %s is malformed but may still be usable: %s", url, result.bozo_reason
        )

    feed_info = parsed.get("feed", {})
    result.title = plain_text(feed_info.get("title", ""))[:500]
    result.link = feed_info.get("link", "") or ""
    result.language = (feed_info.get("language", "") or "")[:10]

    result.raw_entries = list(parsed.get("entries", []))
    for raw in result.raw_entries:
        try:
            result.entries.append(_entry(raw, base_url=url))
        except Exception as exc:  # one odd entry must not lose the others
            logger.warning("skipping an entry of %s: %r", url, exc)

    if not result.version and not result.entries:
        result.error = _rejection_reason(content, result.bozo_reason)
    return result


def _rejection_reason(content: bytes, bozo_reason: str) -> str:
    head = content[:2048].lstrip().lower()
    if not head:
        return "not a feed: the response body is empty"
    if head.startswith(b"<!doctype html") or b"<html" in head:
        return "not a feed: the server returned an HTML page"
    if bozo_reason:
        return f"not a feed: {bozo_reason}"
    return "not a feed: no RSS, Atom or RDF document found"


def _entry(raw, *, base_url: str) -> FeedEntry:
    guid = str(raw.get("id", "") or "")[:1000]
    link = _entry_link(raw, base_url=base_url)
    if not link and _is_http_url(guid):
        link = guid
    content_html = ""
    for item in raw.get("content", []) or []:
        value = item.get("value", "") or ""
        if len(value) > len(content_html):
            content_html = value
    summary_html = raw.get("summary", "") or ""
    title = plain_text(raw.get("title", ""))
    return FeedEntry(
        title=title[:1000],
        url=link[:2000],
        guid=guid,
        published_at=_entry_date(raw),
        summary=sanitize_html(summary_html),
        content=sanitize_html(content_html or summary_html),
        author=plain_text(raw.get("author", ""))[:500],
    )


def _entry_link(raw, *, base_url: str) -> str:
    candidates = [raw.get("link", "")]
    candidates += [
        link.get("href", "")
        for link in raw.get("links", []) or []
        if link.get("rel", "alternate") == "alternate"
    ]
    for candidate in candidates:
        candidate = (candidate or "").strip()
        if not candidate:
            continue
        absolute = urljoin(base_url, candidate)
        if _is_http_url(absolute):
            return absolute
    return ""


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _entry_date(raw) -> datetime | None:
    # feedparser normalises every date format it knows to a UTC struct_time.
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = raw.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None
