"""Stored imports: the steps an editor takes in the admin (and the command takes
in one go), each run by a worker.

Upload (create_import: the file is kept, its tool recognised) → columns
(start_preview) → preview, a dry run (run_import) → approve → apply exactly that
preview (run_import again). The file is kept in the row until the import ends, so a
worker on another host can read it; the report stays.
"""

import logging
import time

from django.db import IntegrityError
from django.utils import timezone

from subscribers import import_formats as formats
from subscribers.csv_format import UnreadableFile
from subscribers.imports import PreviewMismatch, import_file
from subscribers.models import SubscriberImport

logger = logging.getLogger(__name__)


def create_import(
    data: bytes,
    *,
    file_name: str,
    user=None,
    mapping: dict[str, str] | None = None,
) -> SubscriberImport:
    """Store a file for its preview; raises UnreadableFile at once for a file that
    cannot be read, so the editor hears why before anything runs. A file no tool's
    export matches is stored too: its columns are chosen in the mapping step."""
    table = formats.read_table(data)
    fmt, detected = formats.detect(table.header)
    return SubscriberImport.objects.create(
        file_name=file_name[:255],
        data=data,
        total_rows=len(table.records),
        created_by=user,
        source_format=fmt.key if fmt else formats.CUSTOM,
        mapping={**detected, **(mapping or {})},
    )


def start_preview(job: SubscriberImport, mapping: dict[str, str]) -> None:
    """Keep the chosen mapping and let the next run be the dry run; UnreadableFile
    when the mapping cannot be used."""
    header = formats.read_table(bytes(job.data), limit=1).header
    formats.check_mapping(mapping, header)
    job.mapping = mapping
    job.status = SubscriberImport.Status.PREVIEWING
    job.error = ""
    job.save(update_fields=["mapping", "status", "error"])


def approve(job_id: int) -> bool:
    """Let the next run apply the previewed report; False if it is not previewed."""
    return bool(
        SubscriberImport.objects.filter(
            id=job_id, status=SubscriberImport.Status.PREVIEWED
        ).update(status=SubscriberImport.Status.PENDING)
    )


_CLAIMS = {
    SubscriberImport.Status.PREVIEWING: SubscriberImport.Status.PREVIEWING,
    SubscriberImport.Status.PENDING: SubscriberImport.Status.RUNNING,
    SubscriberImport.Status.RUNNING: SubscriberImport.Status.RUNNING,
}


def run_import(import_id: int, *, invite: bool = False) -> SubscriberImport | None:
    """Run a stored import's next step: its preview (a dry run), or, once approved,
    applying exactly that preview. None when there is nothing to run. A rerun after
    a crash is safe: each step is all-or-nothing and idempotent."""
    job = SubscriberImport.objects.filter(id=import_id, status__in=_CLAIMS).first()
    # Claimed with a conditional update, so a repeated delivery of the task does
    # not apply twice; a preview may run twice, it writes nothing.
    if job is None or not SubscriberImport.objects.filter(
        id=import_id, status=job.status
    ).update(status=_CLAIMS[job.status], started_at=timezone.now(), processed_rows=0):
        return None
    previewing = job.status == SubscriberImport.Status.PREVIEWING

    saved_at = [0.0]

    def progress(done: int) -> None:
        # The page reloads every 2 seconds; each save is a commit (an fsync), so
        # saving more often than once a second only slows a large file down.
        if time.monotonic() - saved_at[0] >= 1 or done == job.total_rows:
            saved_at[0] = time.monotonic()
            SubscriberImport.objects.filter(id=import_id).update(processed_rows=done)

    try:
        report = import_file(
            bytes(job.data),
            mapping=job.mapping,
            file_name=job.file_name,
            dry_run=previewing,
            invite=invite,
            expected=None if previewing else job.preview,
            progress=progress,
        )
    except PreviewMismatch as exc:
        return _previewed(job, exc.report, error=_MISMATCH)
    except UnreadableFile as exc:
        return _finish(job, error=str(exc))
    except IntegrityError:
        return _finish(job, error=_RACE)
    except Exception:
        logger.exception("subscriber import %s failed", import_id)
        return _finish(
            job, error="The import stopped on an unexpected error; nothing was changed."
        )
    return _previewed(job, report) if previewing else _finish(job, report=report)


def preview_then_apply(
    job: SubscriberImport, *, invite: bool = False
) -> SubscriberImport:
    """The admin's steps with no editor between them, as the command runs them;
    UnreadableFile when the stored mapping cannot be used."""
    start_preview(job, job.mapping)
    job = run_import(job.id)
    if job.status != SubscriberImport.Status.PREVIEWED or job.error:
        return job
    approve(job.id)
    return run_import(job.id, invite=invite)


_MISMATCH = (
    "The subscriber list changed since this preview, so nothing was applied. "
    "This is the new preview: check it and apply again."
)
_RACE = (
    "Some of these addresses were added while the import ran; "
    "nothing was imported. Upload the file again."
)


def _previewed(
    job: SubscriberImport, report: dict, error: str = ""
) -> SubscriberImport:
    job.status = SubscriberImport.Status.PREVIEWED
    job.preview = report
    job.error = error
    job.processed_rows = job.total_rows
    job.save(update_fields=["status", "preview", "error", "processed_rows"])
    return job


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
