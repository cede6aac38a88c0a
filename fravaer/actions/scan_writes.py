"""What one scan writes, in its own transaction on its own connection: its new
flags, one inbox message per person they reach, the window episodes it closes, the
flags it clears or brings back, and what the `flags_raised` event's handlers do with
the new flags (`fravaer.events`).

The scan hands over its findings slice by slice (`fravaer.scan.Scope.slices`), and
each slice is written before the next is read, so the scan never holds more than a
slice's rows. On PostgreSQL a slice's new flags go in with psycopg's COPY (`write_row`,
which adapts and escapes the values) into a temporary table, and one
`INSERT … SELECT … ON CONFLICT DO NOTHING` into the flags, whose new ids are kept for
the messages; no model instance is built. On SQLite (the development default) they are
bulk-created. Either way database uniqueness skips a flag another scan raised first (a
retried task, the nightly beat meeting a rescan after a save). The messages and the
handlers come last, once per scan.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from fravaer.access import FLAG_AUDIENCES
from fravaer.events import emit
from fravaer.models.flags import Flag, cleared_details
from fravaer.models.notifications import Notification
from fravaer.scan import PupilPlace
from fravaer.thresholds import RULES, Finding

logger = logging.getLogger(__name__)

COLUMNS = (
    "pupil_id",
    "school_id",
    "group_id",
    "rule",
    "period_key",
    "period_start",
    "period_end",
    "value",
    "threshold",
    "details",
    "record_ids",
    "record_id",
    "as_of",
    "raised_at",
    "status",
    "episode_open",
    "acknowledgement",
)
STAGING = "fravaer_new_flag"  # a slice's rows, as COPY delivered them
RAISED = "fravaer_raised_flag"  # the flags this scan inserted: id, group, school, rule
# Whether a new flag is raised handed over (`details["no_answer_on"]`; PostgreSQL).
HANDED_OVER = "(details -> 'no_answer_on') IS NOT NULL AS handed_over"
HANDED_OVER_OF_F = "(f.details -> 'no_answer_on') IS NOT NULL AS handed_over"


@dataclass
class Written:
    inserted: int = 0
    notifications: int = 0  # inbox messages
    per_user: dict[int, int] = field(default_factory=dict)  # person → new flags
    closed_episodes: int = 0
    cleared: int = 0
    reactivated: int = 0


class ScanWrites:
    """Collects a slice's new flags (`add`) and writes them with the slice's other
    changes (`write_slice`); `finish` writes the messages and calls the handlers.
    Every statement runs on the scan's connection, in the transaction the scan holds
    (see the module's text)."""

    def __init__(self, in_scope: QuerySet, *, as_of: dt.date, now: dt.datetime, email: bool):
        self.in_scope, self.as_of, self.now, self.email = in_scope, as_of, now, email
        self.postgresql = connection.vendor == "postgresql"
        self.written = Written()
        self._rows: list[tuple] = []  # PostgreSQL: a slice's rows for COPY
        self._pending: list[Flag] = []  # SQLite: a slice's flags
        self._created = False  # SQLite: a flag was bulk-created or brought back
        self._begun = False

    def add(self, place: PupilPlace, finding: Finding) -> None:
        rule = RULES[finding.rule]
        if self.postgresql:
            self._rows.append(
                (
                    place.pupil_id,
                    place.school_id,
                    place.group_id,
                    finding.rule,
                    finding.period_key,
                    finding.period_start,
                    finding.period_end,
                    finding.value,
                    finding.threshold,
                    json.dumps(finding.details) if finding.details else "{}",
                    json.dumps(finding.record_ids) if finding.record_ids else "[]",
                    finding.record_id,
                    self.as_of,
                    self.now,
                    Flag.Status.ACTIVE.value,
                    rule.opens_episodes,
                    "",
                )
            )
            return
        self._pending.append(
            new_flag(
                finding,
                pupil_id=place.pupil_id,
                school_id=place.school_id,
                group_id=place.group_id,
                as_of=self.as_of,
                now=self.now,
            )
        )

    def write_slice(
        self,
        *,
        to_close: list[int],
        stale: list[int],
        reactivate: list[tuple[int, Finding, PupilPlace]],
    ) -> None:
        """The slice's new flags, then its closed episodes, cleared and reactivated
        flags. Only what is still as the scan read it: a flag acknowledged (or an
        episode closed) by someone else while the scan ran keeps that."""
        written = self.written
        if self._rows:
            self._copy_rows()
        if self._pending:
            Flag.objects.bulk_create(self._pending, ignore_conflicts=True, batch_size=2000)
            self._pending = []
            self._created = True
        if reactivate:
            self._reactivate(reactivate)
        if to_close:
            written.closed_episodes += Flag.objects.filter(
                pk__in=to_close, episode_open=True
            ).update(episode_open=False)
        if stale:
            # Each flag's cause is read from its record in this same statement.
            written.cleared += Flag.objects.filter(pk__in=stale, status=Flag.Status.ACTIVE).update(
                status=Flag.Status.CLEARED, cleared_at=self.now, details=cleared_details()
            )

    def finish(self) -> Written:
        """One inbox message per person the scan's new (and reactivated) flags reach,
        the handlers, and the e-mails after the commit."""
        written = self.written
        rows: list[tuple[int, int]] = []
        if self._created:  # SQLite
            new = (
                self.new_flags()
                .annotate(
                    handed_over=ExpressionWrapper(
                        Q(details__has_key="no_answer_on"), output_field=BooleanField()
                    )
                )
                .values_list("id", "group_id", "school_id", "rule", "handed_over")
            )
            new_sql, new_params = new.query.get_compiler(new.db).as_sql()
            created_at = Notification._meta.get_field("created_at").get_db_prep_value(
                self.now, connection
            )
            messages, params = messages_sql("new", as_of=self.as_of, created_at=created_at)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"WITH new (id, group_id, school_id, rule, handed_over) AS ({new_sql}) "  # noqa: S608
                    + messages,
                    [*new_params, *params],
                )
                rows = cursor.fetchall()
            written.inserted = new.count() - written.reactivated
        elif self._begun:  # PostgreSQL
            with connection.cursor() as cursor:
                cursor.execute(*messages_sql(RAISED, as_of=self.as_of, created_at=self.now))
                rows = cursor.fetchall()
        for user_id, count in rows:
            written.per_user[user_id] = count
            written.notifications += 1
        if written.inserted or written.reactivated:
            emit("flags_raised", flags=self.new_flags(), now=self.now)
        per_user = written.per_user
        if per_user and self.email:
            queue_notification_emails(per_user)
        return written

    def _begin(self) -> None:
        """PostgreSQL: the temporary tables of this scan's transaction."""
        if self._begun:
            return
        self._begun = True
        table = connection.ops.quote_name(Flag._meta.db_table)
        columns = ", ".join(COLUMNS)
        with connection.cursor() as cursor:
            # The sort into key order fits in memory for this transaction (with the
            # default 4 MB a first scan of a municipality sorted on disk).
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # A caller's transaction may hold an earlier scan's tables.
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGING}, pg_temp.{RAISED}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {STAGING} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            cursor.execute(
                f"CREATE TEMPORARY TABLE {RAISED} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT id, group_id, school_id, rule, {HANDED_OVER} FROM {table} WITH NO DATA"
            )

    def _copy_rows(self) -> None:
        """PostgreSQL: the slice's rows by COPY into the staging table, then into the
        flags in key order (the indexes are written page by page, not at random, and
        every scan takes its row locks in the same order, so two scans over the same
        pupils wait for each other and never deadlock)."""
        self._begin()
        table = connection.ops.quote_name(Flag._meta.db_table)
        columns = ", ".join(COLUMNS)
        rows, self._rows = self._rows, []
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {STAGING} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            del rows
            cursor.execute(
                f"WITH new AS (INSERT INTO {table} ({columns}) "  # noqa: S608
                f"SELECT {columns} FROM {STAGING} "
                "ORDER BY school_id, pupil_id, rule, period_key "
                f"ON CONFLICT DO NOTHING RETURNING id, group_id, school_id, rule, {HANDED_OVER}) "
                f"INSERT INTO {RAISED} SELECT * FROM new"
            )
            self.written.inserted += cursor.rowcount
            cursor.execute(f"TRUNCATE {STAGING}")

    def _reactivate(self, flags: list[tuple[int, Finding, PupilPlace]]) -> None:
        """Cleared flags whose finding fires again: an undocumented absence that is
        undocumented and unanswered again (corrected back from documented, the rule
        switched on again), a school year's or month's figures at the threshold again.
        Active again and raised now, in the pupil's class and school of today (a pupil
        may have moved since), so that they are announced to the right people and
        attached like new ones (`new_flags` reads them too). Their figures, records and
        details are the finding's, as for a new flag: a call nobody answered while the
        flag was cleared hands it over, and the cause it was cleared for goes."""
        if self.postgresql:
            self._begin()
            table = connection.ops.quote_name(Flag._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"WITH back AS (UPDATE {table} f SET status = %s, cleared_at = NULL, "  # noqa: S608
                    "raised_at = %s, as_of = %s, details = v.details::jsonb, "
                    "value = v.value, threshold = v.threshold, period_end = v.period_end, "
                    "record_ids = v.record_ids::jsonb, school_id = v.school_id, "
                    "group_id = v.group_id "
                    "FROM unnest(%s::bigint[], %s::text[], %s::numeric[], %s::numeric[], "
                    "%s::date[], %s::text[], %s::bigint[], %s::bigint[]) "
                    "AS v(id, details, value, threshold, period_end, record_ids, school_id, "
                    "group_id) "
                    "WHERE f.id = v.id AND f.status = %s "
                    f"RETURNING f.id, f.group_id, f.school_id, f.rule, {HANDED_OVER_OF_F}) "
                    f"INSERT INTO {RAISED} SELECT * FROM back",
                    [
                        Flag.Status.ACTIVE,
                        self.now,
                        self.as_of,
                        [flag_id for flag_id, _f, _p in flags],
                        [json.dumps(f.details) for _id, f, _p in flags],
                        [f.value for _id, f, _p in flags],
                        [f.threshold for _id, f, _p in flags],
                        [f.period_end for _id, f, _p in flags],
                        [json.dumps(list(f.record_ids)) for _id, f, _p in flags],
                        [p.school_id for _id, _f, p in flags],
                        [p.group_id for _id, _f, p in flags],
                        Flag.Status.CLEARED,
                    ],
                )
                self.written.reactivated += cursor.rowcount
            return
        # SQLite (the demo): one UPDATE per distinct figures and class, a handful. An
        # undocumented flag's figures and record never change (one record, its date),
        # so only its details and class are written: flags of one class share them.
        by_figures: dict[tuple, list[int]] = {}
        for flag_id, f, place in flags:
            figures = (f.value, f.threshold, f.period_end, f.record_ids)
            if f.rule == "undocumented":
                figures = (None, None, None, None)
            details = json.dumps(f.details, sort_keys=True)
            key = (details, *figures, place.school_id, place.group_id)
            by_figures.setdefault(key, []).append(flag_id)
        for (
            details,
            value,
            threshold,
            period_end,
            record_ids,
            school,
            group,
        ), ids in by_figures.items():
            figures = {}
            if value is not None:
                figures = {
                    "value": value,
                    "threshold": threshold,
                    "period_end": period_end,
                    "record_ids": list(record_ids),
                }
            self.written.reactivated += Flag.objects.filter(
                pk__in=ids, status=Flag.Status.CLEARED
            ).update(
                status=Flag.Status.ACTIVE,
                cleared_at=None,
                raised_at=self.now,
                as_of=self.as_of,
                details=json.loads(details),
                school_id=school,
                group_id=group,
                **figures,
            )
        if self.written.reactivated:
            self._created = True

    def new_flags(self) -> QuerySet[Flag]:
        # Rows another scan inserted first were skipped; ours carry this `now`.
        return Flag.objects.filter(raised_at=self.now, pupil_id__in=self.in_scope)


