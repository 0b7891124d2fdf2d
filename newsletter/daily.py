"""The morning run as one Celery canvas: ingest each source → build → send → export.

    chord(ingest_sources([id]) for each source, build) | send | export

Each step handles both editions, News then Papers: one build step builds both, the
send step sends News (whose emails carry the day's Papers) and then Papers to readers
of Papers only, the export step writes both reports.

No task waits for another. The chord's counter in the result backend starts ``build``
when the last source has reported, and every step hands the next a plain dict, so a
single worker slot runs the whole day: the task that starts the run only publishes
the canvas and returns. Without a broker (the embedded default) the same canvas runs
in-process, one step after the other, and what the steps say goes to the command's
terminal (``lib.progress``).

Idempotent like its steps: ingestion upserts by URL, the day's digest is rebuilt in
place (never once it is sending or sent), the Delivery ledger sends nobody twice and
the export overwrites its files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from celery import chain, chord, shared_task
from celery.canvas import Signature
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from ingestion import tasks as ingestion_tasks
from ingestion.pipeline import IngestReport
from ingestion.services import active_source_ids
from lib import run_id
from lib.progress import Progress, announce, reporting_to, say
from newsletter import export, services
from newsletter.models import Digest
from newsletter.sending import ledger


@dataclass
class DailyRun:
    """What an in-process run did, for the command that started it. ``digest`` is
    the News edition; the Papers edition, built beside it, has its own fields."""

    digest: Digest
    ingest: IngestReport | None
    send: ledger.SendReport | None
    export_path: Path | None
    papers_digest: Digest | None = None
    papers_send: ledger.SendReport | None = None
    papers_export_path: Path | None = None

    @classmethod
    def from_dict(cls, run: dict) -> DailyRun:
        papers_id = run.get("papers_digest_id")
        return cls(
            digest=Digest.objects.get(id=run["digest_id"]),
            ingest=IngestReport.from_dict(run["ingest"]) if run["ingest"] else None,
            send=ledger.SendReport(**run["sent"]) if run["sent"] else None,
            export_path=Path(run["export_path"]) if run["export_path"] else None,
            papers_digest=Digest.objects.get(id=papers_id) if papers_id else None,
            papers_send=(
                ledger.SendReport(**run["papers_sent"])
                if run.get("papers_sent")
                else None
            ),
            papers_export_path=(
                Path(run["papers_export_path"])
                if run.get("papers_export_path")
                else None
            ),
        )


def canvas(
    day: dt.date,
    *,
    ingest_first: bool = True,
    send: bool = True,
    export_dir: str | Path | None = None,
    in_process: bool | None = None,
) -> Signature:
    """The day's run as one signature; nothing is fetched or written until applied.
    ``in_process`` (default: no broker) shapes it for running here, not on workers."""
    if in_process is None:
        in_process = settings.CELERY_TASK_ALWAYS_EAGER
    options = {"send": send, "export_dir": str(export_dir) if export_dir else None}
    ids = active_source_ids() if ingest_first else []
    if not ids:
        say("no sources to fetch" if ingest_first else "using the articles stored")
        head = build_step.s(None, day.isoformat(), **options)
    elif in_process:
        # In-process, one part for every source: ingest_sources' own thread pool then
        # fetches them concurrently with its per-host limit, as a worker pool would.
        say(f"fetching {len(ids)} sources in-process")
        head = chord(
            [ingestion_tasks.ingest_sources.s(ids)],
            build_step.s(day.isoformat(), **options),
        )
    else:
        say(f"fetching {len(ids)} sources on the ingest queue")
        head = chord(
            (ingestion_tasks.ingest_sources.s([source_id]) for source_id in ids),
            build_step.s(day.isoformat(), **options),
        )
    return chain(head, send_step.s(), export_step.s())


def start(day: dt.date, **options):
    """Publish the day's run and return its AsyncResult without waiting (broker mode);
    without a broker this runs the whole day before it returns. Every task of the
    run carries its id into the log (lib.run_id)."""
    with run_id.new_run():
        return canvas(day, **options).apply_async()


def run_in_process(day: dt.date, *, progress: Progress | None = None, **options):
    """The whole day in this process, its progress said to ``progress``."""
    with reporting_to(progress), run_id.new_run():
        result = canvas(day, in_process=True, **options).apply()
    return DailyRun.from_dict(result.get())


@shared_task(acks_late=True)
def build_step(
    ingest_parts: list[dict] | None,
    day: str,
    *,
    send: bool = True,
    export_dir: str | None = None,
) -> dict:
    """Merge what the sources reported, then build (or rebuild) the day's digest."""
    report = None
    if ingest_parts is not None:
        report = IngestReport()
        for part in ingest_parts:
            report.merge(IngestReport.from_dict(part))
        if len(ingest_parts) > 1:  # one part has said its own report already
            say(str(report))
    say(f"building the digest for {day}")
    digest = services.build_digest(dt.date.fromisoformat(day), progress=say)
    # Both editions are built before either is sent: a News email carries the day's
    # Papers (newsletter.sending.editions).
    papers = None
    if services.has_paper_sources():
        say(f"building the Papers digest for {day}")
        papers = services.build_digest(
            dt.date.fromisoformat(day), edition=Digest.Edition.PAPERS, progress=say
        )
    return {
        "digest_id": digest.id,
        "papers_digest_id": papers.id if papers else None,
        "ingest": report.to_dict() if report else None,
        "send": send,
        "export_dir": export_dir,
        "sent": None,
        "export_path": None,
        "papers_sent": None,
        "papers_export_path": None,
    }


