"""Public web archive of published digests, and the site-wide language switch.

Which digests are public is decided by `Digest.objects.published()`. List and digest
pages are cached for ARCHIVE_CACHE_SECONDS per URL and language (Django's cache
key includes the active language), so a send shows up there within that time.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date as date_type
from functools import wraps

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control, cache_page
from django.views.decorators.http import require_GET

from lib.locale import LANGUAGE_QUERY, alternates, in_language
from newsletter import chart
from newsletter.drafting import highlights, papers
from newsletter.editorial import sections as section_content
from newsletter.editorial import vocabulary
from newsletter.editorial.sections import SectionContentError
from newsletter.models import Digest, DigestSection, DigestSource
from newsletter.templatetags.digest import cite_html
from newsletter.web.canonical_urls import any_value, only_query, page_number
from newsletter.web.syndication import ArchiveAtomFeed, ArchiveRssFeed, digest_title

logger = logging.getLogger(__name__)
ARCHIVE_PAGE_SIZE = 30
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

archive_feed = only_query()(
    cache_page(settings.ARCHIVE_CACHE_SECONDS)(ArchiveAtomFeed())
)
archive_rss = only_query()(cache_page(settings.ARCHIVE_CACHE_SECONDS)(ArchiveRssFeed()))


def link_citations(text: object, *, anchor: str, numbers: set[int]) -> SafeString:
    """Escaped text with [n] linked to source n of the section; others stay text."""
    return cite_html(text, lambda n: f"#{anchor}-{n}" if n in numbers else None)


@dataclass
class SectionView:
    anchor: str
    emoji: str
    name: str
    sources: list[DigestSource]
    topics: list[SafeString] = field(default_factory=list)
    events: list[SafeString] = field(default_factory=list)
    impact: list[tuple[str, SafeString]] = field(default_factory=list)
    final_summary: list[SafeString] = field(default_factory=list)
    excerpts: list[SafeString] = field(default_factory=list)
    key_figures: list[SafeString] = field(default_factory=list)
    is_offline: bool = False
    is_excerpts: bool = False
    # The Papers edition (sections.PAPERS); ``more`` are the category's papers past
    # the section's sources: the full list the email's "외 N건" points at.
    is_papers: bool = False
    extracted: bool = False
    trends: list[SafeString] = field(default_factory=list)
    papers: list[SafeString] = field(default_factory=list)
    fields: list[SafeString] = field(default_factory=list)
    outlook: list[SafeString] = field(default_factory=list)
    more: list = field(default_factory=list)
    more_label: str = ""
    # On the reader's own page: source number -> the 👍/👎 of the story it leads
    # (``reader_page.StoryVote``); empty on the public page.
    votes: dict = field(default_factory=dict)


def build_section(section: DigestSection, language: str | None = None) -> SectionView:
    """What the page shows for one section in ``language`` (None: the active one),
    every untrusted string escaped.

    A section whose stored content is malformed shows its sources only.
    """
    language = language or get_language()
    view = SectionView(
        anchor=f"s{section.id}",
        emoji=section.category.emoji,
        name=section.category.display_name(language),
        sources=list(section.sources.all()),
        is_offline=section_content.written_offline(section, language),
    )
    try:
        content = section_content.read(section, language)
    except SectionContentError as exc:
        logger.error("Section %s: stored content is malformed: %s", section.id, exc)
        return view
    numbers = {source.number for source in view.sources}

    def linked(text: str) -> SafeString:
        return link_citations(text, anchor=view.anchor, numbers=numbers)

    view.is_excerpts = content.is_excerpts
    # Excerpts name their articles already: their topics would only repeat them.
    view.topics = [] if content.is_excerpts else [linked(t) for t in content.topics]
    view.events = [linked(e.text) for e in content.events]
    view.impact = [
        (vocabulary.impact_label(i.area), linked(i.text)) for i in content.impact
    ]
    view.final_summary = [linked(t) for t in content.final_summary]
    view.excerpts = [linked(section_content.excerpt_line(e)) for e in content.excerpts]
    view.key_figures = [linked(k.text) for k in content.key_figures]
    if content.is_papers:
        view.is_papers, view.extracted = True, content.extracted
        view.trends = [linked(t) for t in content.trends]
        view.papers = [
            format_html("<strong>{}</strong> {}", p.title, linked(p.text))
            if p.title
            else linked(p.text)
            for p in content.papers
        ]
        view.fields = [linked(t) for t in content.fields]
        view.outlook = [linked(t) for t in content.outlook]
        shown = {source.article_id for source in view.sources}
        view.more = [a for a in papers.section_papers(section) if a.id not in shown]
        view.more_label = vocabulary.more_papers(len(view.more))
    return view


def chart_alt(digest: Digest) -> str:
    """Alt text that states the counts the chart draws, in the visitor's language."""
    return chart.digest_chart_alt(digest, get_language())


