"""The admin login is throttled: guessing passwords locks the account until it is lifted.

Twelve wrong passwords followed by the right one once logged in. Now, after
AXES_FAILURE_LIMIT failures the right password is refused too (429) until an admin
lifts the lockout.
"""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

PASSWORD = "a long and correct passphrase"


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser(
        "editor", "editor@example.com", PASSWORD
    )


def _log_in(client, password: str, **headers):
    return client.post(
        reverse("admin:login"),
        {"username": "editor", "password": password, "next": "/admin/"},
        headers=headers,
    )


def _is_logged_in(client) -> bool:
    return client.get(reverse("admin:index")).status_code == 200


def _lock_out(client, settings, **headers) -> None:
    statuses = [
        _log_in(client, "wrong guess", **headers).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    # The form again with its error, until the last failure locks the login.
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert not _is_logged_in(client)


def test_the_right_password_is_refused_after_too_many_wrong_ones(
    client, editor, settings
):
    _lock_out(client, settings)

    response = _log_in(client, PASSWORD)

    assert response.status_code == 429
    assert not _is_logged_in(client)


def test_the_lockout_is_per_username_whatever_the_address(client, editor, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    _lock_out(client, settings, x_real_ip="198.51.100.1")

    response = _log_in(client, PASSWORD, x_real_ip="198.51.100.2")

    assert response.status_code == 429
    assert not _is_logged_in(client)


def test_the_client_ip_header_names_the_address_that_is_locked_out(
    client, editor, settings
):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    _lock_out(client, settings, x_real_ip="192.0.2.1, 203.0.113.7")

    # The proxy's own value (the last one) is recorded, not what the client sent.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "203.0.113.7"
    }


def test_axes_reset_lifts_the_lockout(client, editor, settings):
    _lock_out(client, settings)
    assert _log_in(client, PASSWORD).status_code == 429

    call_command("axes_reset", verbosity=0)
    response = _log_in(client, PASSWORD)

    assert response.status_code == 302
    assert _is_logged_in(client)


def test_an_admin_lifts_the_lockout_in_the_admin(client, editor, settings):
    _lock_out(client, settings)
    attempt = AccessAttempt.objects.get(username="editor")
    other_admin = type(editor).objects.create_superuser("chief", "c@example.com", "x")
    admin_client = type(client)()
    admin_client.force_login(other_admin)

    admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert _log_in(client, PASSWORD).status_code == 302
    assert _is_logged_in(client)


def test_a_weak_password_is_refused_when_an_editor_sets_one(admin_client, editor):
    url = reverse("admin:auth_user_password_change", args=[editor.pk])

    response = admin_client.post(
        url,
        {"password1": "12345678", "password2": "12345678", "usable_password": "true"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "entirely numeric" in body or "전부 숫자" in body
    editor.refresh_from_db()
    assert editor.check_password(PASSWORD)
