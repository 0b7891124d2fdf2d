import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0009_subscriber_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="ErasedAddress",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("erased_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
    ]
