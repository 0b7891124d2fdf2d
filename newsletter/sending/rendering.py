"""The digest email: Django template first, MJML second, recipients' links last.

Article and LLM text only ever enters as autoescaped context, never as template
source. The compiled HTML and the text part carry placeholder tokens for the links
that differ per subscriber; ``personalize`` fills them by plain replacement, so a
group of subscribers with the same categories costs one render and one compile.
"""

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from mjml import mjml2html

from lib.locale import in_language
from newsletter import chart
from newsletter.drafting import highlights
from newsletter.drafting.papers import paper_label
from newsletter.editorial import sections as section_content
from newsletter.editorial import vocabulary
from newsletter.editorial.sections import SectionContent, SectionContentError
from newsletter.models import Category, Digest, DigestSection, Story
from newsletter.sending import editions, ordering
from newsletter.templatetags.digest import cite_html, safe_url

logger = logging.getLogger(__name__)

PREFERENCES_URL = "__DAI_PREFERENCES_URL__"
UNSUBSCRIBE_URL = "__DAI_UNSUBSCRIBE_URL__"
PLACEHOLDERS = (PREFERENCES_URL, UNSUBSCRIBE_URL)
# The reader's feedback token in the link to their own page of the digest
# (``newsletter.web.reader_page``); "-" where there is none.
READER_TOKEN = "__DAI_READER_TOKEN__"
# Bytes the token may add over its placeholder (a feedback token runs ~85 chars).
READER_TOKEN_ALLOWANCE = 120
# A story's 👍/👎 link for the reader (``subscribers.links.feedback_url``): UP and
# DOWN in the HTML part, ASK (one page offering both) in the text part.
FEEDBACK_SLOT = re.compile(r"__DAI_FEEDBACK_(\d+)_(UP|DOWN|ASK)__")
# Bytes a filled-in link may add over its placeholder (signed tokens run ~150 chars).
LINK_ALLOWANCE = 400
# 8bit bodies must keep every line under RFC 5322's 998 octets, links included.
MAX_LINE_BYTES = 500

# Shortening steps tried in order until the HTML fits EMAIL_HTML_MAX_BYTES:
# (events kept, final-summary lines kept, show impact, show topics, sources kept).
_LEVELS = (
    None,
    (4, 2, True, True, 12),
    (2, 1, False, True, 8),
    (0, 1, False, True, 5),
    (0, 0, False, False, 3),
    (0, 0, False, False, 0),
)


# ESPs whose API refuses inline (cid:) images: their emails link the hosted chart.
ESPS_WITHOUT_INLINE_IMAGES = {"brevo"}


def chart_is_hosted() -> bool:
    esp = (getattr(settings, "ESP", "") or "").lower()
    return settings.EMAIL_CHART_HOSTED or esp in ESPS_WITHOUT_INLINE_IMAGES


class RenderError(Exception):
    """The template or the MJML compiler rejected the digest."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    language: str
    category_ids: tuple[int, ...]
    chart_png: bytes
    chart_alt: str
    # The inline chart's Content-ID without <>; None when the chart is a hosted URL.
    chart_cid: str | None
    is_empty: bool = False
    shortened: bool = False
    section_slugs: tuple[str, ...] = field(default=())
    # More inline charts (Content-ID, PNG): the Papers edition's inside a News email.
    extra_charts: tuple[tuple[str, bytes], ...] = field(default=())

    def personalize(
        self,
        *,
        preferences_url: str,
        unsubscribe_url: str,
        feedback_url: Callable[[int, str], str] | None = None,
        reader_token: str = READER_TOKEN,
    ) -> tuple[str, str]:
        """(text, html) for one subscriber, filled without re-rendering;
        ``feedback_url(story_id, "up" | "down" | "ask")`` gives each story's vote
        links (URL-safe: the same in both parts); ``reader_token`` goes into the link
        to the reader's own page (URL-safe too)."""
        text = (
            self.text.replace(PREFERENCES_URL, preferences_url)
            .replace(UNSUBSCRIBE_URL, unsubscribe_url)
            .replace(READER_TOKEN, reader_token)
        )
        body = (
            self.html.replace(PREFERENCES_URL, escape(preferences_url))
            .replace(UNSUBSCRIBE_URL, escape(unsubscribe_url))
            .replace(READER_TOKEN, escape(reader_token))
        )
        if feedback_url is not None:

            def vote_link(m: re.Match) -> str:
                return escape(feedback_url(int(m[1]), m[2].lower()))

            text = FEEDBACK_SLOT.sub(vote_link, text)
            body = FEEDBACK_SLOT.sub(vote_link, body)
        return text, body


