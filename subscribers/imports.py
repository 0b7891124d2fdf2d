"""An editor's subscriber list in from another tool's export: previewed, then applied.

The file is read through a column mapping (subscribers.import_formats recognises the
exports of Mailchimp, Substack, Ghost, listmonk, Buttondown and Korean tools; anything
else is mapped by the editor). Rows are checked first (no writes; progress is saved
as it goes); a dry run stops there and returns the report, the real run applies it in
one transaction with bulk writes and refuses to apply anything the preview did not
show. Importing the same file again changes nothing. The import itself sends no
email: rows without consent evidence stay pending until the editor invites them.
Suppressed and erased addresses are never brought back.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from newsletter.models import Category
from subscribers import csv_format, erased, invites, services
from subscribers import import_formats as formats
from subscribers.csv_format import UnreadableFile
from subscribers.models import Subscriber

logger = logging.getLogger(__name__)

__all__ = ["PreviewMismatch", "UnreadableFile", "import_file", "read"]

CHUNK = 2000
# Small enough that PostgreSQL looks each address up in the index instead of
# scanning the table once per chunk.
LOOKUP_CHUNK = 500
# PostgreSQL plans with table statistics autovacuum refreshes about a minute later;
# until then a second import right after a large one would scan the table for every
# chunk of addresses.
ANALYZE_AFTER = 10_000
PROGRESS_EVERY = 5000

# What happened to a line.
CREATED, UPDATED, UNCHANGED, HELD, REJECTED = (
    "created",
    "updated",
    "unchanged",
    "held",
    "rejected",
)
OUTCOMES = (CREATED, UPDATED, UNCHANGED, HELD, REJECTED)

INVALID_ADDRESS = "invalid address: correct it or delete the line"
DUPLICATE = "duplicate of line {}: keep one of the two lines"
ERASED = "erased at the person's request: an import does not bring it back"
_HOLD_STATUS = {
    formats.UNSUBSCRIBED: Subscriber.Status.UNSUBSCRIBED,
    formats.BOUNCED: Subscriber.Status.BOUNCED,
    formats.COMPLAINED: Subscriber.Status.COMPLAINED,
}


class PreviewMismatch(Exception):
    """Applying would do something the preview did not show; nothing was changed."""

    def __init__(self, report: dict):
        super().__init__("the list changed since the preview")
        self.report = report


@dataclass(frozen=True, slots=True)
class _Wanted:
    """What one valid row asks for, in stored form; None leaves a field alone."""

    line: int
    email: str
    name: str | None
    category_ids: frozenset[int] | None
    language: str | None
    frequency: str | None
    state: str
    proof: str  # the column and value that say so, for the evidence


@dataclass(frozen=True)
class Source:
    """Which file, read how: the evidence names it."""

    file_name: str
    format_key: str
    mapping: dict[str, str]

    @property
    def label(self) -> str:
        fmt = formats.BY_KEY.get(self.format_key)
        return fmt.label if fmt else "mapped CSV"

    @property
    def listed_means(self) -> str:
        fmt = formats.BY_KEY.get(self.format_key)
        return fmt.listed_means if fmt else formats.PENDING

    def header_of(self, field_name: str) -> str:
        return next((s for s, f in self.mapping.items() if f == field_name), "")


class _Categories:
    """Digest categories by slug or name, case-insensitively."""

    def __init__(self) -> None:
        offered = list(Category.objects.for_digest())
        self.offered = {c.id for c in offered}
        self.slugs = ", ".join(c.slug for c in offered)
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


def _line(line: int, email: str, outcome: str, detail: str = "") -> list:
    return [line, email[:254], outcome, detail]


def _fields(
    row: formats.Row, categories: _Categories
) -> tuple[frozenset[int] | None, str | None, str | None] | str:
    """The row's categories, language and frequency as stored (None: no such
    column), or why it is rejected."""
    category_ids = None
    if formats.CATEGORIES in row.cells:
        category_ids, unknown = categories.stored_ids(
            csv_format.split_categories(row.cells[formats.CATEGORIES])
        )
        if unknown is not None:
            return (
                f"unknown category “{unknown[:100]}”: use a slug or name of "
                f"{categories.slugs}, or leave the cell empty for every category"
            )
    language = None
    if formats.LANGUAGE in row.cells:
        language = csv_format.parse_language(row.cells[formats.LANGUAGE])
        if language is None:
            return (
                f"unknown language “{row.cells[formats.LANGUAGE][:20]}”: use "
                "ko or en, or leave the cell empty for the default"
            )
    frequency = None
    if formats.FREQUENCY in row.cells:
        frequency = csv_format.parse_frequency(row.cells[formats.FREQUENCY])
        if frequency is None:
            return (
                f"unknown frequency “{row.cells[formats.FREQUENCY][:20]}”: use "
                "daily, weekly or both, or leave the cell empty for daily"
            )
    return category_ids, language, frequency


def _check_row(
    row: formats.Row, categories: _Categories, source: Source
) -> _Wanted | list:
    try:
        email = services.normalize_email(row.email)
    except ValueError:
        return _line(row.line, row.email, REJECTED, INVALID_ADDRESS)
    checked = _fields(row, categories)
    if isinstance(checked, str):
        return _line(row.line, row.email, REJECTED, checked)
    try:
        state, proof_field, value = formats.row_state(row.cells, source.listed_means)
    except ValueError as exc:
        field_name = str(exc)
        word = row.cells[field_name][:20]
        header = source.header_of(field_name) or field_name
        return _line(
            row.line,
            row.email,
            REJECTED,
            f"unknown {header} value “{word}”: {formats.fix_for(field_name)}",
        )
    proof = (
        f"{source.header_of(proof_field)} {value}"[:200]
        if proof_field
        else "listed as receiving"
    )
    name = formats.row_name(row.cells)
    return _Wanted(row.line, email, name, *checked, state, proof)


def _check_rows(
    rows: list[formats.Row], source: Source, progress: Callable[[int], None]
) -> tuple[list[_Wanted], list[list]]:
    categories = _Categories()
    wanted: list[_Wanted] = []
    rejected: list[list] = []
    first_line: dict[str, int] = {}
    for done, row in enumerate(rows, start=1):
        result = _check_row(row, categories, source)
        if isinstance(result, list):
            rejected.append(result)
        elif result.email.lower() in first_line:
            seen = first_line[result.email.lower()]
            rejected.append(
                _line(row.line, row.email, REJECTED, DUPLICATE.format(seen))
            )
        else:
            first_line[result.email.lower()] = row.line
            wanted.append(result)
        if done % PROGRESS_EVERY == 0:
            progress(done)
    progress(len(rows))
    return wanted, rejected


class _Stored(NamedTuple):
    """The columns of an existing row the import compares (no model instances: a
    100,000-row file would spend seconds building them)."""

    id: int
    status: str
    language: str
    name: str
    frequency: str


def _existing(wanted: list[_Wanted]) -> tuple[dict[str, _Stored], dict[int, set]]:
    """Rows already stored for these addresses, and their category ids.

    Not locked: the status writes are conditional (see _apply), so a concurrent
    unsubscribe is never overwritten, and locking every row of a large file would
    rewrite each one.
    """
    found: dict[str, _Stored] = {}
    for chunk in _chunks(wanted, LOOKUP_CHUNK):
        rows = (
            Subscriber.objects.order_by()
            .annotate(email_key=Lower("email"))
            .filter(email_key__in=[w.email.lower() for w in chunk])
            .values_list("email_key", "id", "status", "language", "name", "frequency")
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

    lines: list[list]
    to_create: list[_Wanted] = field(default_factory=list)
    to_activate: dict[int, _Wanted] = field(default_factory=dict)
    to_hold: dict[int, _Wanted] = field(default_factory=dict)
    still_pending: list[int] = field(default_factory=list)
    new_languages: dict[int, str] = field(default_factory=dict)
    new_frequencies: dict[int, str] = field(default_factory=dict)
    new_names: dict[int, str] = field(default_factory=dict)
    new_categories: dict[int, frozenset[int]] = field(default_factory=dict)

    def update(self, w: _Wanted, stored: _Stored, category_ids: set[int]) -> None:
        if stored.status in Subscriber.SUPPRESSED:
            if w.state in formats.HELD:  # the other tool agrees: nothing to do
                self.lines.append(_line(w.line, w.email, UNCHANGED))
            else:
                self.lines.append(
                    _line(
                        w.line,
                        w.email,
                        HELD,
                        f"{stored.status} here: not brought back by an import",
                    )
                )
            return
        if w.state in formats.HELD:
            self.to_hold[stored.id] = w
            detail = f"{w.state} in the file ({w.proof}); was {stored.status}"
            self.lines.append(_line(w.line, w.email, HELD, detail))
            return
        changed = self._fields(w, stored, category_ids)
        if w.state == formats.ACTIVE and stored.status == Subscriber.Status.PENDING:
            self.to_activate[stored.id] = w
            changed.insert(0, "status")
        elif stored.status == Subscriber.Status.PENDING:
            self.still_pending.append(stored.id)
        outcome = UPDATED if changed else UNCHANGED
        self.lines.append(_line(w.line, w.email, outcome, ", ".join(changed)))

    def _fields(self, w: _Wanted, stored: _Stored, category_ids: set[int]) -> list:
        changed = []
        if w.name is not None and w.name != stored.name:
            self.new_names[stored.id] = w.name
            changed.append("name")
        if w.language is not None and w.language != stored.language:
            self.new_languages[stored.id] = w.language
            changed.append("language")
        if w.frequency is not None and w.frequency != stored.frequency:
            self.new_frequencies[stored.id] = w.frequency
            changed.append("frequency")
        if w.category_ids is not None and w.category_ids != category_ids:
            self.new_categories[stored.id] = w.category_ids
            changed.append("categories")
        return changed


def _created_line(w: _Wanted) -> list:
    if w.state == formats.PENDING:
        return _line(w.line, w.email, CREATED, w.state)
    if w.state == formats.ACTIVE:
        return _line(w.line, w.email, CREATED, f"active: {w.proof}")
    # A person who left the old tool is stored, held, so no later sign-up form or
    # import mails them; the report counts them as held, not as new readers.
    return _line(w.line, w.email, HELD, f"stored as {w.state}: {w.proof}")


def _plan(
    wanted: list[_Wanted], rejected: list[list], found: dict, chosen: dict
) -> _Changes:
    """Compare each row with what is stored."""
    changes = _Changes(lines=rejected)
    new = [w for w in wanted if w.email.lower() not in found]
    gone = erased.erased_among(w.email for w in new)
    for w in wanted:
        stored = found.get(w.email.lower())
        if stored is not None:
            changes.update(w, stored, chosen[stored.id])
        elif w.email.lower() in gone:
            changes.lines.append(_line(w.line, w.email, REJECTED, ERASED))
        else:
            changes.to_create.append(w)
            changes.lines.append(_created_line(w))
    changes.lines.sort(key=lambda entry: entry[0])
    return changes


def _new_row(w: _Wanted, now: datetime, evidence: str) -> Subscriber:
    row = Subscriber(
        email=w.email,
        name=w.name or "",
        language=w.language or Subscriber._meta.get_field("language").default,
        frequency=w.frequency or Subscriber.Frequency.DAILY,
        created_at=now,
        status=Subscriber.Status.PENDING,
    )
    if w.state == formats.ACTIVE:
        row.status, row.confirmed_at = Subscriber.Status.ACTIVE, now
    elif w.state in formats.HELD:
        row.status, row.unsubscribed_at = _HOLD_STATUS[w.state], now
        row.unsubscribe_reason = Subscriber.IMPORT_REASON
    if w.state != formats.PENDING:
        row.import_evidence = evidence
    return row


def _create(
    wanted: list[_Wanted], now: datetime, evidence: Callable[[_Wanted], str]
) -> list[int]:
    """Insert new subscribers with their categories; returns the pending ones' ids."""
    through = Subscriber.categories.through
    pending = []
    for chunk in _chunks(wanted):
        rows = [_new_row(w, now, evidence(w)) for w in chunk]
        Subscriber.objects.bulk_create(rows)
        through.objects.bulk_create(
            through(subscriber_id=row.id, category_id=category_id)
            for row, w in zip(rows, chunk, strict=True)
            for category_id in w.category_ids or ()
        )
        pending += [row.id for row in rows if row.status == Subscriber.Status.PENDING]
    return pending


