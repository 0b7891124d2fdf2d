"""An editor's subscriber list in from a CSV file: all of it, or nothing.

Rows are checked first (no writes; progress is saved as it goes), then applied in
one transaction with bulk writes. Importing the same file again changes nothing and
sends nothing. Suppressed addresses are never brought back.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from newsletter.models import Category
from subscribers import csv_format, services
from subscribers.csv_format import UnreadableFile
from subscribers.models import Subscriber, SubscriberImport

logger = logging.getLogger(__name__)

__all__ = ["UnreadableFile", "create_import", "import_file", "run_import"]

CHUNK = 2000
# Small enough that PostgreSQL looks each address up in the index instead of
# scanning the table once per chunk.
LOOKUP_CHUNK = 500
# PostgreSQL plans with table statistics autovacuum refreshes about a minute later;
# until then a second import right after a large one would scan the table for every
# chunk of addresses.
ANALYZE_AFTER = 10_000
PROGRESS_EVERY = 5000

INVALID_ADDRESS = "invalid address"
UNKNOWN_CATEGORY = "unknown category"
UNKNOWN_LANGUAGE = "unknown language"
UNKNOWN_CONSENT = "unknown consent value"
SUPPRESSED = "suppressed"
DUPLICATE = "duplicate in the file"


@dataclass(frozen=True, slots=True)
class _Wanted:
    """What one valid row asks for, in stored form."""

    line: int
    email: str
    category_ids: frozenset[int]
    language: str
    consented: bool


class _Categories:
    """Digest categories by slug or name, case-insensitively."""

    def __init__(self) -> None:
        offered = list(Category.objects.for_digest())
        self.offered = {c.id for c in offered}
        self.by_word: dict[str, int] = {}
        for category in reversed(offered):  # the first by position wins a name
            for name in (category.name_en, category.name):  # either language's
                if name.strip():
                    self.by_word[name.strip().casefold()] = category.id
        for category in offered:  # a slug outranks another category's name
            self.by_word[category.slug.casefold()] = category.id

    def stored_ids(self, words: list[str]) -> tuple[frozenset[int], str | None]:
        """The ids to store for these names, and the first word that names nothing."""
        chosen = set()
        for word in words:
            category_id = self.by_word.get(word.casefold())
            if category_id is None:
                return frozenset(), word
            chosen.add(category_id)
        return frozenset(services.stored_category_ids(chosen, self.offered)), None


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _skip(row: csv_format.Row, reason: str, detail: str = "") -> dict:
    return {
        "line": row.line,
        "email": row.email[:254],
        "reason": reason,
        "detail": detail,
    }


def _check_row(row: csv_format.Row, categories: _Categories) -> _Wanted | dict:
    try:
        email = services.normalize_email(row.email)
    except ValueError:
        return _skip(row, INVALID_ADDRESS)
    category_ids, unknown = categories.stored_ids(
        csv_format.split_categories(row.categories)
    )
    if unknown is not None:
        return _skip(row, UNKNOWN_CATEGORY, unknown[:100])
    language = csv_format.parse_language(row.language)
    if language is None:
        return _skip(row, UNKNOWN_LANGUAGE, row.language[:20])
    consented = csv_format.parse_consent(row.consented)
    if consented is None:
        return _skip(row, UNKNOWN_CONSENT, row.consented[:20])
    return _Wanted(row.line, email, category_ids, language, consented)


def _check_rows(
    rows: list[csv_format.Row], progress: Callable[[int], None]
) -> tuple[list[_Wanted], list[dict]]:
    categories = _Categories()
    wanted: list[_Wanted] = []
    skipped: list[dict] = []
    first_line: dict[str, int] = {}
    for done, row in enumerate(rows, start=1):
        result = _check_row(row, categories)
        if isinstance(result, dict):
            skipped.append(result)
        elif result.email.lower() in first_line:
            skipped.append(
                _skip(row, DUPLICATE, f"line {first_line[result.email.lower()]}")
            )
        else:
            first_line[result.email.lower()] = row.line
            wanted.append(result)
        if done % PROGRESS_EVERY == 0:
            progress(done)
    progress(len(rows))
    return wanted, skipped


class _Stored(NamedTuple):
    """The columns of an existing row the import compares (no model instances: a
    100,000-row file would spend seconds building them)."""

    id: int
    status: str
    language: str


def _existing(wanted: list[_Wanted]) -> tuple[dict[str, _Stored], dict[int, set]]:
    """Rows already stored for these addresses, and their category ids.

    Not locked: the only status the import writes is a conditional pending → active
    (see _apply), so a concurrent unsubscribe is never overwritten, and locking every
    row of a large file would rewrite each one.
    """
    found: dict[str, _Stored] = {}
    for chunk in _chunks(wanted, LOOKUP_CHUNK):
        rows = (
            Subscriber.objects.order_by()
            .annotate(email_key=Lower("email"))
            .filter(email_key__in=[w.email.lower() for w in chunk])
            .values_list("email_key", "id", "status", "language")
        )
        found.update((key, _Stored(*rest)) for key, *rest in rows)
    chosen: dict[int, set] = defaultdict(set)
    through = Subscriber.categories.through
    for chunk in _chunks([s.id for s in found.values()], LOOKUP_CHUNK):
        pairs = through.objects.order_by().filter(subscriber_id__in=chunk)
        for subscriber_id, category_id in pairs.values_list(
            "subscriber_id", "category_id"
        ):
            chosen[subscriber_id].add(category_id)
    return found, chosen


@dataclass
class _Changes:
    """What the import will write, kept small: model instances are built per chunk."""

    skipped: list[dict]
    to_create: list[_Wanted] = field(default_factory=list)
    to_activate: list[int] = field(default_factory=list)
    new_languages: dict[int, str] = field(default_factory=dict)
    new_categories: dict[int, frozenset[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0}
    )

    def update(self, w: _Wanted, stored: _Stored, category_ids: set[int]) -> None:
        same_categories = category_ids == w.category_ids
        if stored.status in Subscriber.SUPPRESSED:
            # Only a file that asks for exactly what is stored (as an export of
            # this row does) leaves it alone quietly.
            if w.consented or not same_categories or w.language != stored.language:
                self.skipped.append(
                    {
                        "line": w.line,
                        "email": w.email,
                        "reason": SUPPRESSED,
                        "detail": stored.status,
                    }
                )
            else:
                self.counts["unchanged"] += 1
            return
        changed = False
        if w.consented and stored.status == Subscriber.Status.PENDING:
            self.to_activate.append(stored.id)
            changed = True
        if w.language != stored.language:
            self.new_languages[stored.id] = w.language
            changed = True
        if not same_categories:
            self.new_categories[stored.id] = w.category_ids
            changed = True
        self.counts["updated" if changed else "unchanged"] += 1


def _plan(
    wanted: list[_Wanted], skipped: list[dict], found: dict, chosen: dict
) -> _Changes:
    """Compare each row with what is stored; suppressed rows join `skipped`."""
    changes = _Changes(skipped=skipped)
    for w in wanted:
        stored = found.get(w.email.lower())
        if stored is None:
            changes.to_create.append(w)
            changes.counts["created"] += 1
        else:
            changes.update(w, stored, chosen[stored.id])
    return changes


def _create(wanted: list[_Wanted], now: datetime) -> list[Subscriber]:
    """Insert new subscribers with their categories; returns the pending ones."""
    through = Subscriber.categories.through
    pending = []
    for chunk in _chunks(wanted):
        rows = [
            Subscriber(
                email=w.email,
                language=w.language,
                created_at=now,
                status=Subscriber.Status.ACTIVE
                if w.consented
                else Subscriber.Status.PENDING,
                confirmed_at=now if w.consented else None,
            )
            for w in chunk
        ]
        Subscriber.objects.bulk_create(rows)
        through.objects.bulk_create(
            through(subscriber_id=row.id, category_id=category_id)
            for row, w in zip(rows, chunk, strict=True)
            for category_id in w.category_ids
        )
        pending += [row for row in rows if row.status == Subscriber.Status.PENDING]
    return pending


def _apply(changes: _Changes) -> int:
    """Write the planned changes in bulk; returns how many confirmations were queued."""
    now = timezone.now()
    pending = _create(changes.to_create, now)
    for chunk in _chunks(changes.to_activate):
        # Conditional, so an unsubscribe that happened meanwhile stands.
        Subscriber.objects.filter(
            id__in=chunk, status=Subscriber.Status.PENDING
        ).update(status=Subscriber.Status.ACTIVE, confirmed_at=now)
    Subscriber.objects.bulk_update(
        [Subscriber(id=i, language=lang) for i, lang in changes.new_languages.items()],
        ["language"],
        batch_size=CHUNK,
    )
    through = Subscriber.categories.through
    for chunk in _chunks(list(changes.new_categories)):
        through.objects.filter(subscriber_id__in=chunk).delete()
        through.objects.bulk_create(
            through(subscriber_id=subscriber_id, category_id=category_id)
            for subscriber_id in chunk
            for category_id in changes.new_categories[subscriber_id]
        )
    return services.send_confirmation_emails(pending)


def import_file(data: bytes, *, progress: Callable[[int], None] | None = None) -> dict:
    """Import a CSV file's subscribers; returns the report.

    Raises UnreadableFile (nothing changed) when the file as a whole cannot be read.
    `progress` is called with the number of rows checked so far.
    """
    rows = csv_format.read_rows(csv_format.decode(data))
    total = len(rows)
    wanted, skipped = _check_rows(rows, progress or (lambda done: None))
    del rows  # a large file's rows as read are not needed any more
    with transaction.atomic():
        found, chosen = _existing(wanted)
        changes = _plan(wanted, skipped, found, chosen)
        queued = _apply(changes)
    if changes.counts["created"] >= ANALYZE_AFTER:
        _refresh_statistics()
    skipped.sort(key=lambda entry: entry["line"])
    return changes.counts | {
        "skipped": skipped,
        "confirmations_queued": queued,
        "rows": total,
    }


def _refresh_statistics() -> None:
    """ANALYZE after a bulk load, as PostgreSQL's "Populating a Database" advises."""
    if connection.vendor != "postgresql":
        return
    tables = [Subscriber._meta.db_table, Subscriber.categories.through._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(map(connection.ops.quote_name, tables)))


