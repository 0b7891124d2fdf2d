"""The editor's morning in a real browser: log in, read the front page, open today's
digest, edit a section, preview it as an English and a Korean reader, send a test
to the local SMTP server, approve, send, and find the digest read-only."""

import pytest
from django.utils import timezone

from newsletter.models import Delivery, Digest, DigestEvent
from tests.browser.conftest import press, shot
from tests.factories import SubscriberFactory
from tests.newsletter.mail_fixtures import build_digest

pytestmark = pytest.mark.browser


def preview_frame(page):
    return page.frame_locator("iframe.desk-preview")


def test_editors_morning(
    desk_page, live_server, sink, settings, defaults, django_user_model
):
    page = desk_page
    settings.SITE_URL = live_server.url
    django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")
    digest = build_digest(
        day=timezone.localdate(), slugs=("llm", "multimodal", "policy-safety")
    )
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.READY)
    digest.sections.filter(category__slug="policy-safety").update(
        needs_review=True, review_notes="A figure appears in no source."
    )
    SubscriberFactory(email="reader@example.com", language="ko")
    SubscriberFactory(email="english@example.com", language="en")

    # Log in: the front page is the admin index.
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Today's digests").wait_for()
    assert page.get_by_text("Ready for review").first.is_visible()
    shot(page, "1-front-page")

    # Open today's digest from it.
    page.get_by_role("link", name=f"News {digest.date:%Y-%m-%d}", exact=True).click()
    page.get_by_role("heading", name="Sections, in reading order").wait_for()
    assert (
        page.locator(".desk-flags")
        .get_by_text("A figure appears in no source.")
        .is_visible()
    )
    shot(page, "2-digest")

    # Edit the first section in place.
    first = page.locator("section.desk-section").first
    first.get_by_text("Edit this section").click()
    # The first Topics is the Korean one; the English version's form follows it.
    first.get_by_label("Topics").first.fill("편집자가 고친 주제\n두 번째 주제")
    shot(page, "3-editing")
    first.get_by_role("button", name="Save section").click()
    page.get_by_text("Saved").first.wait_for()
    assert (
        page.locator("section.desk-section .desk-topics")
        .first.get_by_text("편집자가 고친 주제")
        .is_visible()
    )
    shot(page, "3-edited")

    # Preview as an English reader, then as a Korean one with two categories.
    page.get_by_label("Language", exact=True).select_option("en")
    press(page, "Preview")
    frame = preview_frame(page)
    # The edit is translated for English readers; with no LLM to translate it they
    # get the section's quotes under English words, labelled as such.
    frame.get_by_text("This summary was written without an LLM").first.wait_for()
    assert frame.get_by_text("편집자가 고친 주제").count() == 0
    assert frame.locator("html").get_attribute("lang") == "en"
    assert "of the 90.0\xa0KB budget" in page.locator(".desk-size").inner_text()
    page.locator("iframe.desk-preview").scroll_into_view_if_needed()
    shot(page, "4-preview-english")

    page.get_by_label("Language", exact=True).select_option("ko")
    for label in ("🌞 Multimodal", "🛡️ AI policy & safety"):
        box = page.get_by_label(label)
        box.scroll_into_view_if_needed()  # the page may still be scrolling to #preview
        box.check()
    press(page, "Preview")
    frame = preview_frame(page)
    frame.get_by_text("편집자가 고친 주제").first.wait_for()
    assert frame.locator("html").get_attribute("lang") == "ko"
    assert frame.get_by_text("llm 주제 하나").count() == 0
    page.locator("iframe.desk-preview").scroll_into_view_if_needed()
    shot(page, "5-preview-korean")

    # A test of this version reaches the editor through the SMTP server.
    press(page, "Send this version as a test")
    page.get_by_text("Test sent to editor@example.com").wait_for()
    [test] = sink.received
    assert test.rcpt_tos == ["editor@example.com"]
    assert test.message["Subject"].startswith("[TEST] ")
    assert not Delivery.objects.exists()
    shot(page, "6-test-sent")

    # Approve, then send to the subscribers.
    press(page, "Approve")
    page.get_by_text("approved.").first.wait_for()
    page.get_by_role("link", name="Send to subscribers", exact=True).click()
    page.get_by_role("heading", name="Send to subscribers?").wait_for()
    assert page.locator(".desk-recipient-total").inner_text() == "2"
    press(page, "Yes, send it now")
    page.get_by_text("read-only").first.wait_for()
    assert sorted(r.rcpt_tos[0] for r in sink.received[1:]) == [
        "english@example.com",
        "reader@example.com",
    ]
    assert Delivery.objects.filter(status="sent").count() == 2

    # Sent: nothing left to edit, history shows who did what.
    assert page.get_by_text("Edit this section").count() == 0
    assert page.locator('input[name="_save"]').count() == 0
    assert page.get_by_role("button", name="Approve").count() == 0
    history = page.locator("table.desk-history").inner_text()
    for action in ("Edited a section", "Sent a test", "Approved", "Sent"):
        assert action in history
    assert set(DigestEvent.objects.values_list("actor_name", flat=True)) == {"editor"}
    preview_frame(page).get_by_text("편집자가 고친 주제").first.wait_for()
    # Chromium paints a sandboxed frame once it has been on screen.
    page.locator("iframe.desk-preview").scroll_into_view_if_needed()
    shot(page, "7-sent-read-only")
