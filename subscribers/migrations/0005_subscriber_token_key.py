from django.db import migrations, models

import subscribers.models


def fill_token_keys(apps, schema_editor):
    Subscriber = apps.get_model("subscribers", "Subscriber")
    rows = list(Subscriber.objects.filter(token_key__isnull=True).only("id"))
    for row in rows:
        row.token_key = subscribers.models.new_token_key()
    Subscriber.objects.bulk_update(rows, ["token_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0004_subscriber_erase_permission"),
    ]

    operations = [
        # Added empty, filled one random key per existing row, then made unique: a
        # callable default on AddField would give every existing row the same key.
        migrations.AddField(
            model_name="subscriber",
            name="token_key",
            field=models.CharField(max_length=32, null=True, editable=False),
        ),
        migrations.RunPython(fill_token_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscriber",
            name="token_key",
            field=models.CharField(
                default=subscribers.models.new_token_key,
                editable=False,
                max_length=32,
                unique=True,
            ),
        ),
    ]
