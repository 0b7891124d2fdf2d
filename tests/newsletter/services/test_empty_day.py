"""Nothing empty goes out: a day with no stories is not approved (auto-approve or the
review window), not sent and not published, and the desk says why."""

import datetime as dt

import pytest
from django.core import mail
from django.core.cache import cache
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from ingestion import sample
from ingestion import services as ingestion_services
from ingestion.models import Article, Source
from newsletter import daily, services
from newsletter.models import Delivery, Digest
from newsletter.services import empty_day
from tests.conftest import SAMPLE_DAY, add_sample_sources
from tests.factories import DigestFactory, SubscriberFactory
from tests.newsletter.mail_fixtures import build_digest


@pytest.fixture(autouse=True)
def fresh_archive():
    """The archive's list pages are cached: each test reads its own."""
    cache.clear()


@pytest.fixture
def staff(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


def _nothing_went_out(client, digest: Digest) -> None:
    assert digest.status == Digest.Status.READY and digest.approved_at is None
    assert not Delivery.objects.exists()
    assert mail.outbox == []
    assert client.get(digest.get_absolute_url()).status_code == 404
    archive = client.get(reverse("newsletter:archive")).content.decode()
    assert digest.get_absolute_url() not in archive
    feed = client.get(reverse("newsletter:archive_rss")).content.decode()
    assert "<item>" not in feed


def test_a_day_without_active_sources_sends_and_publishes_nothing(
    defaults, offline, settings, staff, client
):
    settings.DIGEST_AUTO_APPROVE = True
    SubscriberFactory(email="reader@example.com")
    today = timezone.localdate()

    daily.run_in_process(today)

    digest = Digest.objects.get(date=today, edition=Digest.Edition.NEWS)
    assert digest.empty_reason == empty_day.NO_SOURCES
    _nothing_went_out(client, digest)
    front = staff.get(reverse("admin:index")).content.decode()
    assert "No news in the window: no active sources" in front
    assert "Nothing will be sent or published." in front
    review = staff.get(reverse("admin:newsletter_digest_change", args=[digest.id]))
    page = review.content.decode()
    assert "No news in the window: no active sources" in page
    assert reverse("admin:newsletter_digest_approve", args=[digest.id]) not in page


def test_when_every_feed_answers_not_modified_the_desk_says_so(
    defaults, offline, settings, staff, client
):
    settings.INGEST_ALLOW_PRIVATE_HOSTS = True
    SubscriberFactory(email="reader@example.com")
    with sample.serve_corpus(SAMPLE_DAY) as site:
        add_sample_sources(site)
        ingestion_services.ingest()
        # Yesterday's news: first seen well before today's window.
        Article.objects.update(first_seen_at=timezone.now() - dt.timedelta(days=3))
        again = ingestion_services.ingest()
    assert again.sources_not_modified == Source.objects.filter(is_active=True).count()

    digest = services.build_digest(timezone.localdate())
    services.release_reviewed_digests()

    digest.refresh_from_db()
    assert digest.empty_reason == empty_day.NOT_MODIFIED
    _nothing_went_out(client, digest)
    front = staff.get(reverse("admin:index")).content.decode()
    assert "every active source answered &#x27;not modified&#x27;" in front


def test_the_review_window_and_an_editor_never_approve_an_empty_digest(
    defaults, settings, staff
):
    settings.DIGEST_REVIEW_WINDOW_MINUTES = 30
    empty = DigestFactory(date=timezone.localdate(), status=Digest.Status.READY)
    Digest.objects.filter(id=empty.id).update(
        updated_at=timezone.now() - dt.timedelta(hours=2)
    )

    released = services.release_reviewed_digests()
    clicked = staff.post(reverse("admin:newsletter_digest_approve", args=[empty.id]))

    assert released == 0
    assert clicked.status_code in (302, 403)
    empty.refresh_from_db()
    assert empty.status == Digest.Status.READY
    assert not Delivery.objects.exists()


def test_an_empty_digest_marked_sent_by_an_older_version_is_not_listed(
    defaults, client
):
    day = dt.date(2026, 8, 21)
    DigestFactory(date=day, status=Digest.Status.SENT)
    told = build_digest(slugs=("llm",), day=dt.date(2026, 8, 22))
    Digest.objects.filter(id=told.id).update(status=Digest.Status.SENT)

    archive = client.get(reverse("newsletter:archive")).content.decode()

    assert told.get_absolute_url() in archive
    assert client.get(f"/digests/{day.isoformat()}/").status_code == 404
    assert list(Digest.objects.published()) == [told]


@override_settings(DIGEST_AUTO_APPROVE=True)
def test_a_day_with_stories_is_still_approved(defaults):
    digest = build_digest(slugs=("llm",))
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.READY)

    assert services.approve_digest(digest.id)


def test_the_korean_desk_says_why_in_korean(defaults, admin_client):
    DigestFactory(
        date=timezone.localdate(),
        status=Digest.Status.READY,
        empty_reason=empty_day.NO_SOURCES,
    )

    front = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ko")

    page = front.content.decode()
    assert "이 기간에 뉴스 없음: 활성 소스 없음: 소스 목록에서 활성화하세요." in page