def absolute_url(name: str, *args) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def chart_cid(digest: Digest, language: str) -> str:
    return f"chart.{digest.date:%Y%m%d}.{digest.id}.{language}@daily-ai-insights"


def digest_language(digest: Digest) -> str:
    """The digest's language when it is one of the site's locales, else the default."""
    languages = dict(settings.LANGUAGES)
    return digest.language if digest.language in languages else settings.LANGUAGE_CODE


def render_digest_email(
    digest: Digest,
    *,
    categories: list[Category] | None,
    language: str | None = None,
    boosts: Mapping[int, float] | None = None,
    reads: dict | None = None,
) -> RenderedEmail:
    """Subject, text and HTML holding the sections of these categories (None: all).

    With no section for the categories, the result has ``is_empty`` set and says so
    in its body; the sender decides whether such an email goes out at all. Every
    fixed word, the chart and the links to pages are in the reader's ``language``
    (a site language; None: the digest's); section text stays as written.
    ``boosts`` (story id: boost, ``sending.ordering``) is the reader's own order of
    stories; None or empty: today's order. ``reads``: a dict the caller keeps for one
    version of the digest (``sending.ledger``), so readers whose only difference is
    their order of stories do not read the same sections and chart again.
    """
    if language not in dict(settings.LANGUAGES):
        language = digest_language(digest)
    reads = {} if reads is None else reads
    wanted = None if categories is None else tuple(sorted(c.id for c in categories))
    with translation.override(language):
        sections = _read(reads, ("sections", wanted), _sections, digest, categories)
        chart_parts = _read(reads, ("chart", language), _chart_parts, digest, language)
        told = _read(reads, ("stories", wanted), _stories_of, sections)
        base = _frame(digest, sections, language, chart_parts, boosts or {}, told)
        companion = _read(reads, ("companion",), editions.companion_papers, digest)
        papers_sections = (
            _read(reads, ("papers", wanted), _sections, companion, categories)
            if companion
            else []
        )
        papers = _papers_frame(companion, papers_sections, language)
        subject = " ".join(render_to_string("emails/digest-subject.txt", base).split())
        context, html = _fit_html(base, sections, papers, reads)
        text = _wrap_text(render_to_string("emails/digest-body.txt", context))
    sections = sections + papers_sections
    extra_charts = ()
    if papers_sections and papers["chart"]["cid"]:
        extra_charts = ((papers["chart"]["cid"], papers["chart"]["png"]),)
    return RenderedEmail(
        subject=subject,
        text=text,
        html=html,
        language=language,
        category_ids=tuple(sorted(s.category_id for s in sections)),
        chart_png=chart_parts["png"],
        chart_alt=chart_parts["chart_alt"],
        chart_cid=chart_parts["cid"],
        is_empty=not sections,
        shortened=context["shortened"],
        section_slugs=tuple(s.category.slug for s in sections),
        extra_charts=extra_charts,
    )


def _read(reads: dict, key: tuple, read, *args):
    """``read(*args)``, once per key while the caller keeps ``reads``."""
    if key not in reads:
        reads[key] = read(*args)
    return reads[key]


def _papers_frame(
    companion: Digest | None, sections: list[DigestSection], language: str
) -> dict | None:
    """The Papers edition inside a News email: its heading, chart and sections."""
    if companion is None or not sections:
        return None
    return {
        "title": vocabulary.PAPERS_EDITION,
        "chart": _chart_parts(companion, language),
        "view_url": reader_page_url(companion, language),
        "sections": sections,
    }