def create_import(data: bytes, *, file_name: str, user=None) -> SubscriberImport:
    """Store an uploaded file for `run_import`; raises UnreadableFile at once for a
    file that cannot be imported, so the editor hears why before anything runs."""
    total = len(csv_format.read_rows(csv_format.decode(data)))
    return SubscriberImport.objects.create(
        file_name=file_name[:255], data=data, total_rows=total, created_by=user
    )


def run_import(import_id: int) -> SubscriberImport | None:
    """Run a stored import; None when it already ran. A rerun after a crash is safe:
    the import is all-or-nothing and idempotent."""
    claimed = SubscriberImport.objects.filter(
        id=import_id,
        status__in=[SubscriberImport.Status.PENDING, SubscriberImport.Status.RUNNING],
    ).update(
        status=SubscriberImport.Status.RUNNING,
        started_at=timezone.now(),
        processed_rows=0,
    )
    if not claimed:
        return None
    job = SubscriberImport.objects.get(id=import_id)

    def progress(done: int) -> None:
        SubscriberImport.objects.filter(id=import_id).update(processed_rows=done)

    try:
        report = import_file(bytes(job.data), progress=progress)
    except UnreadableFile as exc:
        return _finish(job, error=str(exc))
    except IntegrityError:
        return _finish(
            job,
            error="Some of these addresses were added while the import ran; "
            "nothing was imported. Upload the file again.",
        )
    except Exception:
        logger.exception("subscriber import %s failed", import_id)
        return _finish(
            job, error="The import stopped on an unexpected error; nothing was changed."
        )
    return _finish(job, report=report)


def _finish(
    job: SubscriberImport, *, report: dict | None = None, error: str = ""
) -> SubscriberImport:
    job.status = (
        SubscriberImport.Status.FAILED if error else SubscriberImport.Status.DONE
    )
    job.report = report or {}
    job.error = error
    job.processed_rows = job.total_rows if report else 0
    job.finished_at = timezone.now()
    job.data = b""  # the addresses now live in Subscriber rows, or nowhere
    job.save()
    return job
