"""Deploy checks for subscribers (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

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