def reader_page_url(digest: Digest, language: str) -> str:
    """The email's link to the digest's page as its reader sees it, with their 👍/👎
    (the token stamped per reader): the public page for a link that no longer
    names a reader."""
    url = absolute_url(
        "newsletter:digest_for_reader", digest.date.isoformat(), READER_TOKEN
    )
    if digest.edition != Digest.Edition.NEWS:
        url += f"?edition={digest.edition}"
    return in_language(url, language)


def _sections(digest: Digest, categories: list[Category] | None) -> list[DigestSection]:
    sections = list(
        DigestSection.objects.filter(digest=digest, category__in_digest=True)
        .select_related("category")
        .prefetch_related("sources__article")
        .order_by("position", "category__position", "id")
    )
    if categories is None:
        return sections
    wanted = {c.id for c in categories}
    return [s for s in sections if s.category_id in wanted]


def _chart_parts(digest: Digest, language: str) -> dict:
    """The chart's PNG, alt text and where the email takes it from, in the reader's
    language."""
    hosted = chart_is_hosted()
    cid = None if hosted else chart_cid(digest, language)
    chart_url = absolute_url("newsletter:digest_chart", f"{digest.date:%Y-%m-%d}")
    if digest.edition != Digest.Edition.NEWS:
        chart_url += f"?edition={digest.edition}"
    hosted_url = in_language(chart_url, language)
    return {
        "png": chart.digest_chart_png(digest, language),
        "chart_alt": chart.digest_chart_alt(digest, language),
        "cid": cid,
        "chart_src": hosted_url if hosted else f"cid:{cid}",
        "chart_caption": chart.left_out_caption(digest, language),
    }


def _frame(
    digest: Digest,
    sections: list[DigestSection],
    language: str,
    chart_parts: dict,
    boosts: Mapping[int, float],
    told: tuple[dict[int, Story], dict],
) -> dict:
    """What the email says around its sections: header, chart, notes, footer."""
    weekly = digest.edition == Digest.Edition.WEEKLY
    date_display = (
        vocabulary.week_span(digest.date)
        if weekly
        else vocabulary.long_date(digest.date)
    )
    view_url = reader_page_url(digest, language)
    is_offline = any(section_content.written_offline(s, language) for s in sections)
    return {
        "lang": language,
        "words": vocabulary,
        "title": f"{vocabulary.NAME} · {date_display}",
        "date_display": date_display,
        "chart_src": chart_parts["chart_src"],
        "chart_alt": chart_parts["chart_alt"],
        "chart_caption": chart_parts["chart_caption"],
        "view_url": view_url,
        "preferences_url": PREFERENCES_URL,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "postal_address": settings.SENDER_POSTAL_ADDRESS,
        "offline_note": (
            (
                vocabulary.PAPERS_OFFLINE_NOTE
                if digest.edition == Digest.Edition.PAPERS
                else vocabulary.OFFLINE_NOTE
            )
            if is_offline
            else ""
        ),
        "empty_notice": not sections,
        "highlights_title": vocabulary.highlights_title(weekly),
        "reading": _reading(told, boosts, language),
        **_first_screen(sections, language, boosts, told),
    }


def _first_screen(
    sections: list[DigestSection],
    language: str,
    boosts: Mapping[int, float],
    told: tuple[dict[int, Story], dict],
) -> dict:
    """The highlights block (the reader's best stories, each linking to its
    section), the subject's headline and the inbox preheader (``highlights``)."""
    stories, refs = told
    screen = highlights.first_screen(
        sections, language, boosts=boosts, read=stories, told=refs
    )
    lines = [
        {
            "text": f"{vocabulary.FOLLOW_UP} · {h.title}" if h.follow_up else h.title,
            "anchor": h.section.category.slug,
            "section": h.section.category.display_name(language),
        }
        for h in screen.highlights
    ]
    return {
        "highlights": lines,
        "headline": screen.headline,
        "preheader": screen.preheader or ("" if sections else vocabulary.EMPTY_NOTICE),
    }


