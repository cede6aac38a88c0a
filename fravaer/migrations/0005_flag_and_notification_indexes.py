"""Fewer indexes on flags and notifications: a first scan of a municipality inserts
some 100 000 flags and 200 000 notifications, and each index is written for every
row (docs/bench.md).

- `fravaer_flag.pupil_id` and `.school_id` lose their own indexes: the unique
  (pupil, rule, period_key) and `flag_school_status_idx` lead with them.
  `flag_pupil_status_idx` goes too: a pupil has a handful of flags, which the unique
  index finds.
- `fravaer_notification.user_id` loses its own: `notification_user_read_idx` leads
  with it. The unique (user, flag) becomes (flag, user), same rows, so that it serves
  the flag's foreign key and `flag_id` needs no index of its own.
- The mostly empty foreign keys (`record`, `acknowledged_by`; a notification's
  `pupil`) are indexed only where set.

The foreign keys stay as they are: the field changes touch only Django's state, and
the database loses just the indexes (Django would otherwise drop and re-add, and so
re-validate, each foreign key).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, field, the index Django made for the foreign key, its table and column)
UNINDEXED = [
    ("flag", "pupil", "fravaer_flag_pupil_id_2dbc3f6d", "fravaer_flag", "pupil_id"),
    ("flag", "school", "fravaer_flag_school_id_0817649a", "fravaer_flag", "school_id"),
    ("flag", "record", "fravaer_flag_record_id_1d55dc39", "fravaer_flag", "record_id"),
    (
        "flag",
        "acknowledged_by",
        "fravaer_flag_acknowledged_by_id_34333f96",
        "fravaer_flag",
        "acknowledged_by_id",
    ),
    (
        "notification",
        "user",
        "fravaer_notification_user_id_d2c93a54",
        "fravaer_notification",
        "user_id",
    ),
    (
        "notification",
        "flag",
        "fravaer_notification_flag_id_7d5da581",
        "fravaer_notification",
        "flag_id",
    ),
    (
        "notification",
        "pupil",
        "fravaer_notification_pupil_id_1611815f",
        "fravaer_notification",
        "pupil_id",
    ),
]

FIELDS = {
    ("flag", "pupil"): models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="flags",
        to="fravaer.pupil",
    ),
    ("flag", "school"): models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="flags",
        to="fravaer.school",
    ),
    ("flag", "record"): models.ForeignKey(
        blank=True,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="flags",
        to="fravaer.absencerecord",
    ),
    ("flag", "acknowledged_by"): models.ForeignKey(
        blank=True,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to=settings.AUTH_USER_MODEL,
    ),
    ("notification", "user"): models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="notifications",
        to=settings.AUTH_USER_MODEL,
    ),
    ("notification", "flag"): models.ForeignKey(
        blank=True,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="notifications",
        to="fravaer.flag",
    ),
    ("notification", "pupil"): models.ForeignKey(
        blank=True,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to="fravaer.pupil",
    ),
}


def _unindex(model: str, field: str, index: str, table: str, column: str):
    return migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX IF EXISTS "{index}"',
                reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
            )
        ],
        state_operations=[
            migrations.AlterField(model_name=model, name=field, field=FIELDS[(model, field)])
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("fravaer", "0004_case_notifications"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="notification",
            name="notification_one_per_user_flag",
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("flag", "user"), name="notification_one_per_user_flag"
            ),
        ),
        migrations.RemoveIndex(
            model_name="flag",
            name="flag_pupil_status_idx",
        ),
        *(_unindex(*row) for row in UNINDEXED),
        migrations.AddIndex(
            model_name="flag",
            index=models.Index(
                condition=models.Q(("record__isnull", False)),
                fields=["record"],
                name="flag_record_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="flag",
            index=models.Index(
                condition=models.Q(("acknowledged_by__isnull", False)),
                fields=["acknowledged_by"],
                name="flag_acknowledged_by_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("pupil__isnull", False)),
                fields=["pupil"],
                name="notification_pupil_idx",
            ),
        ),
    ]
