from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("newsletter.urls")),
    path("", include("subscribers.urls")),
    # ESP tracking webhooks (bounces, complaints), e.g. /webhooks/anymail/postmark/tracking/
    path("webhooks/anymail/", include("anymail.urls")),
]
