"""Where a long job says what it is doing.

A Celery task cannot be handed a callback, yet the same tasks run in-process under a
management command (no broker) and in a worker. Tasks call ``say()``; a command that
runs them in-process routes those lines to its terminal with ``reporting_to()``, and
everywhere else they go to the log.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

logger = logging.getLogger("daily")

Progress = Callable[[str], None]

_reporter: ContextVar[Progress | None] = ContextVar("progress", default=None)


def say(message: str) -> None:
    (_reporter.get() or logger.info)(message)


def announce(message: str, **fields) -> None:
    """A line for the log whoever listens, its figures as ``fields`` (keys of a JSON
    line), and for the command's terminal too when one listens."""
    logger.info(message, extra=fields)
    if (reporter := _reporter.get()) is not None:
        reporter(message)


@contextmanager
def reporting_to(progress: Progress | None) -> Iterator[None]:
    token = _reporter.set(progress)
    try:
        yield
    finally:
        _reporter.reset(token)
