"""arXiv's RSS listings (rss.arxiv.org/rss/<category>) as papers. No network, no database.

An item looks like::

    <title>…</title>
    <link>https://arxiv.org/abs/2606.17162</link>
    <description>arXiv:2606.17162v1 Announce Type: new
    Abstract: …</description>
    <guid>oai:arXiv.org:2606.17162v1</guid>
    <category>cs.CL</category> (one per arXiv category, the primary first)
    <arxiv:announce_type>new</arxiv:announce_type>
    <dc:creator>Ada Lovelace, Alan Turing</dc:creator>

The arXiv id without its version is the paper: the same paper announced in several
category feeds (``cross``) or again with a new version (``replace``,
``replace-cross``) is one ``ListedPaper`` per item here and one row once stored.
A curated feed whose items link to arXiv papers (or name them in their guid) is read
the same way, each item a ``new`` announcement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from ingestion.feeds import _entry_date, parse_feed, plain_text

ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")
REPLACEMENTS = frozenset({"replace", "replace-cross"})
# New-style ids (2606.17162) and old-style ones (hep-th/9901001), with an optional version.
_ID = re.compile(
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v(?P<version>\d+))?", re.I
)
_HEAD = re.compile(
    r"^\s*arXiv:\S+\s+Announce Type:\s*(?P<type>[\w-]+)\s*Abstract:\s*", re.I | re.S
)
_CATEGORY = re.compile(r"^[a-z-]+(?:\.[A-Za-z-]+)?$")


@dataclass(frozen=True)
class ListedPaper:
    arxiv_id: str
    version: int
    announce_type: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    published_at: datetime | None

    @property
    def abstract_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def is_replacement(self) -> bool:
        return self.announce_type in REPLACEMENTS


@dataclass
class Listing:
    papers: list[ListedPaper] = field(default_factory=list)
    skipped: int = 0  # items with no arXiv id or an unknown announce type
    error: str | None = None
    bozo_reason: str = ""


def parse_listing(content: bytes, *, url: str, headers: dict | None = None) -> Listing:
    """The papers of one listing feed, in feed order. Never raises on bad input."""
    parsed = parse_feed(content, url=url, headers=headers)
    listing = Listing(error=parsed.error, bozo_reason=parsed.bozo_reason)
    for raw in parsed.raw_entries:
        paper = listed_paper(raw)
        if paper is None:
            listing.skipped += 1
        else:
            listing.papers.append(paper)
    return listing


def listed_paper(raw) -> ListedPaper | None:
    """One feedparser entry as a paper; None when it names no arXiv id."""
    found = _ID.search(str(raw.get("id", ""))) or _ID.search(str(raw.get("link", "")))
    if found is None:
        return None
    description = plain_text(raw.get("summary", ""))
    head = _HEAD.match(description)
    announce_type = str(raw.get("arxiv_announce_type", "") or "").strip().lower()
    if not announce_type and head:
        announce_type = head.group("type").lower()
    # A curated list (daily papers) names arXiv papers without arXiv's listing
    # fields: each of its items is news the day it is listed.
    announce_type = announce_type or "new"
    if announce_type not in ANNOUNCE_TYPES:
        return None
    abstract = description[head.end() :] if head else description
    categories = tuple(
        term
        for tag in raw.get("tags", []) or []
        if _CATEGORY.match(term := str(tag.get("term", "") or "").strip())
    )
    return ListedPaper(
        arxiv_id=found.group("id"),
        version=int(found.group("version") or 1),
        announce_type=announce_type,
        title=plain_text(raw.get("title", ""))[:1000],
        abstract=re.sub(r"\s+", " ", abstract).strip(),
        authors=tuple(_authors(raw)),
        categories=categories,
        published_at=_entry_date(raw),
    )


def _authors(raw) -> list[str]:
    names = []
    for author in raw.get("authors", []) or []:
        names += [n.strip() for n in str(author.get("name", "")).split(",")]
    return [plain_text(n)[:200] for n in names if n.strip()]
