from django.urls import path

from newsletter.web import feedback, reader_page, views

app_name = "newsletter"

urlpatterns = [
    path("archive/", views.archive, name="archive"),
    path("archive/feed/", views.archive_feed, name="archive_feed"),
    path("archive/rss/", views.archive_rss, name="archive_rss"),
    path("digests/<str:date>/", views.digest_detail, name="digest_detail"),
    path("digests/<str:date>/chart.png", views.digest_chart, name="digest_chart"),
    path(
        "digests/<str:date>/reader/<str:token>/",
        reader_page.digest_for_reader,
        name="digest_for_reader",
    ),
    path("language/<str:code>/", views.set_language, name="set_language"),
    path(
        "feedback/<str:token>/<int:story_id>/<str:signature>/<str:vote>/",
        feedback.feedback,
        name="feedback",
    ),
    path("go/<int:story_id>/", feedback.story_click, name="story_click"),
]
