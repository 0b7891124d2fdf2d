from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("newsletter.urls")),
    path("", include("subscribers.urls")),
    # ESP tracking webhooks (bounces, complaints), e.g. /webhooks/anymail/postmark/tracking/
    path("webhooks/anymail/", include("anymail.urls")),
]
