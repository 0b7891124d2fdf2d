"""Feed text made inert for the Markdown reports people publish (`export`).

Titles, source names, quotes and summaries come from feeds anyone can write. In a
.md file a title like `[click me](javascript:…)`, `![x](https://tracker/…)` or
`<img onerror=…>` would become a link, a remote image or raw HTML wherever the file
is rendered. Every such text goes through `text`, every URL through `link`.
"""

import re
from urllib.parse import quote, urlsplit

# Inline Markdown that can start emphasis, code, a link or image, a table cell or
# strike-through; `<`, `>` and `&` become entities (no HTML, no autolinks).
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Our citation markers ("… [2]") stay readable: once every other bracket is escaped,
# no `[n]: url` definition can exist, so a lone `[n]` cannot link anywhere.
_CITATION = re.compile(r"\\\[(\d{1,3})\\\](?![(\[:])")


def text(value: object) -> str:
    """One line of feed-supplied text, shown as written and never interpreted."""
    line = re.sub(r"\s+", " ", str(value)).strip()
    line = re.sub(r"[&<>]", lambda m: _ENTITIES[m.group()], line)
    line = _MARKDOWN.sub(r"\\\1", line)
    return _CITATION.sub(r"[\1]", line)


def link(url: str) -> str | None:
    """The URL to print, or None when it is not plain http(s) with a host."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    # Characters that could end the URL early in "(url)" or open markup are escaped.
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")
