import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape

from ingestion.models import Article, Source
from newsletter.models import Category, Digest, DigestSection, DigestSource

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def source(db):
    return Source.objects.create(name="Example feed", url="https://feeds.example/rss")


def article(source, n, title=None, url=None):
    return Article.objects.create(
        source=source,
        url=url or f"https://news.example/{n}",
        title=title or f"Story {n}",
    )


def give_a_section(digest: Digest) -> Digest:
    """A section of the digest's edition: an empty digest is never public."""
    DigestSection.objects.create(
        digest=digest,
        category=Category.objects.filter(edition=digest.edition).first(),
        content={"topics": ["Agents"], "events": [], "final_summary": []},
    )
    return digest


def digest_with_section(
    source,
    day="2024-11-09",
    status=Digest.Status.SENT,
    *,
    content=None,
    titles=("Story one", "Story two"),
    urls=None,
    generated_by=DigestSection.GeneratedBy.LLM,
    category="llm",
    position=0,
):
    digest, _ = Digest.objects.get_or_create(
        date=day,
        defaults={
            "status": status,
            "chart_png": b"\x89PNG fake",
            "category_counts": {"llm": 2, "others": 1},
        },
    )
    section = DigestSection.objects.create(
        digest=digest,
        category=Category.objects.get(slug=category),
        position=position,
        generated_by=generated_by,
        content=content
        or {
            "topics": ["Open models [1]"],
            "events": [{"text": "A lab released a model [1].", "citations": [1, 2]}],
            "impact": {
                "economy": "Cheaper inference [2].",
                "politics_society": "Policy debate.",
                "science_technology": "New benchmark.",
            },
            "final_summary": ["Models got better [1][2]."],
        },
    )
    for number, title in enumerate(titles, start=1):
        url = (urls or {}).get(
            number
        ) or f"https://news.example/{day}/{category}/{number}"
        DigestSource.objects.create(
            section=section,
            number=number,
            article=article(source, f"{day}-{category}-{number}", title, url),
        )
    return digest


def test_archive_lists_only_published_digests_newest_first(client, defaults, source):
    digest_with_section(source, "2024-11-07", Digest.Status.SENT)
    digest_with_section(source, "2024-11-09", Digest.Status.SENDING)
    digest_with_section(source, "2024-11-08", Digest.Status.SENT)
    digest_with_section(source, "2024-11-10", Digest.Status.APPROVED)
    digest_with_section(source, "2024-11-11", Digest.Status.DRAFT)
    page = client.get(reverse("newsletter:archive")).content.decode()
    dates = re.findall(r"/digests/(\d{4}-\d{2}-\d{2})/", page)
    assert dates == ["2024-11-09", "2024-11-08", "2024-11-07"]


def test_unpublished_digest_page_and_chart_are_not_found(client, defaults, source):
    digest_with_section(source, "2024-11-10", Digest.Status.APPROVED)
    assert (
        client.get(reverse("newsletter:digest_detail", args=["2024-11-10"])).status_code
        == 404
    )
    assert (
        client.get(reverse("newsletter:digest_chart", args=["2024-11-10"])).status_code
        == 404
    )


@pytest.mark.parametrize("bad", ["2024-13-01", "yesterday", "2024-11-9", "../../etc"])
def test_malformed_dates_are_not_found(client, defaults, bad):
    assert client.get(f"/digests/{bad}/").status_code == 404


