"""Forged and malformed tracking webhooks change nothing and get a clear 4xx."""

import base64
import importlib.util
import json
import os
import subprocess

import pytest

from subscribers.models import Subscriber, TrackingEvent
from tests import deployment
from tests.factories import SubscriberFactory

POSTMARK = "/webhooks/anymail/postmark/tracking/"
SENDGRID = "/webhooks/anymail/sendgrid/tracking/"
AUTH = "hook:s3cret"
COMPLAINT = {
    "RecordType": "SpamComplaint",
    "Type": "SpamComplaint",
    "ID": 7,
    "Email": "alice@example.com",
    "BouncedAt": "2024-11-09T10:00:00Z",
}
SENDGRID_SPAM = [
    {"event": "spamreport", "email": "alice@example.com", "timestamp": 1731146400}
]


@pytest.fixture(autouse=True)
def _postmark(settings):
    settings.ESP = "postmark"
    settings.ANYMAIL = {"WEBHOOK_SECRET": AUTH}


def post(client, url, body, auth=AUTH):
    headers = {}
    if auth:
        token = base64.b64encode(auth.encode()).decode()
        headers["HTTP_AUTHORIZATION"] = f"Basic {token}"
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    return client.post(url, body, content_type="application/json", **headers)


def assert_untouched(subscriber):
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.unsubscribe_reason == ""
    assert TrackingEvent.objects.count() == 0


@pytest.mark.parametrize("anymail", [{}, {"WEBHOOK_SECRET": ""}])
def test_forged_complaint_without_a_configured_secret_finds_no_endpoint(
    client, db, settings, anymail
):
    settings.ANYMAIL = anymail
    subscriber = SubscriberFactory(email="alice@example.com")
    assert post(client, POSTMARK, COMPLAINT, auth=None).status_code == 404
    assert post(client, POSTMARK, COMPLAINT, auth="any:thing").status_code == 404
    assert_untouched(subscriber)


def test_forged_complaint_with_wrong_credentials_is_refused(client, db):
    subscriber = SubscriberFactory(email="alice@example.com")
    response = post(client, POSTMARK, COMPLAINT, auth="hook:guess")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert_untouched(subscriber)


def test_complaint_with_the_right_credentials_suppresses(client, db):
    subscriber = SubscriberFactory(email="alice@example.com")
    assert post(client, POSTMARK, COMPLAINT).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED


@pytest.mark.parametrize(
    "url",
    [
        SENDGRID,
        "/webhooks/anymail/mailgun/tracking/",
        "/webhooks/anymail/postmark/inbound/",
    ],
)
def test_another_esps_endpoint_does_not_exist(client, db, url):
    subscriber = SubscriberFactory(email="alice@example.com")
    assert post(client, url, SENDGRID_SPAM).status_code == 404
    assert_untouched(subscriber)


def test_without_an_esp_no_webhook_exists(client, db, settings):
    settings.ESP = ""
    subscriber = SubscriberFactory(email="alice@example.com")
    assert post(client, POSTMARK, COMPLAINT).status_code == 404
    assert_untouched(subscriber)


def test_the_configured_esps_endpoint_is_the_one_mounted(client, db, settings):
    settings.ESP = "sendgrid"
    subscriber = SubscriberFactory(email="alice@example.com")
    assert post(client, POSTMARK, COMPLAINT).status_code == 404
    assert_untouched(subscriber)
    assert post(client, SENDGRID, SENDGRID_SPAM).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        b"\xff\xfe not utf-8",
        "[]",
        [COMPLAINT],
        "42",
        {**COMPLAINT, "RecordType": ["SpamComplaint"]},
        {**COMPLAINT, "Email": 12345},
        {**COMPLAINT, "Email": ["alice@example.com"]},
        {**COMPLAINT, "BouncedAt": 1731146400},
    ],
)
def test_malformed_postmark_bodies_get_400_and_change_nothing(client, db, body):
    subscriber = SubscriberFactory(email="alice@example.com")
    assert post(client, POSTMARK, body).status_code == 400
    assert_untouched(subscriber)


@pytest.mark.parametrize(
    "body",
    [
        {"event": "spamreport", "email": "alice@example.com"},  # an object, not a list
        [{"event": "spamreport", "email": "alice@example.com", "timestamp": "x"}],
        [SENDGRID_SPAM[0], "not an event"],
    ],
)
def test_malformed_sendgrid_bodies_get_400_and_change_nothing(
    client, db, settings, body
):
    settings.ESP = "sendgrid"
    subscriber = SubscriberFactory(email="alice@example.com")
    assert post(client, SENDGRID, body).status_code == 400
    assert_untouched(subscriber)


def _check_deploy(**env) -> subprocess.CompletedProcess:
    return deployment.manage(
        {**os.environ, "SECRET_KEY": "k" * 60, **env}, "check", "--deploy", timeout=120
    )


@pytest.mark.slow  # a subprocess
def test_check_deploy_fails_for_an_esp_without_a_webhook_secret():
    result = _check_deploy(ESP="postmark", ANYMAIL_WEBHOOK_SECRET="")
    assert result.returncode != 0
    assert "subscribers.E001" in result.stderr


@pytest.mark.slow  # a subprocess
def test_check_deploy_accepts_an_esp_with_a_webhook_secret():
    result = _check_deploy(ESP="postmark", ANYMAIL_WEBHOOK_SECRET="hook:long-secret")
    assert "subscribers.E001" not in result.stdout + result.stderr


@pytest.mark.slow  # a subprocess
@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"ESP": "mandrill", "ANYMAIL_MANDRILL_API_KEY": "k"}, "MANDRILL_WEBHOOK_KEY"),
        ({"ESP": "amazon_ses"}, "boto3"),
    ],
)
def test_check_deploy_fails_for_an_esp_whose_webhook_cannot_verify(env, reason):
    if reason == "boto3" and importlib.util.find_spec("boto3") is not None:
        pytest.skip("boto3 is installed here")

    result = _check_deploy(ANYMAIL_WEBHOOK_SECRET="hook:long-secret", **env)

    assert result.returncode != 0
    assert "subscribers.E002" in result.stderr and reason in result.stderr


@pytest.mark.slow  # a subprocess
def test_check_deploy_accepts_mandrill_with_its_webhook_key():
    result = _check_deploy(
        ESP="mandrill",
        ANYMAIL_MANDRILL_API_KEY="k",
        ANYMAIL_MANDRILL_WEBHOOK_KEY="signing-key",
        ANYMAIL_WEBHOOK_SECRET="hook:long-secret",
    )
    assert "subscribers.E002" not in result.stdout + result.stderr


def test_mandrill_without_its_signing_key_changes_nothing_and_answers_503(
    client, db, settings
):
    settings.ESP = "mandrill"
    settings.ANYMAIL = {"WEBHOOK_SECRET": AUTH, "MANDRILL_API_KEY": "k"}
    subscriber = SubscriberFactory(email="alice@example.com")
    events = [{"event": "spam", "msg": {"email": "alice@example.com"}, "ts": 1}]
    token = base64.b64encode(AUTH.encode()).decode()

    response = client.post(
        "/webhooks/anymail/mandrill/tracking/",
        {"mandrill_events": json.dumps(events)},
        HTTP_AUTHORIZATION=f"Basic {token}",
    )

    assert response.status_code == 503
    assert_untouched(subscriber)
