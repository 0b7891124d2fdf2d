"""The daily flow through real stages: sample corpus over HTTP → digest rows."""

import datetime as dt

import pytest
from django.utils import timezone

from ingestion import sample
from ingestion import services as ingestion_services
from ingestion.models import Article, Source
from newsletter import services
from newsletter.models import Category, Digest, DigestSection, DigestSource, Story
from tests.conftest import small_feeds

# Whole-pipeline: the sample corpus over http through every stage: `make test` and CI run it, `make test-fast` does not.
pytestmark = pytest.mark.slow

DAY1 = dt.date(2026, 8, 15)
DAY2 = dt.date(2026, 8, 22)


@pytest.fixture
def ingest_snapshot(defaults, settings):
    settings.INGEST_ALLOW_PRIVATE_HOSTS = True

    def run(snapshot: str):
        with sample.serve_corpus(snapshot) as site:
            # The 50-item lab feeds only add extraction time here; the demo test reads all.
            for feed in small_feeds(site):
                Source.objects.update_or_create(
                    name=feed.name,
                    defaults={
                        "url": feed.url,
                        "language": feed.language,
                        "is_aggregator": feed.is_aggregator,
                        "etag": "",
                        "last_modified": "",
                    },
                )
            return ingestion_services.ingest()

    return run


def _section_article_ids(digest: Digest) -> set[int]:
    return set(
        DigestSource.objects.filter(section__digest=digest).values_list(
            "article_id", flat=True
        )
    )


def test_build_digest_twice_updates_the_same_digest_in_place(ingest_snapshot):
    ingest_snapshot("2026-08-22")

    first = services.build_digest(DAY2)
    sections_before = list(first.sections.values_list("category__slug", "content"))
    sources_before = _section_article_ids(first)
    second = services.build_digest(DAY2)

    assert second.id == first.id
    assert Digest.objects.count() == 1
    assert (
        list(second.sections.values_list("category__slug", "content"))
        == sections_before
    )
    assert _section_article_ids(second) == sources_before
    assert second.status == Digest.Status.APPROVED
    assert second.chart_png.startswith(b"\x89PNG")
    assert sum(second.category_counts.values()) >= len(sources_before)


def test_every_section_cites_only_stories_of_its_own_category(ingest_snapshot):
    ingest_snapshot("2026-08-22")

    digest = services.build_digest(DAY2)

    assert digest.sections.count() >= 3
    for section in digest.sections.all():
        # A story is filed where most of its articles are; its sources follow it.
        categories = set(
            Story.objects.filter(
                digest=digest, articles__digestsource__section=section
            ).values_list("category_id", flat=True)
        )
        assert categories == {section.category_id}
        numbers = [s.number for s in section.sources.all()]
        assert numbers == list(range(1, len(numbers) + 1))
        # Offline sections quote excerpts; a briefing lists events. Both cite [n];
        # a section whose pages say nothing quotable is its sources alone.
        items = section.content.get("excerpts", section.content.get("events", []))
        cited = {n for item in items for n in item["citations"]}
        assert numbers and cited <= set(numbers), section
    assert any(section.content.get("excerpts") for section in digest.sections.all())


def test_the_first_digest_covers_only_the_days_window_of_publication(
    ingest_snapshot,
):
    ingest_snapshot("2026-08-22")

    digest = services.build_digest(DAY2)

    in_digest = Article.objects.filter(stories__digest=digest).distinct()
    assert in_digest.exists()
    assert digest.window_end - digest.window_start == dt.timedelta(hours=36)
    for article in in_digest:
        assert digest.window_start < article.published_at <= digest.window_end
    # A July post of the same feeds is no news on August 22.
    old = Article.objects.filter(published_at__lt=digest.window_start)
    assert old.exists() and not old.filter(stories__digest=digest).exists()


def test_each_day_covers_its_own_window(ingest_snapshot):
    ingest_snapshot("2026-08-15")
    day1 = services.build_digest(DAY1)
    ingest_snapshot("2026-08-22")
    day2 = services.build_digest(DAY2)

    day1_ids, day2_ids = _section_article_ids(day1), _section_article_ids(day2)
    assert day1_ids and day2_ids
    assert not day1_ids & day2_ids
    published = dict(Article.objects.values_list("id", "published_at"))
    assert all(published[i] > day2.window_start for i in day2_ids)
    assert all(published[i] <= day1.window_end for i in day1_ids)


