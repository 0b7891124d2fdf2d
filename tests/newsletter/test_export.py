import re

from newsletter import export
from newsletter.models import Category, Digest
from tests.factories import ArticleFactory, DigestFactory, make_section

REFERENCE_FIRST_LINE = (
    "# Daily Artificial Intelligence Insights : News"
    "![Category Distribution Graph](news_2026-08-22.png)"
)


def test_export_writes_report_and_chart_in_the_reference_shape(defaults, tmp_path):
    digest = DigestFactory(chart_png=b"\x89PNG fake")
    business = Category.objects.get(slug="ai-business")
    llm = Category.objects.get(slug="llm")
    a1 = ArticleFactory(title="Funding round", url="https://example.com/a1")
    a2 = ArticleFactory(title="New model", url="https://example.com/a2")
    a3 = ArticleFactory(title="Bigger model", url="https://example.com/a3")
    make_section(digest, llm, [a2, a3], generated_by="llm")
    make_section(digest, business, [a1], generated_by="llm")

    path = export.export_digest(digest, tmp_path)

    assert path == tmp_path / "2026-08-22" / "News_2026-08-22_report.md"
    assert (
        tmp_path / "2026-08-22" / "news_2026-08-22.png"
    ).read_bytes() == b"\x89PNG fake"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == REFERENCE_FIRST_LINE
    # Editor order (position), not insertion order.
    assert re.findall(r"^## .*$", text, re.M) == [
        "## 🩵 AI business insight",
        "## 🧠 LLM",
    ]
    for part in (
        "1. **주요 주제**:",
        "2. **주요 사건**:",
        "3. **영향 분석**:",
        "4. **최종 요약**:",
    ):
        assert text.count(part) == 2
    assert text.count("**요약:**") == 2 and text.count("**출처:**") == 2
    assert "   - **경제**: 가격 경쟁이 심해진다." in lines
    assert "   - OpenAI가 새 모델을 공개했다. [1]" in lines
    assert "   - 모델 경쟁이 빨라지고 있다." in lines
    sources = [line for line in lines if line.startswith(" - ")]
    assert sources == [
        " - [1] Funding round (https://example.com/a1)",
        " - [1] New model (https://example.com/a2)",
        " - [2] Bigger model (https://example.com/a3)",
    ]


def test_export_keeps_structure_when_titles_hold_newlines_and_markup(
    defaults, tmp_path
):
    digest = DigestFactory()
    article = ArticleFactory(
        title="Line one\n## not a heading", url="https://example.com/x"
    )
    make_section(
        digest, Category.objects.get(slug="llm"), [article], generated_by="offline"
    )

    text = export.export_digest(digest, tmp_path).read_text(encoding="utf-8")

    assert re.findall(r"^## .*$", text, re.M) == ["## 🧠 LLM"]
    assert (
        " - [1] Line one ## not a heading (https://example.com/x)" in text.splitlines()
    )
    assert "LLM 없이" in text


def test_english_digest_uses_english_labels(defaults, tmp_path):
    digest = DigestFactory(language="en")
    make_section(
        digest, Category.objects.get(slug="llm"), [ArticleFactory()], generated_by="llm"
    )

    text = export.export_digest(digest, tmp_path).read_text(encoding="utf-8")

    assert (
        "**Summary:**" in text
        and "1. **Main topics**:" in text
        and "**Sources:**" in text
    )
    assert Digest.objects.count() == 1


def test_inline_citation_markers_are_not_repeated(defaults, tmp_path):
    digest = DigestFactory()
    content = {
        "topics": [],
        "events": [{"text": "A[1] and B [2].", "citations": [1, 2, 3]}],
        "impact": {},
        "final_summary": [],
    }
    articles = [ArticleFactory() for _ in range(3)]
    make_section(digest, Category.objects.get(slug="llm"), articles, content=content)

    text = export.export_digest(digest, tmp_path).read_text(encoding="utf-8")

    assert "   - A[1] and B [2]. [3]" in text.splitlines()


HOSTILE_TITLE = (
    "[click me](javascript:alert(1)) ![pixel](https://tracker.example/p.png) "
    "<img src=x onerror=alert(2)> <script>alert(3)</script> **loud** `code`"
)