def queue_notification_emails(per_user: dict[int, int]) -> None:
    """The e-mails about new inbox messages (a scan's new flags, a step in a case) are
    a Celery task of their own: a first scan of a municipality writes thousands, and
    a mail server's pace should hold neither the scan, nor its worker, nor a user's
    request. Call it inside the transaction that writes the messages: the task is
    enqueued when it commits, through the outbox (`fravaer.actions.outbox`), so a
    broker that is down or silent neither holds the request nor loses the e-mails.
    Without a broker the task runs in-process after the commit; if the mail server
    cannot be reached, what was saved and the inbox messages are there all the same;
    only the e-mail is lost, and that is logged (without names)."""
    from fravaer.actions.outbox import enqueue_on_commit
    from fravaer.tasks import send_inbox_emails

    enqueue_on_commit(
        send_inbox_emails, {str(user_id): count for user_id, count in per_user.items()}
    )


def new_flag(
    finding: Finding,
    *,
    pupil_id: int,
    school_id: int,
    group_id: int,
    as_of: dt.date,
    now: dt.datetime,
) -> Flag:
    """The flag `finding` raises, not saved (the rows COPY writes hold the same)."""
    return Flag(
        pupil_id=pupil_id,
        school_id=school_id,
        group_id=group_id,
        rule=finding.rule,
        period_key=finding.period_key,
        period_start=finding.period_start,
        period_end=finding.period_end,
        value=finding.value,
        threshold=Decimal(finding.threshold),
        details=finding.details,
        record_ids=list(finding.record_ids),
        record_id=finding.record_id,
        as_of=as_of,
        raised_at=now,
        episode_open=RULES[finding.rule].opens_episodes,
    )


