"""What one scan writes, in one transaction: its new flags, one inbox message per
person they reach, the window episodes it closes, the undocumented flags it clears,
and what the `flags_raised` event's handlers do with the new flags (`fravaer.events`).

On PostgreSQL new flags go in as one COPY into a temporary table and one
`INSERT … SELECT … ON CONFLICT DO NOTHING` into the flags, whose new ids are kept for
the messages; no model instance is built.

Outside a transaction (the Celery tasks, `manage.py scan_absence`), the scan
evaluates its pupils in `SLICES` slices and hands each slice's new flags to a writer:
a thread with a connection and transaction of its own, which checks the foreign keys
as each statement ends, so that PostgreSQL inserts and checks one slice while Python
evaluates the next. A first scan of a municipality writes some 100 000 flags, and
writing them took as long as evaluating them. A slice that raises nothing writes
nothing, so the statements are at most four per slice and a few more, whatever the
number of pupils. Inside a transaction (a test, or a caller's own) the same
statements run in that transaction after the evaluation, all flags in one slice. SQLite, the
development default, bulk-creates the flags and writes the messages with one
`INSERT … SELECT`. Either way database uniqueness skips a flag another scan raised
first (a retried task, the nightly beat meeting a rescan after a save).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from fravaer.events import emit
from fravaer.models import StaffRole, TeachingAssignment
from fravaer.models.flags import Flag, cleared_details
from fravaer.models.notifications import Notification
from fravaer.scan import PupilPlace
from fravaer.thresholds import CONTACT, LEADERS, RULES, TEAM, Finding

logger = logging.getLogger(__name__)

SLICES = 4  # a fixed number: the statements do not grow with the pupils

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

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A text value for PostgreSQL's COPY text format: backslash, tab, newline and
    carriage return escaped."""
    return value.translate(_COPY_ESCAPES)


def slices(items: Sequence, n: int = SLICES) -> list[Sequence]:
    """`items` in `n` consecutive parts of (nearly) equal length."""
    size, extra = divmod(len(items), n)
    parts, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        parts.append(items[start:end])
        start = end
    return parts


@dataclass
class Written:
    inserted: int = 0
    notifications: int = 0  # inbox messages
    per_user: dict[int, int] = field(default_factory=dict)  # person → new flags
    closed_episodes: int = 0
    cleared: int = 0
    reactivated: int = 0


class _Finish:
    def __init__(
        self,
        to_close: list[int],
        stale: list[int],
        reactivate: list[tuple[int, Finding, PupilPlace]],
    ) -> None:
        self.to_close, self.stale, self.reactivate = to_close, stale, reactivate


_ABORT = object()


class _Aborted(Exception):
    """The scan failed while its writes were under way: roll them back."""


