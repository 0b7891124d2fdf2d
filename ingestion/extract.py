"""Article text from a page's HTML. Offline: nothing here touches the network.

trafilatura first, in precision mode (it scores best on our benchmark pages), then its
default mode, then newspaper4k when trafilatura finds too little. None when all fail:
the caller falls back to the feed's own content.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import lxml.html

# trafilatura and htmldate (~45 MB resident) are imported on first use, like newspaper
# below: web and email processes import this module through the admin but never
# extract a page.
from django.conf import settings

from ingestion.feeds import defuse_tags, plain_text, repaired
from lib.script import HANGUL_LETTER

logger = logging.getLogger(__name__)

# Below this many characters an extraction is a teaser, a paywall or a cookie wall.
# Hangul packs about three times the meaning per character.
MIN_TEXT_CHARS = 200
MIN_HANGUL_TEXT_CHARS = 80
_LETTER = re.compile(r"[^\W\d_]")


@dataclass
class ExtractedArticle:
    title: str
    text: str
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    language: str = ""
    canonical_url: str = ""
    extractor: str = ""  # trafilatura | newspaper
    site_name: str = ""  # the site's own name for itself (og:site_name)


def detect_language(text: str, *, hint: str = "") -> str:
    """ko when Hangul dominates the letters, else the page's declaration, else en."""
    sample = text[:5000]
    letters = len(_LETTER.findall(sample))
    if letters and len(HANGUL_LETTER.findall(sample)) / letters > 0.3:
        return "ko"
    hint = (hint or "").strip().lower().replace("_", "-").split("-")[0]
    if re.fullmatch(r"[a-z]{2,3}", hint):
        return hint
    return "en"


def extract_article(
    html: str | bytes, *, url: str, find_date: bool = True
) -> ExtractedArticle | None:
    """Main text and metadata of a page; None when no extractor finds an article.

    ``find_date=False`` skips the page-date search (about a tenth of the cost) for
    callers that already know the date from the feed.
    """
    tree = _parse_html(html)
    if tree is None:
        logger.info("unparseable HTML at %s", url)
        return None
    max_chars = getattr(settings, "INGEST_MAX_TEXT_CHARS", 100_000)
    text = _text_with_trafilatura(html, url=url, favor_precision=True)
    if text is None:
        text = _text_with_trafilatura(html, url=url, favor_precision=False)
    if text is not None:
        # Page metadata is read from our own tree: trafilatura's metadata pass costs a
        # quarter of its run time and we need only these fields.
        result = ExtractedArticle(
            title=_page_title(tree),
            text=text,
            authors=_page_authors(tree),
            published_at=_page_date(tree) if find_date else None,
            extractor="trafilatura",
        )
    else:
        result = _with_newspaper(html, url=url)
    if result is None:
        return None
    # Stored as plain text that no later reader can take for markup.
    result.text = defuse_tags(repaired(result.text[:max_chars])).strip()
    result.title = plain_text(result.title)[:1000]
    result.canonical_url = _canonical_url(tree, base_url=url)
    result.site_name = plain_text(_meta(tree, "og:site_name"))[:200]
    result.language = detect_language(result.text, hint=_declared_language(tree))
    return result


def _is_substantial(text: str) -> bool:
    if len(text) >= MIN_TEXT_CHARS:
        return True
    return len(text) >= MIN_HANGUL_TEXT_CHARS and detect_language(text) == "ko"


def _text_with_trafilatura(html, *, url: str, favor_precision: bool) -> str | None:
    import trafilatura  # on first use, see the note on the imports

    try:
        text = trafilatura.extract(
            html,
            url=url,
            favor_precision=favor_precision,
            include_comments=False,
            include_tables=True,
            with_metadata=False,
        )
    except Exception as exc:  # trafilatura has raised on pathological markup
        logger.info("trafilatura failed on %s: %r", url, exc)
        return None
    text = (text or "").strip()
    return text if _is_substantial(text) else None


