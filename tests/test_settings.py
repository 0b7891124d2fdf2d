"""The production example configuration is one a deployment can start with."""

import os
import subprocess
import sys
from pathlib import Path

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
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_variable_of_the_example_env_parses_and_deploy_check_passes(tmp_path):
    env = _example_env()
    env["SECRET_KEY"] = "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789"
    env["VAR_DIR"] = str(tmp_path)

    result = _check(env)

    assert result.returncode == 0, result.stderr
    for warning in ("W008", "W012", "W016", "W004", "W009"):
        assert warning not in result.stdout + result.stderr


def test_a_malformed_value_fails_loudly_at_start_up(tmp_path):
    env = _example_env()
    env.update(VAR_DIR=str(tmp_path), INGEST_WORKERS="eight")

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
    env.update(VAR_DIR=str(tmp_path), INGEST_DEADLINE="30s")

    result = _check(env)

    assert result.returncode != 0
    assert "INGEST_DEADLINE must be a number, got '30s'" in result.stderr
    assert "ImproperlyConfigured" in result.stderr