def _fit_html(
    base: dict,
    sections: list[DigestSection],
    papers: dict | None = None,
    reads: dict | None = None,
) -> tuple[dict, str]:
    """The first shortening level whose HTML fits EMAIL_HTML_MAX_BYTES."""
    reads = {} if reads is None else reads
    for level in _LEVELS:
        context = {
            **base,
            "shortened": level is not None,
            "sections": [
                _kept_section_context(
                    reads, s, level, base["view_url"], base["reading"]
                )
                for s in sections
            ],
        }
        if papers is not None:
            context["papers_edition"] = {
                **papers,
                "chart_src": papers["chart"]["chart_src"],
                "chart_alt": papers["chart"]["chart_alt"],
                "sections": [
                    _kept_section_context(
                        reads, s, level, papers["view_url"], base["reading"]
                    )
                    for s in papers["sections"]
                ],
            }
        html = _compile(render_to_string("emails/digest-body.mjml", context))
        if _html_size(html) <= settings.EMAIL_HTML_MAX_BYTES:
            break
    return context, html


def _html_size(html: str) -> int:
    """Bytes on the wire once each placeholder holds a real link."""
    links = sum(html.count(p) for p in PLACEHOLDERS) + html.count("__DAI_FEEDBACK_")
    tokens = html.count(READER_TOKEN) * READER_TOKEN_ALLOWANCE
    return len(html.encode()) + links * LINK_ALLOWANCE + tokens


def _read_or_log(section: DigestSection, language: str) -> SectionContent | None:
    """The section's parts in ``language``; None (sources only) when its stored
    content is malformed."""
    try:
        return section_content.read(section, language)
    except SectionContentError as exc:
        logger.error(
            "Digest %s, section %s (%s): stored content is malformed, "
            "the email shows its sources only: %s",
            section.digest_id,
            section.id,
            section.category.slug,
            exc,
        )
        return None


def _kept_section_context(
    reads: dict, section: DigestSection, level, view_url: str, reading: "_Reading"
) -> dict:
    """``_section_context``, once per section, level, page and order of its stories
    while the caller keeps ``reads``: a reader's own order moves the stories of a few
    sections, and every other section reads exactly as in today's order."""
    content = _read(
        reads, ("content", section.id, reading.language), _readable, section, reading
    )
    ordered = ordering.reorder(content, reading.boosts, reading.scores)
    key = (
        "section",
        section.id,
        level,
        view_url,
        reading.language,
        tuple(ref.id for ref in ordered.stories),
    )
    return _read(
        reads, key, _section_context, section, level, view_url, reading, ordered
    )


def _section_context(
    section: DigestSection,
    level,
    view_url: str,
    reading: "_Reading",
    ordered: SectionContent,
) -> dict:
    """What the templates show of a section whose content is ``ordered`` (the
    reader's language and order: ``_readable``, ``ordering.reorder``)."""
    language = reading.language
    content, more = section_content.cap_stories(
        ordered, settings.DIGEST_STORIES_PER_SECTION
    )
    sources = _source_lines(section, content)
    urls = {s["number"]: s["href"] for s in sources}
    parts = _parts(content, urls)
    papers_parts = _papers_parts(content, urls, shown=len(sources))
    if level is not None:
        sources = _shortened_sources(sources, content, keep=level[4])
    reading.mark_votes(content, sources)
    context = {
        "anchor": section.category.slug,
        "emoji": section.category.emoji,
        "name": section.category.display_name(language),
        "colour": section.category.color
        if re.fullmatch(r"#[0-9a-fA-F]{6}", section.category.color)
        else "#7f7f7f",
        "rule": "=" * 40,
        "is_excerpts": content.is_excerpts,
        **parts,
        "sources": sources,
        "web_url": f"{view_url}#s{section.id}",
        "more": vocabulary.more_stories(more) if more else "",
        "shortened": level is not None,
        # A Papers section's own parts, its "외 N건" counting papers.
        **papers_parts,
    }
    if level is not None:
        n_items, n_lines, show_impact, show_topics, _ = level  # sources: above
        context.update(
            events=parts["events"][:n_items],
            excerpts=parts["excerpts"][:n_items],
            final_summary=parts["final_summary"][:n_lines],
            key_figures=parts["key_figures"][:n_lines],
            impact=parts["impact"] if show_impact else [],
            topics=parts["topics"] if show_topics else [],
        )
    return context


