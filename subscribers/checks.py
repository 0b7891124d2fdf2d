"""Deploy checks for subscribers (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from subscribers import webhooks

FILE_BACKEND = "newsletter.sending.file_backend.EmlFileBackend"


def _backend_problem() -> tuple[str, str] | None:
    """(check id, why) when the configured email backend cannot send: ESP names no
    anymail backend (a typo), or the library its backend needs is not installed."""
    try:
        import_string(settings.EMAIL_BACKEND)
    except ModuleNotFoundError as exc:
        if exc.name == f"anymail.backends.{settings.ESP}":
            return "subscribers.E003", f"ESP={settings.ESP} names no known anymail ESP"
        return "subscribers.E004", f"{settings.EMAIL_BACKEND}: {exc}"
    except ImportError as exc:  # anymail's AnymailImproperlyInstalled: boto3 missing
        return "subscribers.E004", str(exc).splitlines()[0]
    return None


def _names_no_esp() -> bool:
    problem = _backend_problem()
    return problem is not None and problem[0] == "subscribers.E003"


def check_email_backend(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Production must send for real: with neither ESP nor EMAIL_URL, every email
    (digests, confirmations) would go to .eml files nobody reads, and the day would
    look sent. An ESP whose backend cannot load fails at the first send instead."""
    if settings.EMAIL_BACKEND == FILE_BACKEND and not settings.DEBUG:
        return [
            Error(
                "No email backend: with DEBUG off, every email would be written to "
                f"{settings.EMAIL_FILE_PATH} instead of being sent.",
                hint="Set ESP (with its ANYMAIL_* keys) or EMAIL_URL=smtp://…",
                id="subscribers.E005",
            )
        ]
    problem = _backend_problem() if settings.ESP else None
    if problem is None:
        return []
    check_id, why = problem
    return [
        Error(
            f"{why}: no email can be sent.",
            hint="Use one of anymail's ESP names (postmark, mailgun, sendgrid, "
            "amazon_ses, …) and install its extra: pip install django-anymail[<esp>].",
            id=check_id,
        )
    ]


def check_tracking_webhook(app_configs=None, **kwargs) -> list[CheckMessage]:
    """An ESP without a webhook secret means no bounce or complaint ever arrives
    (the endpoint answers 404), so the list keeps mailing dead and angry addresses."""
    if not settings.ESP or _names_no_esp():
        return []  # a typo in ESP: check_email_backend says so
    if settings.ESP not in webhooks.TRACKING_VIEWS:
        return [
            Warning(
                f"ESP={settings.ESP} has no anymail tracking webhook: bounces and "
                "complaints will not suppress anyone.",
                id="subscribers.W001",
            )
        ]
    if not webhooks.webhook_secrets():
        return [
            Error(
                f"ESP={settings.ESP} is set but ANYMAIL_WEBHOOK_SECRET is empty: the "
                "tracking webhook is switched off, so bounces and complaints are lost.",
                hint="Set ANYMAIL_WEBHOOK_SECRET=user:password (a long random "
                "password) and give the ESP "
                f"https://user:password@<site>/webhooks/anymail/{settings.ESP}/tracking/",
                id="subscribers.E001",
            )
        ]
    return []


# Keys an ESP's view loads lazily and needs on every POST to check its signature.
_SIGNATURE_KEYS = {"mandrill": "MANDRILL_WEBHOOK_KEY"}


def check_webhook_verifiable(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Every webhook would answer 500 when anymail cannot check its signature: a
    library it needs is missing (amazon_ses: boto3) or a key it reads only per
    request (mandrill) is unset. Bounces and complaints would be lost silently."""
    esp = settings.ESP
    if esp not in webhooks.TRACKING_VIEWS or not webhooks.webhook_secrets():
        return []  # no endpoint at all: check_tracking_webhook says so
    problem = ""
    try:
        view = import_string(webhooks.TRACKING_VIEWS[esp])()
    except (ImportError, ImproperlyConfigured) as exc:
        problem = str(exc).splitlines()[0]
    else:
        if esp in _SIGNATURE_KEYS and getattr(view, "webhook_key", "") is None:
            problem = f"ANYMAIL_{_SIGNATURE_KEYS[esp]} is not set"
    if not problem:
        return []
    return [
        Error(
            f"ESP={esp}: its tracking webhook cannot verify what it receives "
            f"({problem}), so every bounce and complaint would get a 500.",
            hint="Install what the ESP needs (pip install django-anymail[<esp>]) "
            "and set its webhook signing key.",
            id="subscribers.E002",
        )
    ]


def check_client_ip_header(app_configs=None, **kwargs) -> list[CheckMessage]:
    """A CLIENT_IP_HEADER with no TRUSTED_PROXIES is never believed (lib.client_ip):
    every visitor then counts as the proxy, sharing one limit and one lockout."""
    if settings.CLIENT_IP_HEADER and not settings.TRUSTED_PROXIES:
        return [
            Warning(
                "CLIENT_IP_HEADER is set but TRUSTED_PROXIES is empty: the header is "
                "ignored and every visitor counts as the proxy's address.",
                hint="Set TRUSTED_PROXIES to the proxy's address or network.",
                id="subscribers.W002",
            )
        ]
    return []
