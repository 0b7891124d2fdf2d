from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0010_erasedaddress"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriberimport",
            name="source_format",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="subscriberimport",
            name="mapping",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="subscriberimport",
            name="preview",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="subscriberimport",
            name="status",
            field=models.CharField(
                choices=[
                    ("mapping", "Choose the columns"),
                    ("previewing", "Preparing the preview"),
                    ("previewed", "Preview ready: not applied"),
                    ("pending", "Waiting"),
                    ("running", "Running"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                ],
                default="mapping",
                max_length=10,
            ),
        ),
    ]
