"""Every write a job or an editor can trigger on digests."""

from django.db import transaction

from ingestion.defaults import DEFAULT_SOURCES
from ingestion.models import Source
from newsletter.defaults import DEFAULT_CATEGORIES
from newsletter.models import Category


@transaction.atomic
def load_defaults(*, activate_sources: bool = False) -> dict[str, int]:
    """Create missing default categories and sources; never overwrite an editor's edits."""
    created = {"categories": 0, "sources": 0}
    for position, spec in enumerate(DEFAULT_CATEGORIES):
        _, was_created = Category.objects.get_or_create(
            slug=spec["slug"], defaults={**spec, "position": position * 10}
        )
        created["categories"] += was_created
    for spec in DEFAULT_SOURCES:
        source, was_created = Source.objects.get_or_create(
            url=spec["url"], defaults={**spec, "is_active": activate_sources}
        )
        created["sources"] += was_created
        if activate_sources and not source.is_active:
            source.is_active = True
            source.save(update_fields=["is_active"])
    return created
