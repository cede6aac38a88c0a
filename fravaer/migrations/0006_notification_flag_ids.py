"""One inbox message per person and scan: a flag message lists its flags' ids
(`Notification.flag_ids`) instead of pointing at one flag. Each existing flag message
becomes a message listing its one flag, so nothing already in an inbox changes."""

from django.db import migrations, models


def one_flag_each(apps, schema_editor):
    Notification = apps.get_model("fravaer", "Notification")
    batch = []
    for pk, flag_id in (
        Notification.objects.filter(kind="flag", flag__isnull=False)
        .values_list("pk", "flag_id")
        .iterator(chunk_size=2000)
    ):
        batch.append(Notification(pk=pk, flag_ids=[flag_id]))
        if len(batch) == 2000:
            Notification.objects.bulk_update(batch, ["flag_ids"])
            batch = []
    if batch:
        Notification.objects.bulk_update(batch, ["flag_ids"])


def back_to_one_flag(apps, schema_editor):
    """Going back keeps each message's first flag; the others' messages are lost."""
    Notification = apps.get_model("fravaer", "Notification")
    for n in Notification.objects.filter(kind="flag").iterator(chunk_size=2000):
        if n.flag_ids:
            Notification.objects.filter(pk=n.pk).update(flag_id=n.flag_ids[0])
        else:
            n.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fravaer", "0005_flag_and_notification_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="flag_ids",
            field=models.JSONField(blank=True, db_default=[], default=list),
        ),
        migrations.RunPython(one_flag_each, back_to_one_flag),
        migrations.RemoveConstraint(
            model_name="notification",
            name="notification_flag_or_text",
        ),
        migrations.RemoveConstraint(
            model_name="notification",
            name="notification_one_per_user_flag",
        ),
        migrations.RemoveField(
            model_name="notification",
            name="flag",
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "flag"), models.Q(("flag_ids", []), _negated=True)),
                    models.Q(
                        models.Q(("kind", "flag"), _negated=True),
                        models.Q(("text", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="notification_flags_or_text",
            ),
        ),
    ]
