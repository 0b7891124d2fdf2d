import pytest
from django.contrib.auth import get_user_model

from newsletter.services.first_admin import create_first_admin

pytestmark = pytest.mark.django_db


def test_first_admin_without_a_password_cannot_log_in_until_given_one():
    assert create_first_admin(username="editor", email="editor@example.com")

    admin = get_user_model().objects.get(username="editor")
    assert admin.is_superuser
    assert not admin.has_usable_password()


def test_first_admin_is_created_once():
    assert create_first_admin(username="editor", password="first passphrase")
    assert not create_first_admin(username="editor", password="another passphrase")

    admin = get_user_model().objects.get(username="editor")
    assert admin.check_password("first passphrase")
