"""The digest email: Django template first, MJML second, recipients' links last.

Article and LLM text only ever enters as autoescaped context, never as template
source. The compiled HTML and the text part carry placeholder tokens for the links
that differ per subscriber; ``personalize`` fills them by plain replacement, so a
group of subscribers with the same categories costs one render and one compile.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from mjml import mjml2html

from newsletter import chart
from newsletter.labels import BRIEFING_LABELS, IMPACT_KEYS
from newsletter.models import Category, Digest, DigestSection

PREFERENCES_URL = "__DAI_PREFERENCES_URL__"
UNSUBSCRIBE_URL = "__DAI_UNSUBSCRIBE_URL__"
PLACEHOLDERS = (PREFERENCES_URL, UNSUBSCRIBE_URL)
# Bytes a filled-in link may add over its placeholder (signed tokens run ~150 chars).
LINK_ALLOWANCE = 400
# 8bit bodies must keep every line under RFC 5322's 998 octets, links included.
MAX_LINE_BYTES = 500

_EMAIL_LABELS = {
    "ko": {
        "heading": "Daily AI Insights",
        "subject_prefix": "Daily AI Insights",
        "view_in_browser": "웹에서 보기",
        "preferences": "구독 설정",
        "unsubscribe": "구독 해지",
        "why": "Daily AI Insights를 구독하셨기 때문에 이 메일을 받으셨습니다.",
        "shortened": "메일 크기를 줄이기 위해 일부 내용을 줄였습니다.",
        "read_on_web": "전체 내용은 웹에서 보기",
        "full_section": "이 분야 전체 요약 보기",
        "empty_notice": "오늘은 선택하신 분야에 새 소식이 없습니다. "
        "다른 분야의 소식은 웹에서 볼 수 있습니다.",
    },
    "en": {
        "heading": "Daily AI Insights",
        "subject_prefix": "Daily AI Insights",
        "view_in_browser": "View in browser",
        "preferences": "Preferences",
        "unsubscribe": "Unsubscribe",
        "why": "You receive this email because you subscribed to Daily AI Insights.",
        "shortened": "Some parts were shortened to keep this email small.",
        "read_on_web": "Read everything on the web",
        "full_section": "Read this section in full",
        "empty_notice": "Nothing new in your categories today. "
        "The other categories are on the web.",
    },
}
LABELS = {
    language: {**BRIEFING_LABELS[language], **words}
    for language, words in _EMAIL_LABELS.items()
}
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_CITATION = re.compile(r"\[(\d{1,3})\]")

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

    def personalize(
        self, *, preferences_url: str, unsubscribe_url: str
    ) -> tuple[str, str]:
        """(text, html) for one subscriber, filled without re-rendering."""
        text = self.text.replace(PREFERENCES_URL, preferences_url).replace(
            UNSUBSCRIBE_URL, unsubscribe_url
        )
        body = self.html.replace(PREFERENCES_URL, escape(preferences_url)).replace(
            UNSUBSCRIBE_URL, escape(unsubscribe_url)
        )
        return text, body


def absolute_url(name: str, *args) -> str:
    return f"{settings.SITE_URL}{reverse(name, args=args)}"


def chart_png(digest: Digest) -> bytes:
    """The stored chart, or one drawn now for a digest built without it."""
    if digest.chart_png:
        return bytes(digest.chart_png)
    return chart.draw_digest_chart(digest)


def chart_cid(digest: Digest) -> str:
    return f"chart.{digest.date:%Y%m%d}.{digest.id}@daily-ai-insights"


def format_date(day: date, *, language: str) -> str:
    if language == "ko":
        return f"{day.year}년 {day.month}월 {day.day}일"
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def render_digest_email(
    digest: Digest, *, categories: list[Category] | None
) -> RenderedEmail:
    """Subject, text and HTML holding the sections of these categories (None: all).

    With no section for the categories, the result has ``is_empty`` set and says so
    in its body; the sender decides whether such an email goes out at all.
    """
    language = digest.language if digest.language in LABELS else "ko"
    labels = LABELS[language]
    sections = list(
        DigestSection.objects.filter(digest=digest, category__in_digest=True)
        .select_related("category")
        .prefetch_related("sources__article")
        .order_by("position", "category__position", "id")
    )
    if categories is not None:
        wanted = {c.id for c in categories}
        sections = [s for s in sections if s.category_id in wanted]
    counts = chart.digest_chart_counts(digest)
    alt = chart.chart_alt_text(counts, language=language)
    png = chart_png(digest)
    hosted = chart_is_hosted()
    cid = None if hosted else chart_cid(digest)
    chart_src = (
        absolute_url("newsletter:digest_chart", f"{digest.date:%Y-%m-%d}")
        if hosted
        else f"cid:{cid}"
    )
    view_url = absolute_url("newsletter:digest_detail", f"{digest.date:%Y-%m-%d}")
    base = {
        "lang": language,
        "labels": labels,
        "title": f"{labels['heading']} · {format_date(digest.date, language=language)}",
        "date_display": format_date(digest.date, language=language),
        "chart_src": chart_src,
        "chart_alt": alt,
        "view_url": view_url,
        "preferences_url": PREFERENCES_URL,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "postal_address": settings.SENDER_POSTAL_ADDRESS,
        "offline_note": labels["offline"]
        if any(s.generated_by == DigestSection.GeneratedBy.OFFLINE for s in sections)
        else "",
        "empty_notice": not sections,
        "preheader": " · ".join(
            f"{s.category.emoji} {s.category.name}" for s in sections
        )
        or labels["empty_notice"],
        "headline": _headline(sections),
    }
    subject = " ".join(render_to_string("emails/digest-subject.txt", base).split())
    limit = settings.EMAIL_HTML_MAX_BYTES
    for level in _LEVELS:
        context = {
            **base,
            "shortened": level is not None,
            "sections": [
                _section_context(s, level, view_url, labels) for s in sections
            ],
        }
        html = _compile(render_to_string("emails/digest-body.mjml", context))
        if _html_size(html) <= limit:
            break
    text = _wrap_text(render_to_string("emails/digest-body.txt", context))
    return RenderedEmail(
        subject=subject,
        text=text,
        html=html,
        language=language,
        category_ids=tuple(sorted(s.category_id for s in sections)),
        chart_png=png,
        chart_alt=alt,
        chart_cid=cid,
        is_empty=not sections,
        shortened=level is not None,
        section_slugs=tuple(s.category.slug for s in sections),
    )


def _html_size(html: str) -> int:
    """Bytes on the wire once each placeholder holds a real link."""
    return (
        len(html.encode()) + sum(html.count(p) for p in PLACEHOLDERS) * LINK_ALLOWANCE
    )


def _headline(sections: list[DigestSection]) -> str:
    for section in sections:
        topics = (section.content or {}).get("topics") or []
        if topics and isinstance(topics[0], str) and topics[0].strip():
            first = " ".join(topics[0].split())
            return first if len(first) <= 60 else first[:59] + "…"
    return ""


def _strings(value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [" ".join(v.split()) for v in value if isinstance(v, str) and v.strip()]


def _section_context(
    section: DigestSection, level, view_url: str, labels: dict
) -> dict:
    content = section.content if isinstance(section.content, dict) else {}
    sources = [
        {
            "number": s.number,
            "title": s.article.title or s.article.url,
            "url": s.article.url,
        }
        for s in section.sources.all()
    ]
    urls = {s["number"]: s["url"] for s in sources}
    events = []
    for event in content.get("events") or []:
        if isinstance(event, str):
            event = {"text": event, "citations": []}
        if not isinstance(event, dict) or not isinstance(event.get("text"), str):
            continue
        text = " ".join(event["text"].split())
        inline = {int(n) for n in _CITATION.findall(text)}
        extra = [
            n
            for n in event.get("citations") or []
            if isinstance(n, int) and n not in inline
        ]
        events.append(
            {"text": text, "citations": extra, "html": _event_html(text, extra, urls)}
        )
    impact_raw = (
        content.get("impact") if isinstance(content.get("impact"), dict) else {}
    )
    impact = [
        (labels[key], " ".join(impact_raw[key].split()))
        for key in IMPACT_KEYS
        if isinstance(impact_raw.get(key), str) and impact_raw[key].strip()
    ]
    context = {
        "anchor": section.category.slug,
        "emoji": section.category.emoji,
        "name": section.category.name,
        "colour": section.category.color
        if re.fullmatch(r"#[0-9a-fA-F]{6}", section.category.color)
        else "#7f7f7f",
        "rule": "=" * 40,
        "topics": _strings(content.get("topics")),
        "events": events,
        "impact": impact,
        "final_summary": _strings(content.get("final_summary")),
        "sources": sources,
        "web_url": f"{view_url}#{section.category.slug}",
        "shortened": False,
    }
    if level is not None:
        n_events, n_final, show_impact, show_topics, n_sources = level
        context.update(
            events=events[:n_events],
            final_summary=context["final_summary"][:n_final],
            impact=impact if show_impact else [],
            topics=context["topics"] if show_topics else [],
            sources=sources[:n_sources],
            shortened=True,
        )
    return context


def _event_html(text: str, extra: list[int], urls: dict[int, str]) -> str:
    """Escaped event text with each known [n] linked to its source."""

    def link(number: int) -> str:
        if number in urls:
            return f'<a class="cite" href="{escape(urls[number])}">[{number}]</a>'
        return f"[{number}]"

    body = _CITATION.sub(lambda m: link(int(m.group(1))), str(escape(text)))
    tail = "".join(" " + link(n) for n in extra)
    return mark_safe(body + tail)


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
