"""The category distribution chart: counts in, a small opaque PNG out.

Workers render with the Agg canvas and a bare ``Figure`` (never pyplot: its global
state is not thread-safe and leaks figures). Hangul needs a real font: NanumGothic
ships in the koreanize-matplotlib wheel and is registered once, by file, so nothing
depends on the fonts installed on the host.

matplotlib (~50 MB resident) is imported on first draw: a chart is drawn once per
digest in its language, and once per other reader language on first use (then
cached); processes that only read stored charts never load it.
"""

import hashlib
import io
import threading
from importlib.util import find_spec
from pathlib import Path

from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import Image

from newsletter.drafting.classify import CATCH_ALL_SLUGS
from newsletter.editorial import vocabulary
from newsletter.models import Category, Digest

FONT_FAMILY = ["NanumGothic", "DejaVu Sans"]
BACKGROUND = "#ffffff"
TEXT_COLOUR = "#1f2933"
PALETTE_COLOURS = 64
# A chart in a language other than the digest's lives in the cache this long: past
# the send and the archive's first days, a visit draws it again.
CHART_CACHE_SECONDS = 7 * 24 * 3600

_font_lock = threading.Lock()
_font_registered = False


def _register_font() -> None:
    from matplotlib import font_manager  # on first draw, see the module docstring

    global _font_registered
    with _font_lock:
        if _font_registered:
            return
        spec = find_spec("koreanize_matplotlib")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(
                "koreanize-matplotlib is not installed: no Hangul font for charts"
            )
        fonts = Path(next(iter(spec.submodule_search_locations))) / "fonts"
        for name in ("NanumGothic.ttf", "NanumGothicBold.ttf"):
            font_manager.fontManager.addfont(str(fonts / name))
        _font_registered = True


def render_chart(counts: list[tuple[str, int, str]], *, title: str) -> bytes:
    """A horizontal bar chart of (label, count, hex colour), largest first, as PNG.

    The background is opaque white so dark-mode mail clients do not draw dark text
    on a dark canvas.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _register_font()
    rows = sorted(
        ((label, max(0, int(n)), colour) for label, n, colour in counts),
        key=lambda row: -row[1],
    )
    height = 1.2 + 0.42 * max(1, len(rows))
    figure = Figure(figsize=(6.4, height), dpi=150, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    axes.set_facecolor(BACKGROUND)
    font = {"family": FONT_FAMILY}
    axes.set_title(
        title, color=TEXT_COLOUR, fontsize=13, loc="left", pad=10, fontdict=font
    )
    if rows:
        _draw_bars(axes, rows, font)
    else:
        _draw_empty(axes, font)
    _style_axes(axes)
    figure.tight_layout()

    raw = io.BytesIO()
    figure.savefig(raw, format="png", facecolor=BACKGROUND)
    return _quantise(raw.getvalue())


def _draw_bars(axes, rows: list[tuple[str, int, str]], font: dict) -> None:
    """One bar per row, the largest on top, each labelled with its count and share."""
    labels = [label for label, _, _ in reversed(rows)]
    values = [n for _, n, _ in reversed(rows)]
    colours = [colour for _, _, colour in reversed(rows)]
    bars = axes.barh(range(len(rows)), values, color=colours, height=0.66)
    axes.set_yticks(
        range(len(rows)), labels, fontdict=font, fontsize=10, color=TEXT_COLOUR
    )
    total = sum(values) or 1
    for bar, value in zip(bars, values, strict=True):
        axes.text(
            bar.get_width() + max(values) * 0.015 + 0.02,
            bar.get_y() + bar.get_height() / 2,
            f"{value} ({value * 100 / total:.0f}%)",
            va="center",
            fontsize=9,
            color=TEXT_COLOUR,
            fontdict=font,
        )
    axes.set_xlim(0, max(max(values), 1) * 1.22)


def _draw_empty(axes, font: dict) -> None:
    axes.set_yticks([])
    axes.text(
        0.5,
        0.5,
        "0",
        ha="center",
        va="center",
        fontsize=14,
        color=TEXT_COLOUR,
        transform=axes.transAxes,
        fontdict=font,
    )


def _style_axes(axes) -> None:
    axes.tick_params(axis="x", colors="#52606d", labelsize=8)
    axes.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color("#cbd2d9")
    axes.xaxis.get_major_locator().set_params(integer=True)


def _quantise(png: bytes) -> bytes:
    """Reduce to a 64-colour palette: a bar chart survives it, the file shrinks ~3x."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def chart_alt_text(
    counts: list[tuple[str, int, str]],
    *,
    language: str,
    papers: bool = False,
    weekly: bool = False,
) -> str:
    """What the chart shows, in words, for screen readers and blocked images."""
    rows = sorted(counts, key=lambda row: -row[1])
    with translation.override(language):
        if not rows and not (papers or weekly):
            return _("Articles per category chart: no articles were classified today.")
        parts = ", ".join(
            _("%(category)s %(count)s") % {"category": label, "count": n}
            for label, n, _colour in rows
        )
        if weekly:
            message = _(
                "Stories of the week per category (%(total)s in total): %(counts)s"
            )
        elif papers:
            message = _("Papers per category chart (%(total)s in total): %(counts)s")
        else:
            message = _("Articles per category chart (%(total)s in total): %(counts)s")
        return message % {
            "total": sum(n for _label, n, _colour in rows),
            "counts": parts,
        }


