import os
import socket
from pathlib import Path

import pytest

from devservers.openai_server import FakeOpenAI
from devservers.smtp_sink import SmtpSink

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


def pytest_runtest_setup(item):
    """A test marked ``postgres`` skips on a laptop whose tests run on SQLite (with
    the marker's reason); in CI the database is PostgreSQL or the run fails."""
    if item.get_closest_marker("postgres") is None:
        return
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    if IN_CI:
        pytest.fail("CI=true but the tests are not running on PostgreSQL")
    pytest.skip(
        "needs PostgreSQL (set DATABASE_URL or run `make test` with one on 5432)"
    )


@pytest.fixture(autouse=True)
def _isolated_var_dir(settings, tmp_path):
    """Outbox and exports of each test go to its own temporary directory."""
    settings.VAR_DIR = tmp_path / "var"
    settings.EMAIL_FILE_PATH = tmp_path / "var" / "outbox"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def english_admin(client):
    """The test client asks for English: tests that assert the desk's words in
    English use it (the site's default language is Korean; tests/test_desk_language.py
    walks the desk in both)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


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


# --- the stand-in services: the LLM on a fake server (or off), an SMTP sink ---


@pytest.fixture(name="fake_llm")
def fake_llm_fixture(settings):
    """The LLM switched on and pointed at a fake server; short timeout, one retry."""
    with FakeOpenAI(timeout_sleep=1.2) as fake:
        settings.OPENAI_BASE_URL = fake.base_url
        settings.OPENAI_API_KEY = "test"
        settings.LLM_ENABLED = True
        settings.LLM_TIMEOUT = 0.5
        settings.LLM_MAX_RETRIES = 1
        settings.LLM_SUMMARY_MODEL = "fake-summary"
        settings.LLM_CLASSIFY_MODEL = "fake-classify"
        settings.LLM_TOKEN_BUDGET = 200_000
        yield fake


@pytest.fixture(name="offline")
def offline_fixture(settings):
    settings.OPENAI_BASE_URL = ""
    settings.OPENAI_API_KEY = ""
    settings.LLM_ENABLED = False


@pytest.fixture
def sink(settings):
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend sends to."""
    with SmtpSink() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = server.host
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield server


# --- the sample corpus, ingested once --------------------------------------------

SAMPLE_DAY = "2026-08-22"
# Feeds with many items: the day's tests read the small ones, which say enough.
LARGE_FEEDS = {"OpenAI Research", "xAI News", "Mistral AI News"}


def small_feeds(site):
    """The sample site's news feeds without the large lab feeds."""
    return [feed for feed in site.news_feeds if feed.name not in LARGE_FEEDS]


def add_sample_sources(site) -> None:
    """A Source for each of the sample site's small news feeds."""
    from ingestion.models import Source

    for feed in small_feeds(site):
        Source.objects.create(name=feed.name, url=feed.url, language=feed.language)


@pytest.fixture(scope="session")
def _sample_news_rows(django_db_setup, django_db_blocker) -> str:
    """The sample day's small news feeds ingested over HTTP through the production
    path once per run (per worker), kept as serialised rows and rolled back."""
    from django.core import serializers
    from django.db import transaction
    from django.test.utils import override_settings

    from ingestion import sample
    from ingestion import services as ingestion_services
    from ingestion.models import Article, Source

    with (
        django_db_blocker.unblock(),
        override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True),
    ):
        with transaction.atomic():
            with sample.serve_corpus(SAMPLE_DAY) as site:
                add_sample_sources(site)
                ingestion_services.ingest()
            rows = serializers.serialize(
                "json",
                [*Source.objects.order_by("id"), *Article.objects.order_by("id")],
            )
            transaction.set_rollback(True)
    return rows


@pytest.fixture
def sample_news(db, _sample_news_rows):
    """The sample day's small news feeds as ingested (sources and articles), loaded
    into this test's database: one ingest serves every test that reads the day."""
    from django.core import serializers

    for row in serializers.deserialize("json", _sample_news_rows):
        row.save()
