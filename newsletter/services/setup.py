"""A fresh install's defaults: categories, sources and the beat schedule."""

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from ingestion.defaults import DEFAULT_SOURCES
from ingestion.models import Source
from newsletter.defaults import DEFAULT_CATEGORIES, PAPERS_CATEGORIES
from newsletter.models import Category


@transaction.atomic
def load_defaults(*, activate_sources: bool = False) -> dict[str, int]:
    """Create missing default categories and sources; never overwrite an editor's edits."""
    created = {"categories": 0, "sources": 0}
    for position, spec in enumerate(DEFAULT_CATEGORIES):
        category, was_created = Category.objects.get_or_create(
            slug=spec["slug"], defaults={**spec, "position": position * 10}
        )
        created["categories"] += was_created
        _fill_english(category, spec)
    # Papers come after News wherever both are listed (sign-up, one email).
    for position, spec in enumerate(PAPERS_CATEGORIES, start=100):
        _, was_created = Category.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                **spec,
                "edition": Category.Edition.PAPERS,
                "position": position * 10,
            },
        )
        created["categories"] += was_created
    for spec in DEFAULT_SOURCES:
        source, was_created = Source.objects.get_or_create(
            url=spec["url"], defaults={**spec, "is_active": activate_sources}
        )
        created["sources"] += was_created
        if activate_sources and not source.is_active:
            source.is_active = True
            source.save(update_fields=["is_active"])
    _schedule_jobs()
    return created


def _fill_english(category: Category, spec: dict) -> None:
    """English name and description for a category made before they existed; a
    field an editor filled is theirs."""
    empty = [f for f in ("name_en", "description_en") if not getattr(category, f)]
    for field_name in empty:
        setattr(category, field_name, spec[field_name])
    if empty:
        category.save(update_fields=empty)


def _scheduled_jobs() -> list[tuple[str, str, str, str, str]]:
    """(name, task, minute, hour, day of week) of the beat entries, in TIME_ZONE."""
    daily = [
        (
            "Daily digest",
            "newsletter.jobs.run_daily",
            "0",
            str(settings.DIGEST_SCHEDULE_HOUR),
        ),
        (
            "Send approved digests",
            "newsletter.jobs.release_reviewed_digests",
            "*/10",
            "*",
        ),
        ("Worker heartbeat", "newsletter.jobs.heartbeat", "*", "*"),
        # A dead worker's rows go stale after DELIVERY_STALE_AFTER_SECONDS; sweeping
        # every minute hands them back about then, not minutes later.
        (
            "Return stuck deliveries",
            "newsletter.tasks.sweep_stale_deliveries",
            "*",
            "*",
        ),
        ("Resume a stalled day", "newsletter.jobs.resume_day", "*/2", "*"),
        (
            "Send waiting subscription emails",
            "subscribers.tasks.sweep_subscriber_emails",
            "*/2",
            "*",
        ),
        (
            "Purge unconfirmed sign-ups",
            "subscribers.jobs.purge_unconfirmed_signups",
            "30",
            "3",
        ),
    ]
    # The weekly edition half an hour after the daily run, on its day: editors move
    # it in the admin, and the run builds the week before the day it runs.
    weekly = (
        "Weekly digest",
        "newsletter.jobs.run_weekly",
        "30",
        str(settings.DIGEST_SCHEDULE_HOUR),
        str(settings.WEEKLY_SCHEDULE_DAY),
    )
    return [(*job, "*") for job in daily] + [weekly]


# (name, minute) of defaults an earlier version created: a row still on its old
# default moves to today's; a time an editor chose stays.
_OLD_DEFAULTS = [("Return stuck deliveries", "*/5")]


def _crontab(minute: str, hour: str, day_of_week: str = "*") -> CrontabSchedule:
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_week=day_of_week,
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    return schedule


def _schedule_jobs() -> None:
    """Created once, so the times editors set in the admin are never overwritten."""
    jobs = {name: job for name, *job in _scheduled_jobs()}
    for name, (task, minute, hour, day_of_week) in jobs.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        PeriodicTask.objects.create(
            name=name, task=task, crontab=_crontab(minute, hour, day_of_week)
        )
    for name, old_minute in _OLD_DEFAULTS:
        _, minute, hour, _ = jobs[name]
        for row in PeriodicTask.objects.filter(
            name=name, crontab__minute=old_minute, crontab__hour="*"
        ).select_related("crontab"):
            if row.crontab.day_of_week == row.crontab.day_of_month == "*":
                row.crontab = _crontab(minute, hour)
                row.save(update_fields=["crontab"])