def _source_lines(section: DigestSection, content: SectionContent) -> list[dict]:
    """The section's sources its shown stories cite, each linked through the click
    counter of its story."""
    shown = section_content.shown_sources(content)
    story_of = {n: ref.id for ref in content.stories for n in ref.citations}
    sources = [
        {
            "number": s.number,
            "title": s.article.title or s.article.url,
            "url": s.article.url,
            "href": click_url(story_of.get(s.number), s.article.url),
        }
        for s in section.sources.all()
        if shown is None or s.number in shown
    ]
    if content.is_papers and content.extracted:
        # Each line carries its paper's title: the list names the paper by its id.
        for source in sources:
            source["title"] = paper_label(source["url"])
    return sources


def _shortened_sources(
    sources: list[dict], content: SectionContent, keep: int
) -> list[dict]:
    """The first ``keep`` sources, and every story's first source beyond them: a
    shortened email still names each of its stories once, beside its votes."""
    numbers = {source["number"] for source in sources}
    leads = {
        min(cited)
        for ref in content.stories
        if (cited := numbers.intersection(ref.citations))
    }
    return [s for i, s in enumerate(sources) if i < keep or s["number"] in leads]


@dataclass(frozen=True)
class _Reading:
    """How one group of readers reads the digest: their language and their own
    order of stories (``ordering``), and the stories' rows the email names."""

    boosts: Mapping[int, float]
    stories: Mapping[int, Story]
    language: str
    told: Mapping[int, tuple]  # section id -> its stories (``StoryRef``), as written

    @property
    def scores(self) -> dict[int, float]:
        return {story_id: story.score for story_id, story in self.stories.items()}

    def mark_votes(self, content: SectionContent, sources: list[dict]) -> None:
        """Put each shown story's 👍/👎 on its own source lines, so a story is told
        once: the links (reader placeholders) beside its first source, the one-link
        ask for the text part after its last, and ``also`` on its other sources."""
        by_number = {source["number"]: source for source in sources}
        for ref in content.stories:
            numbers = [n for n in sorted(set(ref.citations)) if n in by_number]
            if ref.id not in self.stories or not numbers:
                continue
            by_number[numbers[0]].update(
                up=f"__DAI_FEEDBACK_{ref.id}_UP__",
                down=f"__DAI_FEEDBACK_{ref.id}_DOWN__",
            )
            by_number[numbers[-1]]["ask"] = f"__DAI_FEEDBACK_{ref.id}_ASK__"
            for number in numbers[1:]:
                by_number[number]["also"] = True


def _reading(
    told: tuple[dict[int, Story], dict], boosts: Mapping[int, float], language: str
) -> _Reading:
    stories, refs = told
    return _Reading(boosts=boosts, stories=stories, language=language, told=refs)


def _stories_of(sections: list[DigestSection]) -> tuple[dict[int, Story], dict]:
    """The stories the sections tell, by id (one query, their articles prefetched),
    and each section's list of them as written."""
    told = {}
    for section in sections:
        try:
            told[section.id] = section_content.read(section).stories
        except SectionContentError:
            continue  # _read_or_log reports it where the section is drawn
    ids = {ref.id for refs in told.values() for ref in refs}
    return Story.objects.prefetch_related("articles").in_bulk(ids), told


def click_url(story_id: int | None, url: str) -> str:
    """A source link as the email carries it: through the counting redirect
    (``newsletter.web.feedback.story_click``) when it belongs to a story and
    CLICK_COUNTING is on, else the source itself."""
    if story_id is None or not settings.CLICK_COUNTING or not safe_url(url):
        return url
    path = reverse("newsletter:story_click", args=[story_id])
    return f"{settings.SITE_URL}{path}?to={quote(url, safe='')}"


def _readable(section: DigestSection, reading: _Reading) -> SectionContent:
    """The section's content in the reader's language, in today's order."""
    content = _read_or_log(section, reading.language) or SectionContent(
        kind=section_content.BRIEFING
    )
    if not content.stories and section.id in reading.told:
        # A translation keeps the citations but not the stories list: the section's
        # own list says which of its sources tell which story, in every language.
        content = dataclasses.replace(content, stories=reading.told[section.id])
    return content