def weekly_canvas(
    day: dt.date, *, send: bool = True, export_dir: str | Path | None = None
) -> Signature:
    """The weekly edition's run: build it over the week before ``day``, send it to
    readers of the weekly, export it; the same send and export steps as the day's."""
    options = {"send": send, "export_dir": str(export_dir) if export_dir else None}
    return chain(
        weekly_build_step.s(day.isoformat(), **options), send_step.s(), export_step.s()
    )


@shared_task(acks_late=True)
def weekly_build_step(
    day: str, *, send: bool = True, export_dir: str | None = None
) -> dict:
    """Build (or rebuild) the weekly digest dated ``day``; hands on a run like
    ``build_step``'s, the weekly digest in the News place and no Papers."""
    say(f"building the weekly digest for {day}")
    digest = services.build_digest(
        dt.date.fromisoformat(day), edition=Digest.Edition.WEEKLY, progress=say
    )
    return {
        "digest_id": digest.id,
        "papers_digest_id": None,
        "ingest": None,
        "send": send,
        "export_dir": export_dir,
        "sent": None,
        "export_path": None,
        "papers_sent": None,
        "papers_export_path": None,
    }


@shared_task(acks_late=True)
def send_step(run: dict) -> dict:
    """Create the day's Delivery rows and hand them to the email queue (or send them,
    in-process). Nothing waits for the emails: the last chunk marks the digest sent."""
    digest = Digest.objects.get(id=run["digest_id"])
    # A digest with its own send time later today goes out with the release job then.
    if run["send"] and digest.waits_for_send_time():
        say(f"not sending yet: it goes out at {timezone.localtime(digest.send_at)}")
    elif run["send"] and digest.can_send:
        say("sending")
        report = services.send_and_record(digest)
        say(str(report))
        run = {**run, "sent": vars(report)}
    papers = Digest.objects.filter(id=run.get("papers_digest_id")).first()
    if (
        run["send"]
        and papers is not None
        and papers.can_send
        and not papers.waits_for_send_time()
    ):
        say("sending the Papers edition to readers of Papers only")
        report = services.send_and_record(papers)
        say(str(report))
        run = {**run, "papers_sent": vars(report)}
    return run


@shared_task(acks_late=True)
def export_step(run: dict) -> dict:
    """The Markdown report and chart of the day, when there is something to report."""
    editions = [
        ("digest_id", "export_path"),
        ("papers_digest_id", "papers_export_path"),
    ]
    for id_key, path_key in editions:
        digest = Digest.objects.filter(id=run.get(id_key)).first()
        if run["export_dir"] and digest is not None and digest.sections.exists():
            path = export.export_digest(digest, run["export_dir"])
            say(f"exported {path}")
            run = {**run, path_key: str(path)}
    _day_done(run)
    return run


def _day_done(run: dict) -> None:
    """The run's last line, the one to alert on: each edition's digest, its
    sections and deliveries (with a broker, sends still under way are "waiting":
    the last chunk marks the digest sent), and how long the run took."""
    editions = []
    for id_key in ("digest_id", "papers_digest_id"):
        digest = Digest.objects.filter(id=run.get(id_key)).first()
        if digest is None:
            continue
        counts = dict(digest.deliveries.values_list("status").annotate(n=Count("id")))
        editions.append(
            {
                "edition": digest.edition,
                "day": digest.date.isoformat(),
                "status": digest.status,
                "sections": digest.sections.count(),
                "sent": counts.get("sent", 0),
                "failed": counts.get("failed", 0),
                "waiting": counts.get("pending", 0) + counts.get("sending", 0),
            }
        )
    current = run_id.current()
    seconds = round(current.seconds(), 1) if current else None
    parts = [
        f"{e['edition']} {e['status']}, {e['sections']} sections, {e['sent']} sent, "
        f"{e['failed']} failed, {e['waiting']} waiting"
        for e in editions
    ]
    day = editions[0]["day"] if editions else ""
    announce(
        f"day done: {day}: {'; '.join(parts)} in {seconds} s",
        day=day,
        editions=editions,
        duration_seconds=seconds,
    )
