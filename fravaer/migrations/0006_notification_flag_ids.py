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
    """Going back: a notification per flag again, each as read as its message was.
    Flags deleted since are left out; a message left with none is deleted."""
    Notification = apps.get_model("fravaer", "Notification")
    Flag = apps.get_model("fravaer", "Flag")
    for n in Notification.objects.filter(kind="flag").iterator(chunk_size=2000):
        ids = sorted(set(Flag.objects.filter(pk__in=n.flag_ids).values_list("pk", flat=True)))
        if not ids:
            n.delete()
            continue
        Notification.objects.filter(pk=n.pk).update(flag_id=ids[0])
        Notification.objects.bulk_create(
            Notification(
                user_id=n.user_id,
                kind="flag",
                flag_id=flag_id,
                created_at=n.created_at,
                read_at=n.read_at,
                emailed_at=n.emailed_at,
            )
            for flag_id in ids[1:]
        )
    # PostgreSQL refuses to alter a table with foreign-key checks still pending; run
    # them now, before the constraints come back.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


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
        migrations.RunPython(one_flag_each, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="notification",
            name="notification_flag_or_text",
        ),
        migrations.RemoveConstraint(
            model_name="notification",
            name="notification_one_per_user_flag",
        ),
        # Going back, the flags are put back here: after the column has returned and
        # before the constraints that need it.
        migrations.RunPython(migrations.RunPython.noop, back_to_one_flag),
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
