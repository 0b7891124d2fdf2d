"""A section's content: one format checked on write, one reader every output uses."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from devservers.smtp_sink import SmtpSink
from newsletter import export, services
from newsletter.editorial import sections
from newsletter.editorial.sections import SectionContentError
from newsletter.models import Category, Digest, DigestSection
from newsletter.sending.rendering import render_digest_email
from tests.factories import ArticleFactory, DigestFactory, make_section
from tests.newsletter.mail_fixtures import reader

EXCERPTS = {
    "kind": "excerpts",
    "topics": ["Claude gets a new memory", "Gemini pricing"],
    "excerpts": [
        {
            "text": "Claude can now remember past conversations [1].",
            "publisher": "Anthropic",
            "published": "2026-08-21",
            "citations": [1],
        },
        {
            "text": "Prices fall by half.",
            "publisher": "Google",
            "published": "",
            "citations": [2],
        },
    ],
    "key_figures": [{"text": "50% lower price per token", "citations": [2]}],
    "impact": {"economy": "Cheaper tokens for every customer [2]."},
}


# --- normalising on write ----------------------------------------------------


def test_citations_to_no_source_are_dropped_counted_and_lists_mirror_the_text():
    result = sections.normalise(
        {
            "topics": ["  two\n lines  ", "   "],
            "events": [
                {"text": "A [1] and B [9].", "citations": [2, 9, 42, True, "1"]},
                {"text": "Both [1, 2]", "citations": []},
                {"text": "  ", "citations": [1]},
            ],
            "impact": {"economy": "Up [0].", "politics_society": ""},
            "final_summary": ["Done [3]"],
        },
        source_count=3,
    )

    assert result.content == {
        "topics": ["two lines"],
        "events": [
            {"text": "A [1] and B. [2]", "citations": [1, 2]},
            {"text": "Both [1][2]", "citations": [1, 2]},
        ],
        "impact": {"economy": "Up."},
        "final_summary": ["Done [3]"],
    }
    # [9] in the text and the list is one bad citation; 42, True, "1" and [0] too.
    assert result.removed == 5
    again = sections.normalise(result.content, source_count=3)
    assert again.content == result.content and again.removed == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("just text", "content is str, not an object"),
        ({"kind": "poem"}, "kind 'poem' is unknown"),
        ({"topics": "one"}, "topics is not a list of texts"),
        ({"events": [{"text": 3}]}, "events[0].text is not a text"),
        ({"events": [{"text": "x", "citations": 1}]}, "events[0].citations"),
        ({"impact": {"weather": "sunny"}}, "impact has unknown area(s): weather"),
        ({"final_summary": [None]}, "final_summary[0] is not a text"),
        ({"summary": []}, "unknown key(s) in briefing content: summary"),
        (
            {"kind": "excerpts", "excerpts": [{"text": "x", "published": "21 Aug"}]},
            "excerpts[0].published '21 Aug' is not YYYY-MM-DD",
        ),
        (
            {"kind": "excerpts", "events": []},
            "unknown key(s) in excerpts content: events",
        ),
    ],
)
def test_malformed_content_is_refused_with_a_message_naming_the_part(content, message):
    with pytest.raises(SectionContentError) as caught:
        sections.normalise(content, source_count=2)
    assert message in str(caught.value)


def test_excerpts_keep_publisher_and_date_and_at_most_four_topics():
    content = {**EXCERPTS, "topics": ["a", "b", "c", "d", "e"]}
    stored = sections.normalise(content, source_count=2).content
    assert stored["kind"] == "excerpts" and stored["topics"] == ["a", "b", "c", "d"]
    assert stored["excerpts"][1] == {
        "text": "Prices fall by half. [2]",
        "publisher": "Google",
        "published": "",
        "citations": [2],
    }
    parts = sections.from_dict(stored)
    assert parts.excerpts[0].published == dt.date(2026, 8, 21)
    with translation.override("ko"):
        assert (
            sections.excerpt_line(parts.excerpts[0])
            == "Anthropic (8월 21일): Claude can now remember past conversations [1]."
        )
    with translation.override("en"):
        first, second = (sections.excerpt_line(e) for e in parts.excerpts)
    assert first.startswith("Anthropic (Aug 21): ")
    assert second.startswith("Google: Prices")


def test_pieces_split_text_and_citations_for_renderers():
    assert sections.pieces("A [1][2] b [3, 4]") == [
        sections.Piece("A "),
        sections.Piece("[1]", 1),
        sections.Piece("[2]", 2),
        sections.Piece(" b "),
        sections.Piece("[3]", 3),
        sections.Piece("[4]", 4),
    ]


# --- both kinds in every output ----------------------------------------------


def _part(body: str, heading: str) -> str:
    """From the section's (last) heading to the other section's, or the end."""
    start = body.rindex(heading)
    others = [body.rindex(h) for h in ("🧠 LLM", "🌞 Multimodal") if h != heading]
    end = min([i for i in others if i > start], default=len(body))
    return body[start:end]


@pytest.fixture
def two_kinds(defaults):
    digest = DigestFactory(status=Digest.Status.SENT, category_counts={"llm": 2})
    llm = Category.objects.get(slug="llm")
    multimodal = Category.objects.get(slug="multimodal")
    anthropic = ArticleFactory(title="Claude memory", url="https://a.example/1")
    google = ArticleFactory(title="Gemini prices", url="https://g.example/2")
    make_section(digest, llm, [anthropic, google], content=EXCERPTS)
    briefing = {
        "topics": ["Video models"],
        "events": [{"text": "A video model shipped [1].", "citations": [1]}],
        "impact": {"science_technology": "Longer clips [1].", "economy": "  "},
        "final_summary": ["Video keeps improving [1]."],
    }
    make_section(digest, multimodal, [ArticleFactory(title="Video")], content=briefing)
    return digest


def test_email_shows_excerpts_with_publisher_and_date_and_only_present_impact(
    two_kinds,
):
    rendered = render_digest_email(two_kinds, categories=None)
    for body in (rendered.html, rendered.text):
        excerpts_part = _part(body, "🧠 LLM")
        assert "기사 발췌" in excerpts_part and "주요 수치" in excerpts_part
        assert "Anthropic (8월 21일): Claude can now remember" in excerpts_part
        assert "Google: Prices fall by half." in excerpts_part
        assert "50% lower price per token" in excerpts_part
        assert "경제" in excerpts_part and "Cheaper tokens" in excerpts_part
        assert "주요 사건" not in excerpts_part and "최종 요약" not in excerpts_part
        assert "과학기술" not in excerpts_part and "Claude memory" in excerpts_part
        briefing_part = _part(body, "🌞 Multimodal")
        assert "주요 사건" in briefing_part and "과학기술" in briefing_part
        # The empty economy line is left out, never printed as filler.
        assert "경제" not in briefing_part
    assert '<a class="cite" href="https://a.example/1">[1]</a>' in rendered.html


def test_web_page_shows_both_kinds(client, two_kinds):
    cache.clear()  # pages are cached per URL
    page = client.get(
        reverse("newsletter:digest_detail", args=["2026-08-22"])
    ).content.decode()
    excerpts_part = _part(page, "🧠 LLM")
    assert "기사 발췌" in excerpts_part and "주요 수치" in excerpts_part
    assert "Anthropic (8월 21일): Claude can now remember" in excerpts_part
    assert "주요 사건" not in excerpts_part and "최종 요약" not in excerpts_part
    briefing_part = _part(page, "🌞 Multimodal")
    assert "주요 사건" in briefing_part and "경제" not in briefing_part


def test_export_fills_the_parts_an_excerpts_section_has(two_kinds, tmp_path):
    lines = export.export_digest(two_kinds, tmp_path).read_text().splitlines()
    # Editor order: Multimodal (a briefing) comes before LLM (excerpts).
    start = lines.index("## 🌞 Multimodal")
    end = lines.index("## 🧠 LLM")
    assert lines[end:] == [
        "## 🧠 LLM",
        "",
        "_이 요약은 LLM 없이 기사 문장을 발췌해 만들었습니다._",
        "",
        "**기사 발췌:**",
        "",
        "   - Anthropic (8월 21일): Claude can now remember past conversations [1].",
        "   - Google: Prices fall by half. [2]",
        "",
        "**주요 수치:**",
        "",
        "   - 50% lower price per token [2]",
        "",
        "**영향 분석:**",
        "",
        "   - **경제**: Cheaper tokens for every customer [2].",
        "",
        "**출처:**",
        "",
        " - [1] Claude memory (https://a.example/1)",
        " - [2] Gemini prices (https://g.example/2)",
    ]
    briefing = lines[start:end]
    assert "   - **과학기술**: Longer clips [1]." in briefing
    assert not any(line.startswith("   - **경제**") for line in briefing)


# --- malformed stored content ------------------------------------------------

MALFORMED = {"topics": "one string", "events": [3], "impact": ["x"]}


def test_admin_says_the_stored_content_is_malformed(admin_client, defaults):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # asserts the English words
    section = make_section(
        DigestFactory(),
        Category.objects.get(slug="llm"),
        [ArticleFactory()],
        content=MALFORMED,
    )
    url = reverse("admin:newsletter_digestsection_change", args=[section.id])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert (
        "This section&#x27;s stored content is malformed: topics is not a list"
        in page.content.decode()
    )


def test_admin_edits_an_excerpts_section_and_it_stays_excerpts(admin_client, defaults):
    articles = [ArticleFactory(), ArticleFactory()]
    section = make_section(
        DigestFactory(), Category.objects.get(slug="llm"), articles, content=EXCERPTS
    )
    url = reverse("admin:newsletter_digestsection_change", args=[section.id])
    page = admin_client.get(url).content.decode()
    assert "Anthropic | 2026-08-21 | Claude can now remember" in page
    assert 'name="final_summary"' not in page

    response = admin_client.post(
        url,
        {
            "topics": "Memory",
            "excerpts": "Anthropic | 2026-08-21 | Claude remembers [1]\n"
            "Google |  | Half price",
            "key_figures": "50% [2]",
            "economy": "",
            "politics_society": "Privacy questions [1]",
            "science_technology": "",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
            "sources-MIN_NUM_FORMS": "0",
            "sources-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    section.refresh_from_db()
    assert section.content == {
        "kind": "excerpts",
        "topics": ["Memory"],
        "excerpts": [
            {
                "text": "Claude remembers [1]",
                "publisher": "Anthropic",
                "published": "2026-08-21",
                "citations": [1],
            },
            {
                "text": "Half price",
                "publisher": "Google",
                "published": "",
                "citations": [],
            },
        ],
        "key_figures": [{"text": "50% [2]", "citations": [2]}],
        "impact": {"politics_society": "Privacy questions [1]"},
    }
    assert section.generated_by == DigestSection.GeneratedBy.EDITOR


def test_a_malformed_section_never_stops_a_send(defaults, settings, caplog):
    digest = DigestFactory(category_counts={"llm": 1, "multimodal": 1})
    make_section(
        digest,
        Category.objects.get(slug="llm"),
        [ArticleFactory(title="Kept source", url="https://k.example/1")],
        content=MALFORMED,
    )
    make_section(digest, Category.objects.get(slug="multimodal"), [ArticleFactory()])
    reader("reader@example.com")
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        report = services.send_and_record(digest)
        received = sink.by_recipient()

    assert report.sent == 1 and report.failed == 0
    message = received["reader@example.com"][0].message
    text = message.get_body(preferencelist=("plain",)).get_content()
    llm_part = _part(text, "🧠 LLM")
    assert "[1] Kept source (https://k.example/1)" in llm_part
    assert "one string" not in llm_part and "주요 주제" not in llm_part
    assert "OpenAI가 새 모델을 공개했다." in text  # the healthy section is whole
    assert (
        "section" in caplog.text and "(llm): stored content is malformed" in caplog.text
    )
    assert "topics is not a list of texts" in caplog.text


def test_email_links_only_http_and_mailto_sources(defaults):
    digest = DigestFactory()
    hostile = ArticleFactory(title="Trap", url="javascript:alert(1)")
    make_section(digest, Category.objects.get(slug="llm"), [hostile])
    html = render_digest_email(digest, categories=None).html
    assert 'href="javascript:' not in html
    assert "Trap (javascript:alert(1))" in html


def test_an_english_digest_takes_every_word_from_the_english_locale(defaults, tmp_path):
    digest = DigestFactory(language="en")
    make_section(
        digest,
        Category.objects.get(slug="llm"),
        # The subject's headline is a title, never a section's text.
        [ArticleFactory(title="Claude gets a new memory"), ArticleFactory()],
        content=EXCERPTS,
        generated_by="llm",
    )
    rendered = render_digest_email(digest, categories=None)
    for body in (rendered.html, rendered.text):
        assert "Excerpts from the sources" in body and "Key figures" in body
        assert "Anthropic (Aug 21): Claude can now remember" in body
        assert "Economy" in body and "View in browser" in body
        assert "기사" not in body and "경제" not in body
    assert rendered.subject == (
        "Daily AI Insights · August 22, 2026 · Claude gets a new memory"
    )
    report = export.export_digest(digest, tmp_path).read_text()
    assert "**Excerpts from the sources:**" in report
    assert "   - **Economy**: Cheaper tokens for every customer [2]." in report


def test_page_and_email_use_the_same_impact_words(client, defaults):
    digest = DigestFactory(status=Digest.Status.SENT)
    make_section(digest, Category.objects.get(slug="llm"), [ArticleFactory()])
    cache.clear()  # pages are cached per URL
    page = client.get(
        reverse("newsletter:digest_detail", args=["2026-08-22"])
    ).content.decode()
    rendered = render_digest_email(digest, categories=None)
    for body in (page, rendered.html, rendered.text):
        assert "정치/사회" in body and "과학기술" in body
        assert "정치·사회" not in body


def test_safe_url_keeps_http_https_and_mailto_only():
    from newsletter.templatetags.digest import safe_url

    assert safe_url("https://a.example/x") == "https://a.example/x"
    assert safe_url("HTTP://a.example") == "HTTP://a.example"
    assert safe_url("mailto:ed@example.com") == "mailto:ed@example.com"
    for url in ("javascript:alert(1)", "data:text/html,x", "//a.example", "", None):
        assert safe_url(url) is None
