from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

HEARTBEAT_TASK = "newsletter.jobs.heartbeat"


class Command(BaseCommand):
    help = (
        "Exit 1 unless beat sent the every-minute heartbeat recently: the beat "
        "container's healthcheck (docker/compose.yaml)."
    )

    def add_arguments(self, parser):
        # Beat writes last_run_at to the database every 3 minutes (django-celery-beat's
        # sync interval), so a live beat's mark is up to about 4 minutes old.
        parser.add_argument("--max-age", type=int, default=300, help="seconds")

    def handle(self, *args, max_age: int = 300, **options):
        # Beat's own mark, not the workers' heartbeat rows: a beat that runs while every
        # worker is down is healthy, and restarting it would not help.
        task = PeriodicTask.objects.filter(task=HEARTBEAT_TASK, enabled=True).first()
        if task is None or task.last_run_at is None:
            raise CommandError("beat: the heartbeat has never been sent")
        age = timezone.now() - task.last_run_at
        if age > timedelta(seconds=max_age):
            raise CommandError(
                f"beat: heartbeat last sent {task.last_run_at:%Y-%m-%d %H:%M:%S} "
                f"({int(age.total_seconds())} s ago, more than {max_age} s)"
            )
        self.stdout.write(f"beat: heartbeat sent {int(age.total_seconds())} s ago")
