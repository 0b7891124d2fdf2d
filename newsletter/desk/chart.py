"""The front page's small chart of sign-ups and unsubscribes, drawn on the server as
SVG: the admin's Content-Security-Policy runs no inline script, and presentation
attributes (not style attributes) colour it."""

import datetime as dt

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BAR = 10
GAP = 3
HALF = 40  # pixels above the baseline for the busiest day; as many below
JOIN_COLOUR = "#2e7d32"
LEAVE_COLOUR = "#c62828"


def joins_and_leaves_svg(days: list[tuple[dt.date, int, int]]) -> SafeString:
    """Sign-ups as bars up, unsubscribes as bars down, one pair per day."""
    peak = max([1, *(max(j, u) for _, j, u in days)])
    width = len(days) * (BAR + GAP)
    height = 2 * HALF + 14
    title = _("Sign-ups (up) and unsubscribes (down), last %(days)s days") % {
        "days": len(days)
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="desk-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="desk-chart-title">',
        f'<title id="desk-chart-title">{escape(title)}</title>',
        f'<line x1="0" y1="{HALF}" x2="{width}" y2="{HALF}" stroke="#999" '
        'stroke-width="1"/>',
    ]
    for n, (day, joined, left) in enumerate(days):
        x = n * (BAR + GAP)
        label = escape(
            _("%(day)s: %(joined)s sign-ups, %(left)s unsubscribes")
            % {"day": f"{day:%Y-%m-%d}", "joined": joined, "left": left}
        )
        up = round(HALF * joined / peak)
        down = round(HALF * left / peak)
        parts.append(f"<g><title>{label}</title>")
        if up:
            parts.append(
                f'<rect x="{x}" y="{HALF - up}" width="{BAR}" height="{up}" '
                f'fill="{JOIN_COLOUR}"/>'
            )
        if down:
            parts.append(
                f'<rect x="{x}" y="{HALF}" width="{BAR}" height="{down}" '
                f'fill="{LEAVE_COLOUR}"/>'
            )
        parts.append("</g>")
    first, last = days[0][0], days[-1][0]
    parts.append(
        f'<text x="0" y="{height - 2}" font-size="10" fill="#666">{first:%m-%d}</text>'
        f'<text x="{width}" y="{height - 2}" font-size="10" fill="#666" '
        f'text-anchor="end">{last:%m-%d}</text></svg>'
    )
    return mark_safe("".join(parts))
