"""With a broker, ingest() fans out a Celery task per source and merges the reports."""

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from ingestion import services
from ingestion.models import Article, Source
from tests.conftest import require_service

from .conftest import rss

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
def broker(settings, postgres):
    # The worker runs in a thread with its own connection, so the test DB must be shared
    # across connections (PostgreSQL; SQLite's in-memory test database is not).
    require_service("Redis", "127.0.0.1", 6379)
    saved = {
        key: app.conf[key]
        for key in ("broker_url", "result_backend", "task_always_eager")
    }
    app.conf.update(
        broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False
    )
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            queues=["ingest"],
            perform_ping_check=False,
        ):
            yield
    finally:
        app.conf.update(saved)


def test_each_source_is_a_task_and_the_reports_are_merged(
    broker, feed_server, local_fetching
):
    ok = Source.objects.create(
        name="ok",
        url=feed_server.add(
            "/a.xml",
            rss(
                {"title": "A", "link": "http://example.com/a"},
                {"title": "B", "link": "http://example.com/b"},
            ),
        ),
    )
    Source.objects.create(name="down", url=feed_server.url("/missing.xml"))

    said = []
    report = services.ingest(progress=said.append)

    assert said[0] == "fetching 2 sources on the ingest queue"
    assert report.sources_ok == 1 and report.sources_failed == 1
    assert report.articles_new == 2
    assert report.errors == [("down", "HTTP 404 Not Found")]
    assert set(Article.objects.filter(source=ok).values_list("title", flat=True)) == {
        "A",
        "B",
    }
    assert services.ingest().articles_new == 0
