"""`manage.py beat_healthcheck`, the beat container's healthcheck: healthy while beat
keeps marking the every-minute heartbeat as sent, not before and not once it stops."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask


def mark_heartbeat_sent(seconds_ago: int) -> None:
    PeriodicTask.objects.filter(task="newsletter.jobs.heartbeat").update(
        last_run_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


def test_beat_is_unhealthy_until_it_has_sent_the_heartbeat(defaults):
    with pytest.raises(CommandError, match="never been sent"):
        call_command("beat_healthcheck")


def test_beat_is_healthy_while_its_heartbeat_is_recent(defaults, capsys):
    mark_heartbeat_sent(200)  # beat writes its marks every 3 minutes

    call_command("beat_healthcheck")

    assert "heartbeat sent 200 s ago" in capsys.readouterr().out


def test_beat_is_unhealthy_once_its_heartbeat_is_stale(defaults):
    mark_heartbeat_sent(301)

    with pytest.raises(CommandError, match=r"\(301 s ago, more than 300 s\)"):
        call_command("beat_healthcheck", "--max-age", "300")