def test_others_are_counted_but_never_get_a_section(defaults):
    from tests.factories import ArticleFactory, SourceFactory

    source = SourceFactory()
    ArticleFactory(
        source=source, title="A recipe for sourdough bread", text="Flour, water, salt."
    )
    ArticleFactory(
        source=source,
        title="OpenAI releases a new GPT language model",
        text="The new LLM chatbot improves reasoning benchmarks.",
    )

    digest = services.build_digest(timezone.localdate())

    assert digest.category_counts.get("others") == 1
    assert not digest.sections.filter(category__slug="others").exists()
    assert digest.sections.filter(category__slug="llm").exists()


def test_rebuild_keeps_a_section_the_editor_edited(ingest_snapshot):
    ingest_snapshot("2026-08-22")
    digest = services.build_digest(DAY2)
    section = digest.sections.first()
    edited = {**section.content, "final_summary": ["편집자가 고친 문장."]}
    DigestSection.objects.filter(id=section.id).update(
        content=edited, edited_by_editor=True
    )

    services.build_digest(DAY2)

    section.refresh_from_db()
    assert section.content["final_summary"] == ["편집자가 고친 문장."]


def test_a_sent_digest_is_never_rebuilt(ingest_snapshot):
    ingest_snapshot("2026-08-22")
    digest = services.build_digest(DAY2)
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.SENT)
    sections = list(digest.sections.values_list("id", "content"))
    Category.objects.filter(slug="llm").update(in_digest=False)

    services.build_digest(DAY2)

    assert list(digest.sections.values_list("id", "content")) == sections


def test_digest_waits_for_an_editor_when_auto_approve_is_off(ingest_snapshot, settings):
    settings.DIGEST_AUTO_APPROVE = False
    ingest_snapshot("2026-08-22")

    digest = services.build_digest(DAY2)

    assert digest.status == Digest.Status.READY
    assert services.send_digest(DAY2) is None
    assert services.approve_digest(digest.id)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.APPROVED


def test_offline_digest_says_it_was_written_without_an_llm(ingest_snapshot):
    ingest_snapshot("2026-08-22")

    digest = services.build_digest(DAY2)

    assert digest.generated_by == "offline"
    assert "offline" in digest.notes
    assert set(digest.sections.values_list("generated_by", flat=True)) == {"offline"}


def test_load_defaults_schedules_the_daily_run_once_and_keeps_editor_changes(
    defaults, settings
):
    from django_celery_beat.models import PeriodicTask

    daily = PeriodicTask.objects.get(task="newsletter.jobs.run_daily")
    assert daily.crontab.hour == "7" and daily.crontab.minute == "0"
    assert str(daily.crontab.timezone) == "Asia/Seoul"
    daily.enabled = False
    daily.save()

    services.load_defaults()

    assert PeriodicTask.objects.filter(task="newsletter.jobs.run_daily").count() == 1
    assert PeriodicTask.objects.get(task="newsletter.jobs.run_daily").enabled is False
    assert PeriodicTask.objects.filter(
        task="newsletter.tasks.sweep_stale_deliveries"
    ).exists()
    assert PeriodicTask.objects.filter(task="newsletter.jobs.resume_day").exists()


def test_load_defaults_moves_the_sweeper_off_its_old_default_only(defaults):
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    def every(minute: str) -> CrontabSchedule:
        return CrontabSchedule.objects.get_or_create(
            minute=minute, hour="*", timezone="Asia/Seoul"
        )[0]

    sweeper = PeriodicTask.objects.get(name="Return stuck deliveries")
    sweeper.crontab = every("*/5")  # as an earlier version created it
    sweeper.save()

    services.load_defaults()

    sweeper.refresh_from_db()
    assert (sweeper.crontab.minute, sweeper.crontab.hour) == ("*", "*")

    sweeper.crontab = every("*/2")  # an editor's choice
    sweeper.save()
    services.load_defaults()
    sweeper.refresh_from_db()
    assert sweeper.crontab.minute == "*/2"


