import re

from ingestion.models import Article
from newsletter.models import DigestSection, DigestSource
from newsletter.sending import recipient
from newsletter.sending.rendering import (
    PREFERENCES_URL,
    READER_TOKEN,
    UNSUBSCRIBE_URL,
    render_digest_email,
)
from subscribers.links import SubscriberLinks
from tests.factories import ArticleFactory, make_section
from tests.newsletter.mail_fixtures import (
    DIGEST_SLUGS,
    build_digest,
    category,
    long_content,
)


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_email_holds_only_the_chosen_categories_in_editor_order(defaults):
    digest = build_digest(slugs=("llm", "multimodal", "training"))
    rendered = render_digest_email(
        digest, categories=[category("training"), category("multimodal")]
    )
    html = rendered.html
    assert html.startswith("<!doctype html>") and 'lang="ko"' in html
    assert "🌞 Multimodal" in html and "🤩 Model training technique" in html
    assert "🧠 LLM" not in html
    assert html.index("Multimodal") < html.index("Model training technique")
    for label in (
        "주요 주제",
        "주요 사건",
        "영향 분석",
        "경제",
        "정치/사회",
        "과학기술",
        "최종 요약",
        "출처",
    ):
        assert label in html and label in rendered.text
    assert "이 요약은 LLM 없이 기사 문장을 발췌해 만들었습니다." in html
    assert rendered.section_slugs == ("multimodal", "training")
    assert rendered.subject.startswith("Daily AI Insights · 2026년 8월 22일")


def test_sources_are_numbered_links_and_citations_point_at_them(defaults):
    digest = build_digest(slugs=("llm",))
    rendered = render_digest_email(digest, categories=None)
    section = DigestSection.objects.get(digest=digest)
    first, second = [s.article for s in section.sources.order_by("number")]
    assert f'<a class="cite" href="{first.url}">[1]</a>' in rendered.html
    assert f'<a class="cite" href="{second.url}">[2]</a>' in rendered.html
    assert f'[1] <a href="{first.url}">{first.title}</a>' in rendered.html
    assert f"[1] {first.title} ({first.url})" in rendered.text
    assert "llm 사건이 있었다 [1]. [2]" in rendered.text


def test_article_text_is_escaped_and_never_becomes_template_source(defaults):
    digest = build_digest(slugs=())
    hostile = ArticleFactory(
        title="<script>alert(1)</script> {{ settings.SECRET_KEY }}"
    )
    make_section(
        digest,
        category("llm"),
        [hostile],
        content={
            "topics": ["{% debug %} <b>bold</b> & more"],
            "events": [
                {"text": "{{ request }} <img src=x onerror=alert(1)>", "citations": [1]}
            ],
            "impact": {"economy": "<style>body{display:none}</style>"},
            "final_summary": ["끝"],
        },
    )
    html = render_digest_email(digest, categories=None).html
    assert (
        "<script>" not in html
        and "<img src=x" not in html
        and "<b>bold</b>" not in html
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ settings.SECRET_KEY }}" in html
    assert "{% debug %} &lt;b&gt;bold&lt;/b&gt; &amp; more" in html
    assert "{{ request }}" in html
    assert "dev-insecure-key" not in html


def test_english_digest_uses_english_labels_and_no_offline_note_for_llm_sections(
    defaults,
):
    digest = build_digest(slugs=("llm",), language="en", generated_by="llm")
    rendered = render_digest_email(digest, categories=None)
    assert 'lang="en"' in rendered.html
    for label in (
        "Main topics",
        "Main events",
        "Impact analysis",
        "Final summary",
        "Sources",
    ):
        assert label in rendered.html and label in rendered.text
    assert "without an LLM" not in rendered.html
    assert "August 22, 2026" in rendered.subject


def test_chart_is_inline_with_alt_text_or_hosted_when_configured(defaults, settings):
    digest = build_digest(slugs=("llm", "multimodal"))
    inline = render_digest_email(digest, categories=None)
    assert f'src="cid:{inline.chart_cid}"' in inline.html
    assert (
        'alt="카테고리별 기사 수 차트 (총 4건): Multimodal 2건, LLM 2건"' in inline.html
    )
    assert "AI 외 기사 1건 제외" in inline.html
    assert inline.chart_png.startswith(b"\x89PNG")
    settings.EMAIL_CHART_HOSTED = True
    hosted = render_digest_email(digest, categories=None)
    assert hosted.chart_cid is None
    assert (
        'src="http://127.0.0.1:8000/digests/2026-08-22/chart.png?lang=ko"'
        in hosted.html
    )


