"""The admin login is throttled: guessing passwords locks the guesser out, not the owner.

After AXES_FAILURE_LIMIT failures from one address (at one account or spread over
many) the right password is refused too (429) from that address until an admin lifts
the lockout; the owner elsewhere still logs in. Past AXES_USERNAME_CEILING failures
from anywhere, an account logs in only from an address it used before.
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


def _log_in(client, password: str, username: str = "editor", **headers):
    remote_addr = headers.pop("remote_addr", "127.0.0.1")
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        headers=headers,
        REMOTE_ADDR=remote_addr,
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


def test_a_stranger_elsewhere_cannot_lock_the_owner_out(client, editor, settings):
    _lock_out(client, settings, remote_addr="198.51.100.1")

    response = _log_in(client, PASSWORD, remote_addr="198.51.100.2")

    assert response.status_code == 302
    assert _is_logged_in(client)


def test_one_address_guessing_across_accounts_is_locked_out(client, editor, settings):
    statuses = [
        _log_in(client, "wrong", username=f"user{n}", remote_addr="198.51.100.7")
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1].status_code == 429

    response = _log_in(client, PASSWORD, remote_addr="198.51.100.7")

    assert response.status_code == 429
    assert not _is_logged_in(client)


def test_past_the_ceiling_the_owner_logs_in_only_from_a_usual_address(
    client, editor, settings
):
    settings.AXES_USERNAME_CEILING = 2 * settings.AXES_FAILURE_LIMIT
    assert _log_in(client, PASSWORD, remote_addr="192.0.2.10").status_code == 302
    client.logout()
    for n in range(2):  # a botnet: a few guesses from each of many addresses
        _lock_out(client, settings, remote_addr=f"198.51.100.{n + 20}")

    from_new_address = _log_in(client, PASSWORD, remote_addr="198.51.100.99")
    assert from_new_address.status_code == 200  # refused as a wrong password
    assert not _is_logged_in(client)

    from_usual_address = _log_in(client, PASSWORD, remote_addr="192.0.2.10")
    assert from_usual_address.status_code == 302
    assert _is_logged_in(client)


def test_a_forged_client_ip_header_from_an_untrusted_peer_is_ignored(
    client, editor, settings
):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    statuses = [
        _log_in(
            client, "wrong", remote_addr="203.0.113.9", x_real_ip=f"192.0.2.{n}"
        ).status_code
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "203.0.113.9"
    }


@pytest.mark.postgres
@pytest.mark.parametrize("junk", ["not-an-ip", "999.1.1.1", "1.2.3.4; DROP", "::zz"])
def test_a_malformed_client_ip_header_is_ignored_not_a_500(
    client, editor, settings, postgres, junk
):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    wrong = _log_in(client, "wrong guess", x_real_ip=junk)
    right = _log_in(client, PASSWORD, x_real_ip=junk)

    assert wrong.status_code == 200
    assert right.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "127.0.0.1"
    }


def test_the_client_ip_header_names_the_address_that_is_locked_out(
    client, editor, settings
):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
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


def test_a_guesser_who_keeps_guessing_stays_locked_while_the_owner_is_not(
    client, editor, settings
):
    import datetime as dt

    from django.db.models import F

    def time_passes(minutes: int) -> None:
        AccessAttempt.objects.update(
            attempt_time=F("attempt_time") - dt.timedelta(minutes=minutes)
        )

    cooloff = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    _lock_out(client, settings, remote_addr="198.51.100.5")
    time_passes(cooloff - 1)
    # A guess just before the cool-off ends starts it again.
    assert _log_in(client, "guess", remote_addr="198.51.100.5").status_code == 429
    time_passes(2)  # the first lockout alone would be over now

    assert _log_in(client, PASSWORD, remote_addr="198.51.100.5").status_code == 429
    assert _log_in(client, PASSWORD, remote_addr="192.0.2.44").status_code == 302
