"""A daily run's id reaches every task of the run, on a real worker, and every log
line written while it is current."""

import logging

import pytest
from celery import Celery, chain, chord
from celery.contrib.testing.worker import start_worker

from config.celery import app
from lib import log_format, run_id
from tests.conftest import require_service

REDIS_URL = "redis://127.0.0.1:6379/6"

worker_app = Celery("run-id-test", set_as_current=False)


@worker_app.task
def runs_seen(seen: list | None = None) -> list:
    current = run_id.current()
    return [*(seen or []), current.id if current else None]


@pytest.fixture
def worker():
    """A worker thread of an app of its own on Redis, as in production."""
    require_service("Redis", "127.0.0.1", 6379)
    worker_app.conf.update(
        broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False
    )
    try:
        with start_worker(
            worker_app, pool="threads", concurrency=1, perform_ping_check=False
        ):
            yield
    finally:
        app.set_current()
        app.set_default()


@pytest.mark.redis
def test_the_tasks_a_run_publishes_and_the_tasks_they_publish_carry_its_id(worker):
    with run_id.new_run() as run:
        chained = chain(runs_seen.s(), runs_seen.s()).apply_async()
        # The daily canvas's shape: the build step starts when the last source is in.
        gathered = chord([runs_seen.s(), runs_seen.s()], runs_seen.s()).apply_async()
    outside = runs_seen.delay()

    # The second task was published by the worker, inside the first one.
    assert chained.get(timeout=20) == [run.id, run.id]
    assert gathered.get(timeout=20) == [[run.id], [run.id], run.id]
    assert outside.get(timeout=20) == [None]


def _line(formatter: logging.Formatter, message: str) -> str:
    record = logging.LogRecord("daily", logging.INFO, __file__, 1, message, (), None)
    log_format.RunIdFilter().filter(record)
    return formatter.format(record)


def test_a_plain_line_names_its_run_only_inside_one():
    plain = log_format.PlainFormatter()

    with run_id.new_run() as run:
        inside = _line(plain, "building the digest")
    outside = _line(plain, "building the digest")

    assert inside.endswith(f" INFO daily: building the digest [run {run.id}]")
    assert outside.endswith(" INFO daily: building the digest")


def test_a_run_inside_a_run_is_the_same_run():
    with run_id.new_run() as outer, run_id.new_run() as inner:
        assert inner == outer
    assert run_id.current() is None
