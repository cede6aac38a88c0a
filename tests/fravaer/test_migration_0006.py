"""Migration 0006: each flag notification already in an inbox becomes a message
listing its one flag, and going back restores the link."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from fravaer.models import Flag
from tests.conftest import make_user
from tests.factories import make_flag

BEFORE = [("fravaer", "0005_flag_and_notification_indexes")]
AFTER = [("fravaer", "0006_notification_flag_ids")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def leaf() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_flag_notifications_become_messages_listing_their_flag(pupil, group):
    flag = make_flag(pupil, "month_days", period_key="2026-11")
    teacher = make_user("kontakt@nordby.no")
    targets = leaf()
    try:
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO fravaer_notification "
                "(user_id, kind, flag_id, text, link, key, created_at) "
                "VALUES (%s, 'flag', %s, '', '', '', %s), (%s, 'case', NULL, 'Ny sak', '', '', %s)",
                [teacher.pk, flag.pk, timezone.now(), teacher.pk, timezone.now()],
            )
        migrate(AFTER)
        with connection.cursor() as cursor:
            cursor.execute("SELECT kind, flag_ids FROM fravaer_notification ORDER BY kind")
            rows = cursor.fetchall()
        decoded = [(kind, ids if isinstance(ids, list) else json.loads(ids)) for kind, ids in rows]
        assert decoded == [("case", []), ("flag", [flag.pk])]

        # A message about two flags goes back as two notifications.
        second = Flag.objects.create(
            **{
                f.attname: getattr(flag, f.attname)
                for f in Flag._meta.concrete_fields
                if f.attname not in ("id", "rule")
            },
            rule="month_late",
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE fravaer_notification SET flag_ids = %s WHERE kind = 'flag'",
                [json.dumps([flag.pk, second.pk])],
            )
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT kind, flag_id FROM fravaer_notification ORDER BY kind, flag_id")
            assert cursor.fetchall() == [("case", None), ("flag", flag.pk), ("flag", second.pk)]
    finally:
        migrate(targets)
