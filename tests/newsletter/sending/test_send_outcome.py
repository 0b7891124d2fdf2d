"""A send whose deliveries mostly fail ends "partial", not "sent": the desk and
/healthz say so. A few failures still leave a sent digest."""

import pytest
from django.urls import reverse
from django.utils import timezone

from newsletter import services
from newsletter.models import Delivery, Digest
from tests.newsletter.mail_fixtures import build_digest, reader


@pytest.fixture
def readers(defaults):
    return [reader(f"reader{n}@example.com") for n in range(1, 6)]


@pytest.fixture
def staff(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


def test_a_relay_refusing_most_readers_ends_partial_and_is_seen(sink, readers, staff):
    for refused in readers[:4]:
        sink.refuse(refused.email)
    digest = build_digest(slugs=("llm",), day=timezone.localdate())

    report = services.send_and_record(digest)

    assert (report.sent, report.failed) == (1, 4)
    assert list(sink.by_recipient()) == ["reader5@example.com"]
    digest.refresh_from_db()
    assert digest.status == Digest.Status.PARTIAL
    assert digest.sent_at is not None
    health = staff.get("/healthz")
    assert health.status_code == 200
    assert health.json()["last_send"].startswith(f"{digest} partial at ")
    assert "1 sent, 4 failed" in health.json()["last_send"]
    front = staff.get(reverse("admin:index")).content.decode()
    assert "Most deliveries failed: 4 of 5." in front
    review = staff.get(reverse("admin:newsletter_digest_change", args=[digest.id]))
    assert "Most deliveries of this send failed" in review.content.decode()
    # Readers who got it hold its link: a partial send stays public and read-only.
    assert staff.get(digest.get_absolute_url()).status_code == 200
    assert digest.is_frozen


def test_a_few_refusals_still_end_sent(sink, readers, staff):
    sink.refuse(readers[0].email)
    digest = build_digest(slugs=("llm",), day=timezone.localdate())

    services.send_and_record(digest)

    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT
    assert Delivery.objects.filter(status=Delivery.Status.FAILED).count() == 1
    assert "4 sent, 1 failed" in staff.get("/healthz").json()["last_send"]
    front = staff.get(reverse("admin:index")).content.decode()
    assert "Most deliveries failed" not in front


def test_sending_a_partial_digest_again_sends_nobody_twice(sink, readers):
    for refused in readers[:4]:
        sink.refuse(refused.email)
    digest = build_digest(slugs=("llm",))
    services.send_and_record(digest)
    digest.refresh_from_db()

    again = services.send_and_record(digest)

    assert (again.sent, again.already_done) == (0, 5)
    assert len(sink.received) == 1
