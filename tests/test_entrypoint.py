"""docker/entrypoint.sh's migrate role, run on the host as the compose `migrate` service
runs it, against PostgreSQL: the first admin from DJANGO_SUPERUSER_*, the default
sources switched on once by ACTIVATE_DEFAULT_SOURCES, and a second start that changes
nothing an editor has changed since."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from ingestion.defaults import DEFAULT_SOURCES
from ingestion.models import Source
from tests import deployment

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def run_role(env: dict[str, str], role: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(ROOT / "docker" / "entrypoint.sh"), role],
        env=env | {"PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def first_start_env(postgres, tmp_path) -> dict[str, str]:
    return deployment.production_env(tmp_path) | {
        "DJANGO_SUPERUSER_USERNAME": "editor",
        "DJANGO_SUPERUSER_EMAIL": "editor@example.com",
        "DJANGO_SUPERUSER_PASSWORD": "correct horse battery staple",
        "ACTIVATE_DEFAULT_SOURCES": "1",
    }


def test_migrate_role_creates_the_admin_and_activates_the_sources_once(
    first_start_env, tmp_path
):
    first = run_role(first_start_env, "migrate")

    assert first.returncode == 0, first.stderr[-3000:]
    admin = get_user_model().objects.get(username="editor")
    assert admin.is_superuser and admin.is_staff
    assert admin.email == "editor@example.com"
    assert admin.check_password("correct horse battery staple")
    assert Source.objects.count() == len(DEFAULT_SOURCES) > 0
    assert not Source.objects.filter(is_active=False).exists()
    assert "first admin: editor created" in first.stdout
    assert (tmp_path / "var" / "default-sources-activated").exists()

    # Later the editor changes the password and turns one source off; the next start
    # (an upgrade, a reboot) with the same docker/.env keeps both.
    admin.set_password("a newer, longer passphrase")
    admin.save()
    turned_off = Source.objects.order_by("pk").first()
    Source.objects.filter(pk=turned_off.pk).update(is_active=False)

    again = run_role(first_start_env, "migrate")

    assert again.returncode == 0, again.stderr[-3000:]
    assert "first admin: editor exists, left unchanged" in again.stdout
    admin.refresh_from_db()
    assert admin.check_password("a newer, longer passphrase")
    assert get_user_model().objects.count() == 1
    turned_off.refresh_from_db()
    assert not turned_off.is_active
    assert Source.objects.filter(is_active=True).count() == len(DEFAULT_SOURCES) - 1


def test_migrate_role_without_the_switches_creates_no_admin_and_no_active_source(
    postgres, tmp_path
):
    env = deployment.production_env(tmp_path)

    started = run_role(env, "migrate")

    assert started.returncode == 0, started.stderr[-3000:]
    assert "DJANGO_SUPERUSER_USERNAME not set" in started.stdout
    assert not get_user_model().objects.exists()
    assert Source.objects.count() == len(DEFAULT_SOURCES)
    assert not Source.objects.filter(is_active=True).exists()


def test_web_role_serves_and_passes_the_compose_healthcheck(postgres, tmp_path):
    env = deployment.production_env(tmp_path) | {
        "PYTHON": sys.executable,
        "WEB_WORKERS": "1",
    }
    port = deployment.free_port()
    # The role execs gunicorn: the process compose signals is the server itself.
    server = subprocess.Popen(
        ["sh", str(ROOT / "docker" / "entrypoint.sh"), "web"],
        env=env | {"PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deployment.wait_until_listening(server, port)
        # The web service's healthcheck, exactly as docker/compose.yaml runs it.
        check = subprocess.run(
            [sys.executable, "-m", "config.healthcheck"],
            cwd=ROOT,
            env=env | {"HEALTHCHECK_URL": f"http://127.0.0.1:{port}/healthz"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        deployment.stop(server)

    assert check.returncode == 0, check.stderr
    assert '"status": "ok"' in check.stdout
    assert server.returncode == 0  # stopped by SIGTERM, gracefully