def test_footer_has_web_preferences_unsubscribe_links_and_postal_address(
    defaults, settings
):
    settings.SENDER_POSTAL_ADDRESS = "Daily AI Insights, 1 Sejong-daero, Seoul"
    rendered = render_digest_email(build_digest(slugs=("llm",)), categories=None)
    # The web link is the reader's own page: their token is stamped in per reader.
    web = f"http://127.0.0.1:8000/digests/2026-08-22/reader/{READER_TOKEN}/?lang=ko"
    assert f'href="{web}"' in rendered.html and web in rendered.text
    assert (
        f'href="{PREFERENCES_URL}"' in rendered.html
        and f'href="{UNSUBSCRIBE_URL}"' in rendered.html
    )
    assert (
        "1 Sejong-daero, Seoul" in rendered.html
        and "1 Sejong-daero, Seoul" in rendered.text
    )
    text, html = rendered.personalize(
        preferences_url="https://x.test/p/a&b",
        unsubscribe_url="https://x.test/u/c",
        reader_token="tok:en",
    )
    assert 'href="https://x.test/p/a&amp;b"' in html and "https://x.test/p/a&b" in text
    assert PREFERENCES_URL not in html + text and UNSUBSCRIBE_URL not in html + text
    assert READER_TOKEN not in html + text and "/reader/tok:en/?lang=ko" in text


def test_no_section_for_the_categories_renders_an_empty_notice(defaults):
    digest = build_digest(slugs=("llm",))
    rendered = render_digest_email(digest, categories=[category("robotics-agents")])
    assert rendered.is_empty
    assert "오늘은 선택하신 분야에 새 소식이 없습니다" in rendered.html


def test_largest_profile_stays_under_the_clip_limit_and_links_the_web_version(
    defaults, settings
):
    slugs = DIGEST_SLUGS
    digest = build_digest(slugs=slugs, content=long_content, sources_per_section=12)
    full = render_digest_email(digest, categories=None)
    assert full.shortened
    assert "일부 내용을 줄였습니다" in full.html
    # The web page's own anchor for the section (its id there is s<section id>).
    llm_section = digest.sections.get(category__slug="llm")
    assert (
        f"http://127.0.0.1:8000/digests/2026-08-22/reader/{READER_TOKEN}/"
        f"?lang=ko#s{llm_section.id}" in full.html
    )
    for slug in slugs:
        assert f'id="{slug}"' in full.html
    links = SubscriberLinks(
        preferences_url="http://127.0.0.1:8000/preferences/" + "t" * 160 + "/",
        unsubscribe_url="http://127.0.0.1:8000/unsubscribe/" + "t" * 160 + "/",
        one_click_url="http://127.0.0.1:8000/unsubscribe/" + "t" * 160 + "/one-click/",
    )
    message = recipient.build_digest_message(
        full, to="reader@example.com", links=links, message_id="<m@example.com>"
    )
    html_part = next(
        p for p in message.message().walk() if p.get_content_type() == "text/html"
    )
    encoded = html_part.as_bytes()
    assert len(encoded) < settings.EMAIL_HTML_MAX_BYTES
    assert html_part["Content-Transfer-Encoding"] == "8bit"
    assert max(len(line) for line in encoded.split(b"\n")) < 998
    # Small profiles are never shortened.
    assert not render_digest_email(digest, categories=[category("llm")]).shortened


def test_malformed_category_counts_leave_out_the_bad_entries(defaults):
    digest = build_digest(slugs=("llm",))
    digest.category_counts = {
        "llm": 4,
        "multimodal": "many",
        "training": -2,
        "ghost": 3,
    }
    digest.save()
    rendered = render_digest_email(digest, categories=None)
    assert rendered.chart_alt == "카테고리별 기사 수 차트 (총 4건): LLM 4건"


def _titled(digest, *titles):
    """The digest's sources, in order, carry ``titles``."""
    for source, title in zip(
        DigestSource.objects.filter(section__digest=digest).order_by("number"),
        titles,
        strict=False,
    ):
        Article.objects.filter(id=source.article_id).update(title=title)


def test_a_long_headline_in_the_subject_ends_at_a_word_not_mid_word(defaults):
    title = (
        "Cognizant and Anthropic expand their partnership to bring Claude to clients"
    )
    digest = build_digest(slugs=("llm",), sources_per_section=1)
    _titled(digest, title)
    subject = render_digest_email(digest, categories=None, language="en").subject
    headline = subject.rsplit(" · ", 1)[1]
    assert headline.endswith("…") and len(headline) <= 70
    assert title.startswith(headline[:-1])
    assert title[len(headline) - 1] == " "  # the cut falls between two words


def test_the_subject_headline_is_a_title_in_the_readers_language_never_body_text(
    defaults,
):
    digest = build_digest(
        slugs=("llm",),
        content=lambda slug: {
            "topics": ["한국어 주제 문장 [1]", "An English topic [2]"],
            "events": [{"text": "벤치마크가 나왔다.", "citations": [1]}],
            "impact": {},
            "final_summary": ["벤치마크가 나왔다 [1]"],
        },
    )
    _titled(digest, "한국어 추론 벤치마크 공개", "Grok 4.6 on Vertex AI")
    korean = render_digest_email(digest, categories=None, language="ko").subject
    english = render_digest_email(digest, categories=None, language="en").subject
    assert korean.endswith("· 한국어 추론 벤치마크 공개")
    assert english.endswith("· Grok 4.6 on Vertex AI")
    assert "[" not in korean + english
