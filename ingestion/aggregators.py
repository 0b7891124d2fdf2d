"""Aggregators are discovery, not publishers.

A source an editor marks as an aggregator (`Source.is_aggregator`: Hacker News, Digg)
lists other sites' articles. Each is credited to the site that published it: the
name its page gives itself (`og:site_name`, stored as `Article.site_name`), else its
domain; the aggregator is only where it was found ("via Hacker News"). Its own
discussion pages (an "Ask HN" thread, a comments page) are not articles: their text
is never stored as article text, so no reader's comment is ever quoted as news.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Discussion threads of the aggregators we know, and their own job ads ("X (YC W25) Is
# Hiring" links to ycombinator.com/companies/…/jobs): never an article.
_DISCUSSION = re.compile(
    r"^https?://(?:"
    r"news\.ycombinator\.com/item"
    r"|(?:www\.)?ycombinator\.com/companies/"
    r"|(?:www\.|old\.)?reddit\.com/r/[^/]+/comments/"
    r"|lobste\.rs/s/"
    r"|(?:www\.)?digg\.com/[^/]+/[a-z0-9]+/?$"
    r")",
    re.IGNORECASE,
)
# The link an aggregator's feed appends to every item's content.
_DISCUSSION_LINK = re.compile(
    r"^[ \t]*(?:comments on hacker news|\d*\s*comments?|digg story:.*)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)


# The aggregator's own label before a submitted title: its readers' genre, not the
# publisher's headline ("Show HN: OzBrain, a shared brain …" is "OzBrain, a shared …").
_TITLE_LABEL = re.compile(r"^\s*(?:show|launch|tell)\s+hn\s*[:\-–—]\s*", re.IGNORECASE)


def publisher_title(title: str) -> str:
    """An aggregator item's title as its publisher wrote it, without "Show HN:"."""
    cleaned = _TITLE_LABEL.sub("", title or "")
    return cleaned or title


def is_discussion_url(url: str) -> bool:
    """True for an aggregator's discussion page (news.ycombinator.com/item?id=…) or
    its own job ad."""
    return bool(_DISCUSSION.match(url or ""))


def without_discussion_links(text: str) -> str:
    """`text` without the "Comments on Hacker News" line a feed adds to each item."""
    return re.sub(r"\n{3,}", "\n\n", _DISCUSSION_LINK.sub("", text or "")).strip()


def domain(url: str) -> str:
    """The host a reader recognises: pm.gc.ca for https://www.pm.gc.ca/en/…"""
    return (urlsplit(url or "").hostname or "").removeprefix("www.")


def site_name(*, page_site_name: str, url: str, aggregator_name: str) -> str:
    """Who published the article an aggregator pointed to: the page's own name for its
    site, unless that is the aggregator's name (a page served through it), else the
    domain of the article's URL."""
    name = " ".join((page_site_name or "").split())
    if name and aggregator_name.lower() not in name.lower():
        return name
    return domain(url)
