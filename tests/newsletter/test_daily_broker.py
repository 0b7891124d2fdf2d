"""The daily run as a canvas on real workers: no step waits for another, so one worker
slot is enough. Feeds come from a local HTTP server, emails go to a local SMTP sink."""

import datetime as dt
import os
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from devservers.feed_server import FeedServer
from devservers.smtp_sink import SmtpSink
from ingestion.models import Article, Source
from newsletter.models import Delivery, Digest
from subscribers.models import Subscriber
from tests.celery_workers import Worker, own_broker, wait_for
from tests.deployment import database_url
from tests.ingestion.conftest import article_page, rss

pytestmark = [
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

# The feeds' items carry no date: they count as published when first seen, today,
# so today's digest holds them; the next day's holds only what is new since.
DAY1 = timezone.localdate()
DAY2 = DAY1 + dt.timedelta(days=1)
READERS = ["ana@example.com", "ben@example.com", "chae@example.kr"]
QUEUES = "celery,ingest,email"
# Generous: two cold worker processes on a shared two-core machine.
RUN_TIMEOUT = 240

STORIES = {
    "lab": [
        ("OpenAI releases a new GPT language model", "language model"),
        ("Nvidia GPU inference chips cut serving latency", "inference"),
        ("Robot agents learn computer use and tool use", "agents"),
    ],
    "wire": [
        ("Claude chatbot gets a longer context window", "chatbot"),
        ("EU regulation on AI safety passes the parliament", "regulation"),
    ],
    "lab-day2": [
        ("Gemini LLM tops a reasoning benchmark", "benchmark"),
        ("Startup raises funding for AI inference chips", "funding"),
    ],
}


def _page(title: str, topic: str) -> bytes:
    return article_page(
        title,
        [
            f"{title}. The announcement on {topic} was made on Monday and describes "
            "what changes for developers who build on the system every day.",
            f"Engineers said the work on {topic} took most of a year, with several "
            "teams measuring the results on public and internal test suites.",
            "Independent researchers who reviewed the numbers called them credible "
            "but asked for the evaluation code to be published as well.",
        ],
    )


def _publish(server: FeedServer, path: str, keys: list[str]) -> str:
    items = []
    for key in keys:
        for n, (title, topic) in enumerate(STORIES[key]):
            page = f"/{key}/{n}.html"
            server.add(page, _page(title, topic), content_type="text/html")
            items.append({"title": title, "link": server.url(page), "guid": page})
    return server.add(path, rss(*items))


@pytest.fixture
def daily_broker(redis_url):
    with own_broker(redis_url, 13, "daily-broker-test") as broker:
        yield broker


def _worker_env(broker_url: str, sink: SmtpSink, var_dir: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CELERY_", "OPENAI_", "EMAIL_", "ESP", "ANYMAIL_"))
    }
    return env | {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "EMAIL_URL": sink.url,
        "INGEST_ALLOW_PRIVATE_HOSTS": "1",
        "DIGEST_AUTO_APPROVE": "1",
        "VAR_DIR": str(var_dir),
    }


def _run_day(publisher, day, workers, sink, var_dir, readers_so_far: int) -> None:
    """Start the day as beat does and wait for its emails, rows and report."""
    publisher.send_task("newsletter.jobs.run_daily", kwargs={"day": day.isoformat()})

    def done() -> bool:
        digest = Digest.objects.filter(date=day).first()
        return (
            digest is not None
            and digest.status == Digest.Status.SENT
            and len(sink.received) >= readers_so_far + len(READERS)
            and any((var_dir / "digests" / day.isoformat()).glob("*.md"))
        )

    if not wait_for(done, timeout=RUN_TIMEOUT, every=0.5):
        digest = Digest.objects.filter(date=day).first()
        logs = "\n\n".join(f"--- {w.log_path.name}\n{w.log_tail()}" for w in workers)
        pytest.fail(
            f"the daily run for {day} did not finish within {RUN_TIMEOUT}s: digest "
            f"{digest and digest.status}, {len(sink.received)} emails received, "
            f"{Article.objects.count()} articles stored\n{logs}"
        )


def test_a_whole_day_on_two_workers_then_on_one_worker_with_one_slot(
    defaults, daily_broker, tmp_path
):
    broker_url, publisher = daily_broker
    Subscriber.objects.bulk_create(
        Subscriber(email=email, status=Subscriber.Status.ACTIVE) for email in READERS
    )
    var_dir = tmp_path / "worker-var"
    with FeedServer() as server, SmtpSink() as sink:
        env = _worker_env(broker_url, sink, var_dir)
        Source.objects.create(name="Lab", url=_publish(server, "/lab.xml", ["lab"]))
        Source.objects.create(name="Wire", url=_publish(server, "/wire.xml", ["wire"]))

        workers = [
            Worker("daily-first", env, queues=QUEUES),
            Worker("daily-second", env, queues=QUEUES),
        ]
        try:
            _run_day(publisher, DAY1, workers, sink, var_dir, readers_so_far=0)
        finally:
            for worker in workers:
                worker.kill()

        assert Article.objects.count() == 5
        day1 = Digest.objects.get(date=DAY1)
        assert day1.sections.exists()
        assert set(
            Delivery.objects.filter(digest=day1).values_list("status", flat=True)
        ) == {Delivery.Status.SENT}
        assert sorted(
            Delivery.objects.filter(digest=day1).values_list(
                "subscriber__email", flat=True
            )
        ) == sorted(READERS)
        assert Counter(r for m in sink.received for r in m.rcpt_tos) == {
            email: 1 for email in READERS
        }

        # The next morning: two new stories, and a single worker with a single slot.
        _publish(server, "/lab.xml", ["lab", "lab-day2"])
        workers = [Worker("daily-alone", env, queues=QUEUES)]
        try:
            _run_day(publisher, DAY2, workers, sink, var_dir, readers_so_far=3)
        finally:
            workers[0].kill()

    assert Article.objects.count() == 7
    day2 = Digest.objects.get(date=DAY2)
    assert day2.id != day1.id
    assert set(
        Delivery.objects.filter(digest=day2).values_list("status", flat=True)
    ) == {Delivery.Status.SENT}
    assert Counter(r for m in sink.received for r in m.rcpt_tos) == {
        email: 2 for email in READERS
    }
    assert Digest.objects.get(id=day1.id).status == Digest.Status.SENT
