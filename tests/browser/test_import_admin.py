"""An editor brings a list in through the admin in a real browser: the file, its
columns beside the first rows, the preview, then applying it."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client

from newsletter import services as newsletter_services
from subscribers.models import Subscriber, SubscriberImport
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"


def test_editor_maps_previews_and_applies_an_import(
    korean_browser, live_server, mailoutbox
):
    context, page = korean_browser
    newsletter_services.load_defaults()
    editor = User.objects.create_superuser("editor", "editor@example.com", "pw")
    client = Client()
    client.force_login(editor)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )

    page.goto(live_server.url + "/admin/subscribers/subscriber/")
    page.get_by_role("link", name="Import CSV").click()
    page.set_input_files("input[type=file]", str(DATA / "custom_mapping.csv"))
    page.get_by_role("button", name="Next: the columns").click()

    # No tool's export: the editor says what each column is, seeing the first rows.
    page.locator("#import-columns").get_by_text("Second Custom").wait_for()
    page.select_option("select[name=column_0]", "email")
    page.select_option("select[name=column_1]", "name")
    page.select_option("select[name=column_2]", "consented")
    page.screenshot(path=str(ARTIFACTS / "import-1-columns.png"), full_page=True)
    page.get_by_role("button", name="Next: preview (changes nothing)").click()

    page.get_by_text("Preview, nothing changed yet: 2 created").wait_for()
    assert not Subscriber.objects.exists()
    page.screenshot(path=str(ARTIFACTS / "import-2-preview.png"), full_page=True)
    page.get_by_role("button", name="Apply this preview").click()

    page.get_by_text("2 created, 0 updated, 0 unchanged").wait_for()
    assert SubscriberImport.objects.get().status == SubscriberImport.Status.DONE
    assert dict(Subscriber.objects.values_list("email", "status")) == {
        "first.custom@example.com": "active",
        "second.custom@example.com": "pending",
    }
    assert mailoutbox == []
