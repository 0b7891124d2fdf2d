"""The sample corpus (real AI-lab feeds of two days) through the production path."""

import gzip
import json

import pytest

from ingestion import sample, services
from ingestion.feeds import parse_feed
from ingestion.models import Article, Source
from ingestion.sample.build import KOREAN_FEED

# Three full runs over ~580 real pages: the one slow module of the ingestion tests.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def sync_sources(site) -> dict[str, Source]:
    sources = {}
    # The news feeds: the paper listings have tests of their own (test_papers).
    for feed in site.news_feeds:
        source, _ = Source.objects.update_or_create(
            name=feed.name,
            defaults={
                "url": feed.url,
                "language": feed.language,
                "is_aggregator": feed.is_aggregator,
            },
        )
        sources[feed.name] = source
    return sources


@pytest.fixture(scope="module")
def two_days(django_db_setup, django_db_blocker):
    """Day one, day two, then day two again; the rows stay for the module's tests."""
    from django.conf import settings

    settings.INGEST_ALLOW_PRIVATE_HOSTS = True
    reports = {}
    with django_db_blocker.unblock():
        try:
            for label, snapshot in [
                ("day1", "2026-08-15"),
                ("day2", "2026-08-22"),
                ("again", "2026-08-22"),
            ]:
                with sample.serve_corpus(snapshot) as site:
                    sync_sources(site)
                    before = set(Article.objects.values_list("id", flat=True))
                    report = services.ingest()
                    after = set(Article.objects.values_list("id", flat=True))
                    reports[label] = (report, after - before)
            yield reports
        finally:
            Article.objects.all().delete()
            Source.objects.all().delete()
            settings.INGEST_ALLOW_PRIVATE_HOSTS = False


def test_day_one_stores_every_linked_item_with_its_real_url(two_days):
    report, new_ids = two_days["day1"]
    assert report.sources_failed == 0, report.errors
    assert report.sources_ok == len(sample.FEEDS)
    # 244 items in the seven real feeds plus the five Korean ones of that day.
    assert report.articles_new == len(new_ids) == 249
    urls = list(Article.objects.filter(id__in=new_ids).values_list("url", flat=True))
    assert not [u for u in urls if u.startswith("http://127.0.0.1")]
    assert Article.objects.filter(
        url="https://www.anthropic.com/news/claude-text-watermark"
    ).exists()


def served_guids(snapshot: str) -> set[str]:
    guids = set()
    for path in (sample.DATA_DIR / "feeds" / snapshot).glob("*.xml.gz"):
        parsed = parse_feed(gzip.decompress(path.read_bytes()), url="http://127.0.0.1/")
        guids |= {entry.guid for entry in parsed.entries}
    return guids


def test_day_two_adds_only_the_new_items(two_days):
    report, new_ids = two_days["day2"]
    fresh = served_guids("2026-08-22") - served_guids("2026-08-15")
    assert (
        set(Article.objects.filter(id__in=new_ids).values_list("guid", flat=True))
        == fresh
    )
    assert report.sources_failed == 0, report.errors
    # Feeds whose file did not change answer 304 to the stored ETag.
    assert report.sources_not_modified == 2
    new_titles = set(
        Article.objects.filter(id__in=new_ids).values_list("title", flat=True)
    )
    assert "AI 에이전트 보안 가이드라인 발표, 권한 최소화 강조" in new_titles
    assert "How Claude’s text watermark works" not in new_titles
    assert report.articles_new == len(new_ids)
    assert report.articles_seen > 0


def test_a_second_identical_run_adds_nothing(two_days):
    report, new_ids = two_days["again"]
    assert new_ids == set()
    assert report.articles_new == 0
    assert report.sources_not_modified == len(sample.FEEDS)


def test_pages_are_extracted_and_korean_is_detected(two_days):
    korean = Article.objects.filter(source__name="AI 브리핑 (샘플)")
    assert korean.count() == len(json.loads(KOREAN_FEED.read_text())["items"])
    assert set(korean.values_list("language", flat=True)) == {"ko"}
    assert set(korean.values_list("extraction_status", flat=True)) == {
        Article.Extraction.EXTRACTED
    }
    watermark = Article.objects.get(
        url="https://www.anthropic.com/news/claude-text-watermark"
    )
    assert watermark.extraction_status == Article.Extraction.EXTRACTED
    assert "watermark" in watermark.text
    assert watermark.language == "en"
    assert watermark.published_at.isoformat() == "2026-08-14T00:00:00+00:00"


def test_cross_copies_in_the_corpus_point_at_the_first(two_days):
    pk = Article.objects.get(
        url="https://annas-archive.pk/blog/physical-destruction.html"
    )
    gl = Article.objects.get(
        url="https://annas-archive.gl/blog/physical-destruction.html"
    )
    first, later = sorted([pk, gl], key=lambda a: a.id)
    assert later.duplicate_of_id == first.id and first.duplicate_of_id is None
    slash = Article.objects.get(url="https://mistral.ai/news/ki-fur-deutschland/")
    plain = Article.objects.get(url="https://mistral.ai/news/ki-fur-deutschland")
    assert {slash.duplicate_of_id, plain.duplicate_of_id} - {None} <= {
        slash.id,
        plain.id,
    }
    assert (slash.duplicate_of_id is None) != (plain.duplicate_of_id is None)


def test_hacker_news_comment_stubs_are_never_duplicates(two_days):
    # Items whose only content was the "Comments on Hacker News" link: no text left.
    stubs = Article.objects.filter(source__name="Hacker News", text="")
    assert stubs.count() > 5
    assert not stubs.filter(duplicate_of__isnull=False).exists()
    assert not Article.objects.filter(duplicate_of__in=stubs).exists()


def test_similar_announcements_stay_separate(two_days):
    vertex = Article.objects.get(url="https://x.ai/news/grok-4-6-vertex-ai")
    bedrock = Article.objects.get(url="https://x.ai/news/grok-4-6-amazon-bedrock")
    assert vertex.duplicate_of_id is None and bedrock.duplicate_of_id is None