def _set_statuses(
    changes: _Changes, now: datetime, evidence: Callable[[_Wanted], str]
) -> None:
    """Activate and hold existing rows; conditional, so a stop made meanwhile stands."""
    receiving = [Subscriber.Status.PENDING, Subscriber.Status.ACTIVE]
    for chunk in _chunks(list(changes.to_activate)):
        Subscriber.objects.filter(
            id__in=chunk, status=Subscriber.Status.PENDING
        ).update(status=Subscriber.Status.ACTIVE, confirmed_at=now)
    for state, status in _HOLD_STATUS.items():
        ids = [i for i, w in changes.to_hold.items() if w.state == state]
        for chunk in _chunks(ids):
            Subscriber.objects.filter(id__in=chunk, status__in=receiving).update(
                status=status,
                unsubscribed_at=now,
                unsubscribe_reason=Subscriber.IMPORT_REASON,
            )
    proved = {**changes.to_activate, **changes.to_hold}
    Subscriber.objects.bulk_update(
        [Subscriber(id=i, import_evidence=evidence(w)) for i, w in proved.items()],
        ["import_evidence"],
        batch_size=CHUNK,
    )


def _apply(changes: _Changes, source: Source, invite: bool) -> int:
    """Write the planned changes in bulk; returns how many invitations were queued."""
    now = timezone.now()
    stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

    def evidence(w: _Wanted) -> str:
        return (
            f"{source.label} export “{source.file_name}”, line {w.line}: "
            f"{w.state} ({w.proof}); imported {stamp}"
        )

    pending = _create(changes.to_create, now, evidence)
    _set_statuses(changes, now, evidence)
    for attribute, values in (
        ("language", changes.new_languages),
        ("frequency", changes.new_frequencies),
        ("name", changes.new_names),
    ):
        Subscriber.objects.bulk_update(
            [Subscriber(id=i, **{attribute: v}) for i, v in values.items()],
            [attribute],
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
    if not invite:
        return 0
    return invites.invite(pending + changes.still_pending)


def _report(rows: int, source: Source, changes: _Changes) -> dict:
    counts = dict.fromkeys(OUTCOMES, 0)
    for entry in changes.lines:
        counts[entry[2]] += 1
    pending = sum(w.state == formats.PENDING for w in changes.to_create)
    return {
        "rows": rows,
        "format": source.format_key,
        **counts,
        "pending": pending + len(changes.still_pending),
        "lines": changes.lines,
    }


def read(
    data: bytes,
    mapping: dict[str, str] | None = None,
    overrides: dict[str, str] | None = None,
) -> tuple:
    """(table, format key, mapping) for a file: `mapping` as chosen, else the tool's
    when recognised, overridden column by column by `overrides`. Raises
    UnreadableFile."""
    table = formats.read_table(data)
    fmt, detected = formats.detect(table.header)
    # A recognised tool's meaning of a row (Substack lists only people receiving)
    # holds even when the editor maps a further column.
    key = fmt.key if fmt else formats.CUSTOM
    used = mapping if mapping is not None else {**detected, **(overrides or {})}
    return table, key, formats.check_mapping(used, table.header)


def import_file(
    data: bytes,
    *,
    mapping: dict[str, str] | None = None,
    overrides: dict[str, str] | None = None,
    file_name: str = "",
    dry_run: bool = False,
    invite: bool = False,
    expected: dict | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Import a file's subscribers (or, with dry_run, only say what it would do);
    returns the report. `mapping` is the whole column mapping; without one the
    detected tool's is used, changed by `overrides`.

    Raises UnreadableFile (nothing changed) when the file as a whole cannot be read,
    and PreviewMismatch (nothing changed) when `expected`, a preview's report, differs
    from what applying would do. `progress` is called with the rows checked so far.
    """
    table, key, used = read(data, mapping, overrides)
    source = Source(file_name, key, used)
    rows = formats.rows(table, used)
    del table  # a large file's records as read are not needed any more
    wanted, rejected = _check_rows(rows, source, progress or (lambda done: None))
    with transaction.atomic():
        found, chosen = _existing(wanted)
        changes = _plan(wanted, rejected, found, chosen)
        report = _report(len(rows), source, changes)
        if expected is not None and not _same(report, expected):
            raise PreviewMismatch(report)
        if dry_run:
            return report | {"invited": 0}
        report["invited"] = _apply(changes, source, invite)
    if len(changes.to_create) >= ANALYZE_AFTER:
        _refresh_statistics()
    return report


def _same(report: dict, preview: dict) -> bool:
    keys = ("rows", *OUTCOMES, "pending")
    return all(report[k] == preview.get(k) for k in keys) and report[
        "lines"
    ] == preview.get("lines")


def _refresh_statistics() -> None:
    """ANALYZE after a bulk load, as PostgreSQL's "Populating a Database" advises."""
    if connection.vendor != "postgresql":
        return
    tables = [Subscriber._meta.db_table, Subscriber.categories.through._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(map(connection.ops.quote_name, tables)))
