"""The desk's tests act as one editor: a superuser logged in, the admin in English."""

import pytest


@pytest.fixture(autouse=True)
def _english(english_admin):
    """The desk's words are asserted in English; Korean has tests of its own."""


@pytest.fixture
def editor(django_user_model, defaults):
    return django_user_model.objects.create_superuser(
        "editor", "editor@example.com", "pw"
    )


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
