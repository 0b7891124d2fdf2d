"""Language codes from outside, and category names in the reader's language."""

import pytest
from django.urls import reverse

from newsletter.models import Category
from subscribers import tokens
from subscribers.models import Subscriber
from tests.factories import SubscriberFactory
from tests.subscribers.conftest import link_from, token_for

INVALID = "We do not send the digest in that language: choose one from the list."


@pytest.fixture
def named(categories):
    """The LLM category with a Korean name and an English one."""
    Category.objects.filter(slug="llm").update(name="거대 언어 모델", name_en="LLM")
    return Category.objects.get(slug="llm")


@pytest.mark.parametrize("code", ["fr", "xx", "en-GB", "<b>", "e" * 300, ""])
def test_a_forged_sign_up_language_is_refused_with_a_message(
    client, categories, mailoutbox, code
):
    response = client.post(
        "/",
        {"email": "alice@example.com", "language": code, "website": ""},
        HTTP_ACCEPT_LANGUAGE="en",
        REMOTE_ADDR="203.0.113.7",
    )

    assert response.status_code == 200
    page = response.content.decode()
    expected = INVALID if code else "Choose the language of your emails."
    assert expected in page
    assert not Subscriber.objects.exists() and mailoutbox == []


def test_a_forged_preferences_language_changes_nothing_and_says_why(client, categories):
    subscriber = SubscriberFactory(email="alice@example.com", language="en")
    url = reverse(
        "subscribers:preferences", args=[token_for(subscriber, tokens.PREFERENCES)]
    )

    response = client.post(
        url, {"action": "save", "language": "de", "categories": [categories[0].id]}
    )

    assert response.status_code == 400
    assert INVALID in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.language == "en"
    assert subscriber.categories.count() == 0


def test_sign_up_pages_name_categories_in_the_visitors_language(client, named):
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    korean = client.get("/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "🧠 LLM" in english and "거대 언어 모델" not in english
    assert "🧠 거대 언어 모델" in korean


def test_a_category_without_an_english_name_falls_back_to_its_name(named):
    named.name_en = " "
    named.description_en = ""
    assert named.display_name("en") == "거대 언어 모델"
    assert named.display_description("en") == named.description
    assert named.display_name("fr") == named.display_name(None) == "거대 언어 모델"


def test_the_confirmation_email_names_categories_in_the_readers_language(
    client, named, mailoutbox
):
    client.post(
        "/",
        {
            "email": "bob@example.com",
            "language": "en",
            "website": "",
            "categories": [named.id],
        },
        HTTP_ACCEPT_LANGUAGE="ko",
        REMOTE_ADDR="203.0.113.8",
    )

    assert len(mailoutbox) == 1
    assert "🧠 LLM" in mailoutbox[0].body
    assert "거대 언어 모델" not in mailoutbox[0].body
    assert link_from(mailoutbox[0], "confirm")


def test_a_csv_may_name_categories_in_either_language(
    named, django_capture_on_commit_callbacks
):
    from subscribers import import_runs

    named.name_en = "Large language models"
    named.save()
    text = (
        "email,categories,language,consented\n"
        "kim@example.com,거대 언어 모델,ko,yes\n"
        "bob@example.com,large language models|Robotics & Agents,en,yes\n"
        "eve@example.com,llm,xx,yes\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = import_runs.create_import(text.encode(), file_name="list.csv")
        job = import_runs.preview_then_apply(job)

    assert [(e[1], e[3][:21]) for e in job.report["lines"] if e[2] == "rejected"] == [
        ("eve@example.com", "unknown language “xx”")
    ]
    chosen = {
        s.email: {c.slug for c in s.categories.all()} for s in Subscriber.objects.all()
    }
    assert chosen == {
        "kim@example.com": {"llm"},
        "bob@example.com": {"llm", "robotics-agents"},
    }
