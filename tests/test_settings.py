"""The production example configuration is one a deployment can start with."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests import deployment

# Each test starts the project in a subprocess: `make test` runs them, `make test-fast` not.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def _example_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    for line in (ROOT / "docker" / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


def _check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return deployment.manage(
        env, "check", "--deploy", "--fail-level", "ERROR", timeout=120
    )


def _deployable_env(tmp_path) -> dict[str, str]:
    """The example env as an operator completes it: a strong key, and the email
    setting it leaves to fill in (without one production would only write .eml
    files, which `check --deploy` refuses)."""
    env = _example_env()
    env["SECRET_KEY"] = "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789"
    env["VAR_DIR"] = str(tmp_path)
    env["EMAIL_URL"] = env.get("EMAIL_URL") or "smtp://relay.example.com"
    return env


def test_every_variable_of_the_example_env_parses_and_deploy_check_passes(tmp_path):
    result = _check(_deployable_env(tmp_path))

    assert result.returncode == 0, result.stderr
    for warning in ("W008", "W012", "W016", "W004", "W009"):
        assert warning not in result.stdout + result.stderr


def test_a_malformed_value_fails_loudly_at_start_up(tmp_path):
    env = _example_env()
    env.update(VAR_DIR=str(tmp_path), INGEST_WORKERS="eight", SECRET_KEY="k" * 60)

    result = _check(env)

    assert result.returncode != 0
    assert "INGEST_WORKERS must be an integer, got 'eight'" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _example_env()
    env.update(VAR_DIR=str(tmp_path), SECRET_KEY="")

    result = _check(env)

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_a_malformed_number_names_the_setting(tmp_path):
    env = _example_env()
    env.update(VAR_DIR=str(tmp_path), INGEST_DEADLINE="30s", SECRET_KEY="k" * 60)

    result = _check(env)

    assert result.returncode != 0
    assert "INGEST_DEADLINE must be a number, got '30s'" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def _settings_seen_by_a_process(env: dict[str, str]) -> dict:
    """DEBUG and SECRET_KEY as a process started with `env` reads them."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'DEBUG': s.DEBUG, 'SECRET_KEY': s.SECRET_KEY}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _laptop_env(var_dir: Path) -> dict[str, str]:
    """The embedded default: nothing set but where var/ is."""
    unset = {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    return env | {"VAR_DIR": str(var_dir)}


def test_debug_is_off_unless_the_environment_turns_it_on(tmp_path):
    env = _laptop_env(tmp_path)

    assert _settings_seen_by_a_process(env)["DEBUG"] is False
    assert _settings_seen_by_a_process(env | {"DEBUG": "1"})["DEBUG"] is True


def test_without_a_secret_key_each_install_makes_its_own_and_keeps_it(tmp_path):
    first = _settings_seen_by_a_process(_laptop_env(tmp_path / "a"))["SECRET_KEY"]
    again = _settings_seen_by_a_process(_laptop_env(tmp_path / "a"))["SECRET_KEY"]
    other = _settings_seen_by_a_process(_laptop_env(tmp_path / "b"))["SECRET_KEY"]

    assert first == again != other
    assert len(first) >= 50 and first != "dev-insecure-key"
    key_file = tmp_path / "a" / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_debug_on_a_developers_database_uses_the_install_key(tmp_path):
    env = _laptop_env(tmp_path) | {
        "DEBUG": "1",
        "DATABASE_URL": "postgres://dev@127.0.0.1:5432/dev",
    }

    key = _settings_seen_by_a_process(env)["SECRET_KEY"]

    assert key == (tmp_path / "secret_key").read_text().strip()


def test_the_secret_key_variable_wins_over_the_install_key(tmp_path):
    env = _laptop_env(tmp_path) | {"SECRET_KEY": "s" * 60}

    assert _settings_seen_by_a_process(env)["SECRET_KEY"] == "s" * 60
    assert not (tmp_path / "secret_key").exists()


def test_a_trusted_proxy_that_is_no_address_or_network_fails_loudly(tmp_path):
    env = _example_env()
    env.update(
        VAR_DIR=str(tmp_path), TRUSTED_PROXIES="10.0.0.0/8,proxy", SECRET_KEY="k" * 60
    )

    result = _check(env)

    assert result.returncode != 0
    assert "TRUSTED_PROXIES must list IP addresses or networks, got 'proxy'" in (
        result.stderr
    )


def test_an_unknown_log_format_fails_loudly_at_start_up(tmp_path):
    env = _example_env()
    env.update(VAR_DIR=str(tmp_path), LOG_FORMAT="xml", SECRET_KEY="k" * 60)

    result = _check(env)

    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json, not 'xml'" in result.stderr


def test_a_numeric_celery_log_level_as_celery_exports_it_leaves_the_default(tmp_path):
    # A worker sets CELERY_LOG_LEVEL=40 in its environment and what it starts
    # inherits it; read as the operator's choice it would hide the worker's lines.
    env = _deployable_env(tmp_path) | {"CELERY_LOG_LEVEL": "40"}

    checked = _check(env)
    level = deployment.manage(
        env,
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CELERY_LOG_LEVEL)",
        timeout=120,
    )

    assert checked.returncode == 0, checked.stderr[-2000:]
    assert level.stdout.strip().splitlines()[-1] == "INFO", level.stderr[-2000:]
