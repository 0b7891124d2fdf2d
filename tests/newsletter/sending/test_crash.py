"""Kill a real Celery worker mid-send and count what each reader received."""

import os

import pytest

from devservers.smtp_sink import SmtpSink
from newsletter import services, tasks
from newsletter.models import Delivery, Digest
from subscribers.models import Subscriber
from tests.celery_workers import ARTIFACTS, Worker, send_outcome, wait_for
from tests.deployment import database_url
from tests.factories import SubscriberFactory
from tests.newsletter.mail_fixtures import build_digest, category

READERS = 2000
# Each worker process holds at most one claimed chunk at a time.
CHUNK = 20
PROCESSES = 2


@pytest.fixture
def email_broker(redis_url):
    """Our Redis DB, and the test process's Celery app publishing to it."""
    import redis
    from celery import current_app

    url = redis_url.rsplit("/", 1)[0] + "/14"
    redis.Redis.from_url(url).flushdb()
    saved = {
        key: current_app.conf[key]
        for key in ("broker_url", "task_always_eager", "result_backend")
    }
    current_app.conf.update(
        broker_url=url, task_always_eager=False, result_backend=None
    )
    _forget_connections(current_app)
    yield url
    current_app.conf.update(saved)
    _forget_connections(current_app)
    redis.Redis.from_url(url).flushdb()


def _forget_connections(app) -> None:
    """Publishing pools are bound to the broker of their first use (maybe another
    test's); the next send must connect to the broker configured now."""
    app.close()
    app.amqp._producer_pool = None


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_worker_mid_send_everyone_gets_it_once_or_a_counted_duplicate(
    postgres, defaults, email_broker, settings
):
    digest = build_digest(slugs=("llm", "multimodal", "training"))
    sets = [[], ["llm"], ["multimodal", "training"], ["training"]]
    Subscriber.objects.bulk_create(
        SubscriberFactory.build(email=f"crash{n:05d}@example.com")
        for n in range(READERS)
    )
    through = Subscriber.categories.through
    ids = list(Subscriber.objects.order_by("id").values_list("id", flat=True))
    through.objects.bulk_create(
        through(subscriber_id=sid, category_id=category(slug).id)
        for i, sid in enumerate(ids)
        for slug in sets[i % len(sets)]
    )
    settings.DELIVERY_STALE_AFTER_SECONDS = 3

    with SmtpSink(delay=0.004) as sink:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": email_broker,
            "CELERY_RESULT_BACKEND": "",
            "EMAIL_URL": sink.url,
            "EMAIL_SEND_CHUNK": str(CHUNK),
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "CELERY_UNACKED_RESTORE_THROTTLE": "1",
            "VAR_DIR": str(ARTIFACTS / "crash-var"),
        }
        settings.EMAIL_SEND_CHUNK = CHUNK
        report = services.send_and_record(digest)
        assert report.queued == READERS
        first = Worker("crash-first", env, queues="email", concurrency=PROCESSES)
        second = None
        try:
            first.wait_ready()
            assert wait_for(
                lambda: len(sink.received) >= READERS // 3, timeout=30, every=0.05
            ), "the first worker sent too little"
            first.kill()
            in_flight = Delivery.objects.filter(status=Delivery.Status.SENDING).count()
            received_at_kill = len(sink.received)
            sent_at_kill = Delivery.objects.filter(status=Delivery.Status.SENT).count()
            assert received_at_kill < READERS, "killed too late to prove anything"

            second = Worker("crash-second", env, queues="email", concurrency=PROCESSES)
            # What the ledger hands back: rows left `sending` by the dead worker, and
            # any row of a live one whose chunk outlasted the stale threshold on a
            # loaded machine. Only a handed-back row can be sent twice.
            handed_back = []
            done = wait_for(
                lambda: (
                    Delivery.objects.filter(status=Delivery.Status.SENT).count()
                    == READERS
                ),
                timeout=45,
                every=0.5,
                tick=lambda: handed_back.append(tasks.sweep_stale_deliveries()),
            )
        finally:
            first.kill()
            if second is not None:
                second.kill()
        received = sink.by_recipient()

    statuses, duplicates = send_outcome(received)
    summary = (
        f"readers {READERS}, received at kill {received_at_kill}, sent rows at kill "
        f"{sent_at_kill}, in flight at kill {in_flight}, handed back "
        f"{sum(handed_back)}, total received "
        f"{sum(len(c) for c in received.values())}, duplicates {duplicates}, "
        f"rows {statuses}"
    )
    (ARTIFACTS / "crash-report.txt").write_text(summary + "\n")
    print(summary)
    assert done, summary
    assert Delivery.objects.count() == READERS
    assert statuses == {Delivery.Status.SENT: READERS}
    assert set(received) == {f"crash{n:05d}@example.com" for n in range(READERS)}
    # The kill leaves at most one claimed chunk per process in flight, and every
    # duplicate is a row the ledger had claimed and then handed back: a broken claim
    # (two processes sending the same pending rows) would exceed it.
    assert in_flight <= CHUNK * PROCESSES, summary
    assert duplicates <= sum(handed_back), summary
    tasks.sweep_stale_deliveries()
    assert Digest.objects.get(id=digest.id).status == Digest.Status.SENT
