"""Ranking: independent publishers and editors' source weights first, recency second;
among equals a reader's own language first; the score shown on the review desk."""

import datetime as dt

import pytest
from django.utils import timezone

from newsletter.editorial import stories
from newsletter.models import Category, Digest, Story
from tests.factories import ArticleFactory, DigestFactory, SourceFactory, make_section

pytestmark = pytest.mark.django_db

WINDOW = dt.timedelta(hours=36)


def _article(title, *, hours_ago, host, weight=1.0, language="en"):
    return ArticleFactory(
        title=title,
        text=f"{title}. The announcement gave no further details today.",
        url=f"https://{host}/{abs(hash(title))}",
        published_at=timezone.now() - dt.timedelta(hours=hours_ago),
        first_seen_at=timezone.now() - dt.timedelta(hours=hours_ago),
        source=SourceFactory(weight=weight),
        language=language,
    )


def _plan(articles, language=None):
    end = timezone.now()
    return stories.plan_stories(
        articles,
        {a.id: None for a in articles},
        window_start=end - WINDOW,
        window_end=end,
        language=language,
    )


def test_recency_never_beats_an_extra_independent_publisher():
    fresh = _article("Feature on compilers for robots", hours_ago=0.1, host="a.example")
    launch = [
        _article("Haneul-2 model launched", hours_ago=35, host=host)
        for host in ("wire.example", "daily.example")
    ]
    first, second = _plan([fresh, *launch])
    assert set(first.articles) == set(launch)
    assert second.articles == [fresh]


def test_an_editors_source_weight_counts_before_recency():
    fresh = _article("Newest feature", hours_ago=0.1, host="a.example")
    heavier = _article("Older wire report", hours_ago=35, host="w.example", weight=1.01)
    assert [p.lead for p in _plan([fresh, heavier])] == [heavier, fresh]
    # With equal weights recency orders them.
    same = _article("Older blog report", hours_ago=35, host="b.example")
    assert [p.lead for p in _plan([fresh, same])] == [fresh, same]


def test_a_korean_reader_gets_the_korean_story_first_among_equals():
    english = _article("Agent framework released", hours_ago=1, host="e.example")
    korean = _article(
        "국내 스타트업, 한국어 언어모델 '하늘-2' 공개",
        hours_ago=12,
        host="k.example",
        language="ko",
    )
    assert [p.lead for p in _plan([english, korean], "ko")] == [korean, english]
    assert [p.lead for p in _plan([english, korean], "en")] == [english, korean]
    # Never over an extra publisher.
    second = _article("Agent framework released widely", hours_ago=2, host="f.example")
    plans = _plan([english, second, korean], "ko")
    assert plans[0].lead != korean


def test_a_score_splits_into_publishers_and_recency():
    parts = stories.score_parts(2.5 + stories.RECENCY_WEIGHT * 0.75)
    assert parts == stories.ScoreParts(publishers=2.5, freshness=0.75)


def test_the_review_desk_shows_scores_and_real_publishers(
    client, django_user_model, defaults
):
    client.force_login(
        django_user_model.objects.create_superuser("editor", "e@example.com", "pw")
    )
    client.cookies["django_language"] = "en"
    digest = DigestFactory(date=timezone.localdate(), status=Digest.Status.READY)
    llm = Category.objects.get(slug="llm")
    hacker_news = SourceFactory(name="Hacker News", is_aggregator=True)
    article = ArticleFactory(
        title="Kestrel-2 released",
        url="https://kestrel-labs.example/news/kestrel-2",
        site_name="Kestrel Labs",
        source=hacker_news,
    )
    story = Story.objects.create(
        digest=digest,
        category=llm,
        title="Kestrel-2 released",
        lead_article=article,
        score=2.0 + stories.RECENCY_WEIGHT * 0.5,
        position=0,
    )
    content = {
        "topics": [],
        "events": [{"text": "Kestrel-2 is out.", "citations": [1]}],
        "impact": {},
        "final_summary": [],
        "stories": [{"id": story.id, "citations": [1]}],
    }
    make_section(digest, llm, [article], content=content)

    page = client.get(f"/admin/newsletter/digest/{digest.id}/change/").content.decode()

    assert "Stories, best first" in page
    # The sum as it is made: freshness (0-1) times its weight.
    assert "score 2.005 = publishers 2.00 + recency 0.50 × 0.009" in page
    # Each source is credited to its site, the aggregator only where it was found.
    assert "Kestrel Labs · via Hacker News" in page
