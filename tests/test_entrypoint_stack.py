"""The whole stack as docker/compose.yaml starts it, run on the host through
docker/entrypoint.sh: migrate on an empty PostgreSQL database, then web, worker and
beat on Redis, a feed on a local HTTP server, an SMTP sink; the morning's run is
triggered as an operator would, and a real digest must reach the sink. And beat
started before the migrations waits for them and then schedules."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import redis
import requests
from django.db import connection

from devservers.feed_server import FeedServer
from devservers.smtp_sink import SmtpSink
from tests import deployment
from tests.celery_workers import ARTIFACTS, wait_for
from tests.ingestion.conftest import story_wire

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = str(ROOT / "docker" / "entrypoint.sh")
TOKEN = "stack-health-token"
READERS = ["ana@example.com", "ben@example.com"]
STORIES = [
    ("OpenAI releases a new GPT language model", "language model"),
    ("Nvidia GPU inference chips cut serving latency", "inference"),
    ("EU regulation on AI safety passes the parliament", "regulation"),
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def empty_database(postgres):
    """A database of its own, empty as on a new server's first start."""
    db = connection.settings_dict
    name = f"{db['NAME']}_stack"
    server = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = deployment.database_url().rsplit("/", 1)[0] + f"/{name}"
    yield url, {**server, "dbname": name}
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def stack_env(empty_database, redis_url, tmp_path):
    url, _ = empty_database
    broker = redis_url.rsplit("/", 1)[0] + "/7"
    redis.Redis.from_url(broker).flushdb()
    env = {
        k: v
        for k, v in deployment.production_env(tmp_path).items()
        if not k.startswith(("CELERY_", "OPENAI_", "EMAIL_", "ESP", "ANYMAIL_"))
    }
    yield env | {
        "PYTHON": sys.executable,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "HEALTHZ_TOKEN": TOKEN,
        "INGEST_ALLOW_PRIVATE_HOSTS": "1",
        "DIGEST_AUTO_APPROVE": "1",
        "WEB_WORKERS": "1",
    }
    redis.Redis.from_url(broker).flushdb()


def _role(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", ENTRYPOINT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def _services(env: dict, *roles: str):
    """Long-running roles, each in its own process group, always stopped."""
    ARTIFACTS.mkdir(exist_ok=True)
    running = {}
    try:
        for role in roles:
            log = open(ARTIFACTS / f"stack-{role}.log", "wb")  # noqa: SIM115
            running[role] = subprocess.Popen(
                ["sh", ENTRYPOINT, role],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        yield running
    finally:
        for process in running.values():
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def _logs(*roles: str) -> str:
    return "\n".join(
        f"--- {role}\n" + (ARTIFACTS / f"stack-{role}.log").read_text()[-2500:]
        for role in roles
    )


def _add_source_and_readers(env: dict, feed_url: str) -> None:
    """What an editor does in the admin on the first morning, through `manage`."""
    script = (
        "from ingestion.models import Source\n"
        "from subscribers.models import Subscriber\n"
        f"Source.objects.create(name='Wire', url={feed_url!r})\n"
        f"for email in {READERS!r}:\n"
        "    Subscriber.objects.create(email=email, status='active')\n"
    )
    added = _role(env, "manage", "shell", "-c", script)
    assert added.returncode == 0, added.stderr[-3000:]


def _report(line: str) -> None:
    with open(ARTIFACTS / "stack-timings.txt", "a") as out:
        out.write(line + "\n")
    print(line)


def test_the_roles_in_composes_order_get_a_real_digest_to_the_smtp_sink(stack_env):
    port = deployment.free_port()
    with FeedServer() as feeds, SmtpSink() as sink:
        env = stack_env | {"EMAIL_URL": sink.url, "PORT": str(port)}
        started = time.monotonic()
        migrated = _role(env, "migrate")
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        migrate_seconds = time.monotonic() - started
        _add_source_and_readers(env, story_wire(feeds, STORIES))

        with _services(env, "web", "worker", "beat") as running:
            triggered = _role(env, "manage", "run_daily")
            assert triggered.returncode == 0, triggered.stderr[-3000:]
            assert "queued for the workers" in triggered.stdout
            arrived = wait_for(
                lambda: len(sink.received) >= len(READERS), timeout=300, every=0.2
            )
            first_digest = time.monotonic() - started
            health = {}

            def healthy() -> bool:
                try:
                    answer = requests.get(
                        f"http://127.0.0.1:{port}/healthz",
                        headers={"Authorization": f"Bearer {TOKEN}"},
                        timeout=5,
                    )
                except requests.ConnectionError:
                    return False
                health.update(answer.json(), code=answer.status_code)
                return answer.status_code == 200

            # Beat's every-minute heartbeat, run by the worker, makes /healthz 200.
            is_healthy = wait_for(healthy, timeout=150, every=2)
            exited = {role: p.poll() for role, p in running.items() if p.poll()}
        logs = _logs("web", "worker", "beat")
        received = sink.by_recipient()

    _report(
        f"stack: migrate {migrate_seconds:.1f} s; migrate to the first digest in the "
        f"SMTP sink {first_digest:.1f} s"
    )
    assert arrived, logs
    assert not exited, f"{exited}\n{logs}"
    assert sorted(received) == READERS
    message = received[READERS[0]][0].message
    html = message.get_body(("html",)).get_content()
    # The story itself, linked through the click-counting redirect.
    assert f"?to={quote(feeds.url('/story/0.html'), safe='')}" in html
    assert message["List-Unsubscribe"]
    assert is_healthy, f"{health}\n{logs}"
    assert health["stuck"] == "nothing"


def test_beat_started_before_the_migrations_waits_and_then_schedules(
    stack_env, empty_database
):
    _, database = empty_database
    with SmtpSink() as sink:
        env = stack_env | {"EMAIL_URL": sink.url}
        with _services(env, "beat") as early:
            # Long enough for beat to have crashed on a missing table before.
            time.sleep(8)
            assert early["beat"].poll() is None, _logs("beat")
            assert "waiting for the migrate role" in _logs("beat")

            migrated = _role(env, "migrate")
            assert migrated.returncode == 0, migrated.stderr[-3000:]
            with _services(env, "worker") as later:

                def heartbeats() -> int:
                    with psycopg.connect(**database) as db:
                        return db.execute(
                            "SELECT count(*) FROM newsletter_workerheartbeat"
                        ).fetchone()[0]

                scheduled = wait_for(lambda: heartbeats() > 0, timeout=180, every=2)
                still_running = early["beat"].poll() is None
                worker_up = later["worker"].poll() is None
        logs = _logs("beat", "worker")

    assert scheduled, logs
    assert still_running and worker_up, logs
    assert "does not exist" not in logs  # no missing-table error on the way
