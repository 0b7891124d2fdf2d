from celery import shared_task

from ingestion import pipeline


@shared_task(acks_late=True)
def ingest_source(source_id: int) -> dict:
    """Fetch one source and its new pages; safe to run twice (upserts by URL)."""
    return pipeline.ingest_sources([source_id]).to_dict()
