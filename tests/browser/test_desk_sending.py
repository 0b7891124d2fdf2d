"""Sending with care in a real browser: an editor logs in, edits a section's English,
approves, takes the approval back, approves again, presses send, reads the count per
language on the confirmation and confirms; the deliveries are made and the mail
reaches the SMTP server."""

import pytest
from django.utils import timezone

from newsletter.models import Delivery, Digest, DigestEvent
from tests.browser.conftest import press, shot
from tests.factories import SubscriberFactory
from tests.newsletter.mail_fixtures import build_digest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_send_is_confirmed_with_its_count_per_language(
    desk_page, live_server, sink, settings, defaults, django_user_model
):
    page = desk_page
    settings.SITE_URL = live_server.url
    django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")
    digest = build_digest(day=timezone.localdate(), slugs=("llm", "multimodal"))
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.READY)
    SubscriberFactory(email="ko1@example.com", language="ko")
    SubscriberFactory(email="ko2@example.com", language="ko")
    SubscriberFactory(email="en1@example.com", language="en")

    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name=f"News {digest.date:%Y-%m-%d}", exact=True).click()
    page.get_by_text("Waiting for approval").first.wait_for()

    # The English of the first section is edited beside its Korean.
    first = page.locator("section.desk-section").first
    first.get_by_text("Edit the English version").click()
    first.locator("textarea[name$='-en-topics']").fill("The editor's English topic")
    press(page, "Save the English version")
    page.get_by_text("edited by an editor").first.wait_for()
    section = digest.sections.order_by("position", "category__position", "id")[0]
    assert section.translations["en"]["by"] == "editor"
    shot(page, "send-0-english-edited")

    # Approve, change one's mind, approve again: the page says when it would go.
    press(page, "Approve")
    page.get_by_text("Approved: the scheduler sends it at").wait_for()
    press(page, "Take back approval")
    page.get_by_text("is back to ready").wait_for()
    press(page, "Approve")
    page.get_by_text("Approved: the scheduler sends it at").wait_for()
    shot(page, "send-1-approved")

    # Send asks first, with the readers per language; nothing has gone yet.
    page.get_by_role("link", name="Send to subscribers", exact=True).click()
    page.get_by_role("heading", name="Send to subscribers?").wait_for()
    counts = {
        cell.get_attribute("data-language"): cell.inner_text()
        for cell in page.locator(".desk-recipient-count").all()
    }
    assert counts == {"ko": "2", "en": "1"}
    assert page.locator(".desk-recipient-total").inner_text() == "3"
    assert not Delivery.objects.exists() and sink.received == []
    shot(page, "send-2-confirm")

    press(page, "Yes, send it now")
    page.get_by_text("read-only").first.wait_for()
    assert page.get_by_text("sent 3, queued 0").first.is_visible()
    assert Delivery.objects.filter(digest=digest, status="sent").count() == 3
    assert sorted(r.rcpt_tos[0] for r in sink.received) == [
        "en1@example.com",
        "ko1@example.com",
        "ko2@example.com",
    ]
    # The English reader got the editor's English, the Korean readers the Korean.
    mail = {
        r.rcpt_tos[0]: r.message.get_body(("plain",)).get_content()
        for r in sink.received
    }
    assert "The editor's English topic" in mail["en1@example.com"]
    assert "The editor's English topic" not in mail["ko1@example.com"]
    assert list(
        DigestEvent.objects.order_by("at", "id").values_list("action", flat=True)
    ) == ["edited_translation", "approved", "unapproved", "approved", "sent"]
    shot(page, "send-3-sent")