def _parts(content: SectionContent, urls: dict[int, str]) -> dict:
    """Each text of the section as plain text and as HTML with linked citations."""

    def cited(text: str) -> dict:
        return {"text": text, "html": cite_html(text, lambda n: safe_url(urls.get(n)))}

    return {
        # Excerpts name their articles already: their topics would only repeat them.
        "topics": [] if content.is_excerpts else list(content.topics),
        "events": [cited(e.text) for e in content.events],
        "excerpts": [cited(section_content.excerpt_line(e)) for e in content.excerpts],
        "key_figures": [cited(k.text) for k in content.key_figures],
        "impact": [
            {"label": vocabulary.impact_label(i.area), **cited(i.text)}
            for i in content.impact
        ],
        "final_summary": [cited(t) for t in content.final_summary],
    }


def _papers_parts(content: SectionContent, urls: dict[int, str], *, shown: int) -> dict:
    """A Papers section's parts (``sections.PAPERS``); empty for other kinds."""
    if not content.is_papers:
        return {"is_papers": False}

    def cited(text: str) -> dict:
        return {"text": text, "html": cite_html(text, lambda n: safe_url(urls.get(n)))}

    more = content.more_papers(shown)
    return {
        "is_papers": True,
        "extracted": content.extracted,
        "topics": list(content.topics),
        "trends": list(content.trends),
        "papers": [{"title": p.title, **cited(p.text)} for p in content.papers],
        "fields": list(content.fields),
        "outlook": list(content.outlook),
        "more": vocabulary.more_papers(more) if more else "",
    }


def _compile(mjml_source: str) -> str:
    try:
        html = mjml2html(mjml_source, disable_comments=True)
    except Exception as exc:  # the compiler raises its own untyped errors
        raise RenderError(f"MJML compile failed: {exc}") from exc
    return _wrap_html(html)


_PIECES = re.compile(r"<!--.*?-->|<[^>]*>|[^<]+", re.S)
_BLOCK_TAG = re.compile(
    r"<!--|</?(?:table|tbody|tr|td|div|p|ul|li|h[1-6]|br|head|body|html|"
    r"meta|style|title|link|!doctype)\b",
    re.I,
)


def _wrap_html(html: str) -> str:
    """Break lines at block-tag edges and spaces so none nears the 998-octet limit.

    A newline where a space was, or between block elements, renders the same.
    """
    out: list[str] = []
    for line in html.split("\n"):
        if len(line.encode()) <= MAX_LINE_BYTES:
            out.append(line)
            continue
        current: list[str] = []
        size = 0
        for piece in _PIECES.findall(line):
            piece_size = len(piece.encode())
            if (
                size
                and size + piece_size > MAX_LINE_BYTES
                and (
                    _BLOCK_TAG.match(piece)
                    or (current and _BLOCK_TAG.match(current[-1]))
                )
            ):
                out.append("".join(current))
                current, size = [], 0
            if piece.startswith("<") or piece_size <= MAX_LINE_BYTES:
                current.append(piece)
                size += piece_size
                continue
            for word in _split_text(piece, size):
                if word == "\n":
                    out.append("".join(current))
                    current, size = [], 0
                else:
                    current.append(word)
                    size += len(word.encode())
        out.append("".join(current))
    return "\n".join(out)


def _split_text(text: str, used: int) -> list[str]:
    """Text pieces separated by "\\n" markers that replace spaces."""
    result: list[str] = []
    size = used
    words = text.split(" ")
    for i, word in enumerate(words):
        word_size = len(word.encode()) + 1
        if i and size + word_size > MAX_LINE_BYTES:
            result.append("\n")
            size = 0
        elif i:
            result.append(" ")
        result.append(word)
        size += word_size
    return result


def _wrap_text(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        while len(line.encode()) > MAX_LINE_BYTES:
            cut = line.rfind(" ", 0, MAX_LINE_BYTES // 3)
            if cut <= 0:
                cut = MAX_LINE_BYTES // 3
            lines.append(line[:cut].rstrip())
            line = "   " + line[cut:].lstrip()
        lines.append(line)
    return "\n".join(lines).strip() + "\n"
