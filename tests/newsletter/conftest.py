"""Fixtures of the newsletter tests: the LLM on a fake server, or switched off."""

import pytest

from devservers.openai_server import FakeOpenAI
from devservers.smtp_sink import SmtpSink


@pytest.fixture(name="fake_llm")
def fake_llm_fixture(settings):
    """The LLM switched on and pointed at a fake server; short timeout, one retry."""
    with FakeOpenAI(timeout_sleep=1.2) as fake:
        settings.OPENAI_BASE_URL = fake.base_url
        settings.OPENAI_API_KEY = "test"
        settings.LLM_ENABLED = True
        settings.LLM_TIMEOUT = 0.5
        settings.LLM_MAX_RETRIES = 1
        settings.LLM_SUMMARY_MODEL = "fake-summary"
        settings.LLM_CLASSIFY_MODEL = "fake-classify"
        settings.LLM_TOKEN_BUDGET = 200_000
        yield fake


@pytest.fixture(name="offline")
def offline_fixture(settings):
    settings.OPENAI_BASE_URL = ""
    settings.OPENAI_API_KEY = ""
    settings.LLM_ENABLED = False


@pytest.fixture
def sink(settings):
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend sends to."""
    with SmtpSink() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = server.host
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield server
