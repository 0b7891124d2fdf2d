from django.db import migrations, models

# Feeds that only point to other sites' articles, as installs already have them.
AGGREGATOR_URL_PARTS = (
    "hnrss.org",
    "news.ycombinator.com",
    "feed_hackernews",
    "digg.com",
)


def mark_known_aggregators(apps, schema_editor):
    Source = apps.get_model("ingestion", "Source")
    for source in Source.objects.all():
        url = source.url.lower()
        if source.name.lower().startswith("hacker news") or any(
            part in url for part in AGGREGATOR_URL_PARTS
        ):
            source.is_aggregator = True
            source.save(update_fields=["is_aggregator"])


class Migration(migrations.Migration):
    dependencies = [
        ("ingestion", "0007_paper"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="site_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="source",
            name="is_aggregator",
            field=models.BooleanField(
                default=False,
                help_text="The feed lists other sites' articles (Hacker News, Digg): "
                "each is credited to the site that published it, never to this source.",
            ),
        ),
        migrations.RunPython(mark_known_aggregators, migrations.RunPython.noop),
    ]
