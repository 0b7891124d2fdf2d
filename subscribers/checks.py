"""Deploy checks for subscribers (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from subscribers import webhooks


def check_tracking_webhook(app_configs=None, **kwargs) -> list[CheckMessage]:
    """An ESP without a webhook secret means no bounce or complaint ever arrives
    (the endpoint answers 404), so the list keeps mailing dead and angry addresses."""
    if not settings.ESP:
        return []
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
