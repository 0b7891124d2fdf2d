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
import trafilatura
from django.conf import settings

logger = logging.getLogger(__name__)

# Below this many characters an extraction is a teaser, a paywall or a cookie wall.
# Hangul packs about three times the meaning per character.
MIN_TEXT_CHARS = 200
MIN_HANGUL_TEXT_CHARS = 80
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LETTER = re.compile(r"[^\W\d_]")
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d")


@dataclass
class ExtractedArticle:
    title: str
    text: str
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    language: str = ""
    canonical_url: str = ""
    extractor: str = ""  # trafilatura | newspaper


def detect_language(text: str, *, hint: str = "") -> str:
    """ko when Hangul dominates the letters, else the page's own declaration, else en."""
    sample = text[:5000]
    letters = len(_LETTER.findall(sample))
    if letters and len(_HANGUL.findall(sample)) / letters > 0.3:
        return "ko"
    hint = (hint or "").strip().lower().replace("_", "-").split("-")[0]
    if re.fullmatch(r"[a-z]{2,3}", hint):
        return hint
    return "en"


def extract_article(html: str | bytes, *, url: str) -> ExtractedArticle | None:
    if not html:
        return None
    max_chars = getattr(settings, "INGEST_MAX_TEXT_CHARS", 100_000)
    tree = _parse_html(html)
    if tree is None:
        logger.info("unparseable HTML at %s", url)
        return None
    canonical = _canonical_url(tree, base_url=url)
    declared_language = _declared_language(tree)

    result = _with_trafilatura(html, url=url, favor_precision=True)
    if result is None:
        result = _with_trafilatura(html, url=url, favor_precision=False)
    if result is None:
        result = _with_newspaper(html, url=url)
    if result is None:
        return None
    result.text = result.text[:max_chars].strip()
    result.canonical_url = canonical
    result.language = detect_language(result.text, hint=declared_language)
    return result


def _is_substantial(text: str) -> bool:
    if len(text) >= MIN_TEXT_CHARS:
        return True
    return len(text) >= MIN_HANGUL_TEXT_CHARS and detect_language(text) == "ko"


def _with_trafilatura(html, *, url: str, favor_precision: bool) -> ExtractedArticle | None:
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            favor_precision=favor_precision,
            include_comments=False,
            include_tables=True,
            with_metadata=True,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # trafilatura has raised on pathological markup
        logger.info("trafilatura failed on %s: %r", url, exc)
        return None
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if not _is_substantial(text):
        return None
    author = getattr(doc, "author", None) or ""
    return ExtractedArticle(
        title=(doc.title or "").strip(),
        text=text,
        authors=[a.strip() for a in author.split(";") if a.strip()],
        published_at=_parse_date(doc.date),
        extractor="trafilatura",
    )


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
    """The page's own <link rel="canonical">, made absolute; "" when absent or unusable."""
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
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    if lang:
        return lang
    for meta in tree.iterfind(".//meta[@content]"):
        key = (meta.get("http-equiv") or meta.get("property") or "").lower()
        if key in {"content-language", "og:locale"}:
            return meta.get("content") or ""
    return ""


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    return None
