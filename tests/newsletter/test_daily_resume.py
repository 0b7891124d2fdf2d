"""The resume job: a day whose worker died is run again, an older attempt's message
does nothing, and the desk and /healthz say what is stuck and since when. Tasks run
in-process here; tests/newsletter/test_kill_drills.py kills real workers."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from newsletter import daily, jobs
from newsletter.models import DayRun, Digest

pytestmark = pytest.mark.django_db

# Morning in TIME_ZONE: "today" stays today while a test runs.
MORNING = dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
def morning():
    with time_machine.travel(MORNING):
        yield timezone.localdate()


def _silent_run(day, step, *, minutes=10, **fields) -> DayRun:
    long_ago = timezone.now() - dt.timedelta(minutes=minutes)
    return DayRun.objects.create(
        day=day,
        step=step,
        started_at=long_ago,
        step_started_at=long_ago,
        alive_at=long_ago,
        **fields,
    )


def test_a_build_whose_worker_died_is_built_again_and_the_run_finishes(
    defaults, morning
):
    _silent_run(morning, DayRun.Step.BUILDING)
    Digest.objects.create(date=morning)  # the half-built draft it left

    assert jobs.resume_day() == f"daily run for {morning}: building resumed"

    run = DayRun.objects.get(day=morning)
    assert (run.step, run.attempt, run.resumed) == (DayRun.Step.DONE, 2, 1)
    assert run.finished_at is not None
    digest = Digest.objects.get(date=morning)
    assert digest.status == Digest.Status.READY  # built: an empty day, saying why
    assert digest.empty_reason
    assert jobs.resume_day() == "nothing to resume"


def test_a_step_that_shows_signs_of_life_is_left_alone(defaults, morning, settings):
    settings.DAY_RUN_STALE_SECONDS = 300
    _silent_run(morning, DayRun.Step.BUILDING, minutes=2)

    assert jobs.resume_day() == "nothing to resume"
    assert DayRun.objects.get(day=morning).attempt == 1
    assert not Digest.objects.exists()


def test_the_older_attempts_redelivered_message_does_nothing(defaults, morning):
    _silent_run(morning, DayRun.Step.SENDING, attempt=2)

    built = daily.build_step.run(None, morning.isoformat(), attempt=1)
    after = daily.export_step.run(daily.send_step.run(built))

    assert after["superseded"]
    assert not Digest.objects.exists()
    assert DayRun.objects.get(day=morning).step == DayRun.Step.SENDING


@pytest.mark.redis
def test_after_the_last_resume_it_gives_up_and_the_desk_and_healthz_say_so(
    defaults, morning, settings, admin_client, redis_url
):
    settings.DAY_RUN_MAX_ATTEMPTS = 3
    settings.HEALTHZ_STUCK_SECONDS = 30 * 60
    _silent_run(morning, DayRun.Step.FETCHING, resumed=3, attempt=4)

    assert jobs.resume_day() == "given up"

    health = admin_client.get("/healthz")
    assert health.status_code == 200  # 10 minutes: not yet past HEALTHZ_STUCK_SECONDS
    stuck = health.json()["stuck"]
    assert "Fetching the sources (attempt 4) shows no sign of life" in stuck
    assert "given up after 3 resumes" in stuck
    desk = admin_client.get("/admin/").content.decode()  # in the editor's Korean
    assert "멈춤: " in desk and "소스 가져오기 단계(4번째 시도)가 응답하지" in desk
    assert "3번 재개한 뒤 멈췄습니다" in desk

    settings.HEALTHZ_STUCK_SECONDS = 5 * 60
    # With a broker: in-process there is no worker to wait for, nothing is checked.
    assert admin_client.get("/healthz").status_code == 200
    settings.CELERY_BROKER_URL = redis_url
    jobs.heartbeat.delay()  # beat and a worker alive
    late = admin_client.get("/healthz")
    assert late.status_code == 503
    assert late.json()["checks"]["stuck"].startswith("stale: daily run")


def _daily_run_sent_at(hour: int, minute: int, second: int = 2) -> None:
    sent = timezone.make_aware(
        dt.datetime.combine(timezone.localdate(), dt.time(hour, minute, second))
    )
    PeriodicTask.objects.filter(task="newsletter.jobs.run_daily").update(
        last_run_at=sent
    )


def test_a_run_beat_started_that_no_worker_took_is_started_again(
    defaults, morning, admin_client
):
    _daily_run_sent_at(7, 0)  # the daily run's time; the morning is at 09:30
    health = admin_client.get("/healthz").json()
    assert "beat started it, no worker took it" in health["stuck"]

    assert jobs.resume_day() == f"daily run for {morning:%Y-%m-%d} started again"

    assert Digest.objects.filter(date=morning).exists()


def test_a_beat_row_changed_today_but_not_due_starts_nothing(defaults, morning):
    """Beat gives a row it has not run its last change as ``last_run_at``."""
    _daily_run_sent_at(9, 10)

    assert jobs.resume_day() == "nothing to resume"
    assert not Digest.objects.exists()


def test_nothing_is_stuck_on_a_quiet_day(defaults, morning, admin_client):
    body = admin_client.get("/healthz").json()
    assert body["stuck"] == "nothing"
    assert "멈춤: " not in admin_client.get("/admin/").content.decode()
