"""Kill drills: a real worker SIGKILLed during the build and during the send, a fresh
worker started, beat's jobs sent as beat would send them, and the day must finish on
its own within minutes, not after the broker's one-hour visibility timeout (left at
its default here). The stale thresholds are shrunk so the drills take seconds; the
figures measured go to test-artifacts/kill-drills.txt."""

import os
import time
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from devservers.feed_server import FeedServer
from devservers.openai_server import FakeOpenAI
from devservers.smtp_sink import SmtpSink
from ingestion.models import Source
from newsletter import services
from newsletter.models import DayRun, Delivery, Digest
from subscribers.models import Subscriber
from tests.celery_workers import ARTIFACTS, Worker, own_broker, send_outcome, wait_for
from tests.deployment import database_url
from tests.factories import SubscriberFactory
from tests.ingestion.conftest import story_wire
from tests.newsletter.mail_fixtures import build_digest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

QUEUES = "celery,ingest,email"
# Seconds of silence after which a step's or a chunk's worker is taken for dead.
STALE = 3
# "Within minutes": what each drill allows after the fresh worker is ready.
RECOVERY_LIMIT = 180
READERS = ["ana@example.com", "ben@example.com", "chae@example.kr"]
STORIES = [
    ("OpenAI releases a new GPT language model", "language model"),
    ("Nvidia GPU inference chips cut serving latency", "inference"),
    ("EU regulation on AI safety passes the parliament", "regulation"),
]


@pytest.fixture
def drill_broker(redis_url):
    """Our own Redis database, and a Celery app that publishes to it as beat does."""
    with own_broker(redis_url, 7, "kill-drill-beat") as broker:
        yield broker


def _env(broker_url: str, sink: SmtpSink, var_dir: Path, **extra: str) -> dict:
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
        "VAR_DIR": str(var_dir),
        "DAY_RUN_STALE_SECONDS": str(STALE),
        "DELIVERY_STALE_AFTER_SECONDS": str(STALE),
        **extra,
    }


def _every(seconds: float, action):
    """A tick for wait_for that runs ``action`` at most every ``seconds``: beat."""
    last = [0.0]

    def tick() -> None:
        if time.monotonic() - last[0] >= seconds:
            last[0] = time.monotonic()
            action()

    return tick


def _report(name: str, line: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "kill-drills.txt", "a") as out:
        out.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} {name}: {line}\n")
    print(f"{name}: {line}")


def test_a_worker_killed_during_the_build_the_day_finishes_after_a_fresh_one_starts(
    postgres, defaults, drill_broker, tmp_path
):
    broker_url, beat = drill_broker
    day = timezone.localdate()
    Subscriber.objects.bulk_create(
        Subscriber(email=email, status=Subscriber.Status.ACTIVE) for email in READERS
    )
    # The build's first model call hangs: the worker is killed inside it.
    with (
        FeedServer() as server,
        SmtpSink() as sink,
        FakeOpenAI(timeout_sleep=120) as model,
    ):
        model.script("timeout")
        model.label_rules = {
            "language model": "llm",
            "inference": "inference",
            "regulation": "policy-safety",
        }
        Source.objects.create(name="Wire", url=story_wire(server, STORIES))
        env = _env(
            broker_url,
            sink,
            tmp_path / "var",
            INGEST_ALLOW_PRIVATE_HOSTS="1",
            DIGEST_AUTO_APPROVE="1",
            OPENAI_BASE_URL=model.base_url,
            OPENAI_API_KEY="test",
            LLM_SUMMARY_MODEL="fake-summary",
            LLM_CLASSIFY_MODEL="fake-classify",
            LLM_TIMEOUT="300",
            LLM_MAX_RETRIES="0",
        )
        first = Worker("drill-build-first", env, queues=QUEUES)
        second = None
        try:
            first.wait_ready()
            beat.send_task("newsletter.jobs.run_daily", kwargs={"day": str(day)})
            assert wait_for(
                lambda: (
                    model.requests
                    and DayRun.objects.filter(
                        day=day, step=DayRun.Step.BUILDING
                    ).exists()
                ),
                timeout=120,
            ), f"the build never reached the model:\n{first.log_tail()}"
            first.kill()
            killed_at = time.monotonic()
            assert not Digest.objects.filter(date=day, status="sent").exists()

            second = Worker("drill-build-second", env, queues=QUEUES)
            second.wait_ready()
            ready_at = time.monotonic()

            def finished() -> bool:
                digest = Digest.objects.filter(date=day).first()
                return (
                    digest is not None
                    and digest.status == Digest.Status.SENT
                    and len(sink.received) >= len(READERS)
                    and DayRun.objects.filter(day=day, step=DayRun.Step.DONE).exists()
                )

            resume = _every(2, lambda: beat.send_task("newsletter.jobs.resume_day"))
            done = wait_for(finished, timeout=RECOVERY_LIMIT, every=0.25, tick=resume)
            done_at = time.monotonic()
            logs = f"{first.log_tail()}\n---\n{second.log_tail()}"
        finally:
            first.kill()
            if second is not None:
                second.kill()

    run = DayRun.objects.get(day=day)
    line = (
        f"fresh worker ready {ready_at - killed_at:.1f} s after the kill; day sent "
        f"{done_at - ready_at:.1f} s after it was ready ({done_at - killed_at:.1f} s "
        f"after the kill); run attempt {run.attempt}, resumed {run.resumed}"
    )
    _report("build drill", line)
    assert done, f"{line}\n{logs}"
    assert done_at - ready_at < RECOVERY_LIMIT
    assert (run.step, run.resumed) == (DayRun.Step.DONE, 1)
    digest = Digest.objects.get(date=day)
    assert digest.sections.exists() and digest.generated_by in ("llm", "mixed")
    assert Counter(r for m in sink.received for r in m.rcpt_tos) == {
        email: 1 for email in READERS
    }