def _vary_on_language_cookie(view):
    """Tell browsers a page changes with the language cookie.

    Applied outside cache_page, so the server-side key stays per URL and language
    (which Django already adds) and does not split per visitor cookie.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


@_vary_on_language_cookie
@require_GET
@only_query(page=page_number)
@cache_page(settings.ARCHIVE_CACHE_SECONDS)
def archive(request: HttpRequest) -> HttpResponse:
    digests = Digest.objects.published().prefetch_related(
        Prefetch(
            "sections",
            queryset=DigestSection.objects.select_related("category").order_by(
                "position", "id"
            ),
        )
    )
    page = Paginator(digests, ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "digest": d,
            "title": digest_title(d),
            "url": keep_language(request, d.get_absolute_url()),
            "categories": [s.category for s in d.sections.all()],
        }
        for d in page.object_list
    ]
    ctx = {
        "page": page,
        "rows": rows,
        "alternates": alternates(request),
        "editions": _editions_by_language(),
    }
    return render(request, "newsletter/archive.html", ctx)


def _editions_by_language() -> list[dict]:
    """Each site language's archive page and feeds, for the archive to offer."""
    archive_url = reverse("newsletter:archive")
    return [
        {
            "code": code,
            "name": name,
            "archive": in_language(archive_url, code),
            "atom": in_language(reverse("newsletter:archive_feed"), code),
            "rss": in_language(reverse("newsletter:archive_rss"), code),
        }
        for code, name in settings.LANGUAGES
    ]


def keep_language(request: HttpRequest, url: str) -> str:
    """A link from a page opened with ``?lang=`` opens in that language too."""
    code = request.GET.get(LANGUAGE_QUERY)
    return in_language(url, code) if code in dict(settings.LANGUAGES) else url


def _parse_date(value: str) -> date_type:
    if not _DATE.match(value):
        raise Http404("no digest for this date")
    try:
        return date_type.fromisoformat(value)
    except ValueError:
        raise Http404("no digest for this date") from None


def published_digest(request: HttpRequest, date: str) -> Digest:
    day = _parse_date(date)
    digests = Digest.objects.published().filter(date=day)
    # Without ?edition= the date alone names the news edition, or the only one there is.
    if edition := request.GET.get("edition"):
        if edition not in Digest.Edition.values:
            raise Http404("no such edition")
        digests = digests.filter(edition=edition)
    digest = digests.first()
    if digest is None:
        raise Http404("no digest for this date")
    return digest


@_vary_on_language_cookie
@require_GET
@only_query(edition=any_value)
@cache_page(settings.ARCHIVE_CACHE_SECONDS)
def digest_detail(request: HttpRequest, date: str) -> HttpResponse:
    digest = published_digest(request, date)
    ctx, _ = digest_page(request, digest)
    return render(request, "newsletter/digest_detail.html", ctx)


def digest_page(
    request: HttpRequest,
    digest: Digest,
    page_of: Callable[[Digest], str] = Digest.get_absolute_url,
) -> tuple[dict, list[tuple[DigestSection, SectionView]]]:
    """The digest page's context in the active language, and each section's row
    with what the page shows of it (the public page and the reader's own one);
    ``page_of`` gives the page of the day's other editions."""
    sections_qs = (
        DigestSection.objects.filter(digest=digest)
        .select_related("category")
        .prefetch_related(
            Prefetch("sources", queryset=DigestSource.objects.select_related("article"))
        )
        .order_by("position", "id")
    )
    section_rows = list(sections_qs)
    sections = [build_section(s) for s in section_rows]
    best = highlights.highlights(section_rows, get_language())
    other_editions = (
        Digest.objects.published().filter(date=digest.date).exclude(id=digest.id)
    )
    chart_url = None
    if digest.chart_png:
        # The chart titled in the page's language (the cache key holds the language).
        chart_url = reverse("newsletter:digest_chart", args=[digest.date.isoformat()])
        chart_url += f"?{LANGUAGE_QUERY}={get_language()}"
        if digest.edition != Digest.Edition.NEWS:
            chart_url += f"&edition={digest.edition}"
    ctx = {
        "digest": digest,
        "title": digest_title(digest),
        "sections": sections,
        "is_offline": any(s.is_offline for s in sections),
        "chart_url": chart_url,
        "chart_alt": chart_alt(digest),
        "chart_caption": chart.left_out_caption(digest, get_language()),
        "words": vocabulary,
        "highlights_title": vocabulary.highlights_title(
            digest.edition == Digest.Edition.WEEKLY
        ),
        # The day's best stories, each linking to its section on this page.
        "highlights": [
            {
                "text": f"{vocabulary.FOLLOW_UP} · {h.title}"
                if h.follow_up
                else h.title,
                "anchor": f"s{h.section.id}",
            }
            for h in best
        ],
        "other_editions": [
            (digest_title(d), keep_language(request, page_of(d)))
            for d in other_editions
        ],
        "alternates": alternates(request),
        "language": get_language(),
    }
    return ctx, list(zip(section_rows, sections, strict=True))


@require_GET
@cache_control(public=True, max_age=24 * 3600)
def digest_chart(request: HttpRequest, date: str) -> HttpResponse:
    digest = published_digest(request, date)
    if not digest.chart_png:
        raise Http404("this digest has no chart")
    # Only an explicit ?lang= picks another title: this response is cached publicly
    # by URL, so it must not depend on the visitor's cookie or Accept-Language.
    language = request.GET.get(LANGUAGE_QUERY)
    if language not in dict(settings.LANGUAGES):
        language = digest.language
    png = chart.digest_chart_png(digest, language)
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def set_language(request: HttpRequest, code: str) -> HttpResponse:
    """Remember the visitor's language in a cookie and go back where they were.

    A plain link, not a form, so cached pages carry no CSRF token; it only changes
    the visitor's own display language.
    """
    if code not in dict(settings.LANGUAGES):
        raise Http404("unknown language")
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response
