from django.urls import reverse

from subscribers import tokens
from tests.factories import SubscriberFactory
from tests.subscribers.conftest import token_for


def test_pages_are_korean_by_default(client, categories):
    page = client.get("/").content.decode()
    assert '<html lang="ko">' in page
    assert "구독하기" in page


def test_browser_language_english_gets_english_pages(client, categories):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="en">' in page
    assert "Get the day's AI news in one email" in page


def test_language_switch_remembers_the_choice_and_returns(client, categories):
    response = client.get(
        reverse("newsletter:set_language", args=["en"]), {"next": "/archive/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/archive/"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    client.get(reverse("newsletter:set_language", args=["ko"]))
    assert '<html lang="ko">' in client.get("/").content.decode()


def test_language_switch_refuses_to_redirect_elsewhere(client, categories):
    response = client.get(
        reverse("newsletter:set_language", args=["en"]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == "/"
    assert (
        client.get(reverse("newsletter:set_language", args=["xx"])).status_code == 404
    )


def test_emails_follow_the_subscriber_language(client, categories, mailoutbox):
    english = SubscriberFactory(email="en@example.com", language="en")
    korean = SubscriberFactory(email="ko@example.com", language="ko")
    for subscriber in (english, korean):
        client.post(
            "/",
            {
                "email": subscriber.email,
                "language": subscriber.language,
                "categories": [categories[0].id],
                "website": "",
            },
        )
    assert mailoutbox[0].subject == "Manage your Daily AI Insights subscription"
    assert mailoutbox[1].subject == "Daily AI Insights 구독 관리"


def test_preferences_page_in_english(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com")
    url = reverse("subscribers:manage", args=[token_for(subscriber, tokens.MANAGE)])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Export my data (JSON)" in page


def test_korean_catalog_is_complete_and_compiled():
    import ast
    import gettext
    from pathlib import Path

    from django.conf import settings

    directory = Path(settings.BASE_DIR) / "locale" / "ko" / "LC_MESSAGES"
    msgids, current, in_msgid = [], [], False
    for line in (directory / "django.po").read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            current, in_msgid = [ast.literal_eval(line[6:])], True
        elif line.startswith('"') and in_msgid:
            current.append(ast.literal_eval(line))
        elif line.startswith("msgstr"):
            in_msgid = False
            if "".join(current):
                msgids.append("".join(current))
    with (directory / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    missing = [m for m in msgids if not compiled.get(m)]
    assert msgids and not missing, f"untranslated or not compiled: {missing[:5]}"
