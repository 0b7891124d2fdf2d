"""The weekly edition over seven sample days: each story once, with its follow-ups;
who gets it; its chart, page and Markdown report."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from newsletter import export, jobs, services
from newsletter.models import Delivery, Digest, DigestSource, Story
from subscribers.models import Subscriber
from tests.factories import ArticleFactory, SourceFactory
from tests.newsletter.mail_fixtures import reader

pytestmark = pytest.mark.slow

# The sample corpus's day and the six before it; the weekly is dated the day after.
WEEK = [dt.date(2026, 8, 16) + dt.timedelta(days=n) for n in range(7)]
WEEKLY_DAY = dt.date(2026, 8, 23)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _claude_story(day: dt.date, title: str, text: str, host: str):
    return ArticleFactory(
        title=title,
        text=text,
        published_at=_at(day),
        url=f"https://{host}/claude-9",
        source=SourceFactory(),
    )


def _plant_a_developing_story():
    """A launch told on Tuesday, then two follow-ups bringing new facts."""
    launch = _claude_story(
        WEEK[1],
        "Anthropic releases Claude 9 language model with a 2 million token context",
        "Anthropic released Claude 9, a large language model with a context of "
        "2 million tokens, priced at 5 dollars per million tokens.",
        "anthropic.example",
    )
    customers = _claude_story(
        WEEK[3],
        "Anthropic's Claude 9 language model wins 1,400 enterprise customers",
        "Claude 9, Anthropic's large language model with a 2 million token context, "
        "signed 1,400 enterprise customers in its first week, and Amazon Bedrock now "
        "hosts it.",
        "business.example",
    )
    outage = _claude_story(
        WEEK[5],
        "Anthropic's Claude 9 language model hit by a 6 hour outage at Google Vertex",
        "Claude 9, Anthropic's large language model with a 2 million token context, "
        "was down for 6 hours on Google Vertex, affecting 300 enterprise customers.",
        "cloud.example",
    )
    return launch, customers, outage


def _publish_week():
    """Build each day's News digest and send it (nobody subscribed yet): what the
    daily run leaves behind over a week."""
    for day in WEEK:
        digest = services.build_digest(day)
        if digest.can_approve:
            services.approve_digest(digest.id)
        if Digest.objects.get(id=digest.id).can_send:
            services.send_and_record(digest)


@pytest.fixture
def week(defaults, sample_news, offline):
    planted = _plant_a_developing_story()
    _publish_week()
    return planted


def _told_story_ids(weekly: Digest) -> list[int]:
    """Every story a weekly section quotes, follow-ups included, as often as told."""
    return [
        excerpt["story"]
        for section in weekly.sections.all()
        for excerpt in section.content["excerpts"]
    ]


def test_a_weekly_built_over_seven_days_tells_each_story_once_with_its_follow_ups(
    week,
):
    launch, customers, outage = week
    daily = Digest.objects.filter(edition=Digest.Edition.NEWS, date__in=WEEK)
    assert daily.filter(status=Digest.Status.SENT).count() >= 5

    weekly = services.build_digest(WEEKLY_DAY, edition=Digest.Edition.WEEKLY)

    told = _told_story_ids(weekly)
    assert told and len(told) == len(set(told))
    first = Story.objects.get(articles=launch, digest__edition=Digest.Edition.NEWS)
    later = [
        Story.objects.get(articles=a, digest__edition=Digest.Edition.NEWS)
        for a in (customers, outage)
    ]
    assert all(s.is_follow_up for s in later)
    # The launch leads its thread; each follow-up is a line under it, in its section.
    section = weekly.sections.get(sources__article=launch)
    lines = section.content["excerpts"]
    by_story = {line["story"]: line for line in lines}
    assert not by_story[first.id].get("follow_up")
    assert all(by_story[s.id]["follow_up"] for s in later)
    thread = next(s for s in section.content["stories"] if s["id"] == first.id)
    numbers = {
        d.article_id: d.number for d in DigestSource.objects.filter(section=section)
    }
    assert {numbers[a.id] for a in week} <= set(thread["citations"])
    # A follow-up is never an entry of its own.
    entries = [s["id"] for sec in weekly.sections.all() for s in sec.content["stories"]]
    assert not {s.id for s in later} & set(entries)
    # Only what the week's News digests sent, each article numbered once.
    sent = set(
        DigestSource.objects.filter(section__digest__in=daily).values_list(
            "article_id", flat=True
        )
    )
    in_weekly = list(
        DigestSource.objects.filter(section__digest=weekly).values_list(
            "article_id", flat=True
        )
    )
    assert set(in_weekly) <= sent and len(in_weekly) == len(set(in_weekly))
    assert weekly.window_start == _at(WEEK[0], 0)
    assert weekly.chart_png.startswith(b"\x89PNG")
    assert weekly.status == Digest.Status.APPROVED


def test_a_thread_with_follow_ups_ranks_above_one_as_widely_covered_without(week):
    weekly = services.build_digest(WEEKLY_DAY, edition=Digest.Edition.WEEKLY)

    launch = week[0]
    section = weekly.sections.get(sources__article=launch)
    first = Story.objects.get(articles=launch, digest__edition=Digest.Edition.NEWS)
    # Three publishers and two follow-ups: nothing else of the sample week has both.
    assert section.content["stories"][0]["id"] == first.id


def test_the_weekly_reaches_weekly_readers_and_the_daily_does_not(
    defaults, offline, sink
):
    day = WEEK[1]
    _claude_story(
        day,
        "Anthropic releases Claude 9 language model with a 2 million token context",
        "Anthropic released Claude 9, a large language model with a context of "
        "2 million tokens, priced at 5 dollars per million tokens.",
        "anthropic.example",
    )
    reader("daily@example.com", frequency=Subscriber.Frequency.DAILY)
    reader("weekly@example.com", frequency=Subscriber.Frequency.WEEKLY)
    reader("both@example.com", frequency=Subscriber.Frequency.BOTH)

    daily = services.build_digest(day)
    services.send_and_record(daily)
    daily_count = len(sink.received)
    daily_to = {r.rcpt_tos[0] for r in sink.received}
    weekly = services.build_digest(WEEKLY_DAY, edition=Digest.Edition.WEEKLY)
    services.send_and_record(weekly)
    weekly_mail = sink.received[daily_count:]
    weekly_to = {r.rcpt_tos[0] for r in weekly_mail}

    assert daily_to == {"daily@example.com", "both@example.com"}
    assert weekly_to == {"weekly@example.com", "both@example.com"}
    # Readers of the other rhythm get no row at all, not even a skipped one.
    assert set(
        Delivery.objects.filter(digest=weekly).values_list(
            "subscriber__email", flat=True
        )
    ) == {"weekly@example.com", "both@example.com"}
    subjects = [r.message["Subject"] for r in weekly_mail]
    assert (
        subjects
        == [
            "Daily AI Insights · 주간 · 8월 16일 – 8월 22일 · "
            "[EN] Anthropic releases Claude 9 language model with a 2 million…"
        ]
        * 2
    ), subjects
    # Its own chart, said in words for those who do not see it.
    text = weekly_mail[0].message.get_body(("plain",)).get_content()
    assert "분야별 이번 주 기사 차트 (총 1건)" in text and "이번 주의 핵심" in text


def test_the_review_desk_shows_the_weekly_with_its_readers_count(week, admin_client):
    reader("weekly@example.com", frequency=Subscriber.Frequency.WEEKLY)
    reader("daily@example.com", frequency=Subscriber.Frequency.DAILY)
    weekly = services.build_digest(WEEKLY_DAY, edition=Digest.Edition.WEEKLY)

    desk = admin_client.get(f"/admin/newsletter/digest/{weekly.id}/change/")
    confirm = admin_client.get(f"/admin/newsletter/digest/{weekly.id}/send/")

    assert desk.status_code == 200
    # The follow-up's line is there to edit, under its story.
    assert "signed 1,400 enterprise customers" in desk.content.decode()
    assert confirm.status_code == 200
    counts = re.findall(
        r'class="desk-recipient-count" data-language="(\w+)">(\d+)<',
        confirm.content.decode(),
    )
    assert counts == [("ko", "1")]


def test_the_weekly_markdown_report_is_named_for_the_week_and_shaped_like_news(
    week, tmp_path
):
    weekly = services.build_digest(WEEKLY_DAY, edition=Digest.Edition.WEEKLY)

    path = export.export_digest(weekly, tmp_path)

    assert path.name == "Weekly_2026-08-23_report.md"
    assert (path.parent / "weekly_2026-08-23.png").read_bytes().startswith(b"\x89PNG")
    report = path.read_text()
    lines = report.splitlines()
    assert lines[0] == (
        "# Daily Artificial Intelligence Insights : Weekly"
        "![Category Distribution Graph](weekly_2026-08-23.png)"
    )
    headings = [line for line in lines if line.startswith("## ")]
    assert len(headings) == weekly.sections.count()
    launch = week[0]
    number = DigestSource.objects.get(section__digest=weekly, article=launch).number
    assert f" - [{number}] {launch.title} ({launch.url})" in lines
    assert "후속 · " in report


def test_beat_builds_sends_and_exports_the_weekly_on_the_day_editors_set(
    week, settings, client
):
    services.load_defaults()
    row = PeriodicTask.objects.get(name="Weekly digest")
    assert row.task == "newsletter.jobs.run_weekly"
    assert (row.crontab.day_of_week, row.crontab.hour, row.crontab.minute) == (
        "1",
        str(settings.DIGEST_SCHEDULE_HOUR),
        "30",
    )
    row.crontab.day_of_week = "5"  # an editor moves it to Friday
    row.crontab.save()
    services.load_defaults()
    assert PeriodicTask.objects.get(name="Weekly digest").crontab.day_of_week == "5"

    jobs.run_weekly(WEEKLY_DAY.isoformat())

    weekly = Digest.objects.get(edition=Digest.Edition.WEEKLY, date=WEEKLY_DAY)
    assert weekly.status == Digest.Status.SENT
    folder = settings.VAR_DIR / "digests" / "2026-08-23"
    assert (folder / "Weekly_2026-08-23_report.md").exists()
    assert (folder / "Weekly_2026-08-23_report.en.md").exists()
    # Published: its page in the archive, its follow-ups under their story.
    page = client.get(weekly.get_absolute_url()).content.decode()
    assert "주간" in page and "이번 주의 핵심" in page
    assert "후속 · " in page and week[0].url in page
    assert weekly.get_absolute_url() in client.get("/archive/feed/").content.decode()


def test_a_week_without_a_sent_daily_digest_leaves_an_empty_weekly_saying_why(
    defaults, offline
):
    _claude_story(
        WEEK[1],
        "Anthropic releases Claude 9 language model with a 2 million token context",
        "Anthropic released Claude 9, a large language model with a context of "
        "2 million tokens.",
        "anthropic.example",
    )
    services.build_digest(WEEK[1])  # approved, never sent: not told to anyone

    weekly = services.build_digest(WEEKLY_DAY, edition=Digest.Edition.WEEKLY)

    assert weekly.is_empty and weekly.status == Digest.Status.READY
    assert weekly.empty_reason == "no News digest was sent in the week"
