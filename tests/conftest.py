import os
import socket
from pathlib import Path

import pytest

IN_CI = os.getenv("CI", "").lower() in {"1", "true", "yes"}

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium run as root on a machine whose network is closed: without the
# background-networking switches it keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), 1).close()
    except OSError:
        return False
    return True


def require_service(name: str, host: str, port: int) -> None:
    """Skip on a laptop without the service; in CI a missing service is a failure."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the service must run)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _isolated_var_dir(settings, tmp_path):
    """Outbox and exports of each test go to its own temporary directory."""
    settings.VAR_DIR = tmp_path / "var"
    settings.EMAIL_FILE_PATH = tmp_path / "var" / "outbox"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def defaults(db):
    from newsletter import services

    services.load_defaults()


@pytest.fixture
def postgres(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI=true but the tests are not running on PostgreSQL")
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL or run `make test` with one on 5432)"
        )


@pytest.fixture
def redis_url():
    require_service("Redis", "127.0.0.1", 6379)
    return os.getenv("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def chromium(monkeypatch) -> str:
    """Path of Debian's Chromium for Playwright; skipped on a laptop without it, a
    failure in CI. Never a downloaded browser."""
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"CI=true but {CHROMIUM} is missing")
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls are safe but Django would refuse them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return str(CHROMIUM)
