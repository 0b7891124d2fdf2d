from django.apps import AppConfig
from django.core.checks import Tags, register
from django.utils.translation import gettext_lazy as _


class SubscribersConfig(AppConfig):
    name = "subscribers"
    verbose_name = _("Subscribers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the anymail tracking receiver (bounces and complaints).
        from subscribers import checks, webhooks  # noqa: F401

        register(checks.check_email_backend, Tags.security, deploy=True)
        register(checks.check_tracking_webhook, Tags.security, deploy=True)
        register(checks.check_webhook_verifiable, Tags.security, deploy=True)
        register(checks.check_client_ip_header, Tags.security, deploy=True)
