"""An editor brings a list in through the admin in a real browser: the file, its
columns beside the first rows, the preview, then applying it. The editor's browser
speaks Korean, and so does the desk."""

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
    page.get_by_role("link", name="CSV 가져오기").click()
    page.set_input_files("input[type=file]", str(DATA / "custom_mapping.csv"))
    page.get_by_role("button", name="다음: 열 확인").click()

    # No tool's export: the editor says what each column is, seeing the first rows.
    page.locator("#import-columns").get_by_text("Second Custom").wait_for()
    page.select_option("select[name=column_0]", "email")
    page.select_option("select[name=column_1]", "name")
    page.select_option("select[name=column_2]", "consented")
    page.screenshot(path=str(ARTIFACTS / "import-1-columns.png"), full_page=True)
    page.get_by_role("button", name="다음: 미리보기 (아무것도 바꾸지 않음)").click()

    page.get_by_text("미리보기, 아직 바뀐 것 없음: 추가 2,").wait_for()
    assert not Subscriber.objects.exists()
    page.screenshot(path=str(ARTIFACTS / "import-2-preview.png"), full_page=True)
    page.get_by_role("button", name="이 미리보기 적용").click()

    page.get_by_text("추가 2, 수정 0, 변경 없음 0").wait_for()
    assert SubscriberImport.objects.get().status == SubscriberImport.Status.DONE
    assert dict(Subscriber.objects.values_list("email", "status")) == {
        "first.custom@example.com": "active",
        "second.custom@example.com": "pending",
    }
    assert mailoutbox == []
