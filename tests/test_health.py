"""/healthz as an orchestrator and an operator see it."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from newsletter import jobs

ROOT = Path(__file__).resolve().parent.parent


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db
def test_healthy_without_a_broker_and_the_workers_heartbeat_shows(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("not configured")
    assert body["workers"] == "no heartbeat yet"

    jobs.heartbeat.delay()

    workers = client.get("/healthz").json()["workers"]
    assert workers.startswith("last heartbeat ") and "s ago" in workers


@pytest.mark.redis
@pytest.mark.django_db
def test_a_reachable_broker_is_healthy(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"


@pytest.mark.django_db
def test_a_configured_broker_that_does_not_answer_is_a_503_naming_it(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("unreachable: ")


def _container_check(url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HEALTHCHECK_URL": f"{url}/healthz", "SITE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "config.healthcheck"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_the_container_healthcheck_follows_the_endpoint(live_server, settings):
    healthy = _container_check(live_server.url)
    assert healthy.returncode == 0, healthy.stderr
    assert '"database": "ok"' in healthy.stdout

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    sick = _container_check(live_server.url)
    assert sick.returncode == 1
    assert "unreachable" in sick.stderr
