"""The flags' foreign keys on PostgreSQL: one key checks a flag's group and school
together (`flag_group_school_fk`, migration 0007). SQLite, the development default,
does not enforce it; CI runs these on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fravaer.models import Flag

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the (group, school) key is PostgreSQL's"
)


def flag(pupil, group, school) -> Flag:
    return Flag.objects.create(
        pupil=pupil,
        group=group,
        school=school,
        rule="month_days",
        period_key="2026-11",
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        value=Decimal(4),
        threshold=Decimal(3),
        as_of=dt.date(2026, 11, 18),
        raised_at=timezone.now(),
    )


def check_now() -> None:
    """The keys are deferred to the commit, which a test never reaches."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_flag_in_its_groups_school_is_accepted(pupil, group):
    with transaction.atomic():
        flag(pupil, group, group.school)
        check_now()
    assert Flag.objects.count() == 1


def test_a_flags_school_must_be_its_groups_school(pupil, group, other_school):
    with pytest.raises(IntegrityError, match="flag_group_school_fk"), transaction.atomic():
        flag(pupil, group, other_school)
        check_now()


def test_a_flags_group_must_exist(pupil, group):
    with pytest.raises(IntegrityError, match="flag_group_school_fk"), transaction.atomic():
        Flag.objects.filter(pk=flag(pupil, group, group.school).pk).update(group_id=10**9)
        check_now()


@pytest.mark.django_db
def test_the_keys_on_a_flag_are_the_ones_the_migration_says():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'fravaer_flag'::regclass "
            "AND contype = 'f' ORDER BY conname"
        )
        names = [name for (name,) in cursor.fetchall()]
    # The pupil, the record and who acknowledged: one key each; group and school: one.
    assert len(names) == 4, names
    assert "flag_group_school_fk" in names
    assert sorted(name.split("_")[2] for name in names if name != "flag_group_school_fk") == [
        "acknowledged",
        "pupil",
        "record",
    ]


def test_a_class_keeps_its_school_in_the_admin(admin_client, group, rf):
    from django.contrib import admin as django_admin

    from fravaer.models import Group

    model_admin = django_admin.site._registry[Group]
    assert "school" in model_admin.get_readonly_fields(rf.get("/"), group)
    assert "school" not in model_admin.get_readonly_fields(rf.get("/"), None)


@pytest.mark.django_db(transaction=True)
def test_migration_0007_moves_flags_to_their_class_school_before_the_key(
    pupil, group, other_school
):
    """A class moved to another school in the admin before the key existed left its
    flags at the old school; the migration repairs them, then adds the key."""
    from django.db.migrations.executor import MigrationExecutor

    def migrate(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)

    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
    stray = flag(pupil, group, group.school)
    try:
        migrate([("fravaer", "0006_notification_flag_ids")])
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE fravaer_flag SET school_id = %s WHERE id = %s", [other_school.pk, stray.pk]
            )
        migrate([("fravaer", "0007_flag_group_school_key")])
        stray.refresh_from_db()
        assert stray.school_id == group.school_id
    finally:
        migrate(leaf)
