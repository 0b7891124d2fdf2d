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

On workers the run is recorded as a ``DayRun`` (``services.day_runs``): each step
says when it starts and renews a sign of life while it works. ``resume`` (beat's
resume job) runs again, as a new attempt, the step of a run whose worker died, or
a run beat started that no worker took; the older attempt's messages, redelivered
after the broker's visibility timeout, find themselves superseded and do nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
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
from newsletter.models import DayRun, Digest
from newsletter.sending import ledger
from newsletter.services import day_runs

logger = logging.getLogger(__name__)


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
    attempt: int | None = None,
) -> Signature:
    """The day's run as one signature; nothing is fetched or written until applied.
    ``in_process`` (default: no broker) shapes it for running here, not on workers;
    ``attempt`` is the ``DayRun`` attempt its steps report to (None: not tracked)."""
    if in_process is None:
        in_process = settings.CELERY_TASK_ALWAYS_EAGER
    options = {
        "send": send,
        "export_dir": str(export_dir) if export_dir else None,
        "attempt": attempt,
    }
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
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        options["attempt"] = day_runs.begin(
            day,
            send=options.get("send", True),
            export_dir=options.get("export_dir"),
            ingest_first=options.get("ingest_first", True),
        )
    with run_id.new_run():
        return canvas(day, **options).apply_async()


def resume() -> str:
    """Run again what a dead worker left of the day's run: its silent step, or the
    whole run when beat started it today and no worker took it (``jobs.resume_day``)."""
    run = day_runs.stalled()
    if run is not None:
        return _resume_step(run)
    day = timezone.localdate()
    missed = day_runs.missed_run(day)
    if missed is not None:
        logger.warning(
            "daily run %s: beat started it at %s and no worker took it; starting it",
            day,
            timezone.localtime(missed).isoformat(timespec="seconds"),
        )
        start(day, export_dir=settings.VAR_DIR / "digests")
        return f"daily run for {day:%Y-%m-%d} started again"
    return "nothing to resume"


def _resume_step(run: DayRun) -> str:
    silent_since = timezone.localtime(day_runs.last_sign_of_life(run))
    if day_runs.gave_up(run):
        logger.error(
            "daily run %s: %s silent since %s after %d resumes; not resuming again",
            run.day,
            run.step,
            silent_since.isoformat(timespec="seconds"),
            run.resumed,
        )
        return "given up"
    attempt = day_runs.take_over(run)
    if attempt is None:
        return "resumed by another job"
    logger.warning(
        "daily run %s: %s silent since %s (its worker died?); running it again as "
        "attempt %d",
        run.day,
        run.step,
        silent_since.isoformat(timespec="seconds"),
        attempt,
    )
    options = {"send": run.send, "export_dir": run.export_dir or None}
    if run.step in (DayRun.Step.FETCHING, DayRun.Step.BUILDING):
        fetch = run.step == DayRun.Step.FETCHING
        resumed = canvas(run.day, ingest_first=fetch, attempt=attempt, **options)
    else:
        state = _run_state(run.day, attempt=attempt, **options)
        resumed = chain(send_step.s(state), export_step.s())
    with run_id.new_run():  # the attempt's own id on its log lines
        resumed.apply_async()
    return f"daily run for {run.day:%Y-%m-%d}: {run.step} resumed"


def _run_state(day: dt.date, **options) -> dict:
    """What the build step hands on, read back from the day's digests."""
    digests = dict(Digest.objects.filter(date=day).values_list("edition", "id"))
    return {
        "day": day.isoformat(),
        "digest_id": digests.get(Digest.Edition.NEWS),
        "papers_digest_id": digests.get(Digest.Edition.PAPERS),
        "ingest": None,
        "sent": None,
        "export_path": None,
        "papers_sent": None,
        "papers_export_path": None,
        **options,
    }


def run_in_process(day: dt.date, *, progress: Progress | None = None, **options):
    """The whole day in this process, its progress said to ``progress``."""
    with reporting_to(progress), run_id.new_run():
        result = canvas(day, in_process=True, **options).apply()
    return DailyRun.from_dict(result.get())


def _superseded(day: str, attempt: int | None) -> dict:
    say(f"the daily run for {day} was taken over by a later attempt: nothing to do")
    return {"day": day, "attempt": attempt, "superseded": True}


@shared_task(acks_late=True)
def build_step(
    ingest_parts: list[dict] | None,
    day: str,
    *,
    send: bool = True,
    export_dir: str | None = None,
    attempt: int | None = None,
) -> dict:
    """Merge what the sources reported, then build (or rebuild) the day's digest."""
    date = dt.date.fromisoformat(day)
    with day_runs.step(date, attempt, DayRun.Step.BUILDING) as current:
        if not current:
            return _superseded(day, attempt)
        report = None
        if ingest_parts is not None:
            report = IngestReport()
            for part in ingest_parts:
                report.merge(IngestReport.from_dict(part))
            if len(ingest_parts) > 1:  # one part has said its own report already
                say(str(report))
        say(f"building the digest for {day}")
        digest = services.build_digest(date, progress=say)
        # Both editions are built before either is sent: a News email carries the
        # day's Papers (newsletter.sending.editions).
        papers = None
        if services.has_paper_sources():
            say(f"building the Papers digest for {day}")
            papers = services.build_digest(
                date, edition=Digest.Edition.PAPERS, progress=say
            )
    return {
        "day": day,
        "attempt": attempt,
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


def _step(run: dict, name: str):
    """The DayRun step of a run dict (a dict without a day is not tracked)."""
    day = dt.date.fromisoformat(run["day"]) if run.get("day") else None
    return day_runs.step(day, run.get("attempt") if day else None, name)


@shared_task(acks_late=True)
def send_step(run: dict) -> dict:
    """Create the day's Delivery rows and hand them to the email queue (or send them,
    in-process). Nothing waits for the emails: the last chunk marks the digest sent."""
    if run.get("superseded"):
        return run
    with _step(run, DayRun.Step.SENDING) as current:
        if not current:
            return _superseded(run["day"], run.get("attempt"))
        return _send_editions(run)


def _send_editions(run: dict) -> dict:
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
    if run.get("superseded"):
        return run
    with _step(run, DayRun.Step.EXPORTING) as current:
        if not current:
            return _superseded(run["day"], run.get("attempt"))
        run = _export_editions(run)
    if run.get("day"):
        day_runs.enter(
            dt.date.fromisoformat(run["day"]), run.get("attempt"), DayRun.Step.DONE
        )
    _day_done(run)
    return run


def _export_editions(run: dict) -> dict:
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
