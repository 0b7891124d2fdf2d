"""The Papers edition: arXiv listings in, one paper per arXiv id, a daily Papers digest,
its report in the original's shape, and one email a day whatever editions a reader chose.

Listings come from the sample corpus (real arXiv RSS of two consecutive days) over
real HTTP, so ingestion takes the production path.
"""

import datetime as dt
import gzip
import re

import pytest
from django.urls import reverse
from lxml import etree

from devservers.feed_server import FeedServer
from ingestion import sample
from ingestion.models import Article, Paper, Source
from ingestion.pipeline import ingest_sources
from newsletter import export, services
from newsletter.models import Category, Digest, DigestSection
from tests.factories import ArticleFactory, DigestFactory, make_section
from tests.newsletter.mail_fixtures import category, reader

DAY1, DAY2 = dt.date(2026, 8, 15), dt.date(2026, 8, 22)
PAPER_LINE = re.compile(r"^ - .+ \(https://arxiv\.org/abs/\d{4}\.\d{4,5}\)$")


def _listing(snapshot: str, feed: str) -> bytes:
    return gzip.decompress(
        (sample.DATA_DIR / "papers" / snapshot / f"{feed}.xml.gz").read_bytes()
    )


def _ids(xml: bytes) -> set[str]:
    links = etree.fromstring(xml).iterfind("channel/item/link")
    return {link.text.rsplit("/", 1)[1] for link in links}


def _item(arxiv_id: str, version: int, kind: str, title: str, abstract: str) -> str:
    return f"""<item>
      <title>{title}</title>
      <link>https://arxiv.org/abs/{arxiv_id}</link>
      <description>arXiv:{arxiv_id}v{version} Announce Type: {kind}
Abstract: {abstract}</description>
      <guid isPermaLink="false">oai:arXiv.org:{arxiv_id}v{version}</guid>
      <category>cs.CL</category><category>cs.AI</category>
      <pubDate>Thu, 18 Jun 2026 00:00:00 -0400</pubDate>
      <arxiv:announce_type>{kind}</arxiv:announce_type>
      <dc:creator>Ada Lovelace, Alan Turing</dc:creator>
    </item>"""


def _feed(category_code: str, *items: str) -> str:
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
  <channel><title>{category_code} updates on arXiv.org</title>
  <link>http://rss.arxiv.org/rss/{category_code}</link>
  {"".join(items)}
  </channel></rss>"""


def _paper_source(name: str, url: str) -> Source:
    return Source.objects.create(name=name, url=url, kind=Source.Kind.PAPER)


def _ingest_snapshot(snapshot: str) -> set[str]:
    """Ingest the sample's paper feeds of one day; the arXiv ids they list."""
    listed: set[str] = set()
    with sample.serve_corpus(snapshot) as site:
        for feed in site.feeds:
            if feed.kind != Source.Kind.PAPER:
                continue
            Source.objects.update_or_create(
                name=feed.name,
                defaults={"url": feed.url, "kind": feed.kind, "etag": ""},
            )
            listed |= _ids(_listing(snapshot, feed.url.rsplit("/", 1)[1][:-4]))
        served = Source.objects.filter(url__startswith=site.base_url)
        ingest_sources(list(served.values_list("id", flat=True)))
    return listed


@pytest.fixture
def private_hosts(settings):
    settings.INGEST_ALLOW_PRIVATE_HOSTS = True


def test_a_cross_listed_and_a_replaced_paper_stay_one_paper(
    defaults, private_hosts, settings
):
    with FeedServer() as server:
        first = _item("2606.00001", 1, "new", "Tokens", "We propose Tokens.")
        cross = _item("2606.00001", 1, "cross", "Tokens", "We propose Tokens.")
        cl = _paper_source("cs.CL", server.add("/cs.CL", _feed("cs.CL", first)))
        ai = _paper_source("cs.AI", server.add("/cs.AI", _feed("cs.AI", cross)))
        report = ingest_sources([cl.id, ai.id])
        assert (report.articles_new, report.articles_seen) == (1, 1)

        replaced = _item(
            "2606.00001", 2, "replace", "Tokens, revised", "We propose better Tokens."
        )
        server.add("/cs.CL", _feed("cs.CL", replaced))
        report = ingest_sources([cl.id])

    paper = Paper.objects.select_related("article").get()
    assert Article.objects.count() == 1
    assert (paper.arxiv_id, paper.version) == ("2606.00001", 2)
    assert paper.article.title == "Tokens, revised"
    assert paper.article.text == "We propose better Tokens."
    assert paper.authors == ["Ada Lovelace", "Alan Turing"]
    assert paper.arxiv_categories == ["cs.CL", "cs.AI"]
    assert paper.pdf_url == "https://arxiv.org/pdf/2606.00001"
    # A new version is not news again unless an editor asks for it.
    assert report.articles_new == 0


