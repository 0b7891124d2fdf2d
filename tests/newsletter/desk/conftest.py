"""The desk's tests act as one editor: a superuser logged in, the admin in English."""

import pytest


@pytest.fixture(autouse=True)
def english_admin(client):
    """The desk's words are asserted in English; Korean has tests of its own."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def editor(django_user_model, defaults):
    return django_user_model.objects.create_superuser(
        "editor", "editor@example.com", "pw"
    )


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
