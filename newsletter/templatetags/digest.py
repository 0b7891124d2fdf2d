"""How a digest's texts become HTML: safe links and linked citations.

Loaded in templates as ``{% load digest %}``; the email renderer and the web page
build their citation links with ``cite_html`` so both link [n] the same way.
"""

import re
from collections.abc import Callable

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from newsletter.drafting import papers
from newsletter.editorial import excerpts, sections

register = template.Library()

_SAFE_SCHEME = re.compile(r"^(?:https?://|mailto:)", re.IGNORECASE)


@register.filter
def credited(article) -> str:
    """Who published an article, and the aggregator it was found through if any:
    "Kestrel Labs · via Hacker News" ("Kestrel Labs · Hacker News 경유")."""
    name, via = excerpts.publisher(article), excerpts.via(article)
    if not via:
        return name
    return gettext("%(name)s · via %(via)s") % {"name": name, "via": via}


@register.filter
def paper_label(url: object) -> str:
    """A paper named by its arXiv id where its line already prints its title."""
    return papers.paper_label(str(url or ""))


@register.filter
def of(mapping: dict, key):
    """``mapping[key]``, or None: a template's lookup by a variable key."""
    return mapping.get(key)


@register.filter
def safe_url(url: object) -> str | None:
    """The URL when it is http(s) or mailto; None (no link) for javascript: and the rest."""
    text = str(url or "").strip()
    return text if _SAFE_SCHEME.match(text) else None


def cite_html(text: object, href: Callable[[int], str | None]) -> SafeString:
    """Escaped ``text`` with each [n] linked to ``href(n)``; [n] without one stays text.

    Everything is escaped, even text already marked safe, so nothing a model or an
    article wrote can become markup; only the links built here are.
    """
    html = []
    for piece in sections.pieces(str(text)):
        target = href(piece.citation) if piece.citation is not None else None
        if target:
            html.append(
                format_html('<a class="cite" href="{}">{}</a>', target, piece.text)
            )
        else:
            html.append(str(escape(piece.text)))
    return mark_safe("".join(html))
