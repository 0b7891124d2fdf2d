"""The service as production runs it: gunicorn, DEBUG off, collected static files.

gunicorn serves on 127.0.0.1 from the committed test database, with the static files
collected into a temporary STATIC_ROOT. The admin must come out styled, every page with
its Content-Security-Policy, the subscriber pages unstored, and without SECRET_KEY the
service must refuse to start.
"""

import re
import secrets
from pathlib import Path

import httpx
import pytest

from newsletter import services as newsletter_services
from subscribers import tokens
from subscribers.models import Subscriber
from tests import deployment
from tests.conftest import CHROMIUM_ARGS
from tests.factories import SubscriberFactory

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def production_server(postgres, tmp_path):
    """Base URL of gunicorn serving the test database as production would."""
    newsletter_services.load_defaults()
    # An ESP with its webhook secret, as the README's production settings have it.
    env = deployment.production_env(tmp_path) | {
        "ESP": "postmark",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "server-token",
        "ANYMAIL_WEBHOOK_SECRET": "hook:s3cret",
    }
    collected = deployment.manage(env, "collectstatic", "--noinput", "-v", "0")
    assert collected.returncode == 0, collected.stderr
    port = deployment.free_port()
    server = deployment.gunicorn(env, port)
    try:
        deployment.wait_until_listening(server, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        deployment.stop(server)


def test_production_serves_the_styled_admin_policies_and_unstored_pages(
    production_server,
):
    reader = SubscriberFactory(email="reader@example.com")
    token = tokens.make_token(reader.token_key, tokens.PREFERENCES)

    with httpx.Client(base_url=production_server, timeout=30) as http:
        login = http.get("/admin/login/")
        css = re.search(
            r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login.text
        )
        home = http.get("/")
        site_css = re.search(r'href="(/static/site\.[0-9a-f]{12}\.css)"', home.text)
        preferences = http.get(f"/preferences/{token}/")

        assert login.status_code == 200 and css, login.text[:2000]
        stylesheet = http.get(css.group(1))
        assert stylesheet.status_code == 200
        assert stylesheet.headers["content-type"].startswith("text/css")
        assert "immutable" in stylesheet.headers["cache-control"]
        assert home.status_code == 200 and site_css, home.text[:2000]
        assert http.get(site_css.group(1)).status_code == 200

    for page in (login, home, preferences):
        assert "script-src 'self'" in page.headers["content-security-policy"]
    assert preferences.status_code == 200
    assert "reader@example.com" in preferences.text
    assert "no-store" in preferences.headers["cache-control"]


def test_production_webhooks_refuse_unauthenticated_posts(production_server):
    reader = SubscriberFactory(email="reader@example.com")
    complaint = {
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "ID": 7,
        "Email": "reader@example.com",
        "BouncedAt": "2024-11-09T10:00:00Z",
    }
    spam = [{"event": "spamreport", "email": "reader@example.com", "timestamp": 1}]

    with httpx.Client(base_url=production_server, timeout=30) as http:
        anonymous = http.post("/webhooks/anymail/postmark/tracking/", json=complaint)
        guessed = http.post(
            "/webhooks/anymail/postmark/tracking/",
            json=complaint,
            auth=("hook", "guess"),
        )
        other_esp = http.post(
            "/webhooks/anymail/sendgrid/tracking/", json=spam, auth=("hook", "s3cret")
        )

    assert (anonymous.status_code, guessed.status_code) == (401, 401)
    assert other_esp.status_code == 404
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.ACTIVE

    # The ESP itself, with the secret, is heard.
    with httpx.Client(base_url=production_server, timeout=30) as http:
        signed = http.post(
            "/webhooks/anymail/postmark/tracking/",
            json=complaint,
            auth=("hook", "s3cret"),
        )
    assert signed.status_code == 200
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.COMPLAINED


def test_the_deploy_check_passes_with_production_settings(tmp_path):
    env = deployment.production_env(tmp_path) | {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SITE_URL": "https://news.example.com",
        "ALLOWED_HOSTS": "news.example.com",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "SECURE_HSTS_PRELOAD": "1",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_PROXY_SSL_HEADER_NAME": "HTTP_X_FORWARDED_PROTO",
        "EMAIL_URL": "submission://digest:relay-password@smtp.example.com",
    }

    result = deployment.manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr


def test_without_a_secret_key_production_refuses_to_start(tmp_path):
    env = deployment.production_env(tmp_path)
    del env["SECRET_KEY"]
    server = deployment.gunicorn(env, deployment.free_port())
    try:
        _, stderr = server.communicate(timeout=120)
    finally:
        deployment.stop(server)

    assert server.returncode != 0
    assert "ImproperlyConfigured: Set SECRET_KEY (or SECRET_KEY_FILE)" in stderr
    assert not (tmp_path / "var" / "secret_key").exists()


@pytest.mark.browser
def test_admin_and_public_pages_work_in_chromium_under_the_policy(
    production_server, chromium, django_user_model
):
    from playwright.sync_api import sync_playwright

    django_user_model.objects.create_superuser("editor", "e@example.com", "pw-editor")
    SubscriberFactory(email="reader@example.com")
    violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.on(
            "console",
            lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text
            else None,
        )
        try:
            page.goto(production_server + "/")
            # site.css applied: the header is a flex row, not a plain block.
            assert (
                page.eval_on_selector("header.site", "e => getComputedStyle(e).display")
                == "flex"
            )

            page.goto(production_server + "/admin/login/")
            page.fill("#id_username", "editor")
            page.fill("#id_password", "pw-editor")
            page.click("input[type=submit]")
            page.wait_for_url("**/admin/")
            # The admin's own scripts ran: the category picker became a two-list
            # selector (SelectFilter2.js), and its stylesheet applied.
            page.goto(production_server + "/admin/subscribers/subscriber/")
            page.click("text=reader@example.com")
            page.wait_for_selector(".selector-available")
            assert (
                page.eval_on_selector("#header", "e => getComputedStyle(e).display")
                == "flex"
            )
        finally:
            browser.close()

    assert violations == []
