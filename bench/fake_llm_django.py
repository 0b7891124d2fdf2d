"""Django on a throwaway SQLite database and var folder, with the fake LLM server:
what every token bench runs on, set up in one place."""

import os
import secrets
import tempfile

from devservers.openai_server import FakeOpenAI


def start(prefix: str, **extra: str) -> FakeOpenAI:
    """Start the fake server and set Django up against it; ``extra`` are settings
    given as environment values. The caller stops the returned server."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    fake = FakeOpenAI().start()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
            "SECRET_KEY": secrets.token_urlsafe(50),  # a throwaway database
            "VAR_DIR": workdir,
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_API_KEY": "bench",
            "LLM_SUMMARY_MODEL": "fake-summary",
            "LLM_CLASSIFY_MODEL": "fake-classify",
            **extra,
        }
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    return fake
