"""Subscribers out to a CSV file an editor opens in a spreadsheet and can import back."""

from collections.abc import Iterator
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from subscribers import csv_format
from subscribers.models import Subscriber

# Written first so Excel reads the file as UTF-8 (Korean addresses and names).
BOM = "\ufeff"
_CHUNK = 2000


def _when(value: datetime | None) -> str:
    # In TIME_ZONE with its offset: what the editor expects, and still exact.
    return timezone.localtime(value).isoformat() if value else ""


def subscriber_rows(subscribers: QuerySet[Subscriber]) -> Iterator[list[str]]:
    """One row per subscriber in csv_format.EXPORT_COLUMNS order, read in chunks."""
    rows = subscribers.order_by("id").prefetch_related("categories")
    for subscriber in rows.iterator(chunk_size=_CHUNK):
        # Categories come prefetched; sorting here keeps to one query per chunk.
        chosen = sorted(subscriber.categories.all(), key=lambda c: (c.position, c.id))
        yield [
            subscriber.email,
            csv_format.join_categories([c.slug for c in chosen]),
            subscriber.language,
            subscriber.status,
            csv_format.format_consent(subscriber.status == Subscriber.Status.ACTIVE),
            _when(subscriber.created_at),
            _when(subscriber.confirmed_at),
            _when(subscriber.unsubscribed_at),
            subscriber.name,
            subscriber.frequency,
        ]


def write_subscribers_csv(subscribers: QuerySet[Subscriber], stream) -> None:
    """Write `subscribers` as CSV (UTF-8 with a BOM) to a text stream."""
    stream.write(BOM)
    csv_format.write_rows(subscriber_rows(subscribers), stream)
