from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "subscribers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the anymail tracking receiver (bounces and complaints).
        from subscribers import webhooks  # noqa: F401
