"""docker/: the compose stack as a self-hoster starts it, read without running docker.

Every service's command is a role the entrypoint knows; web, worker and beat start only
after migrate succeeded; every long-running service restarts and has a healthcheck whose
program exists in the image; the image's STATIC_ROOT passes Django's checks.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core import checks
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
LONG_RUNNING_APP_SERVICES = {"web", "worker", "beat"}


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]


@pytest.fixture(scope="module")
def roles() -> set[str]:
    """The roles the entrypoint itself lists when called without one."""
    answer = subprocess.run(
        ["sh", str(DOCKER / "entrypoint.sh")], capture_output=True, text=True
    )
    assert answer.returncode == 64, answer.stderr
    usage = re.fullmatch(r"usage: entrypoint\.sh (\S+)\n", answer.stderr)
    assert usage, answer.stderr
    return set(usage.group(1).split("|"))


def app_services(services: dict) -> dict:
    return {name: spec for name, spec in services.items() if "build" in spec}


def test_every_app_service_runs_a_role_the_entrypoint_knows(services, roles):
    assert roles == {"migrate", "web", "worker", "beat", "manage"}
    commands = {name: spec["command"] for name, spec in app_services(services).items()}
    assert commands == {
        "migrate": ["migrate"],
        "web": ["web"],
        "worker": ["worker"],
        "beat": ["beat"],
    }


def test_an_unknown_role_is_refused_before_anything_starts():
    answer = subprocess.run(
        ["sh", str(DOCKER / "entrypoint.sh"), "wokrer"], capture_output=True, text=True
    )
    assert answer.returncode == 64
    assert answer.stdout == ""


def test_web_worker_and_beat_wait_for_migrate_to_succeed(services):
    for name in LONG_RUNNING_APP_SERVICES:
        waits_for = services[name]["depends_on"]
        assert waits_for["migrate"] == {
            "condition": "service_completed_successfully"
        }, name
        assert waits_for["postgres"] == {"condition": "service_healthy"}, name
        assert waits_for["redis"] == {"condition": "service_healthy"}, name
    assert "migrate" not in services["migrate"].get("depends_on", {})


def test_every_long_running_service_restarts_and_has_a_healthcheck(services):
    long_running = {n for n, spec in services.items() if spec.get("restart") != "no"}
    assert long_running == {"postgres", "redis", *LONG_RUNNING_APP_SERVICES}
    for name in long_running:
        assert services[name]["restart"] == "unless-stopped", name
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    assert services["migrate"]["restart"] == "no"
    assert "healthcheck" not in services["migrate"]


def test_each_app_healthcheck_calls_a_program_the_image_has(services):
    web = services["web"]["healthcheck"]["test"]
    assert web[1:3] == ["python", "-m"]
    assert importlib.util.find_spec(web[3]) is not None, web

    beat = services["beat"]["healthcheck"]["test"]
    assert beat[1:3] == ["python", "manage.py"]
    assert beat[3] in get_commands(), beat

    # The worker answers for itself: its own node, not whichever worker is up.
    worker = services["worker"]["healthcheck"]["test"]
    assert worker[0] == "CMD-SHELL"
    assert worker[1].startswith("celery -A config inspect ping ")
    assert "-d celery@$$HOSTNAME" in worker[1]
    assert importlib.util.find_spec("celery") is not None


def dockerfile_env(name: str) -> str:
    dockerfile = (DOCKER / "Dockerfile").read_text().replace("\\\n", " ")
    return re.search(rf"^ENV .*\b{name}=(\S+)", dockerfile, re.M).group(1)


def test_the_images_static_root_passes_the_staticfiles_checks(settings):
    # The image's /app is this checkout.
    static_root = ROOT / Path(dockerfile_env("STATIC_ROOT")).relative_to("/app")
    settings.STATIC_ROOT = static_root

    errors = checks.run_checks(tags=[checks.Tags.staticfiles])

    assert [e.id for e in errors] == []
    assert static_root not in [Path(d) for d in settings.STATICFILES_DIRS]


def test_the_image_starts_through_the_entrypoint_it_copies():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["sh", "/app/docker/entrypoint.sh"]' in dockerfile
    assert "COPY docker/entrypoint.sh docker/entrypoint.sh" in dockerfile


def test_the_manage_role_runs_a_manage_py_command(tmp_path):
    answer = subprocess.run(
        ["sh", str(DOCKER / "entrypoint.sh"), "manage", "help", "create_first_admin"],
        env={
            "PATH": os.environ["PATH"],
            "PYTHON": sys.executable,
            "VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert answer.returncode == 0, answer.stderr
    assert "DJANGO_SUPERUSER_USERNAME" in answer.stdout