def _meta(tree, *names: str) -> str:
    for name in names:
        for meta in tree.iterfind(f'.//meta[@property="{name}"]'):
            if (meta.get("content") or "").strip():
                return meta.get("content").strip()
        for meta in tree.iterfind(f'.//meta[@name="{name}"]'):
            if (meta.get("content") or "").strip():
                return meta.get("content").strip()
    return ""


def _page_title(tree) -> str:
    title = _meta(tree, "og:title", "twitter:title")
    if not title:
        heading = tree.find(".//h1")
        title = heading.text_content() if heading is not None else ""
    if not title:
        element = tree.find(".//title")
        title = element.text_content() if element is not None else ""
    return " ".join(title.split())[:1000]


def _page_authors(tree) -> list[str]:
    value = _meta(tree, "author", "article:author", "parsely-author", "dc.creator")
    if not value or value.startswith(("http://", "https://")):
        return []
    return [a.strip() for a in re.split(r";|,| and ", value) if a.strip()][:10]


def _page_date(tree) -> datetime | None:
    published = _meta(
        tree,
        "article:published_time",
        "og:published_time",
        "date",
        "dc.date",
        "pubdate",
    )
    parsed = _parse_date(published)
    if parsed is not None:
        return parsed
    import htmldate  # on first use, see the note on the imports

    try:
        found = htmldate.find_date(
            tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%d"
        )
    except Exception as exc:  # htmldate is heuristic code over hostile markup
        logger.info("htmldate failed: %r", exc)
        return None
    return _parse_date(found)


def _with_newspaper(html, *, url: str) -> ExtractedArticle | None:
    with warnings.catch_warnings():
        # It warns at import that NLTK is missing; we never call its NLP features.
        warnings.simplefilter("ignore", UserWarning)
        import newspaper  # slow to import; only needed on the fallback path

    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    try:
        article = newspaper.Article(
            url, fetch_images=False, follow_meta_refresh=False, memorize_articles=False
        )
        article.download(input_html=html, ignore_read_more=True)
        article.parse()
    except Exception as exc:
        logger.info("newspaper4k failed on %s: %r", url, exc)
        return None
    text = (article.text or "").strip()
    if not _is_substantial(text):
        return None
    published = article.publish_date
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return ExtractedArticle(
        title=(article.title or "").strip(),
        text=text,
        authors=list(article.authors or []),
        published_at=published.astimezone(UTC) if published else None,
        extractor="newspaper",
    )


def find_canonical_url(html: str | bytes, *, url: str) -> str:
    """The page's <link rel="canonical">, made absolute; "" when absent or unusable."""
    tree = _parse_html(html)
    return _canonical_url(tree, base_url=url) if tree is not None else ""


def _parse_html(html: str | bytes):
    if not html:
        return None
    try:
        return lxml.html.fromstring(html)
    except ValueError:
        # lxml refuses str input that carries an XML encoding declaration.
        if isinstance(html, str):
            return _parse_html(html.encode("utf-8"))
        return None
    except lxml.etree.ParserError:
        return None


def _canonical_url(tree, *, base_url: str) -> str:
    for element in tree.iterfind(".//link[@rel]"):
        if "canonical" in (element.get("rel") or "").lower().split():
            href = (element.get("href") or "").strip()
            if href:
                absolute = urljoin(base_url, href)
                parts = urlsplit(absolute)
                if parts.scheme in {"http", "https"} and parts.hostname:
                    return absolute
    return ""


def _declared_language(tree) -> str:
    root = tree.getroottree().getroot()
    lang = (
        root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    )
    if lang:
        return lang
    for meta in tree.iterfind(".//meta[@content]"):
        key = (meta.get("http-equiv") or meta.get("property") or "").lower()
        if key in {"content-language", "og:locale"}:
            return meta.get("content") or ""
    return ""


def _parse_date(value: str | None) -> datetime | None:
    """ISO 8601 (as meta tags and htmldate give it) to aware UTC; naive means UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
