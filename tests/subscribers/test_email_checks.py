"""`check --deploy` refuses a production email setup that cannot send: no backend
(every email would go to .eml files), an ESP name anymail does not know, an ESP
whose library is not installed."""

import importlib.util
import os
import subprocess

import pytest

from tests import deployment

pytestmark = pytest.mark.slow  # each test starts manage.py


def _check_deploy(**env) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"ESP", "EMAIL_URL", "DEBUG"} and not k.startswith("ANYMAIL_")
    }
    return deployment.manage(
        {**base, "DEBUG": "0", "SECRET_KEY": "k" * 60, **env},
        "check",
        "--deploy",
        timeout=120,
    )


def test_production_without_an_email_backend_fails():
    result = _check_deploy()

    assert result.returncode != 0
    assert "subscribers.E005" in result.stderr
    assert "instead of being sent" in result.stderr


def test_an_smtp_relay_or_a_known_esp_passes_the_email_check():
    smtp = _check_deploy(EMAIL_URL="submission://u:p@smtp.example.com")
    esp = _check_deploy(ESP="postmark", ANYMAIL_WEBHOOK_SECRET="hook:long-secret")

    for result in (smtp, esp):
        output = result.stdout + result.stderr
        assert not any(f"subscribers.E00{n}" in output for n in (3, 4, 5)), output


def test_an_esp_name_anymail_does_not_know_is_an_error_not_a_warning():
    result = _check_deploy(ESP="postmak", ANYMAIL_WEBHOOK_SECRET="hook:long-secret")

    assert result.returncode != 0
    assert "subscribers.E003" in result.stderr
    assert "ESP=postmak names no known anymail ESP" in result.stderr
    assert "subscribers.W001" not in result.stdout + result.stderr


def test_an_esp_whose_library_is_missing_is_an_error():
    if importlib.util.find_spec("boto3") is not None:
        pytest.skip("boto3 is installed here")

    result = _check_deploy(ESP="amazon_ses", ANYMAIL_WEBHOOK_SECRET="hook:long-secret")

    assert result.returncode != 0
    assert "subscribers.E004" in result.stderr and "boto3" in result.stderr
