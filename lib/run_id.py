"""The id of one daily run, carried on every log line of it.

A run starts where the morning starts (``newsletter.daily.start`` on beat's worker,
``daily.run_in_process`` under a command) and lives in a context variable. Its tasks
run elsewhere, so the id and the run's start travel in the headers of every task
published while it is current (``before_task_publish``) and are set again around the
task in the worker (``task_prerun``/``task_postrun``): the chord's build step, the
send and export steps and the send chunks belong to the run that published them.
``lib.log_format.RunIdFilter`` puts the id on each record.
"""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

from celery import signals

ID_HEADER = "run_id"
STARTED_HEADER = "run_started"


@dataclass(frozen=True)
class Run:
    id: str
    started: float  # time.time() when the run started

    def seconds(self) -> float:
        return time.time() - self.started


_current: ContextVar[Run | None] = ContextVar("run", default=None)
# The token each task's run was set with, to put back what was there before.
_task_tokens: dict[str, Token] = {}


def current() -> Run | None:
    return _current.get()


@contextmanager
def new_run() -> Iterator[Run]:
    """A run of its own for the block, unless one is current already (a command
    that starts the daily job inside another run stays in that one)."""
    run = _current.get()
    if run is not None:
        yield run
        return
    run = Run(id=uuid.uuid4().hex[:12], started=time.time())
    token = _current.set(run)
    try:
        yield run
    finally:
        _current.reset(token)


def _add_headers(headers: dict | None = None, **kwargs) -> None:
    run = _current.get()
    if run is not None and headers is not None and ID_HEADER not in headers:
        headers[ID_HEADER] = run.id
        headers[STARTED_HEADER] = run.started


def _join_run(task_id: str | None = None, task=None, **kwargs) -> None:
    run_id = getattr(task.request, ID_HEADER, None) if task is not None else None
    if not run_id or task_id is None:
        return  # not part of a run, or run here by the caller (eager): nothing to set
    started = getattr(task.request, STARTED_HEADER, None) or time.time()
    _task_tokens[task_id] = _current.set(Run(id=run_id, started=float(started)))


def _leave_run(task_id: str | None = None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _current.reset(token)


def carry_in_celery_tasks() -> None:
    """Connect the signal handlers (config/celery.py, once per process)."""
    signals.before_task_publish.connect(_add_headers, weak=False)
    signals.task_prerun.connect(_join_run, weak=False)
    signals.task_postrun.connect(_leave_run, weak=False)