SEND_READERS = 600
CHUNK = 20
PROCESSES = 2


@pytest.fixture
def publishing_to(drill_broker):
    """The test process's own Celery app publishes to the drill's broker."""
    from celery import current_app

    url, beat = drill_broker
    saved = {
        key: current_app.conf[key]
        for key in ("broker_url", "task_always_eager", "result_backend")
    }
    current_app.conf.update(
        broker_url=url, task_always_eager=False, result_backend=None
    )
    current_app.close()
    current_app.amqp._producer_pool = None
    yield url, beat
    current_app.conf.update(saved)
    current_app.close()
    current_app.amqp._producer_pool = None


def test_a_worker_killed_mid_send_everyone_gets_one_row_sent_and_duplicates_stay_in_flight(
    postgres, defaults, publishing_to, settings, tmp_path
):
    broker_url, beat = publishing_to
    digest = build_digest(slugs=("llm", "multimodal"))
    Subscriber.objects.bulk_create(
        SubscriberFactory.build(email=f"drill{n:04d}@example.com")
        for n in range(SEND_READERS)
    )
    settings.EMAIL_SEND_CHUNK = CHUNK
    with SmtpSink(delay=0.01) as sink:
        env = _env(broker_url, sink, tmp_path / "var", EMAIL_SEND_CHUNK=str(CHUNK))
        env["CELERY_RESULT_BACKEND"] = ""
        report = services.send_and_record(digest)
        assert report.queued == SEND_READERS
        first = Worker("drill-send-first", env, queues="email", concurrency=PROCESSES)
        second = None
        try:
            first.wait_ready()
            assert wait_for(
                lambda: len(sink.received) >= SEND_READERS // 3, timeout=60, every=0.05
            ), f"the first worker sent too little:\n{first.log_tail()}"
            first.kill()
            killed_at = time.monotonic()
            in_flight = Delivery.objects.filter(status=Delivery.Status.SENDING).count()
            received_at_kill = len(sink.received)
            assert received_at_kill < SEND_READERS, "killed too late to prove anything"

            second = Worker("drill-send-second", env, queues="email", concurrency=2)
            second.wait_ready()
            ready_at = time.monotonic()
            sweep = _every(
                1,
                lambda: beat.send_task(
                    "newsletter.tasks.sweep_stale_deliveries", queue="email"
                ),
            )
            done = wait_for(
                lambda: (Digest.objects.get(id=digest.id).status == Digest.Status.SENT),
                timeout=RECOVERY_LIMIT,
                every=0.25,
                tick=sweep,
            )
            done_at = time.monotonic()
            logs = f"{first.log_tail()}\n---\n{second.log_tail()}"
        finally:
            first.kill()
            if second is not None:
                second.kill()
        received = sink.by_recipient()

    statuses, duplicates = send_outcome(received)
    line = (
        f"{SEND_READERS} readers, chunk {CHUNK} x {PROCESSES} processes; received at "
        f"the kill {received_at_kill}, rows in flight {in_flight}; fresh worker ready "
        f"{ready_at - killed_at:.1f} s after the kill, digest sent "
        f"{done_at - ready_at:.1f} s after it was ready; duplicates {duplicates}; "
        f"rows {statuses}"
    )
    _report("send drill", line)
    assert done, f"{line}\n{logs}"
    assert statuses == {Delivery.Status.SENT: SEND_READERS}
    assert set(received) == {f"drill{n:04d}@example.com" for n in range(SEND_READERS)}
    # Each process holds one claimed chunk at most: only those rows can go twice.
    assert in_flight <= CHUNK * PROCESSES, line
    assert duplicates <= in_flight, line
