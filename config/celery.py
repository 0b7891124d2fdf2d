import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("daily_ai_insights")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Scheduled jobs call services, so they live above tasks in newsletter/jobs.py.
app.autodiscover_tasks(related_name="jobs")
