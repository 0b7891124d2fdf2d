import os

from celery import Celery, signals

from lib import run_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("daily_ai_insights")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Scheduled jobs call services, so they live above tasks in newsletter/jobs.py.
app.autodiscover_tasks(related_name="jobs")
# A daily run's id goes with its tasks to the workers (lib/run_id.py).
run_id.carry_in_celery_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers and beat log like the web (LOG_FORMAT, LOG_LEVEL; Celery's own lines
    at CELERY_LOG_LEVEL): with a receiver here Celery leaves logging alone."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