def test_digest_page_shows_the_email_content_with_linked_citations(
    client, defaults, source
):
    digest_with_section(source)
    response = client.get(
        reverse("newsletter:digest_detail", args=["2024-11-09"]),
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    page = response.content.decode()
    category = Category.objects.get(slug="llm")
    section_id = DigestSection.objects.get().id
    assert f"{category.emoji} {category.name}" in page
    for heading in (
        "주요 주제",
        "주요 사건",
        "영향 분석",
        "최종 요약",
        "출처",
        "경제",
        "정치/사회",
        "과학기술",
    ):
        assert heading in page
    assert f'<a class="cite" href="#s{section_id}-1">[1]</a>' in page
    assert (
        f'<li id="s{section_id}-2" value="2"><a href="https://news.example/2024-11-09/llm/2"'
        in page
    )
    assert "Story two" in page
    assert 'src="/digests/2024-11-09/chart.png?lang=ko"' in page
    assert 'alt="카테고리별 기사 수 차트 (총 2건): LLM 2건"' in page
    assert '<figcaption class="chart-caption">AI 외 기사 1건 제외</figcaption>' in page
    assert "LLM 없이" not in page  # written by the LLM: no banner


def test_sections_follow_their_position(client, defaults, source):
    digest_with_section(source, category="multimodal", position=2)
    digest_with_section(source, category="llm", position=1)
    page = client.get(
        reverse("newsletter:digest_detail", args=["2024-11-09"])
    ).content.decode()
    assert page.index("Multimodal") > page.index("🧠 LLM")


def test_offline_section_shows_the_banner(client, defaults, source):
    digest_with_section(source, generated_by=DigestSection.GeneratedBy.OFFLINE)
    page = client.get(
        reverse("newsletter:digest_detail", args=["2024-11-09"]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "written without an LLM" in page


def test_markup_in_titles_and_summaries_is_escaped_everywhere(client, defaults, source):
    content = {
        "topics": [XSS + " [1]"],
        "events": [
            {"text": XSS + " [1]", "citations": [1]},
            {"text": "<b>bold</b>", "citations": []},
        ],
        "impact": {
            "economy": XSS,
            "politics_society": "[1]</a><a href=javascript:alert(1)>x",
            "science_technology": "ok",
        },
        "final_summary": ['"><svg onload=alert(1)>'],
    }
    digest_with_section(
        source,
        content=content,
        titles=(XSS, "plain"),
        urls={2: "javascript:alert(document.cookie)"},
    )
    pages = [
        client.get(
            reverse("newsletter:digest_detail", args=["2024-11-09"])
        ).content.decode(),
        client.get(reverse("newsletter:archive")).content.decode(),
        client.get(reverse("newsletter:archive_feed")).content.decode(),
        client.get(reverse("newsletter:archive_rss")).content.decode(),
    ]
    for page in pages:
        assert "<script>" not in page
        assert "<img src=x" not in page
        assert "<svg" not in page
        assert "<b>bold</b>" not in page
        assert 'href="javascript:' not in page
        assert "<a href=javascript:" not in page
    detail = pages[0]
    assert escape(XSS) in detail
    assert "&lt;b&gt;bold&lt;/b&gt;" in detail
    # The unsafe URL is shown as text, never as a link.
    assert "javascript:alert(document.cookie)" in detail


def test_citation_without_a_source_stays_plain_text(client, defaults, source):
    content = {
        "topics": [],
        "events": [{"text": "Claim [7].", "citations": [7]}],
        "impact": {},
        "final_summary": [],
    }
    digest_with_section(source, content=content, titles=("only one",))
    page = client.get(
        reverse("newsletter:digest_detail", args=["2024-11-09"])
    ).content.decode()
    assert "Claim [7]." in page
    assert '-7"' not in page


def test_malformed_section_content_shows_the_section_with_its_sources_only(
    client, defaults, source, caplog
):
    digest_with_section(
        source,
        content={
            "topics": "one string",
            "events": [3, None, {"x": 1}],
            "impact": ["not", "a", "dict"],
            "final_summary": None,
        },
    )
    response = client.get(reverse("newsletter:digest_detail", args=["2024-11-09"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "🧠 LLM" in page and "Story one" in page and "Story two" in page
    assert "one string" not in page and "주요 주제" not in page
    assert "stored content is malformed: topics is not a list" in caplog.text


def test_chart_is_served_as_png(client, defaults, source):
    digest_with_section(source)
    response = client.get(reverse("newsletter:digest_chart", args=["2024-11-09"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == b"\x89PNG fake"
    assert "max-age" in response["Cache-Control"]


def test_the_page_shows_the_chart_titled_in_the_visitors_language(
    client, defaults, source
):
    digest_with_section(source)  # a Korean digest
    page = client.get("/digests/2024-11-09/?lang=en").content.decode()
    assert 'src="/digests/2024-11-09/chart.png?lang=en"' in page
    english = client.get("/digests/2024-11-09/chart.png?lang=en")
    assert english.status_code == 200
    assert english.content.startswith(b"\x89PNG") and english.content != b"\x89PNG fake"
    # The digest's own language, or a language the site lacks: the stored chart.
    for query in ("?lang=ko", "?lang=xx", ""):
        stored = client.get(f"/digests/2024-11-09/chart.png{query}")
        assert stored.content == b"\x89PNG fake"


def test_papers_edition_has_its_own_page(client, defaults, source):
    digest_with_section(source)
    papers_digest = Digest.objects.create(
        date="2024-11-09",
        edition=Digest.Edition.PAPERS,
        status=Digest.Status.SENT,
        chart_png=b"papers",
    )
    give_a_section(papers_digest)
    news = client.get("/digests/2024-11-09/").content.decode()
    assert "/digests/2024-11-09/?edition=papers" in news
    # The link says what it is, in the reader's language.
    assert "같은 날의 다른 호:" in news
    english = client.get("/digests/2024-11-09/?lang=en").content.decode()
    assert "The same day's other edition:" in english.replace("&#x27;", "'")
    papers = client.get("/digests/2024-11-09/?edition=papers").content.decode()
    assert "/digests/2024-11-09/chart.png?lang=ko&amp;edition=papers" in papers
    assert (
        client.get("/digests/2024-11-09/chart.png?edition=papers").content == b"papers"
    )
    assert client.get("/digests/2024-11-09/?edition=weird").status_code == 404


def test_atom_feed_lists_published_digests(client, defaults, source):
    digest_with_section(source, "2024-11-08")
    digest_with_section(source, "2024-11-09")
    digest_with_section(source, "2024-11-10", Digest.Status.READY)
    response = client.get(reverse("newsletter:archive_feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    links = [e.find("a:link", ns).get("href") for e in root.findall("a:entry", ns)]
    assert links == [
        "http://testserver/digests/2024-11-09/",
        "http://testserver/digests/2024-11-08/",
    ]
    summary = root.find("a:entry/a:summary", ns).text
    assert "LLM: Open models [1]" in summary


def test_rss_feed_is_valid_xml(client, defaults, source):
    digest_with_section(source)
    root = ET.fromstring(client.get(reverse("newsletter:archive_rss")).content)
    assert root.tag == "rss"
    assert len(root.findall("channel/item")) == 1


def test_archive_page_is_cached_until_it_expires(client, defaults, source):
    digest_with_section(source, "2024-11-08")
    first = client.get(reverse("newsletter:archive")).content.decode()
    digest_with_section(source, "2024-11-09")
    assert client.get(reverse("newsletter:archive")).content.decode() == first
    cache.clear()
    assert "2024-11-09" in client.get(reverse("newsletter:archive")).content.decode()


def test_archive_paginates(client, defaults, source):
    start = dt.date(2024, 1, 1)
    for i in range(35):
        give_a_section(
            Digest.objects.create(
                date=start + dt.timedelta(days=i), status=Digest.Status.SENT
            )
        )
    first = client.get(reverse("newsletter:archive")).content.decode()
    second = client.get(reverse("newsletter:archive"), {"page": 2}).content.decode()
    assert len(re.findall(r'href="/digests/', first)) == 30
    assert len(re.findall(r'href="/digests/', second)) == 5
    assert 'rel="next"' in first


def test_cached_archive_follows_the_language_switch(client, defaults, source):
    digest_with_section(source)
    korean = client.get(reverse("newsletter:archive"))
    assert "지난 호" in korean.content.decode()
    assert "Cookie" in korean["Vary"]
    client.get(reverse("newsletter:set_language", args=["en"]))
    english = client.get(reverse("newsletter:archive")).content.decode()
    assert "Every digest we have sent, newest first." in english


def test_link_citations_escapes_first_even_text_marked_safe():
    from django.utils.safestring import mark_safe

    from newsletter.web.views import link_citations

    html = link_citations(mark_safe("<i>x</i> [1] [2] [1]"), anchor="s9", numbers={1})
    assert html == (
        '&lt;i&gt;x&lt;/i&gt; <a class="cite" href="#s9-1">[1]</a> [2] '
        '<a class="cite" href="#s9-1">[1]</a>'
    )


def test_event_citations_not_in_the_text_are_appended_as_links(
    client, defaults, source
):
    content = {"events": [{"text": "Quiet claim.", "citations": [2, True, "1"]}]}
    digest_with_section(source, content=content)
    section_id = DigestSection.objects.get().id
    page = client.get(
        reverse("newsletter:digest_detail", args=["2024-11-09"])
    ).content.decode()
    assert f'Quiet claim. <a class="cite" href="#s{section_id}-2">[2]</a></li>' in page


def test_a_papers_only_day_opens_without_the_edition_parameter(client, defaults):
    give_a_section(
        Digest.objects.create(
            date="2024-11-12", edition=Digest.Edition.PAPERS, status=Digest.Status.SENT
        )
    )
    response = client.get("/digests/2024-11-12/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "2024-11-12 (Papers)" in response.content.decode()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("asked", "canonical"),
    [
        ("/archive/?cb=1", "/archive/"),
        ("/archive/?page=1&cb=2", "/archive/?page=1"),
        ("/archive/?page=01", "/archive/?page=1"),
        ("/archive/?page=x", "/archive/"),
        ("/archive/?lang=xx", "/archive/"),
        ("/archive/feed/?cb=3", "/archive/feed/"),
        ("/digests/2024-11-09/?utm_source=x&lang=en", "/digests/2024-11-09/?lang=en"),
    ],
)
def test_cache_busting_query_strings_redirect_to_the_one_cached_page(
    client, postgres, asked, canonical, django_assert_max_num_queries
):
    with django_assert_max_num_queries(0):  # nothing rendered, nothing read
        response = client.get(asked)

    assert response.status_code == 301
    assert response["Location"] == canonical


def test_a_cache_buster_gets_the_cached_page_not_a_new_rendering(
    client, defaults, settings, django_assert_max_num_queries
):
    cache.clear()
    first = client.get("/archive/")
    assert first.status_code == 200
    for n in range(5):
        busted = client.get(f"/archive/?cb={n}", follow=True)
        assert busted.redirect_chain == [("/archive/", 301)]
        assert busted.content == first.content
    keys = len(cache._cache) if hasattr(cache, "_cache") else None
    with django_assert_max_num_queries(0):
        client.get("/archive/?cb=99", follow=True)
    assert keys is None or len(cache._cache) == keys
