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


def test_personal_pages_speak_the_readers_language_whatever_the_browser_says(
    client, categories
):
    english = SubscriberFactory(email="alice@example.com", language="en")
    korean = SubscriberFactory(email="minji@example.kr", language="ko")
    manage = reverse("subscribers:manage", args=[token_for(english, tokens.MANAGE)])
    page = client.get(manage, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<html lang="en">' in page
    assert "Export my data (JSON)" in page

    stop = reverse(
        "subscribers:unsubscribe", args=[token_for(korean, tokens.UNSUBSCRIBE)]
    )
    page = client.get(stop, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ko">' in page


def test_a_stored_language_the_site_does_not_offer_falls_back(
    client, categories, settings
):
    settings.DIGEST_LANGUAGE = "en"
    stray = SubscriberFactory(email="old@example.com", language="fr")
    assert stray.reading_language == "en"
    manage = reverse("subscribers:manage", args=[token_for(stray, tokens.MANAGE)])
    page = client.get(manage, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<html lang="en">' in page


def test_changing_the_language_on_the_preferences_page_switches_the_page(
    client, categories
):
    subscriber = SubscriberFactory(email="alice@example.com", language="ko")
    url = reverse(
        "subscribers:preferences", args=[token_for(subscriber, tokens.PREFERENCES)]
    )
    response = client.post(
        url,
        {"action": "save", "language": "en", "categories": [categories[0].id]},
        follow=True,
    )
    assert '<html lang="en">' in response.content.decode()


def test_a_lang_query_opens_a_public_page_in_that_language_for_that_visit(
    client, categories
):
    page = client.get("/?lang=en", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<html lang="en">' in page
    assert '<html lang="ko">' in client.get("/").content.decode()
    assert '<html lang="ko">' in client.get("/?lang=xx").content.decode()


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
    # A plural message is compiled under (msgid, form): Korean has the one form.
    missing = [m for m in msgids if not (compiled.get(m) or compiled.get((m, 0)))]
    assert msgids and not missing, f"untranslated or not compiled: {missing[:5]}"
