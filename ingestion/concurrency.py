"""A bounded thread pool running at most ``per_host`` jobs against any one host."""

from __future__ import annotations

import contextvars
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


class HostLimitedPool:
    """Submit jobs from the calling thread, consume results in the calling thread.

    Jobs run in worker threads and must not touch the database (SQLite connections are
    per thread and writers would contend); their results come back here, where the
    caller writes. Jobs may be submitted while results are being consumed.
    """

    def __init__(self, *, workers: int, per_host: int) -> None:
        self._workers = max(workers, 1)
        self._per_host = max(per_host, 1)
        self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="ingest")
        self._pending: dict[str, deque[Callable[[], Any]]] = {}
        self._in_flight: Counter[str] = Counter()
        self._futures: dict[Future, str] = {}

    def __enter__(self) -> HostLimitedPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self._pending.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def submit(self, host: str, job: Callable[[], Any]) -> None:
        self._pending.setdefault(host, deque()).append(job)

    def results(self) -> Iterator[Any]:
        """Yield each job's return value as it completes, until no job is left."""
        self._fill()
        while self._futures:
            done, _ = wait(self._futures, return_when=FIRST_COMPLETED)
            for future in done:
                self._in_flight[self._futures.pop(future)] -= 1
                yield future.result()
            self._fill()

    def _fill(self) -> None:
        # Round-robin over hosts so one big site does not starve the others.
        progressed = True
        while progressed and len(self._futures) < self._workers:
            progressed = False
            for host in list(self._pending):
                queue = self._pending[host]
                if (
                    self._in_flight[host] >= self._per_host
                    or len(self._futures) >= self._workers
                ):
                    continue
                # In the submitter's context: a job's log lines carry its run id.
                job = contextvars.copy_context().run
                self._futures[self._executor.submit(job, queue.popleft())] = host
                self._in_flight[host] += 1
                progressed = True
                if not queue:
                    del self._pending[host]
