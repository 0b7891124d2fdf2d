from django.contrib import admin
from django.urls import include, path

from config.health import healthz
from subscribers import webhooks

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("newsletter.web.urls")),
    path("", include("subscribers.urls")),
    # The configured ESP's tracking webhook (bounces, complaints), e.g.
    # /webhooks/anymail/postmark/tracking/; 404 without ANYMAIL_WEBHOOK_SECRET.
    path(
        "webhooks/anymail/<slug:esp>/tracking/",
        webhooks.tracking_webhook,
        name="tracking_webhook",
    ),
]
