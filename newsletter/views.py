"""Public web archive of published digests, and the site-wide language switch.

Which digests are public is decided by `Digest.objects.published()`. List and digest
pages are cached for ARCHIVE_CACHE_SECONDS per URL and language (Django's cache
key includes the active language), so a send shows up there within that time.
"""

import re
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
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, cache_page
from django.views.decorators.http import require_GET

from newsletter.models import Category, Digest, DigestSection, DigestSource
from newsletter.syndication import ArchiveAtomFeed, ArchiveRssFeed, digest_title

ARCHIVE_PAGE_SIZE = 30
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CITATION = re.compile(r"\[(\d{1,4})\]")

archive_feed = cache_page(settings.ARCHIVE_CACHE_SECONDS)(ArchiveAtomFeed())
archive_rss = cache_page(settings.ARCHIVE_CACHE_SECONDS)(ArchiveRssFeed())


def link_citations(text: object, *, anchor: str, numbers: set[int]) -> SafeString:
    """Escape model text, then turn [n] into a link to source n of the section.

    Escaping comes first so nothing the model wrote can become markup; only the
    links built here are marked safe. [n] without such a source stays plain text.
    """
    escaped = str(escape(str(text)))  # always escapes, even text marked safe

    def link(match: re.Match) -> str:
        number = int(match.group(1))
        if number not in numbers:
            return match.group(0)
        return f'<a class="cite" href="#{anchor}-{number}">[{number}]</a>'

    return mark_safe(_CITATION.sub(link, escaped))


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if not isinstance(value, list):
        return []
    return [
        str(v) for v in value if isinstance(v, str | int | float) and str(v).strip()
    ]


def safe_url(url: str) -> str | None:
    """Only http(s) article URLs become links; javascript: and friends stay text."""
    return url if re.match(r"^https?://", url or "", re.IGNORECASE) else None


@dataclass
class SourceView:
    number: int
    title: str
    url: str
    href: str | None


@dataclass
class SectionView:
    anchor: str
    emoji: str
    name: str
    topics: list[SafeString] = field(default_factory=list)
    events: list[SafeString] = field(default_factory=list)
    impact: list[tuple[str, SafeString]] = field(default_factory=list)
    final_summary: list[SafeString] = field(default_factory=list)
    sources: list[SourceView] = field(default_factory=list)
    is_offline: bool = False


def build_section(section: DigestSection) -> SectionView:
    """What the page shows for one section, every untrusted string escaped."""
    anchor = f"s{section.id}"
    sources = [
        SourceView(s.number, s.article.title, s.article.url, safe_url(s.article.url))
        for s in section.sources.all()
    ]
    numbers = {s.number for s in sources}
    content = section.content if isinstance(section.content, dict) else {}

    def linked(text: object) -> SafeString:
        return link_citations(text, anchor=anchor, numbers=numbers)

    events = []
    for event in content.get("events") or []:
        if isinstance(event, str):
            event = {"text": event, "citations": []}
        if not isinstance(event, dict) or not _strings(event.get("text")):
            continue
        text = str(event["text"])
        html = str(linked(text))
        cited = {int(n) for n in _CITATION.findall(text)}
        for number in event.get("citations") or []:
            if (
                isinstance(number, int)
                and not isinstance(number, bool)
                and number in numbers
                and number not in cited
            ):
                html += f' <a class="cite" href="#{anchor}-{number}">[{number}]</a>'
        events.append(mark_safe(html))

    impact_content = (
        content.get("impact") if isinstance(content.get("impact"), dict) else {}
    )
    impact_labels = [
        ("economy", _("Economy")),
        ("politics_society", _("Politics and society")),
        ("science_technology", _("Science and technology")),
    ]
    impact = [
        (label, linked(text))
        for key, label in impact_labels
        for text in _strings(impact_content.get(key))[:1]
    ]
    return SectionView(
        anchor=anchor,
        emoji=section.category.emoji,
        name=section.category.name,
        topics=[linked(t) for t in _strings(content.get("topics"))],
        events=events,
        impact=impact,
        final_summary=[linked(t) for t in _strings(content.get("final_summary"))],
        sources=sources,
        is_offline=section.generated_by == DigestSection.GeneratedBy.OFFLINE,
    )


def chart_alt(digest: Digest) -> str:
    """Alt text that states the counts the chart draws."""
    names = dict(Category.objects.values_list("slug", "name"))
    counts = digest.category_counts if isinstance(digest.category_counts, dict) else {}
    parts = [
        f"{names.get(slug, slug)} {count}"
        for slug, count in sorted(counts.items(), key=lambda kv: -int(kv[1] or 0))
        if isinstance(count, int)
    ]
    if not parts:
        return _("Category distribution chart")
    return _("Category distribution: %(counts)s") % {"counts": ", ".join(parts)}


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
            "url": d.get_absolute_url(),
            "categories": [s.category for s in d.sections.all()],
        }
        for d in page.object_list
    ]
    return render(request, "newsletter/archive.html", {"page": page, "rows": rows})


def _parse_date(value: str) -> date_type:
    if not _DATE.match(value):
        raise Http404("no digest for this date")
    try:
        return date_type.fromisoformat(value)
    except ValueError:
        raise Http404("no digest for this date") from None


def _published_digest(request: HttpRequest, date: str) -> Digest:
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
@cache_page(settings.ARCHIVE_CACHE_SECONDS)
def digest_detail(request: HttpRequest, date: str) -> HttpResponse:
    digest = _published_digest(request, date)
    sections_qs = (
        DigestSection.objects.filter(digest=digest)
        .select_related("category")
        .prefetch_related(
            Prefetch("sources", queryset=DigestSource.objects.select_related("article"))
        )
        .order_by("position", "id")
    )
    sections = [build_section(s) for s in sections_qs]
    other_editions = (
        Digest.objects.published().filter(date=digest.date).exclude(id=digest.id)
    )
    chart_url = None
    if digest.chart_png:
        chart_url = reverse("newsletter:digest_chart", args=[digest.date.isoformat()])
        if digest.edition != Digest.Edition.NEWS:
            chart_url += f"?edition={digest.edition}"
    ctx = {
        "digest": digest,
        "title": digest_title(digest),
        "sections": sections,
        "is_offline": any(s.is_offline for s in sections),
        "chart_url": chart_url,
        "chart_alt": chart_alt(digest),
        "other_editions": [
            (digest_title(d), d.get_absolute_url()) for d in other_editions
        ],
    }
    return render(request, "newsletter/digest_detail.html", ctx)


@require_GET
@cache_control(public=True, max_age=24 * 3600)
def digest_chart(request: HttpRequest, date: str) -> HttpResponse:
    digest = _published_digest(request, date)
    if not digest.chart_png:
        raise Http404("this digest has no chart")
    response = HttpResponse(bytes(digest.chart_png), content_type="image/png")
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
