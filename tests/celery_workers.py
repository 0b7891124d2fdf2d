"""Real `celery worker` processes for tests that need a broker: started on the test
database, always killed, their log kept in test-artifacts/ for the failure message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


class Worker:
    def __init__(
        self, name: str, env: dict, *, queues: str, concurrency: int = 1
    ) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        # A worker with DATABASE_URL set is a deployment: it needs a key, and this one
        # signs the same links as the test process.
        env = {"SECRET_KEY": settings.SECRET_KEY, **env}
        self.log_path = ARTIFACTS / f"{name}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    queues,
                    "-c",
                    str(concurrency),
                    "-P",
                    "prefork",
                    "-l",
                    "info",
                    "-n",
                    f"{name}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 180) -> None:
        """Until the worker logs that it is ready: starting one on a loaded machine can
        take most of a test's own time limit."""

        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited:\n{self.log_tail()}")
            return b" ready." in self.log_path.read_bytes()

        if not wait_for(ready, timeout=timeout):
            raise AssertionError(
                f"the worker was not ready after {timeout}s:\n{self.log_tail()}"
            )

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def wait_for(condition, timeout: float, every: float = 0.25, tick=None) -> bool:
    """Poll until ``condition()`` holds or ``timeout`` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if tick:
            tick()
        time.sleep(every)
    return condition()


@contextmanager
def own_broker(redis_url: str, db: int, name: str):
    """(broker URL, a Celery app publishing to it as beat does) on Redis database
    `db`, emptied before and after: each broker test keeps its own database."""
    from celery import Celery

    url = redis_url.rsplit("/", 1)[0] + f"/{db}"
    redis.Redis.from_url(url).flushdb()
    publisher = Celery(name, set_as_current=False)
    publisher.conf.broker_url = url
    try:
        yield url, publisher
    finally:
        publisher.close()
        redis.Redis.from_url(url).flushdb()


def send_outcome(received: dict) -> tuple[dict, int]:
    """After a send: the ledger's rows by status, and how many emails the sink got
    more than once (``received``: the sink's messages by recipient)."""
    from django.db.models import Count

    from newsletter.models import Delivery

    statuses = dict(
        Delivery.objects.values_list("status").order_by().annotate(n=Count("id"))
    )
    return statuses, sum(len(copies) - 1 for copies in received.values())
