import io
import warnings

from PIL import Image

from newsletter.chart import chart_alt_text, render_chart

COUNTS = [
    ("AI 비즈니스 인사이트", 12, "#4e79a7"),
    ("멀티모달", 7, "#f28e2b"),
    ("LLM", 20, "#76b7b2"),
    ("정책과 안전", 3, "#edc948"),
]


def test_korean_labels_render_without_missing_glyphs():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_chart(COUNTS, title="카테고리별 기사 수 · 2026년 8월 22일")
    missing = [
        w
        for w in caught
        if "missing from" in str(w.message) or "Glyph" in str(w.message)
    ]
    assert missing == []
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_chart_is_opaque_and_quantised_to_a_small_palette():
    png = render_chart(COUNTS, title="Articles per category")
    image = Image.open(io.BytesIO(png))
    assert image.mode == "P"
    assert len(image.getcolors(maxcolors=256)) <= 64
    rgba = image.convert("RGBA")
    assert rgba.getextrema()[3] == (255, 255)  # alpha: fully opaque everywhere
    assert rgba.getpixel((2, 2))[:3] == (255, 255, 255)
    assert image.width >= 600
    assert len(png) < 60_000


def test_empty_counts_still_draw_a_chart():
    png = render_chart([], title="Articles per category")
    assert Image.open(io.BytesIO(png)).width >= 600


def test_alt_text_states_every_count_largest_first():
    assert chart_alt_text(COUNTS, language="ko") == (
        "카테고리별 기사 수 차트 (총 42건): LLM 20건, AI 비즈니스 인사이트 12건, "
        "멀티모달 7건, 정책과 안전 3건"
    )
    english = chart_alt_text(
        [("LLM", 2, "#000000"), ("Multimodal", 5, "#111111")], language="en"
    )
    assert english == "Articles per category chart (7 in total): Multimodal 5, LLM 2"
    assert "no articles" in chart_alt_text([], language="en")


def test_a_chart_in_another_language_follows_the_digests_counts(defaults):
    from newsletter.chart import digest_chart_png, draw_digest_chart
    from tests.factories import DigestFactory

    digest = DigestFactory(language="ko", category_counts={"llm": 2})
    digest.chart_png = draw_digest_chart(digest)
    english = digest_chart_png(digest, "en")
    assert english.startswith(b"\x89PNG") and english != bytes(digest.chart_png)
    assert digest_chart_png(digest, "ko") == bytes(digest.chart_png)
    assert digest_chart_png(digest, "en") == english

    digest.category_counts = {"llm": 2, "multimodal": 5}  # a rebuild counted more
    assert digest_chart_png(digest, "en") != english


def _day_with_leftovers(**fields):
    """A built digest whose day had 30 non-AI articles filed under Others."""
    from newsletter.models import Digest
    from tests.newsletter.mail_fixtures import build_digest

    digest = build_digest(slugs=("llm", "multimodal"), generated_by="llm", **fields)
    Digest.objects.filter(id=digest.id).update(
        category_counts={"llm": 2, "multimodal": 2, "others": 30},
        status=Digest.Status.SENT,
    )
    digest.refresh_from_db()
    return digest


def test_the_chart_shows_the_ai_categories_and_counts_the_rest_in_a_caption(
    defaults,
):
    from newsletter.chart import digest_chart_counts, left_out_caption

    digest = _day_with_leftovers()
    names = [name for name, _n, _colour in digest_chart_counts(digest, "en")]
    assert names == ["Multimodal", "LLM"]
    assert left_out_caption(digest, "ko") == "AI 외 기사 30건 제외"
    assert left_out_caption(digest, "en") == "30 non-AI articles left out"
    digest.category_counts = {"llm": 2}
    assert left_out_caption(digest, "en") == ""


def test_the_email_page_and_export_carry_the_caption(defaults, client, tmp_path):
    from newsletter import export
    from newsletter.sending.rendering import render_digest_email

    digest = _day_with_leftovers()
    digest.chart_png = b"\x89PNG fake"
    digest.save(update_fields=["chart_png"])

    email = render_digest_email(digest, categories=None)
    assert "AI 외 기사 30건 제외" in email.html
    assert "AI 외 기사 30건 제외" in email.text
    assert "Others" not in email.html

    page = client.get(digest.get_absolute_url() + "?lang=en").content.decode()
    assert (
        '<figcaption class="chart-caption">30 non-AI articles left out</figcaption>'
        in page
    )

    report = export.export_digest(digest, tmp_path).read_text(encoding="utf-8")
    lines = report.splitlines()
    assert lines[0].startswith("# Daily Artificial Intelligence Insights : News")
    assert lines[2] == "*AI 외 기사 30건 제외*"
    english = export.render_markdown(digest, "en")
    assert "*30 non-AI articles left out*" in english
