"""One settings file: environment first, embedded defaults that run on a laptop.

Every block states its default. Malformed values fail loudly at start-up.
"""

import ipaddress
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config import secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be an integer, got {value!r}"
        ) from None


def env_float(name: str, default: float) -> float:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE (docker secrets)."""
    if path := os.getenv(f"{name}_FILE"):
        return Path(path).read_text().strip()
    return os.getenv(name) or default


# Runtime files (SQLite, outbox, digests, the embedded default's secret key).
# Default: var/ in the checkout.
VAR_DIR = Path(os.getenv("VAR_DIR", BASE_DIR / "var"))

# --- security: DEBUG and SECRET_KEY ---------------------------------------------------
# DEBUG is off unless the environment turns it on (`make demo` and `make serve` set
# DEBUG=1): a forgotten variable must never publish tracebacks and settings.
DEBUG = env_bool("DEBUG", default=False)
# pytest-django imports these settings inside the test run. A process a test starts
# (manage.py, gunicorn) is not the test run and behaves as in production.
TESTING = "pytest" in sys.modules
# SECRET_KEY signs sessions and every link in every email. There is never a shared
# constant key:
# - SECRET_KEY (or SECRET_KEY_FILE) set: that key, always.
# - unset in a deployment (DATABASE_URL set) with DEBUG off: refuse to start. Web,
#   workers and beat must sign with one key chosen on purpose, and losing a volume must
#   not silently turn every link already mailed into a dead one.
# - unset otherwise (the embedded SQLite default as in `make demo`, DEBUG=1 on a
#   developer's database, the test run): a random key made once per install and kept in
#   VAR_DIR/secret_key, mode 0600 (var/ is never committed).
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if os.getenv("DATABASE_URL") and not DEBUG and not TESTING:
        raise ImproperlyConfigured(
            "Set SECRET_KEY (or SECRET_KEY_FILE): DATABASE_URL is set and DEBUG is off, "
            "so this is a deployment, and a deployment does not start without its own "
            'secret key (python -c "import secrets; print(secrets.token_urlsafe(50))")'
        )
    SECRET_KEY = secret_key.read_or_create(VAR_DIR / "secret_key")
ALLOWED_HOSTS = [
    h for h in os.getenv("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
if DEBUG:
    ALLOWED_HOSTS += ["testserver"]

# Links in emails and on pages. Default: the development server.
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("https://") else []
# Served over https (SITE_URL says so): cookies only over TLS, HSTS when asked for.
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER_NAME=HTTP_X_FORWARDED_PROTO.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SITE_URL.startswith("https://")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
# Only when every subdomain is served over https too. Default: off.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
if _proxy_header := os.getenv("SECURE_PROXY_SSL_HEADER_NAME", ""):
    SECURE_PROXY_SSL_HEADER = (_proxy_header, "https")

INSTALLED_APPS = [
    "config.apps.AdminConfig",  # django.contrib.admin, actions guarded by permission
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "anymail",
    "axes",
    "csp",
    "django_celery_beat",
    "newsletter",
    "subscribers",
    "ingestion",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lib.locale.QueryLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Default: SQLite file under var/. Production: DATABASE_URL=postgres://user:pass@host/db
DATABASE_URL = os.getenv("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # Inline tasks and the thread pool write from several threads.
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Default: in-process memory cache. Production: CACHE_URL=redis://host:6379/1 (shared
# rate limits across gunicorn workers).
if CACHE_URL := os.getenv("CACHE_URL", ""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth: passwords and admin login throttling ---------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes records failed logins in the database (shared by every web worker). After
# AXES_FAILURE_LIMIT failures it refuses logins, even with the right password, for
# AXES_COOLOFF_MINUTES from that (username, address) pair and from that address: a
# stranger elsewhere cannot lock the owner out, and one address cannot spray guesses
# over many accounts. Guesses at one account from many addresses meet the per-username
# ceiling (config/login_ceiling.py): past AXES_USERNAME_CEILING failures the account
# logs in only from an address it used before. An admin lifts a lockout under
# Axes > Access attempts or with `manage.py axes_reset` (`axes_reset_username NAME`,
# `axes_reset_ip IP`). The address is `lib.client_ip` (TRUSTED_PROXIES).
# Defaults: 5 failures, 30 minutes, ceiling 20.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "config.login_ceiling.UsernameCeilingBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_USERNAME_CEILING = env_int("AXES_USERNAME_CEILING", 20)
# Failures keep counting after a success: logging into one's own account must not
# wipe the count of guesses made from the same address at someone else's.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "lib.client_ip.client_ip"

# Language and time. Default: Korean digests, Seoul time.
LANGUAGE_CODE = os.getenv("LANGUAGE_CODE", "ko")
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
DIGEST_LANGUAGE = os.getenv("DIGEST_LANGUAGE", "ko")
if DIGEST_LANGUAGE not in {"ko", "en"}:
    raise ImproperlyConfigured("DIGEST_LANGUAGE must be 'ko' or 'en'")
TIME_ZONE = os.getenv("TIME_ZONE", "Asia/Seoul")
USE_I18N = True
USE_TZ = True

# --- static files and browser policies -------------------------------------------------
# WhiteNoise serves /static/ from STATIC_ROOT in every mode, compressed, with hashed
# names cached for a year (`manage.py collectstatic` writes them; the Dockerfile runs
# it). With DEBUG on and in the test run, plain names and no collectstatic needed.
STATIC_URL = "static/"
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Every page loads scripts, styles, images and fonts from this site only, and no inline
# script or style runs: the public pages keep their CSS in static/site.css and have no
# scripts, and the admin's scripts are files. No nonces: archive pages are cached whole.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Browser features no page uses, refused to every page and frame (Permissions-Policy).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
)

# Tasks. Default: no broker, tasks run in-process. Production: CELERY_BROKER_URL=redis://…
CELERY_BROKER_URL = os.getenv("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# The daily run's chord counts its finished sources here. Default: the broker.
CELERY_RESULT_BACKEND = os.getenv("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ACKS_LATE = True  # every task must be idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = (
    True  # a killed worker's task goes back to the queue
)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # sends and fetches are slow and network-bound
CELERY_TASK_ROUTES = {
    "ingestion.tasks.*": {"queue": "ingest"},
    "newsletter.tasks.send_*": {"queue": "email"},
    "newsletter.tasks.sweep_*": {"queue": "email"},
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Redis re-delivers unacked tasks after the visibility timeout (default 3600 s); retry
# countdowns stay well below it. Workers look for tasks of dead workers about every
# interval x throttle seconds (defaults 10 and 10, kombu's own).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
}

# Email and delivery. Default: one .eml file per message in var/outbox/.
# ESP=postmark|mailgun|sendgrid|… with ANYMAIL_<ESP>_* keys, or EMAIL_URL=smtp://…
DEFAULT_FROM_EMAIL = os.getenv(
    "DEFAULT_FROM_EMAIL", "Daily AI Insights <digest@localhost>"
)
SENDER_POSTAL_ADDRESS = os.getenv(
    "SENDER_POSTAL_ADDRESS", "Daily AI Insights, Seoul, Korea"
)
EMAIL_FILE_PATH = Path(os.getenv("EMAIL_FILE_PATH", VAR_DIR / "outbox"))
ESP = os.getenv("ESP", "")
EMAIL_URL = os.getenv("EMAIL_URL", "")
ANYMAIL: dict[str, str] = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and value
}
if ESP:
    EMAIL_BACKEND = f"anymail.backends.{ESP}.EmailBackend"
elif EMAIL_URL:
    from urllib.parse import unquote, urlsplit

    _smtp = urlsplit(EMAIL_URL)
    if _smtp.scheme not in {"smtp", "smtps", "submission"}:
        raise ImproperlyConfigured(
            "EMAIL_URL must be smtp://, smtps:// or submission://"
        )
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _smtp.hostname or "localhost"
    EMAIL_PORT = (
        _smtp.port or {"smtp": 25, "smtps": 465, "submission": 587}[_smtp.scheme]
    )
    EMAIL_HOST_USER = unquote(_smtp.username or "")
    EMAIL_HOST_PASSWORD = unquote(_smtp.password or "")
    EMAIL_USE_SSL = _smtp.scheme == "smtps"
    EMAIL_USE_TLS = _smtp.scheme == "submission"
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
else:
    EMAIL_BACKEND = "newsletter.sending.file_backend.EmlFileBackend"
# The mailto: half of List-Unsubscribe. Default: the From address.
EMAIL_UNSUBSCRIBE_MAILTO = os.getenv("EMAIL_UNSUBSCRIBE_MAILTO", "")
# Some ESPs reject inline images: switch the chart to a hosted URL.
EMAIL_CHART_HOSTED = env_bool("EMAIL_CHART_HOSTED", default=False)
EMAIL_HTML_MAX_BYTES = env_int("EMAIL_HTML_MAX_BYTES", 90 * 1024)
EMAIL_BATCH_SIZE = env_int("EMAIL_BATCH_SIZE", 0)  # 0: the ESP's own limit
# Rows claimed and sent together over one connection (the most a killed worker can
# leave for a duplicate re-send). Default 20.
EMAIL_SEND_CHUNK = env_int("EMAIL_SEND_CHUNK", 20)
# Rows stuck in `sending` this long are handed back by the sweeper (every minute). A
# live worker renews its chunk's claim every third of this, so only a dead worker's
# rows go stale; the pending rows of a send nobody has advanced for this long are
# queued again too (a dead worker's reserved chunks). Default 3 min.
DELIVERY_STALE_AFTER_SECONDS = env_int("DELIVERY_STALE_AFTER_SECONDS", 3 * 60)
# Rows still failing transiently this long after the fan-out are marked failed.
DELIVERY_GIVE_UP_AFTER_SECONDS = env_int("DELIVERY_GIVE_UP_AFTER_SECONDS", 24 * 3600)

# The daily run's step renews its sign of life every fifth of this; silent this long,
# its worker is taken for dead and the resume job (every 2 minutes) runs the step
# again, at most DAY_RUN_MAX_ATTEMPTS times a day. Default 5 min.
DAY_RUN_STALE_SECONDS = env_int("DAY_RUN_STALE_SECONDS", 5 * 60)
DAY_RUN_MAX_ATTEMPTS = env_int("DAY_RUN_MAX_ATTEMPTS", 3)

# Digest. It covers articles published (feed date, else the page's, else first seen)
# in the DIGEST_WINDOW_HOURS before its window end, on the first run too.
DIGEST_WINDOW_HOURS = env_int("DIGEST_WINDOW_HOURS", 36)
# A section of the email shows this many stories, then "and N more" (the web: all).
DIGEST_STORIES_PER_SECTION = env_int("DIGEST_STORIES_PER_SECTION", 5)
# A story like one sent this many days ago is left out unless it brings new facts.
STORY_CONTINUITY_DAYS = env_int("STORY_CONTINUITY_DAYS", 7)
# Review: auto-approve built digests (default) or wait for an editor.
DIGEST_AUTO_APPROVE = env_bool("DIGEST_AUTO_APPROVE", default=True)
# With auto-approve off: minutes an editor has before a ready digest is approved and
# sent anyway (0: wait for an editor however long it takes).
DIGEST_REVIEW_WINDOW_MINUTES = env_int("DIGEST_REVIEW_WINDOW_MINUTES", 0)
# When celery beat starts the daily run (TIME_ZONE), editable later in the admin.
DIGEST_SCHEDULE_HOUR = env_int("DIGEST_SCHEDULE_HOUR", 7)
# A subscriber whose categories have nothing today gets no email (default) or a short one.
DIGEST_SEND_EMPTY_NOTICE = env_bool("DIGEST_SEND_EMPTY_NOTICE", default=False)
# Besides the editor's own address, where the digest page's test send goes, e.g.
# "desk@example.com,chief@example.com" (default: the editor only).
DIGEST_TEST_RECIPIENTS = [
    a.strip() for a in os.getenv("DIGEST_TEST_RECIPIENTS", "").split(",") if a.strip()
]
# Test sends an editor may make per hour (each to at most six addresses).
DIGEST_TEST_SENDS_PER_HOUR = env_int("DIGEST_TEST_SENDS_PER_HOUR", 10)
# The Papers edition: papers shown per section (the rest are on the web), whether an
# arXiv replacement (a new version) comes back as news, and how far back the first
# Papers digest looks.
PAPERS_PER_SECTION = env_int("PAPERS_PER_SECTION", 5)
PAPERS_INCLUDE_REPLACEMENTS = env_bool("PAPERS_INCLUDE_REPLACEMENTS", default=False)
PAPERS_FIRST_RUN_HOURS = env_int("PAPERS_FIRST_RUN_HOURS", 36)
# The weekly edition: how many of a category's stories of the week it tells, and on
# which day (cron's day of week, 0 = Sunday; 1 = Monday) beat builds it, half an hour
# after the daily run; editors change the day later in the admin's beat row.
WEEKLY_STORIES_PER_SECTION = env_int("WEEKLY_STORIES_PER_SECTION", 5)
WEEKLY_SCHEDULE_DAY = env_int("WEEKLY_SCHEDULE_DAY", 1)

# LLM. Default: none, the offline rule classifier and extractive summarizer run.
OPENAI_API_KEY = env_secret("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = os.getenv("OPENAI_BASE_URL", "")
LLM_ENABLED = bool(OPENAI_API_KEY or OPENAI_BASE_URL)
LLM_SUMMARY_MODEL = os.getenv("LLM_SUMMARY_MODEL", "gpt-4o-mini")
LLM_CLASSIFY_MODEL = os.getenv("LLM_CLASSIFY_MODEL", LLM_SUMMARY_MODEL)
LLM_TIMEOUT = env_int("LLM_TIMEOUT", 60)
LLM_MAX_RETRIES = env_int("LLM_MAX_RETRIES", 2)
LLM_TOKEN_BUDGET = env_int("LLM_TOKEN_BUDGET", 200_000)  # per daily run, in+out tokens
# Tokens of article text the summary is given per story (its central sentences).
LLM_STORY_INPUT_TOKENS = env_int("LLM_STORY_INPUT_TOKENS", 380)
# Korean digests: a sentence with more Latin letters than this share (names and terms
# of the sources left out) is not Korean; the section is asked again, then offline.
LLM_MAX_LATIN_SHARE = env_float("LLM_MAX_LATIN_SHARE", 0.5)
# USD per million tokens, for LLMCall.cost_estimate. Default: gpt-4o-mini list prices.
LLM_PRICE_INPUT_PER_MTOK = env_float("LLM_PRICE_INPUT_PER_MTOK", 0.15)
LLM_PRICE_OUTPUT_PER_MTOK = env_float("LLM_PRICE_OUTPUT_PER_MTOK", 0.60)

# Ingestion. Timeouts and the deadline (total per request) in seconds.
INGEST_USER_AGENT = os.getenv(
    "INGEST_USER_AGENT", "DailyAIInsights/0.1 (+https://github.com/daily-ai-insights)"
)
INGEST_CONNECT_TIMEOUT = env_float("INGEST_CONNECT_TIMEOUT", 5)
INGEST_READ_TIMEOUT = env_float("INGEST_READ_TIMEOUT", 10)
INGEST_DEADLINE = env_float("INGEST_DEADLINE", 30)
INGEST_MAX_BYTES = env_int("INGEST_MAX_BYTES", 5 * 1024 * 1024)
INGEST_MAX_REDIRECTS = env_int("INGEST_MAX_REDIRECTS", 5)
# Refuse loopback/private/link-local targets unless explicitly allowed (demo, tests).
INGEST_ALLOW_PRIVATE_HOSTS = env_bool("INGEST_ALLOW_PRIVATE_HOSTS", default=False)
INGEST_WORKERS = env_int("INGEST_WORKERS", 8)
INGEST_PER_HOST = env_int("INGEST_PER_HOST", 4)
INGEST_PAUSE_AFTER_FAILURES = env_int("INGEST_PAUSE_AFTER_FAILURES", 5)
# Article text kept per page (characters) and how far back near-duplicates are searched.
INGEST_MAX_TEXT_CHARS = env_int("INGEST_MAX_TEXT_CHARS", 100_000)
INGEST_DEDUP_WINDOW_DAYS = env_int("INGEST_DEDUP_WINDOW_DAYS", 14)
# Private hosts trusted by name, e.g. "feeds.intranet,10.0.0.5:8080" (default: none).
INGEST_PRIVATE_HOST_ALLOWLIST = [
    h.strip()
    for h in os.getenv("INGEST_PRIVATE_HOST_ALLOWLIST", "").split(",")
    if h.strip()
]

# Logs go to standard output, one line per event: "time level logger: message" by
# default, one JSON object per line (time, level, logger, message, run_id …) with
# LOG_FORMAT=json; lines of a daily run carry its id (lib/log_format.py). Workers and
# beat log the same way (config/celery.py). Default level WARNING; Celery's own lines
# follow CELERY_LOG_LEVEL (default INFO), and the HTTP client's line per request
# (every feed, page and model call) shows from WARNING only.
# Celery itself exports CELERY_LOG_LEVEL as a number ("40") once a worker has set up
# its logging, and processes started from there inherit it: a number is Celery's
# own, not the operator's choice, and leaves the default.
CELERY_LOG_LEVEL = os.getenv("CELERY_LOG_LEVEL", "INFO").upper()
if not CELERY_LOG_LEVEL or CELERY_LOG_LEVEL.isdigit():
    CELERY_LOG_LEVEL = "INFO"
_CELERY_TASK_LINES = "DEBUG" if CELERY_LOG_LEVEL == "DEBUG" else "WARNING"
LOG_FORMAT = os.getenv("LOG_FORMAT", "plain") or "plain"
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"run_id": {"()": "lib.log_format.RunIdFilter"}},
    "formatters": {
        "plain": {"()": "lib.log_format.PlainFormatter"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["run_id"],
        }
    },
    "loggers": {
        "celery": {"level": CELERY_LOG_LEVEL},
        # "Task … received" and "… succeeded in 1.2 s: <its whole return value>" for
        # every task (the heartbeat's every minute): at CELERY_LOG_LEVEL=DEBUG only.
        # Failures and retries still show.
        "celery.app.trace": {"level": _CELERY_TASK_LINES},
        "celery.worker.strategy": {"level": _CELERY_TASK_LINES},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}

# Subscriber pages. Rate limits count in Redis when CACHE_URL is set, else in the
# database (subscribers.RateCount), so every gunicorn worker shares them. Defaults: 10
# sign-ups per IP (IPv6: per /64) and 3 emails per address (+tags, Gmail dots folded)
# per hour.
SUBSCRIBE_RATE_WINDOW = env_int("SUBSCRIBE_RATE_WINDOW", 3600)
SUBSCRIBE_RATE_PER_IP = env_int("SUBSCRIBE_RATE_PER_IP", 10)
SUBSCRIBE_RATE_PER_ADDRESS = env_int("SUBSCRIBE_RATE_PER_ADDRESS", 3)
# An IPv6 /48 is one site (a home gets a /56 or a /64 of it): all its /64s together.
# Default: twice the per-IP limit.
SUBSCRIBE_RATE_PER_IPV6_SITE = env_int(
    "SUBSCRIBE_RATE_PER_IPV6_SITE", 2 * SUBSCRIBE_RATE_PER_IP
)
# Days a sign-up may wait for its confirmation before the daily purge erases it.
# Default 30.
UNCONFIRMED_SIGNUP_MAX_AGE_DAYS = env_int("UNCONFIRMED_SIGNUP_MAX_AGE_DAYS", 30)
# Invitations to imported pending subscribers go out in chunks this far apart, so a
# large list does not hit the mail server (and its reputation) at once.
IMPORT_INVITE_CHUNK = env_int("IMPORT_INVITE_CHUNK", 100)
IMPORT_INVITE_INTERVAL_SECONDS = env_int("IMPORT_INVITE_INTERVAL_SECONDS", 60)
# Subscription emails (confirmation, welcome, links) wait in an outbox until sent
# (subscribers.outbox). A relay's temporary refusal is retried after this many seconds,
# doubling up to an hour, until the attempts run out; then the email is failed.
# Defaults: 60 s and 8 attempts (about two hours).
SUBSCRIBER_EMAIL_RETRY_SECONDS = env_int("SUBSCRIBER_EMAIL_RETRY_SECONDS", 60)
SUBSCRIBER_EMAIL_MAX_ATTEMPTS = env_int("SUBSCRIBER_EMAIL_MAX_ATTEMPTS", 8)
# Days a preferences link in an email works; an older one offers to email a fresh
# link. Minutes the emailed-on-request link that may export or erase data works.
PREFERENCES_LINK_MAX_AGE_DAYS = env_int("PREFERENCES_LINK_MAX_AGE_DAYS", 30)
MANAGE_LINK_MAX_AGE_MINUTES = env_int("MANAGE_LINK_MAX_AGE_MINUTES", 60)
# Days a story's 👍/👎 link in an email works; an older one records nothing. Default 30.
FEEDBACK_LINK_MAX_AGE_DAYS = env_int("FEEDBACK_LINK_MAX_AGE_DAYS", 30)
# Source links in emails go through /go/<story>/, which counts clicks per story and
# day (nothing about the reader). Off: the links point straight at the sources.
# Default on.
CLICK_COUNTING = env_bool("CLICK_COUNTING", default=True)
# Behind a reverse proxy that overwrites it, the header holding the visitor's IP, as
# Django names it (e.g. HTTP_X_REAL_IP). Default: none, REMOTE_ADDR is the visitor.
CLIENT_IP_HEADER = os.getenv("CLIENT_IP_HEADER", "")
# The proxies whose CLIENT_IP_HEADER is believed: addresses or networks, e.g.
# "172.18.0.0/16,127.0.0.1". From any other peer the header is ignored (whoever reaches
# the application server directly could write any address there). Default: none.
TRUSTED_PROXIES = [
    p.strip() for p in os.getenv("TRUSTED_PROXIES", "").split(",") if p.strip()
]
try:
    for _proxy in TRUSTED_PROXIES:
        ipaddress.ip_network(_proxy, strict=False)
except ValueError:
    raise ImproperlyConfigured(
        f"TRUSTED_PROXIES must list IP addresses or networks, got {_proxy!r}"
    ) from None
# Soft bounces: suppress after this many within the window (days). Default 3 in 14 days.
SOFT_BOUNCE_LIMIT = env_int("SOFT_BOUNCE_LIMIT", 3)
SOFT_BOUNCE_WINDOW_DAYS = env_int("SOFT_BOUNCE_WINDOW_DAYS", 14)
# /healthz tells anonymous callers only ok / not ok; staff users and callers sending
# `Authorization: Bearer <HEALTHZ_TOKEN>` see each check. Default: no token.
HEALTHZ_TOKEN = env_secret("HEALTHZ_TOKEN", default="")
# With a broker, /healthz answers 503 when no worker has run beat's every-minute
# heartbeat for this long (beat or every worker is down). Default 5 minutes.
HEALTHZ_HEARTBEAT_STALE_SECONDS = env_int("HEALTHZ_HEARTBEAT_STALE_SECONDS", 300)
# /healthz answers 503 when the day or a send has been stuck this long: resuming
# should have healed it well before. Default 30 min.
HEALTHZ_STUCK_SECONDS = env_int("HEALTHZ_STUCK_SECONDS", 30 * 60)
# Web archive: seconds a rendered list page is served from the cache. Default 60.
ARCHIVE_CACHE_SECONDS = env_int("ARCHIVE_CACHE_SECONDS", 60)
