"""Each reader gets the digest in the language they chose: one build, two editions."""

import datetime as dt
import html
import re

import pytest
from django.core import mail
from django.utils import translation

from newsletter import services
from newsletter.editorial import sections as section_content
from newsletter.editorial import vocabulary
from newsletter.models import DigestSection
from newsletter.sending import ledger
from tests.newsletter.mail_fixtures import build_digest, reader

# Whole-pipeline: the sample corpus built and sent: `make test` and CI run it, `make test-fast` does not.
pytestmark = pytest.mark.slow

DAY = dt.date(2026, 8, 22)
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
# The frame's words, as msgids: none of them may show in a Korean email.
ENGLISH_CHROME = [
    vocabulary.SOURCES,
    vocabulary.EVENTS,
    vocabulary.TOPICS,
    vocabulary.IMPACT,
    vocabulary.EXCERPTS,
    vocabulary.KEY_FIGURES,
    vocabulary.VIEW_IN_BROWSER,
    vocabulary.PREFERENCES,
    vocabulary.UNSUBSCRIBE,
    vocabulary.WHY,
    vocabulary.OFFLINE_NOTE,
    vocabulary.CHART_TITLE,
]


@pytest.fixture
def fresh_renders(monkeypatch):
    """An empty render cache, and a count of the renders the fan-out makes."""
    monkeypatch.setattr(ledger, "_templates", ledger._Templates())
    calls = []
    real = ledger.render_digest_email

    def counting(digest, **kwargs):
        calls.append((kwargs["language"], frozenset(kwargs["categories"] or ())))
        return real(digest, **kwargs)

    monkeypatch.setattr(ledger, "render_digest_email", counting)
    return calls


@pytest.fixture
def built_digest(defaults, sample_news, offline):
    """The day's digest, built offline from the sample corpus."""
    return services.build_digest(DAY)


def _parts(message) -> tuple[str, str, bytes]:
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    body = message.get_body(("html",)).get_content().replace("\r\n", "\n")
    chart = next(p for p in message.walk() if p.get_content_type() == "image/png")
    return text, body, chart.get_payload(decode=True)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _quoted(digest, language: str) -> list[str]:
    """What the email quotes from the digest as written: section text, source
    titles, publishers and category names (the longest first, for removal)."""
    quoted = []
    with translation.override(language):
        for section in DigestSection.objects.filter(digest=digest):
            content = section_content.read(section)
            quoted += list(content.topics) + list(content.final_summary)
            quoted += [e.text for e in content.events + content.key_figures]
            quoted += [i.text for i in content.impact]
            for excerpt in content.excerpts:
                quoted += [excerpt.text, excerpt.publisher]
            quoted += [s.article.title for s in section.sources.all()]
            quoted.append(section.category.name)
    return sorted({_flat(q) for q in quoted if q}, key=len, reverse=True)


def _frame_only(text: str, quoted: list[str]) -> str:
    frame = _flat(text)
    for piece in quoted:
        frame = frame.replace(piece, " ")
    return frame


def _headings(body: str, tag: str) -> list[str]:
    found = re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", body, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", h)).strip() for h in found]


def _cited_urls(body: str) -> list[str]:
    return re.findall(r'<a class="cite" href="([^"]+)"', body)


def test_one_build_two_languages_same_sections_and_citations(
    built_digest, sink, client, fresh_renders
):
    digest = built_digest
    korean = reader("minji@example.kr", language="ko")
    english = reader("bob@example.com", language="en")

    report = services.send_and_record(digest)

    assert report.sent == 2
    got = {r.rcpt_tos[0]: r.message for r in sink.received}
    ko_mail, en_mail = got[korean.email], got[english.email]
    assert ko_mail["Subject"].startswith("Daily AI Insights · 2026년 8월 22일")
    assert en_mail["Subject"].startswith("Daily AI Insights · August 22, 2026")
    ko_text, ko_html, ko_chart = _parts(ko_mail)
    en_text, en_html, en_chart = _parts(en_mail)

    # Same sections, same sources cited, in the same order.
    # The first screen's heading, then the same sections in both.
    assert _headings(ko_html, "h2")[0] == "오늘의 핵심"
    assert _headings(en_html, "h2")[0] == "Today's highlights"
    assert _headings(ko_html, "h2")[1:] == _headings(en_html, "h2")[1:]
    assert len(_headings(en_html, "h2")[1:]) == digest.sections.count() >= 3
    assert _cited_urls(ko_html) == _cited_urls(en_html)
    sources = re.compile(r"^ \[(\d+)\] .*\((\S+)\)$", re.M)
    assert sources.findall(ko_text) == sources.findall(en_text) != []

    # Different frame: each in its reader's language.
    assert '<html lang="en"' in en_html and '<html lang="ko"' in ko_html
    en_subheads = set(_headings(en_html, "h3"))
    assert en_subheads and not any(HANGUL.search(h) for h in en_subheads)
    assert all(HANGUL.search(h) for h in _headings(ko_html, "h3"))
    en_frame = _frame_only(en_text, _quoted(digest, "en"))
    assert not HANGUL.findall(en_frame), en_frame
    assert "View in browser" in en_frame and "Unsubscribe" in en_frame
    ko_frame = _frame_only(ko_text, _quoted(digest, "ko"))
    with translation.override("en"):
        english_words = [str(word) for word in ENGLISH_CHROME]
    assert [word for word in english_words if word in ko_frame] == []
    assert "웹에서 보기" in ko_frame
    alt = re.search(r'<img[^>]+alt="([^"]*)"', en_html).group(1)
    assert html.unescape(alt).startswith("Articles per category chart (")
    # The chart is drawn with a title in each language: two different images.
    assert en_chart.startswith(b"\x89PNG") and en_chart != ko_chart

    # The English email's links open English pages, whatever the browser says.
    web = re.search(r"View in browser: (\S+)", en_text).group(1)
    assert web.endswith("?lang=en")
    preferences = re.search(r"Subscription settings: (\S+)", en_text).group(1)
    path = preferences.removeprefix("http://127.0.0.1:8000")
    page = client.get(path, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<html lang="en">' in page
    assert len(fresh_renders) == 2


def test_the_fan_out_renders_once_per_language_and_category_set(
    defaults, settings, fresh_renders
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    digest = build_digest(slugs=("llm", "multimodal", "training"))
    category_sets = [("llm",), ("multimodal", "training"), ()]
    for language in ("ko", "en"):
        for n, slugs in enumerate(category_sets):
            for copy in range(3):
                reader(f"{language}{n}.{copy}@example.com", *slugs, language=language)
    mail.outbox = []

    services.send_and_record(digest)

    assert len(mail.outbox) == 2 * len(category_sets) * 3
    assert len(fresh_renders) == 2 * len(category_sets)
    assert len(set(fresh_renders)) == len(fresh_renders)
    for message in mail.outbox:
        language = message.to[0][:2]
        expected = "2026년 8월 22일" if language == "ko" else "August 22, 2026"
        assert expected in message.subject, (message.to, message.subject)


def test_an_unknown_stored_language_gets_the_digest_default(
    defaults, settings, fresh_renders
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DIGEST_LANGUAGE = "en"
    digest = build_digest(slugs=("llm",), language="ko")
    reader("old@example.com", language="fr")
    mail.outbox = []

    services.send_and_record(digest)

    assert [m.to for m in mail.outbox] == [["old@example.com"]]
    assert "August 22, 2026" in mail.outbox[0].subject