def _unescaped(pattern: str, text: str) -> list[str]:
    """Matches of `pattern` not preceded by a backslash (live Markdown)."""
    return re.findall(rf"(?<!\\){pattern}", text)


def test_feed_text_in_the_export_is_shown_never_interpreted(defaults, tmp_path):
    digest = DigestFactory()
    hostile = ArticleFactory(title=HOSTILE_TITLE, url="javascript:alert(4)")
    plain = ArticleFactory(title="Fine", url="https://example.com/a b)(<x>")
    content = {
        "topics": ["<b>bold</b> [x](https://evil.example/)"],
        "events": [
            {"text": "A quote: [y]: javascript:alert(5) and [1]", "citations": [1]}
        ],
        "impact": {"economy": "![t](https://tracker.example/i.png)"},
        "final_summary": ["_emph_ | cell ~~gone~~"],
    }
    make_section(
        digest, Category.objects.get(slug="llm"), [hostile, plain], content=content
    )

    text = export.export_digest(digest, tmp_path).read_text(encoding="utf-8")

    body = text.split("\n", 1)[1]  # the first line's chart image is ours
    assert _unescaped(r"\]\(", body) == []  # no inline link or image
    assert _unescaped(r"\[[^\]\d]*\]:", body) == []  # no link definition
    assert "<" not in body and ">" not in body  # no HTML, no autolink
    assert "javascript:" not in " ".join(re.findall(r"\(([^)]*)\)\s*$", body, re.M))
    lines = text.splitlines()
    assert " - [1] " + export.md.text(HOSTILE_TITLE) in lines  # no link at all
    assert " - [2] Fine (https://example.com/a%20b%29%28%3Cx%3E)" in lines
    assert "&lt;img src=x onerror=alert(2)&gt;" in text
    assert "   - A quote: \\[y\\]: javascript:alert(5) and [1]" in lines


def test_an_offline_section_is_labelled_as_excerpts_not_summary(defaults, tmp_path):
    digest = DigestFactory()
    articles = [
        ArticleFactory(title=f"Story {n}", url=f"https://example.com/{n}")
        for n in range(1, 5)
    ]
    content = {
        "kind": "excerpts",
        "topics": [],
        "excerpts": [
            {
                "text": "Acme released a model. [4]",
                "publisher": "Acme",
                "published": "2026-08-21",
                "citations": [4],
            }
        ],
        "key_figures": [{"text": "Acme's model has 32 billion parameters. [2]"}],
        "impact": {},
    }
    make_section(
        digest,
        Category.objects.get(slug="llm"),
        articles,
        content=content,
        generated_by="offline",
    )

    lines = export.export_digest(digest, tmp_path).read_text("utf-8").splitlines()

    assert "**요약:**" not in lines
    assert "**기사 발췌:**" in lines and "**주요 수치:**" in lines
    assert "   - Acme (8월 21일): Acme released a model. [4]" in lines
    # "[4]" resolves: the fourth source is numbered as the text cites it.
    assert " - [4] Story 4 (https://example.com/4)" in lines


def test_an_offline_papers_line_prints_its_title_once_in_bold(defaults, tmp_path):
    digest = DigestFactory(edition=Digest.Edition.PAPERS)
    paper = ArticleFactory(
        title="CoreMem: Riemannian Retrieval", url="https://arxiv.org/abs/2606.18300"
    )
    content = {
        "kind": "papers",
        "extracted": True,
        "papers": [
            {
                "title": "CoreMem: Riemannian Retrieval",
                "text": "We propose CoreMem, an edge-cloud memory architecture. [1]",
                "citations": [1],
            }
        ],
        "total": 1,
    }
    make_section(
        digest,
        Category.objects.get(slug="papers-nlp"),
        [paper],
        content=content,
        generated_by="offline",
    )

    text = export.export_digest(digest, tmp_path).read_text("utf-8")

    assert (
        "   - **CoreMem: Riemannian Retrieval** We propose CoreMem, an edge-cloud "
        "memory architecture. [1]"
    ) in text.splitlines()
    assert text.count("CoreMem: Riemannian Retrieval") == 1
    assert " - [1] arXiv:2606.18300 (https://arxiv.org/abs/2606.18300)" in text
    assert "**요약:**" not in text
