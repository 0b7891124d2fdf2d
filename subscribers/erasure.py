"""Copies of an erased address outside the subscriber row, replaced by an opaque label.

The digest history keeps who a test send went to "as" (a subscriber's view) and an
import report keeps the address of each skipped line; the uploaded file itself waits
in its row until the import ends. After an erasure none of them may still name the
person: each keeps its shape with "erased subscriber #<id>" where the address was.
"""

import json
import re

from newsletter.models import DigestEvent
from subscribers.models import SubscriberImport


def erased_label(subscriber_id: int) -> str:
    return f"erased subscriber #{subscriber_id}"


def _pattern(address: str) -> re.Pattern:
    return re.compile(re.escape(address), re.IGNORECASE)


def scrub_digest_history(address: str, *, label: str) -> int:
    """Replace the address in digest history rows; returns how many changed."""
    pattern = _pattern(address)
    rows = DigestEvent.objects.filter(detail__icontains=address).select_for_update()
    for event in rows:
        event.detail = pattern.sub(label, event.detail)
        event.save(update_fields=["detail"])
    return len(rows)


def scrub_import_reports(address: str, *, label: str) -> int:
    """Replace the address in import reports and in files still waiting to run."""
    pattern = _pattern(address)
    data_pattern = re.compile(re.escape(address.encode()), re.IGNORECASE)
    changed = 0
    for job in SubscriberImport.objects.only("id", "report", "preview", "data"):
        report = json.dumps(job.report, ensure_ascii=False)
        preview = json.dumps(job.preview, ensure_ascii=False)
        data = bytes(job.data or b"")
        if not (
            pattern.search(report)
            or pattern.search(preview)
            or data_pattern.search(data)
        ):
            continue
        job.report = json.loads(pattern.sub(label, report))
        job.preview = json.loads(pattern.sub(label, preview))
        # The line stays, so line numbers in the report still match; it no longer
        # holds an address and is skipped as invalid.
        job.data = data_pattern.sub(label.encode(), data)
        job.save(update_fields=["report", "preview", "data"])
        changed += 1
    return changed
