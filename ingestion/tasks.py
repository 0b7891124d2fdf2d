import logging

from celery import shared_task

from ingestion import pipeline
from lib.progress import say

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def ingest_sources(source_ids: list[int]) -> dict:
    """Fetch these sources and their new pages; safe to run twice (upserts by URL).

    Never raises: a part of the daily chord that failed would stop the digest for
    everyone, so a surprise becomes the report's error and the build goes on.
    """
    try:
        return pipeline.ingest_sources(source_ids, progress=say).to_dict()
    except Exception as exc:
        logger.exception("ingesting sources %s failed", source_ids)
        report = pipeline.IngestReport(sources_failed=len(source_ids))
        report.errors.append((f"sources {source_ids}", f"unexpected error: {exc!r}"))
        return report.to_dict()
