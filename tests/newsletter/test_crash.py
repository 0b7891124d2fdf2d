"""Kill a real Celery worker mid-send and count what each reader received."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from newsletter.models import Delivery, Digest
from newsletter.sending import ledger
from subscribers.models import Subscriber
from tests.fakes.smtp_sink import SmtpSink
from tests.newsletter.mail_fixtures import build_digest, category

READERS = 2000
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def _start_worker(name: str, env: dict) -> subprocess.Popen:
    log = open(ROOT / "test-artifacts" / f"crash-{name}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "email",
            "-c",
            "2",
            "-P",
            "prefork",
            "-l",
            "warning",
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


def _kill(worker: subprocess.Popen) -> None:
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait(timeout=10)


def _wait(condition, timeout: float, every: float = 0.05, tick=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if tick:
            tick()
        time.sleep(every)
    return condition()


@pytest.fixture
def email_broker(redis_url):
    """Our Redis DB, and the test process's Celery app publishing to it."""
    import redis
    from celery import current_app

    url = redis_url.rsplit("/", 1)[0] + "/14"
    redis.Redis.from_url(url).flushdb()
    saved = {
        key: current_app.conf[key]
        for key in ("broker_url", "task_always_eager", "result_backend")
    }
    current_app.conf.update(
        broker_url=url, task_always_eager=False, result_backend=None
    )
    _forget_connections(current_app)
    yield url
    current_app.conf.update(saved)
    _forget_connections(current_app)
    redis.Redis.from_url(url).flushdb()


def _forget_connections(app) -> None:
    """Publishing pools are bound to the broker of their first use (maybe another
    test's); the next send must connect to the broker configured now."""
    app.close()
    app.amqp._producer_pool = None


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_worker_mid_send_everyone_gets_it_once_or_a_counted_duplicate(
    postgres, defaults, email_broker, settings
):
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    digest = build_digest(slugs=("llm", "multimodal", "training"))
    sets = [[], ["llm"], ["multimodal", "training"], ["training"]]
    Subscriber.objects.bulk_create(
        Subscriber(email=f"crash{n:05d}@example.com", status=Subscriber.Status.ACTIVE)
        for n in range(READERS)
    )
    through = Subscriber.categories.through
    ids = list(Subscriber.objects.order_by("id").values_list("id", flat=True))
    through.objects.bulk_create(
        through(subscriber_id=sid, category_id=category(slug).id)
        for i, sid in enumerate(ids)
        for slug in sets[i % len(sets)]
    )
    settings.DELIVERY_STALE_AFTER_SECONDS = 3

    with SmtpSink(delay=0.004) as sink:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": email_broker,
            "CELERY_RESULT_BACKEND": "",
            "EMAIL_URL": sink.url,
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "CELERY_UNACKED_RESTORE_THROTTLE": "1",
            "VAR_DIR": str(ROOT / "test-artifacts" / "crash-var"),
        }
        report = ledger.send_digest(digest.id)
        assert report.queued == READERS
        first = _start_worker("first", env)
        second = None
        try:
            assert _wait(lambda: len(sink.received) >= READERS // 3, timeout=30), (
                "the first worker sent too little"
            )
            _kill(first)
            in_flight = Delivery.objects.filter(status=Delivery.Status.SENDING).count()
            received_at_kill = len(sink.received)
            sent_at_kill = Delivery.objects.filter(status=Delivery.Status.SENT).count()
            assert received_at_kill < READERS, "killed too late to prove anything"

            second = _start_worker("second", env)
            done = _wait(
                lambda: (
                    Delivery.objects.filter(status=Delivery.Status.SENT).count()
                    == READERS
                ),
                timeout=45,
                every=0.5,
                tick=ledger.sweep_stale_deliveries,
            )
        finally:
            _kill(first)
            if second is not None:
                _kill(second)
        received = sink.by_recipient()

    statuses = dict(
        Delivery.objects.values_list("status").order_by().annotate(n=Count("id"))
    )
    duplicates = sum(len(copies) - 1 for copies in received.values())
    summary = (
        f"readers {READERS}, received at kill {received_at_kill}, sent rows at kill "
        f"{sent_at_kill}, in flight at kill {in_flight}, total received "
        f"{sum(len(c) for c in received.values())}, duplicates {duplicates}, "
        f"rows {statuses}"
    )
    (ROOT / "test-artifacts" / "crash-report.txt").write_text(summary + "\n")
    print(summary)
    assert done, summary
    assert Delivery.objects.count() == READERS
    assert statuses == {Delivery.Status.SENT: READERS}
    assert set(received) == {f"crash{n:05d}@example.com" for n in range(READERS)}
    assert duplicates <= in_flight, summary
    ledger.sweep_stale_deliveries()
    assert Digest.objects.get(id=digest.id).status == Digest.Status.SENT
