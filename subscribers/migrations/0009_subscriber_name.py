from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0008_spentlink"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriber",
            name="name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="subscriber",
            name="import_evidence",
            field=models.TextField(blank=True),
        ),
    ]