def test_a_replacement_comes_back_as_news_only_when_the_setting_says_so(
    defaults, private_hosts, settings
):
    settings.PAPERS_INCLUDE_REPLACEMENTS = True
    with FeedServer() as server:
        url = server.add(
            "/cs.CL", _feed("cs.CL", _item("2606.00002", 1, "new", "A", "A."))
        )
        source = _paper_source("cs.CL", url)
        ingest_sources([source.id])
        announced = Paper.objects.get().announced_at
        server.add(
            "/cs.CL", _feed("cs.CL", _item("2606.00002", 3, "replace", "A", "B."))
        )
        report = ingest_sources([source.id])
    assert report.articles_new == 1
    assert Paper.objects.get().announced_at > announced
    assert Paper.objects.count() == 1


def test_a_curated_feed_of_arxiv_papers_is_read_as_new_papers(defaults, private_hosts):
    curated = """<?xml version="1.0"?><rss version="2.0"><channel><title>Daily papers</title>
      <item><title>Curated Paper</title>
      <link>https://huggingface.co/papers/2606.00003</link>
      <description>We study curation.</description></item>
    </channel></rss>"""
    with FeedServer() as server:
        source = _paper_source("Daily papers", server.add("/daily.xml", curated))
        report = ingest_sources([source.id])
    paper = Paper.objects.select_related("article").get()
    assert report.articles_new == 1
    assert (paper.arxiv_id, paper.announce_type) == ("2606.00003", "new")
    assert paper.article.url == "https://arxiv.org/abs/2606.00003"
    assert paper.article.text == "We study curation."