def digest_chart_alt(digest: Digest, language: str) -> str:
    """The alt text of this digest's chart in ``language``: what its edition counts."""
    return chart_alt_text(
        digest_chart_counts(digest, language),
        language=language,
        papers=digest.edition == Digest.Edition.PAPERS,
        weekly=digest.edition == Digest.Edition.WEEKLY,
    )


def _counts(digest: Digest) -> dict[str, int]:
    raw = digest.category_counts if isinstance(digest.category_counts, dict) else {}
    # Editors can touch this JSON in the admin: keep whole, positive numbers only.
    return {
        slug: n
        for slug, n in raw.items()
        if isinstance(n, int) and not isinstance(n, bool)
    }


def digest_chart_counts(
    digest: Digest, language: str | None = None
) -> list[tuple[str, int, str]]:
    """(category name, count, colour) for every AI category counted in the digest,
    the names in ``language`` (None: the digest's). The catch-all is left out: the
    chart shows what the day said about AI, its caption (``left_out_caption``) how
    much was not about it."""
    counts = _counts(digest)
    categories = (
        Category.objects.filter(slug__in=list(counts))
        .exclude(slug__in=CATCH_ALL_SLUGS)
        .order_by("position", "id")
    )
    language = language or digest.language
    return [
        (c.display_name(language), counts[c.slug], c.color)
        for c in categories
        if counts[c.slug] > 0
    ]


def left_out_count(digest: Digest) -> int:
    """Articles (papers) of the day filed in the catch-all: not on the chart."""
    return sum(
        n for slug, n in _counts(digest).items() if slug in CATCH_ALL_SLUGS and n > 0
    )


def left_out_caption(digest: Digest, language: str | None = None) -> str:
    """The chart's caption in ``language`` (None: the digest's); empty when the
    chart left nothing out."""
    with translation.override(language or digest.language):
        return vocabulary.left_out(
            left_out_count(digest), papers=digest.edition == Digest.Edition.PAPERS
        )


def _title(digest: Digest, language: str) -> str:
    title = {
        Digest.Edition.PAPERS: vocabulary.PAPERS_CHART_TITLE,
        Digest.Edition.WEEKLY: vocabulary.WEEKLY_CHART_TITLE,
    }.get(digest.edition, vocabulary.CHART_TITLE)
    with translation.override(language):
        return f"{title} · {digest.date:%Y-%m-%d}"


def draw_digest_chart(digest: Digest, *, language: str | None = None) -> bytes:
    """The digest's chart, titled in its language (or this one): the AI categories;
    Others is the caption's count."""
    language = language or digest.language
    return render_chart(
        digest_chart_counts(digest, language), title=_title(digest, language)
    )


def digest_chart_png(digest: Digest, language: str) -> bytes:
    """The chart titled in this language: the stored one in the digest's language,
    any other drawn on first use and kept in the cache.

    The cache key holds everything drawn (title and counts), so a rebuilt digest or
    a renamed category never serves a stale chart; a cache that lost it draws again.
    """
    if language == digest.language and digest.chart_png:
        return bytes(digest.chart_png)
    counts = digest_chart_counts(digest, language)
    title = _title(digest, language)
    drawn = hashlib.blake2b(repr((title, counts)).encode(), digest_size=12)
    key = f"digest-chart:{digest.id}:{language}:{drawn.hexdigest()}"
    png = cache.get(key)
    if png is None:
        png = render_chart(counts, title=title)
        cache.set(key, png, CHART_CACHE_SECONDS)
    return png