def test_a_ready_digest_is_released_when_its_review_window_expires(
    ingest_snapshot, settings
):
    import time_machine
    from django.utils import timezone

    from newsletter.models import Delivery
    from tests.factories import SubscriberFactory

    settings.DIGEST_AUTO_APPROVE = False
    settings.DIGEST_REVIEW_WINDOW_MINUTES = 30
    # Today's digest of a sample from August: a window reaching back to it.
    settings.DIGEST_WINDOW_HOURS = 24 * 3 * 365
    SubscriberFactory(email="reader@example.com")
    ingest_snapshot("2026-08-22")
    today = timezone.localdate()
    digest = services.build_digest(today)
    assert digest.status == Digest.Status.READY
    built = timezone.now()
    with time_machine.travel(built + dt.timedelta(minutes=10), tick=False):
        assert services.release_reviewed_digests() == 0
        assert Delivery.objects.count() == 0
    with time_machine.travel(built + dt.timedelta(minutes=31), tick=False):
        assert services.release_reviewed_digests() == 1
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENT, delivery.error


def test_digest_with_an_llm_is_cited_costed_and_free_to_rebuild(
    ingest_snapshot, settings
):
    from devservers.openai_server import FakeOpenAI

    ingest_snapshot("2026-08-22")
    with FakeOpenAI() as fake:
        settings.OPENAI_BASE_URL = fake.base_url
        settings.OPENAI_API_KEY = "test"
        settings.LLM_ENABLED = True
        settings.LLM_MAX_RETRIES = 0

        digest = services.build_digest(DAY2)
        calls_first = len(fake.requests)
        tokens_first = digest.prompt_tokens
        services.build_digest(DAY2)
        calls_second = len(fake.requests) - calls_first

    digest.refresh_from_db()
    assert digest.generated_by == "llm"
    assert (
        tokens_first > 0 and digest.completion_tokens > 0 and digest.cost_estimate > 0
    )
    window = len(services.digest_articles(digest))
    assert len(fake.requests_for("Briefing")) == digest.sections.count()
    # One headlines call (one reader language), one labels call per 25 articles.
    assert len(fake.requests_for("Headlines")) == 1
    assert calls_first - digest.sections.count() - 1 == -(-window // 25)
    assert calls_second == 0
    for section in digest.sections.all():
        numbers = set(section.sources.values_list("number", flat=True))
        for event in section.content["events"]:
            assert event["citations"] and set(event["citations"]) <= numbers


def test_run_daily_without_a_broker_runs_the_whole_canvas_here_and_says_so(
    defaults, settings, tmp_path
):
    from io import StringIO

    from django.core import mail
    from django.core.management import call_command

    from newsletter.models import Delivery
    from tests.factories import SubscriberFactory

    settings.INGEST_ALLOW_PRIVATE_HOSTS = True
    SubscriberFactory(email="reader@example.com")
    first, again = StringIO(), StringIO()
    with sample.serve_corpus("2026-08-22") as site:
        feed = next(f for f in site.feeds if f.language == "ko")
        Source.objects.create(name=feed.name, url=feed.url, language=feed.language)
        for out in (first, again):
            call_command(
                "run_daily", "--date", "2026-08-22", "--out", tmp_path, stdout=out
            )

    said = first.getvalue()
    for line in (
        "fetching 1 sources in-process",
        f"{feed.name}: ",
        "building the digest for 2026-08-22",
        "sending",
        f"exported {tmp_path}",
    ):
        assert line in said, said
    digest = Digest.objects.get(date=DAY2)
    assert digest.status == Digest.Status.SENT
    assert [m.to for m in mail.outbox] == [["reader@example.com"]]
    assert Delivery.objects.get().status == Delivery.Status.SENT
    assert list((tmp_path / "2026-08-22").glob("*.md"))
    # The same day again: nothing new is stored, the sent digest is left alone.
    assert "0 new" in again.getvalue()
    assert "already sent: left as it is" in again.getvalue()
    assert len(mail.outbox) == 1


def test_a_build_that_raises_leaves_the_digest_failed_and_a_rerun_recovers(
    ingest_snapshot, monkeypatch
):
    from newsletter import chart

    ingest_snapshot("2026-08-22")
    draw = chart.draw_digest_chart
    monkeypatch.setattr(chart, "draw_digest_chart", lambda digest: 1 / 0, raising=True)
    with pytest.raises(ZeroDivisionError):
        services.build_digest(DAY2)
    failed = Digest.objects.get(date=DAY2)
    assert failed.status == Digest.Status.FAILED
    assert "ZeroDivisionError" in failed.notes

    monkeypatch.setattr(chart, "draw_digest_chart", draw)
    assert services.build_digest(DAY2).status == Digest.Status.APPROVED