def recipients_sql(new: str, *, as_of: dt.date) -> tuple[str, list]:
    """(user_id, flag_id) for every person the flags in the relation `new` (id,
    group_id, school_id, rule, handed_over) reach, and its parameters: built from the
    access module's table of who is told (`access.FLAG_AUDIENCES`, which
    `access.flag_recipients` reads too), each line's people on `as_of` joined to the
    new flags of its rules on their class or school; a UNION, so nobody twice. The
    rule codes are the code's own values, written as literals."""
    parts, params = [], []
    for audience in FLAG_AUDIENCES:
        if not audience.rules:
            continue
        people = audience.people(as_of)
        people_sql, people_params = people.query.get_compiler(connection=connection).as_sql()
        rules = ", ".join(f"'{code}'" for code in sorted(audience.rules))
        handed_over = " AND n.handed_over" if audience.handed_over else ""
        parts.append(
            f"SELECT p.user_id, n.id AS flag_id FROM {new} n "  # noqa: S608
            f"JOIN ({people_sql}) p ON p.{audience.on} = n.{audience.on} "
            f"WHERE n.rule IN ({rules}){handed_over}"
        )
        params.extend(people_params)
    return " UNION ".join(parts), params


def messages_sql(new: str, *, as_of: dt.date, created_at) -> tuple[str, list]:
    """An INSERT of one inbox message per person whom the flags in the relation `new`
    reach (`recipients_sql`), listing their ids in order, and its parameters (the time
    of the messages first); it returns each person and the number of flags in their
    message."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    recipients, params = recipients_sql(new, as_of=as_of)
    if connection.vendor == "postgresql":
        ids, length = "jsonb_agg(r.flag_id ORDER BY r.flag_id)", "jsonb_array_length"
    else:
        # SQLite aggregates in the order of its input.
        ids, length = "json_group_array(r.flag_id)", "json_array_length"
        recipients = f"SELECT * FROM ({recipients}) u ORDER BY u.user_id, u.flag_id"  # noqa: S608
    return (
        f"INSERT INTO {table} (user_id, kind, flag_ids, created_at, text, link, key) "  # noqa: S608
        f"SELECT r.user_id, '{Notification.Kind.FLAG.value}', {ids}, %s, '', '', '' "
        f"FROM ({recipients}) r GROUP BY r.user_id "
        f"RETURNING user_id, {length}(flag_ids) AS flags"
    ), [created_at, *params]
