"""With a broker, ingest() fans out a Celery task per source and merges the reports."""

import pytest
from celery import Celery
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
    """A Celery app of its own on Redis DB 11, with a worker thread on the ingest queue.

    Its own app, because the project app may already hold a disabled result backend
    from eager runs earlier in the session. The worker thread has its own database
    connection, so the test database must be PostgreSQL, not SQLite in memory.
    """
    require_service("Redis", "127.0.0.1", 6379)
    broker_app = Celery("ingest-broker-test", set_as_current=False)
    broker_app.config_from_object("django.conf:settings", namespace="CELERY")
    broker_app.conf.update(
        broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False
    )
    settings.CELERY_TASK_ALWAYS_EAGER = False
    broker_app.set_current()
    try:
        with start_worker(
            broker_app,
            pool="threads",
            concurrency=2,
            queues=["ingest"],
            perform_ping_check=False,
        ):
            yield
    finally:
        # start_worker made broker_app the default of every thread (a live server's
        # too): give both back to the project's app.
        app.set_current()
        app.set_default()


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
