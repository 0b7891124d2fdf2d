"""/healthz as an orchestrator and an operator see it."""

import datetime as dt
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from newsletter import jobs
from newsletter.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parent.parent


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db
def test_healthy_without_a_broker_and_the_workers_heartbeat_shows(admin_client):
    client = admin_client
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
def test_a_reachable_broker_is_healthy(admin_client, settings, redis_url):
    client = admin_client
    settings.CELERY_BROKER_URL = redis_url
    jobs.heartbeat.delay()  # beat and a worker alive

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"


@pytest.mark.django_db
def test_a_configured_broker_that_does_not_answer_is_a_503_naming_it(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.HEALTHZ_TOKEN = "s3cret-health-token"

    response = client.get("/healthz", HTTP_AUTHORIZATION="Bearer s3cret-health-token")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("unreachable: ")


def _container_check(url: str, token: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "HEALTHCHECK_URL": f"{url}/healthz", "SITE_URL": url}
    env["HEALTHZ_TOKEN"] = token
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
    settings.HEALTHZ_TOKEN = "container-token"
    healthy = _container_check(live_server.url, token="container-token")
    assert healthy.returncode == 0, healthy.stderr
    assert '"database": "ok"' in healthy.stdout

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    sick = _container_check(live_server.url, token="container-token")
    assert sick.returncode == 1
    assert "unreachable" in sick.stderr


@pytest.mark.postgres
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", "Bearer ", "s3cret-health-token"]
)
def test_a_stranger_learns_only_ok_or_not(client, settings, postgres, authorization):
    settings.HEALTHZ_TOKEN = "s3cret-health-token"
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    jobs.heartbeat.delay()

    healthy = client.get("/healthz", **headers)
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    sick = client.get("/healthz", **headers)

    assert (healthy.status_code, healthy.json()) == (200, {"status": "ok"})
    assert (sick.status_code, sick.json()) == (503, {"status": "unavailable"})
    assert settings.DATABASES["default"]["USER"] not in sick.content.decode()


@pytest.mark.django_db
def test_without_a_token_setting_no_bearer_sees_details(client, settings):
    settings.HEALTHZ_TOKEN = ""

    response = client.get("/healthz", HTTP_AUTHORIZATION="Bearer ")

    assert response.json() == {"status": "ok"}


@pytest.mark.redis
@pytest.mark.django_db
def test_with_a_broker_a_stale_heartbeat_is_a_503_naming_it(
    client, settings, redis_url
):
    """Beat or every worker down: the broker answers, but nothing runs the day."""
    settings.CELERY_BROKER_URL = redis_url
    settings.HEALTHZ_TOKEN = "ops-token"
    settings.HEALTHZ_HEARTBEAT_STALE_SECONDS = 300
    auth = {"HTTP_AUTHORIZATION": "Bearer ops-token"}

    never = client.get("/healthz", **auth)
    WorkerHeartbeat.objects.create(
        worker="celery@worker-1", seen_at=timezone.now() - dt.timedelta(minutes=10)
    )
    stale = client.get("/healthz", **auth)
    anonymous = client.get("/healthz")
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - dt.timedelta(seconds=30))
    fresh = client.get("/healthz", **auth)

    assert never.status_code == 503
    assert never.json()["checks"]["workers"].startswith("stale: no heartbeat yet")
    assert stale.status_code == 503
    assert stale.json()["checks"]["broker"] == "ok"
    assert "celery@worker-1" in stale.json()["checks"]["workers"]
    assert stale.json()["checks"]["workers"].startswith("stale: ")
    assert (anonymous.status_code, anonymous.json()) == (503, {"status": "unavailable"})
    assert fresh.status_code == 200
    assert fresh.json()["checks"]["workers"].startswith("last heartbeat ")


@pytest.mark.django_db
def test_in_process_an_old_heartbeat_is_reported_not_checked(admin_client):
    """Without a broker tasks run in the web process: there are no workers to lose."""
    WorkerHeartbeat.objects.create(
        worker="in-process", seen_at=timezone.now() - dt.timedelta(days=2)
    )

    response = admin_client.get("/healthz")

    assert response.status_code == 200
    assert "in-process" in response.json()["workers"]