def test_the_second_day_holds_only_new_papers_in_the_original_report_shape(
    defaults, private_hosts, offline, settings, tmp_path, client
):
    first_day = _ingest_snapshot("2026-08-15")
    day1 = services.build_digest(DAY1, edition=Digest.Edition.PAPERS)
    second_day = _ingest_snapshot("2026-08-22")
    day2 = services.build_digest(DAY2, edition=Digest.Edition.PAPERS)

    def cited(digest: Digest) -> set[str]:
        return {
            url.rsplit("/", 1)[1]
            for url in DigestSection.objects.filter(digest=digest).values_list(
                "sources__article__url", flat=True
            )
        }

    assert cited(day1) and cited(day1) <= first_day
    assert cited(day2) and cited(day2) <= second_day
    assert sum(day2.category_counts.values()) == len(second_day)
    assert not cited(day2) & first_day

    path = export.export_digest(day2, tmp_path)
    assert path == tmp_path / "2026-08-22" / "Papers_2026-08-22_report.md"
    assert (tmp_path / "2026-08-22" / "paper_2026-08-22.png").read_bytes()[:4] == (
        b"\x89PNG"
    )
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0] == (
        "# Daily Artificial Intelligence Insights : Papers"
        "![Category Distribution Graph](paper_2026-08-22.png)"
    )
    papers_categories = Category.objects.filter(
        edition=Category.Edition.PAPERS, in_digest=True
    )
    headings = [line for line in lines if line.startswith("## ")]
    assert headings and set(headings) <= {
        f"## {c.emoji} {c.name}" for c in papers_categories
    }
    report = "\n".join(lines)
    for heading in headings:
        block = report.split(heading, 1)[1].split("\n## ", 1)[0]
        # Offline it is no summary: the heading the email gives its lines.
        assert "**요약:**" not in block
        assert "**논문별 핵심 기여 (초록 발췌):**" in block
        for line in re.findall(r"^   - (.*)$", block, re.M):
            # The title once, in bold, then a sentence from its subject on; an
            # abstract without a whole sentence that fits leaves its title alone.
            titled = re.fullmatch(r"\*\*(.+?)\*\* (.+)", line)
            if titled is None:
                assert re.fullmatch(r"[^*]+ \[\d+\]", line), line
                continue
            title, sentence = titled.groups()
            assert not sentence.endswith("…"), line
            assert sentence[:1].isupper() and not sentence.startswith(title)
            assert not re.match(r"(?:To|Motivated|In this|However)\b", sentence)
            assert block.count(title) == 1
        sources = [x for x in block.split("**출처:**", 1)[1].split("\n") if x.strip()]
        assert 1 <= len(sources) <= settings.PAPERS_PER_SECTION
        assert all(PAPER_LINE.match(line) for line in sources), sources
        slug = papers_categories.get(name=heading.split(" ", 2)[2]).slug
        more = day2.category_counts[slug] - len(sources)
        assert (f"_외 {more}건_" in block) == (more > 0)

    # On the web the archive lists the edition, and its page lists every paper.
    Digest.objects.filter(id=day2.id).update(status=Digest.Status.SENT)
    assert day2.get_absolute_url() in client.get(reverse("newsletter:archive")).text
    page = client.get(day2.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ko").text
    listed = set(re.findall(r'href="https://arxiv\.org/abs/([\d.]+)"', page))
    in_sections = sum(
        n for slug, n in day2.category_counts.items() if slug != "papers-others"
    )
    assert listed <= second_day and len(listed) == in_sections


def test_the_llm_writes_the_five_parts_of_the_original_with_a_line_per_paper(
    defaults, private_hosts, fake_llm, tmp_path
):
    xml = _listing("2026-08-22", "arxiv_cs_CL")
    root = etree.fromstring(xml)
    channel = root.find("channel")
    for item in channel.findall("item")[8:]:
        channel.remove(item)
    with FeedServer() as server:
        source = _paper_source("cs.CL", server.add("/cs.CL", etree.tostring(root)))
        ingest_sources([source.id])
    digest = services.build_digest(DAY2, edition=Digest.Edition.PAPERS)
    assert digest.generated_by == "llm"
    report = export.render_markdown(digest)
    block = report.split("\n## ", 2)[1]
    parts = re.findall(r"^(\d)\. \*\*(.+?):\*\*$", block, re.M)
    assert [name for _, name in parts] == [
        "주요 주제",
        "공통 키워드·트렌드",
        "논문별 핵심",
        "분야별 영향",
        "결론과 향후 방향",
    ]
    key_points = block.split("3. **논문별 핵심:**", 1)[1].split("4. **", 1)[0]
    sources = [x for x in block.split("**출처:**", 1)[1].split("\n") if x.strip()]
    cited = re.findall(r"\[(\d+)\]", key_points)
    assert sorted(map(int, cited)) == list(range(1, len(sources) + 1))
    assert digest.prompt_tokens > 0 and digest.completion_tokens > 0


def _one_email_day(language="ko") -> tuple[Digest, Digest]:
    """A News digest (LLM) and a Papers digest (Vision) of the same day, approved."""
    news = DigestFactory(date=DAY2, language=language, category_counts={"llm": 1})
    make_section(news, category("llm"), [ArticleFactory(title="뉴스 기사 하나")])
    papers = DigestFactory(
        date=DAY2,
        edition=Digest.Edition.PAPERS,
        language=language,
        category_counts={"papers-vision": 7},
    )
    article = ArticleFactory(
        title="A Vision Paper", url="https://arxiv.org/abs/2606.18300"
    )
    make_section(
        papers,
        category("papers-vision"),
        [article],
        content={
            "kind": "papers",
            "extracted": True,
            "papers": [
                {
                    "title": "A Vision Paper",
                    "text": "We propose it. [1]",
                    "citations": [1],
                }
            ],
            "total": 7,
        },
    )
    return news, papers


@pytest.mark.parametrize("papers_first", [False, True])
def test_one_email_a_day_holds_every_edition_a_reader_chose(
    defaults, sink, papers_first
):
    news, papers = _one_email_day()
    reader("news@example.com", "llm")
    reader("both@example.com", "llm", "papers-vision")
    reader("papers@example.com", "papers-vision")
    order = [papers, news] if papers_first else [news, papers]
    for digest in order:
        services.send_and_record(digest)

    received = sink.by_recipient()
    assert {k: len(v) for k, v in received.items()} == {
        "news@example.com": 1,
        "both@example.com": 1,
        "papers@example.com": 1,
    }

    def text_and_charts(address: str) -> tuple[str, int]:
        message = received[address][0].message
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        charts = [p for p in message.walk() if p.get_content_type() == "image/png"]
        return text, len(charts)

    text, charts = text_and_charts("news@example.com")
    assert "뉴스 기사 하나" in text and "A Vision Paper" not in text and charts == 1

    # Whichever digest went first, Papers ride in the News email of those who read both.
    text, charts = text_and_charts("both@example.com")
    assert "뉴스 기사 하나" in text and "A Vision Paper" in text
    assert text.index("뉴스 기사 하나") < text.index("논문\n")
    assert text.index("논문\n") < text.index("A Vision Paper")
    assert text.count("외 6건") == 1 and charts == 2
    assert "분야별 논문 수 차트 (총 7건): Computer Vision 7" in text

    text, charts = text_and_charts("papers@example.com")
    assert "A Vision Paper" in text and "뉴스 기사 하나" not in text and charts == 1
    assert text.count("외 6건") == 1  # said once, by the Papers section itself
    assert "논문별 핵심 기여 (초록 발췌)" in text
    # The title once: its line carries it, the sources list names the paper's id.
    assert text.count("A Vision Paper") == 1
    assert "A Vision Paper — We propose it. [1]" in text
    assert "[1] arXiv:2606.18300 (https://arxiv.org/abs/2606.18300)" in text


def test_an_editor_edits_a_papers_section_and_it_stays_a_papers_section(
    client, django_user_model, defaults
):
    client.force_login(
        django_user_model.objects.create_superuser("editor", "e@example.com", "pw")
    )
    _news, papers = _one_email_day()
    section = papers.sections.get()
    url = reverse("admin:newsletter_digestsection_change", args=[section.id])
    page = client.get(url).content.decode()
    assert "A Vision Paper | We propose it. [1]" in page

    response = client.post(
        url,
        {
            "topics": "",
            "trends": "",
            "papers": "A Vision Paper | It segments everything [1]",
            "fields": "",
            "outlook": "",
            "needs_review": "",
            "review_notes": "",
            "sources-TOTAL_FORMS": "1",
            "sources-INITIAL_FORMS": "1",
            "sources-MIN_NUM_FORMS": "0",
            "sources-MAX_NUM_FORMS": "1000",
            "sources-0-id": section.sources.get().id,
            "sources-0-section": section.id,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    section.refresh_from_db()
    assert section.content["kind"] == "papers" and section.content["total"] == 7
    assert section.content["papers"] == [
        {
            "title": "A Vision Paper",
            "text": "It segments everything [1]",
            "citations": [1],
        }
    ]


@pytest.mark.parametrize(
    ("abstract", "line"),
    [
        (
            "Edge memories are slow. To overcome these limitations, we propose "
            "CoreMem, an edge-cloud memory architecture. It runs fast.",
            "We propose CoreMem, an edge-cloud memory architecture.",
        ),
        (
            "Benchmarks miss idioms. Motivated by this gap, we propose IdiomBench, a "
            "benchmark of 2,000 idioms.",
            "We propose IdiomBench, a benchmark of 2,000 idioms.",
        ),
        (
            "To quantify this phenomenon, specifically on stereotypes, we introduce "
            "VETO, a benchmark of contrastive pairs.",
            "We introduce VETO, a benchmark of contrastive pairs.",
        ),
        (
            "Aligners are old. Our aligner improves word boundary accuracy by 12% on "
            "four benchmark datasets. We study its errors.",
            "Our aligner improves word boundary accuracy by 12% on four benchmark "
            "datasets.",
        ),
        (
            "Prices are hard to explain. This paper addresses this gap by combining "
            "neural models with attribution. We find that gas prices drive 40% of "
            "the variance across markets.",
            "We find that gas prices drive 40% of the variance across markets.",
        ),
    ],
)
def test_a_papers_line_starts_at_its_subject_not_mid_argument(abstract, line):
    from newsletter.drafting import papers

    assert papers.contribution(abstract) == line


@pytest.mark.parametrize(
    ("abstract", "line"),
    [
        (
            # "vs." ends no sentence, and inline TeX reads as the reader sees it.
            "Across nine benchmarks, Visual-OPSD improves over its teacher by "
            "$+3.40$pp with $14.3\\times$ speedup (10.0s vs. 143s). It is simple.",
            "Across nine benchmarks, Visual-OPSD improves over its teacher by +3.40pp "
            "with 14.3× speedup (10.0s vs. 143s).",
        ),
        (
            # Two prices are not a formula.
            "We present CostBench, priced between $5 and $10 per run.",
            "We present CostBench, priced between $5 and $10 per run.",
        ),
        (
            # A whole sentence that fits is preferred to a stronger cue cut short.
            "We propose X, " + "a framework with many parts, " * 14 + "and more. "
            "Our results show X improves accuracy by 12% on four datasets.",
            "Our results show X improves accuracy by 12% on four datasets.",
        ),
        (
            # An abstract written without stops gives no torn line: the title alone.
            "The noise of MRI poses challenges for deep learning " * 20
            + "Therefore we develop BrainNet that combines CNNs",
            "",
        ),
    ],
)
def test_a_papers_line_is_a_whole_sentence_as_the_reader_sees_it(abstract, line):
    from newsletter.drafting import papers

    assert papers.contribution(abstract) == line


def test_an_offline_papers_line_holds_the_title_once_apart_from_its_sentence():
    from newsletter.drafting import papers

    article = ArticleFactory.build(
        title="CoreMem: Riemannian Retrieval",
        text="To overcome these limitations, we propose CoreMem, a memory.",
        url="https://arxiv.org/abs/2606.18300",
    )
    (line,) = papers.offline_content([article], total=1)["papers"]
    assert line == {
        "title": "CoreMem: Riemannian Retrieval",
        "text": "We propose CoreMem, a memory. [1]",
        "citations": [1],
    }