class ScanWrites:
    """Collects a scan's new flags slice by slice and writes them, with the rest of
    the scan's changes, in one transaction (see the module's text)."""

    def __init__(
        self,
        in_scope: QuerySet,
        *,
        as_of: dt.date,
        now: dt.datetime,
        email: bool,
        threaded: bool,
    ) -> None:
        self.in_scope, self.as_of, self.now, self.email = in_scope, as_of, now, email
        self.postgresql = connection.vendor == "postgresql"
        self.threaded = threaded and self.postgresql
        self.written = Written()
        self._lines: list[str] = []
        self._pending: list[Flag] = []
        self._begun = False
        self._thread: threading.Thread | None = None
        # At most two slices wait for the writer: the COPY text of a slice is the
        # largest thing a scan holds besides the figures.
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._abort = threading.Event()
        self._error: BaseException | None = None
        # The writer connects to the database the scan reads (a benchmark swaps in a
        # scratch database for its own thread only).
        self._settings = copy.deepcopy(connection.settings_dict)
        self._wrapper_class = type(connections[DEFAULT_DB_ALIAS])
        # as_of, raised_at, status, episode_open, acknowledgement: the same for every
        # row but the episode flag.
        head = f"{as_of.isoformat()}\t{now.isoformat()}\t{Flag.Status.ACTIVE.value}"
        self._tail = {False: f"{head}\tf\t", True: f"{head}\tt\t"}

    # --- the scan's side -------------------------------------------------------------

    def add(self, place, finding: Finding) -> None:
        rule = RULES[finding.rule]
        if self.postgresql:
            # COPY's text format, written by hand: psycopg's per-value adaptation cost
            # a second for a first scan of a municipality.
            self._lines.append(
                "\t".join(
                    (
                        str(place.pupil_id),
                        str(place.school_id),
                        str(place.group_id),
                        _copy_text(finding.rule),
                        _copy_text(finding.period_key),
                        finding.period_start.isoformat(),
                        finding.period_end.isoformat(),
                        str(finding.value),
                        str(finding.threshold),
                        _copy_text(json.dumps(finding.details)) if finding.details else "{}",
                        _copy_text(json.dumps(finding.record_ids)) if finding.record_ids else "[]",
                        "\\N" if finding.record_id is None else str(finding.record_id),
                        self._tail[rule.opens_episodes],
                    )
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

    def end_slice(self) -> None:
        """With a writer thread, the slice's new flags go to it. A slice without any
        writes nothing: a scan that raises nothing (most nightly scans) starts no
        writer. Inline, the flags wait for `finish` and go in one slice."""
        if not self._lines or not self.threaded:
            return
        text = self._text()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="scan-writer", daemon=True)
            self._thread.start()
        self._put(text)

    def finish(
        self,
        *,
        to_close: list[int],
        stale: list[int],
        reactivate: list[tuple[int, Finding, PupilPlace]] = (),
    ) -> Written:
        """The messages, the closed episodes, cleared and reactivated flags, the
        handlers; then, with a writer thread, its commit."""
        if self._thread is not None:
            self._put(_Finish(to_close, stale, list(reactivate)))
            self._thread.join()
            self._check()
        else:
            if self._lines:
                self._write_slice(self._text())
            self._finish(to_close, stale, list(reactivate))
        return self.written

    def _text(self) -> str:
        text = "\n".join(self._lines) + "\n"
        self._lines = []
        return text

    def abort(self) -> None:
        """The scan failed (or was interrupted, even while waiting in `finish`): a
        writer thread rolls back at once, whatever it still had to do, and commits
        nothing. An inline writer's transaction is the caller's, which rolls back with
        the exception."""
        if self._thread is not None:
            self._abort.set()
            # Wakes a writer waiting for work; a busy one sees the event first.
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(_ABORT)
            self._thread.join()

    def _put(self, item) -> None:
        """Hand an item to the writer, waiting while two are queued; a writer that
        has failed is reported instead of waited for."""
        while True:
            self._check()
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    # --- the writer's side --------------------------------------------------------------

    def _run(self) -> None:
        """The writer thread: its own connection and transaction, foreign keys checked
        per statement, so that the checks too overlap with the evaluation."""
        connections[DEFAULT_DB_ALIAS] = self._wrapper_class(self._settings, DEFAULT_DB_ALIAS)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                while True:
                    item = self._queue.get()
                    if item is _ABORT or self._abort.is_set():
                        raise _Aborted
                    if isinstance(item, _Finish):
                        self._finish(item.to_close, item.stale, item.reactivate)
                        if self._abort.is_set():  # interrupted while we finished
                            raise _Aborted
                        break
                    self._write_slice(item)
        except _Aborted:
            pass
        except BaseException as exc:
            # Raised in the scan at its next step; logged here too, in case the scan
            # has failed on its own meanwhile. Ids and SQL only, no names.
            logger.warning("the scan's writer failed; nothing was written", exc_info=True)
            self._error = exc
        finally:
            connection.close()

    def _begin(self) -> None:
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

    def _write_slice(self, text: str) -> None:
        self._begin()
        table = connection.ops.quote_name(Flag._meta.db_table)
        columns = ", ".join(COLUMNS)
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {STAGING} ({columns}) FROM STDIN") as copy:
                copy.write(text)
            cursor.execute(
                f"WITH new AS (INSERT INTO {table} ({columns}) "  # noqa: S608
                # In key order: the indexes are written page by page, not at random.
                f"SELECT {columns} FROM {STAGING} ORDER BY pupil_id, rule, period_key "
                f"ON CONFLICT DO NOTHING RETURNING id, group_id, school_id, rule, {HANDED_OVER}) "
                f"INSERT INTO {RAISED} SELECT * FROM new"
            )
            self.written.inserted += cursor.rowcount
            cursor.execute(f"TRUNCATE {STAGING}")

    def _finish(
        self,
        to_close: list[int],
        stale: list[int],
        reactivate: list[tuple[int, Finding, PupilPlace]],
    ) -> None:
        written = self.written
        postgres = connection.vendor == "postgresql"
        if reactivate:
            self._reactivate(reactivate, postgres=postgres)
        if self._pending or (written.reactivated and not postgres):  # SQLite
            Flag.objects.bulk_create(self._pending, ignore_conflicts=True, batch_size=2000)
            self._pending = []
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
            with connection.cursor() as cursor:
                cursor.execute(
                    f"WITH new (id, group_id, school_id, rule, handed_over) AS ({new_sql}) "  # noqa: S608
                    + messages_sql("new", as_of=self.as_of),
                    [*new_params, created_at],
                )
                rows = cursor.fetchall()
            written.inserted = new.count() - written.reactivated
        elif self._begun:  # PostgreSQL
            with connection.cursor() as cursor:
                cursor.execute(messages_sql(RAISED, as_of=self.as_of), [self.now])
                rows = cursor.fetchall()
        else:
            rows = []
        for user_id, count in rows:
            written.per_user[user_id] = count
            written.notifications += 1
        # Only what is still as the scan read it: a flag acknowledged (or an episode
        # closed) by someone else while the scan ran keeps that.
        if to_close:
            written.closed_episodes = Flag.objects.filter(
                pk__in=to_close, episode_open=True
            ).update(episode_open=False)
        if stale:
            # Each flag's cause is read from its record in this same statement.
            written.cleared = Flag.objects.filter(pk__in=stale, status=Flag.Status.ACTIVE).update(
                status=Flag.Status.CLEARED, cleared_at=self.now, details=cleared_details()
            )
        if written.inserted or written.reactivated:
            emit("flags_raised", flags=self.new_flags(), now=self.now)
        per_user = written.per_user
        if per_user and self.email:
            queue_notification_emails(per_user)

    def _reactivate(self, flags: list[tuple[int, Finding, PupilPlace]], *, postgres: bool) -> None:
        """Cleared flags whose finding fires again: an undocumented absence that is
        undocumented and unanswered again (corrected back from documented, the rule
        switched on again), a school year's or month's figures at the threshold again.
        Active again and raised now, in the pupil's class and school of today (a pupil
        may have moved since), so that they are announced to the right people and
        attached like new ones (`new_flags` reads them too). Their figures, records and
        details are the finding's, as for a new flag: a call nobody answered while the
        flag was cleared hands it over, and the cause it was cleared for goes."""
        if postgres:
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
                self.written.reactivated = cursor.rowcount
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


# The staff roles behind the rule table's recipients besides the contact teacher.
RECIPIENT_ROLES = {LEADERS: StaffRole.Role.SCHOOL_LEADER, TEAM: StaffRole.Role.ENVIRONMENT_TEAM}


def recipients_sql(new: str, *, as_of: dt.date) -> str:
    """(user_id, flag_id) for every person the flags in the relation `new` (id,
    group_id, school_id, rule, handed_over) reach, per the rule table, and the leaders
    and the team for an undocumented flag raised already handed over (the home did not
    answer a try logged before the absence came in); a UNION, so nobody twice. The
    rule codes, roles and the date are the code's own values, written as literals."""
    from fravaer.actions.flags import HANDOVER_ROLES

    quote = connection.ops.quote_name
    day = f"'{as_of.isoformat()}'"

    def rules(who: str) -> str:
        return ", ".join(f"'{code}'" for code, rule in RULES.items() if who in rule.recipients)

    parts = []
    if rules(CONTACT):
        parts.append(
            f"SELECT a.user_id, n.id AS flag_id FROM {new} n "  # noqa: S608
            f"JOIN {quote(TeachingAssignment._meta.db_table)} a ON a.group_id = n.group_id "
            f"WHERE n.rule IN ({rules(CONTACT)}) "
            f"AND a.kind = '{TeachingAssignment.Kind.CONTACT.value}' "
            f"AND a.valid_from <= {day} AND (a.valid_to IS NULL OR a.valid_to >= {day})"
        )
    for who, role in RECIPIENT_ROLES.items():
        if rules(who):
            parts.append(
                f"SELECT s.user_id, n.id AS flag_id FROM {new} n "  # noqa: S608
                f"JOIN {quote(StaffRole._meta.db_table)} s ON s.school_id = n.school_id "
                f"WHERE n.rule IN ({rules(who)}) AND s.role = '{role.value}'"
            )
    roles = ", ".join(f"'{role.value}'" for role in HANDOVER_ROLES)
    parts.append(
        f"SELECT s.user_id, n.id AS flag_id FROM {new} n "  # noqa: S608
        f"JOIN {quote(StaffRole._meta.db_table)} s ON s.school_id = n.school_id "
        f"WHERE n.rule = 'undocumented' AND n.handed_over AND s.role IN ({roles})"
    )
    return " UNION ".join(parts)


def messages_sql(new: str, *, as_of: dt.date) -> str:
    """An INSERT of one inbox message per person whom the flags in the relation `new`
    reach (`recipients_sql`), listing their ids in order; it returns each person and
    the number of flags in their message. One parameter: the time of the messages."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    recipients = recipients_sql(new, as_of=as_of)
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
    )
