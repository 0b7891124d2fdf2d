"""Every write a job or an editor can trigger on sources and articles."""

from __future__ import annotations

from collections.abc import Callable

from celery import group
from django.conf import settings

from ingestion import tasks
from ingestion.models import Article, Source
from ingestion.pipeline import IngestReport, ingest_sources

__all__ = [
    "IngestReport",
    "active_source_ids",
    "file_articles",
    "ingest",
    "mark_reviewed",
    "resume_sources",
]

# With a broker, how long ingest() waits for the per-source tasks to report back.
BROKER_WAIT_SECONDS = 30 * 60


def active_source_ids() -> list[int]:
    """What a scheduled run fetches: every active source that is not paused."""
    return list(
        Source.objects.filter(is_active=True, paused_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


def ingest(
    *,
    source_ids: list[int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """Fetch every active, non-paused source (or exactly the given ones) and store news.

    Idempotent: articles already stored are counted as seen, never duplicated. One
    failing source is recorded on its row and never stops the others. For the
    ``ingest`` command and the admin, which wait for the answer; the daily run is a
    canvas (newsletter/daily.py) in which nothing waits.
    """
    say = progress or (lambda message: None)
    if source_ids is None:
        ids = active_source_ids()
    else:
        ids = list(
            Source.objects.filter(id__in=source_ids).values_list("id", flat=True)
        )
    if not ids:
        say("no active sources to fetch")
        return IngestReport()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        say(
            f"fetching {len(ids)} sources in-process "
            f"({settings.INGEST_WORKERS} workers)"
        )
        return ingest_sources(ids, progress=say)

    say(f"fetching {len(ids)} sources on the ingest queue")
    result = group(tasks.ingest_sources.s([source_id]) for source_id in ids)()
    parts = result.get(timeout=BROKER_WAIT_SECONDS)
    report = IngestReport()
    for part in parts:
        report.merge(IngestReport.from_dict(part))
    say(str(report).split("\n", 1)[0])
    return report


def resume_sources(source_ids: list[int]) -> int:
    """Un-pause sources (the URL was fixed or the site is back); returns how many."""
    return Source.objects.filter(id__in=source_ids, paused_at__isnull=False).update(
        paused_at=None, consecutive_failures=0, last_error=""
    )


def file_articles(article_ids: list[int], *, category_id: int) -> int:
    """An editor's label: final, never overwritten by a classifier, out of the review
    queue. Returns how many articles were filed."""
    return Article.objects.filter(id__in=article_ids).update(
        category_id=category_id,
        classified_by=Article.ClassifiedBy.EDITOR,
        category_confidence=1.0,
        needs_review=False,
    )


def mark_reviewed(article_ids: list[int]) -> int:
    """The editor agrees with the label the classifier gave."""
    return Article.objects.filter(id__in=article_ids, needs_review=True).update(
        needs_review=False
    )
