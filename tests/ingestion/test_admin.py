import pytest
from django.urls import reverse

from ingestion.models import Article, Source

from .conftest import rss

# The admin's words are asserted in English.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_admin")]


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_superuser(
        "editor", "editor@example.com", "pw"
    )
    client.force_login(user)
    return client


@pytest.fixture
def stored(db):
    good = Source.objects.create(name="Good feed", url="https://good.example/feed")
    broken = Source.objects.create(
        name="Broken feed",
        url="https://broken.example/feed",
        last_status=Source.FetchStatus.ERROR,
        last_error="HTTP 500 Internal Server Error",
        consecutive_failures=5,
        paused_at="2026-08-22T00:00:00Z",
    )
    first = Article.objects.create(
        source=good,
        url="https://good.example/a",
        title="Original story",
        extraction_status=Article.Extraction.EXTRACTED,
    )
    Article.objects.create(
        source=broken,
        url="https://broken.example/a",
        title="Copied story",
        duplicate_of=first,
        extraction_status=Article.Extraction.FEED,
    )
    return good, broken


def test_source_list_shows_health_and_filters_paused(editor, stored):
    url = reverse("admin:ingestion_source_changelist")
    page = editor.get(url).content.decode()
    assert "HTTP 500 Internal Server Error" in page and "paused" in page
    paused_only = editor.get(url, {"paused": "yes"}).content.decode()
    assert "Broken feed" in paused_only and "Good feed" not in paused_only


def test_article_filters_by_duplicate_extraction_and_search(editor, stored):
    url = reverse("admin:ingestion_article_changelist")
    duplicates = editor.get(url, {"duplicate": "yes"}).content.decode()
    assert "Copied story</a></th>" in duplicates
    assert (
        "Original story</a></th>" not in duplicates
    )  # only as the "duplicate of" link
    feed_only = editor.get(url, {"extraction_status__exact": "feed"}).content.decode()
    assert "Copied story" in feed_only
    found = editor.get(url, {"q": "original"}).content.decode()
    assert "Original story" in found and "Copied story" not in found
    by_source = editor.get(
        url, {"source__id__exact": stored[0].id, "needs_review__exact": "0"}
    )
    assert (
        by_source.status_code == 200 and "Original story" in by_source.content.decode()
    )


def test_resume_action_unpauses(editor, stored):
    _, broken = stored
    response = editor.post(
        reverse("admin:ingestion_source_changelist"),
        {"action": "resume", "_selected_action": [broken.id]},
        follow=True,
    )
    broken.refresh_from_db()
    assert broken.paused_at is None and broken.consecutive_failures == 0
    assert "Resumed 1 source" in response.content.decode()


def test_fetch_now_action_ingests_the_source(editor, feed_server, local_fetching):
    source = Source.objects.create(
        name="Local",
        url=feed_server.add(
            "/f.xml", rss({"title": "Fresh", "link": "http://example.com/f"})
        ),
    )
    broken = Source.objects.create(name="Down", url=feed_server.url("/missing.xml"))
    response = editor.post(
        reverse("admin:ingestion_source_changelist"),
        {"action": "fetch_now", "_selected_action": [source.id, broken.id]},
        follow=True,
    )
    page = response.content.decode()
    assert Article.objects.filter(source=source, title="Fresh").exists()
    assert "1 new" in page and "Down: HTTP 404 Not Found" in page
