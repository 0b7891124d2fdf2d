"""The morning as an operator reads it in the log: with LOG_FORMAT=json one JSON
object per line, every line of the run carrying its id, and one "day done" line."""

import copy
import datetime as dt
import io
import json
from logging.config import dictConfig

import pytest

from ingestion import sample
from newsletter import daily
from newsletter.models import Digest
from tests.conftest import SAMPLE_DAY, add_sample_sources
from tests.factories import SubscriberFactory


@pytest.fixture
def json_log(settings):
    """The project's LOGGING as LOG_FORMAT=json LOG_LEVEL=INFO set it, written to a
    buffer instead of standard output; the lines it holds, parsed."""
    from django.conf import settings as live

    stream = io.StringIO()
    config = copy.deepcopy(live.LOGGING)
    config["handlers"]["console"].update(formatter="json", stream=stream)
    config["root"]["level"] = "INFO"
    dictConfig(config)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        dictConfig(live.LOGGING)


def test_every_line_of_a_day_carries_its_run_id_and_one_line_says_it_is_done(
    defaults, offline, settings, json_log
):
    settings.INGEST_ALLOW_PRIVATE_HOSTS = True
    settings.DIGEST_AUTO_APPROVE = True
    SubscriberFactory(email="reader@example.com")
    with sample.serve_corpus(SAMPLE_DAY) as site:
        add_sample_sources(site)
        daily.run_in_process(dt.date.fromisoformat(SAMPLE_DAY))

    lines = json_log()
    assert {line["level"] for line in lines} >= {"INFO"}
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert len({line.get("run_id") for line in lines}) == 1, [
        (line["logger"], line["message"][:80]) for line in lines if "run_id" not in line
    ]
    assert lines[0]["run_id"]
    [done] = [line for line in lines if line["message"].startswith("day done")]
    digest = Digest.objects.get(edition=Digest.Edition.NEWS)
    assert done["day"] == SAMPLE_DAY
    assert done["editions"] == [
        {
            "edition": "news",
            "day": SAMPLE_DAY,
            "status": "sent",
            "sections": digest.sections.count(),
            "sent": 1,
            "failed": 0,
            "waiting": 0,
        }
    ]
    assert digest.sections.count() > 0
    assert done["duration_seconds"] > 0
    assert f"news sent, {digest.sections.count()} sections, 1 sent" in done["message"]
