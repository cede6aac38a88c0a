"""One foreign key for a flag's group and school: (group_id, school_id) →
fravaer_group (id, school_id). It checks what the keys on the group and on the school
checked (the group exists; the school exists, through the group's own key) and more
(it is the group's school), with one check per new flag instead of two. A first scan of a municipality inserts
some 100 000 flags, and PostgreSQL checks each key of each row at commit.

PostgreSQL only: SQLite, the development default, does not enforce foreign keys that
Django does not declare, and Django rebuilds SQLite tables on changes. A flag without
a group (its group deleted: `SET_NULL`) is not checked (MATCH SIMPLE); groups are
never deleted by the product, and a school with groups cannot be (`PROTECT`). The
index on the group alone goes too: the school's lists find flags by school and
status."""

import django.db.models.deletion
from django.db import migrations, models

ADD = (
    "ALTER TABLE fravaer_flag ADD CONSTRAINT flag_group_school_fk "
    "FOREIGN KEY (group_id, school_id) REFERENCES fravaer_group (id, school_id) "
    "DEFERRABLE INITIALLY DEFERRED"
)
DROP = "ALTER TABLE fravaer_flag DROP CONSTRAINT flag_group_school_fk"


# A flag keeps the school its class belongs to; a class moved to another school in the
# admin before this key existed left its flags behind. They follow the class.
REPAIR = (
    "UPDATE fravaer_flag f SET school_id = g.school_id FROM fravaer_group g "
    "WHERE f.group_id = g.id AND f.school_id <> g.school_id"
)


def add_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REPAIR)
        # PostgreSQL alters no table with key checks pending (the repair's).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(ADD)


def drop_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("fravaer", "0006_notification_flag_ids"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="group",
            constraint=models.UniqueConstraint(
                fields=("id", "school"), name="group_id_school_unique"
            ),
        ),
        migrations.RunPython(add_key, drop_key),
        migrations.AlterField(
            model_name="flag",
            name="group",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="flags",
                to="fravaer.group",
            ),
        ),
        migrations.AlterField(
            model_name="flag",
            name="school",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="flags",
                to="fravaer.school",
            ),
        ),
    ]
