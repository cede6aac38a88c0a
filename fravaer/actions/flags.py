"""Raising, clearing and acknowledging flags, and telling the right people once.

`scan_absence` is the one entry point of the threshold engine: the nightly task, the
re-evaluation after a save and `manage.py scan_absence` all call it. Database
uniqueness (one flag per pupil, rule and period; one open episode per pupil and window
rule) makes it idempotent: a retried task or a second beat raises nothing twice.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from fravaer.actions.absence import AbsenceRuleError
from fravaer.models import Pupil, SchoolYear, StaffRole, TeachingAssignment, User
from fravaer.models.flags import Flag, Notification, RuleSetting, RuleSettingChange
from fravaer.scan import Scope, load_figures, raw_rows
from fravaer.thresholds import CONTACT, LEADERS, RULES, TEAM, Finding, RuleConfig, evaluate

logger = logging.getLogger(__name__)


@dataclass
class ScanResult:
    """What one scan did. `flags` are the flags it newly raised, as a lazy queryset:
    a first scan of a municipality raises about 100 000, and the nightly task only
    counts them (`raised`). `new_flags` reads them with their pupils, for callers that
    want the objects (the `scan_absence` command, tests)."""

    as_of: dt.date
    pupils: int = 0
    raised: int = 0
    closed_episodes: int = 0
    cleared: int = 0
    notifications: int = 0  # inbox messages: one per person the new flags reach
    flags: QuerySet[Flag] = field(default_factory=Flag.objects.none)

    @cached_property
    def new_flags(self) -> list[Flag]:
        return list(self.flags.select_related("pupil").order_by("pk"))


def rule_configs(municipality_ids) -> dict[int, dict[str, RuleConfig]]:
    """Each municipality's rules: the defaults, overridden by its settings."""
    configs = {
        m: {code: RuleConfig(True, rule.default) for code, rule in RULES.items()}
        for m in municipality_ids
    }
    for row in RuleSetting.objects.filter(municipality_id__in=configs, rule__in=RULES):
        configs[row.municipality_id][row.rule] = RuleConfig(row.enabled, row.threshold)
    return configs


def scan_absence(
    scope: Scope, *, as_of: dt.date, now: dt.datetime | None = None, email: bool = True
) -> ScanResult:
    """Evaluate every rule for the pupils in scope on `as_of`; raise new flags, close
    window episodes whose condition is false again, clear undocumented flags that a
    contact with the home has answered, notify the recipients of new flags and call
    `settings.FLAG_RAISED_HANDLERS` with them.

    The statements are a fixed number whatever the number of pupils: the figures
    (`fravaer.scan.load_figures`), one read of the flags, and in one transaction, on
    PostgreSQL, a COPY of the new flags into a temporary table and one statement that
    inserts them and one inbox message per person they reach (`NewFlags`), then an
    UPDATE each for closed episodes and cleared flags, if any, and the handlers. Only
    the pupils and rules within reach of a bound are evaluated (`fravaer.reach`)."""
    with _no_cycle_collection():
        return _scan(scope, as_of=as_of, now=now or timezone.now(), email=email)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A scan builds hundreds of thousands of small objects (figures, records,
    findings), none of them in a reference cycle; Python's cycle collector would walk
    them over and over for nothing (a third of a large scan's CPU time). Reference
    counting still frees them; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _scan(scope: Scope, *, as_of: dt.date, now: dt.datetime, email: bool) -> ScanResult:
    data = load_figures(scope, as_of, rule_configs)
    result = ScanResult(as_of, pupils=len(data.places))
    if not data.places:
        return result
    in_scope = scope.enrollments(as_of).values("pupil_id")
    year_start, _year_end = SchoolYear.bounds_for(as_of)
    # The flags the findings are checked against, in one read: this school year's
    # (period rules look back over the year; a window or pattern flag is at most
    # 15 weeks long), open episodes and undocumented flags still active.
    existing: set[tuple[int, str, str]] = set()
    open_episodes: dict[tuple[int, str], int] = {}
    active_undocumented: list[tuple[int, int]] = []
    for flag_id, pupil_id, rule, period_key, episode_open, status, record_id in _rows(
        Flag.objects.filter(
            Q(period_end__gte=year_start - dt.timedelta(days=120))
            | Q(episode_open=True)
            | Q(rule="undocumented", status=Flag.Status.ACTIVE),
            pupil_id__in=in_scope,
        ).values_list("pk", "pupil_id", "rule", "period_key", "episode_open", "status", "record_id")
    ):
        existing.add((pupil_id, rule, period_key))
        if episode_open:
            open_episodes[(pupil_id, rule)] = flag_id
        if rule == "undocumented" and status == Flag.Status.ACTIVE:
            active_undocumented.append((flag_id, record_id))
    firing: set[tuple[int, str]] = set()  # open episodes whose condition still holds
    still_undocumented: set[int] = set()
    with transaction.atomic():
        with NewFlags(in_scope, as_of=as_of, now=now) as new_flags:
            for pupil_id, figures in data.figures.items():
                place = data.places[pupil_id]
                rules = None if data.rules is None else data.rules[pupil_id]
                for finding in evaluate(figures, data.configs[place.municipality_id], rules):
                    if finding.record_id is not None:
                        still_undocumented.add(finding.record_id)
                    if (pupil_id, finding.rule) in open_episodes:
                        firing.add((pupil_id, finding.rule))
                    elif (pupil_id, finding.rule, finding.period_key) not in existing:
                        new_flags.add(place, finding)
            # Every pupil's figures are done with: free them before the writes.
            del data, existing
        result.raised = new_flags.inserted
        result.notifications = new_flags.notifications
        to_close = [fid for key, fid in open_episodes.items() if key not in firing]
        if to_close:
            result.closed_episodes = Flag.objects.filter(pk__in=to_close).update(episode_open=False)
        stale = [
            fid for fid, record_id in active_undocumented if record_id not in still_undocumented
        ]
        if stale:
            result.cleared = Flag.objects.filter(pk__in=stale).update(
                status=Flag.Status.CLEARED, cleared_at=now
            )
        # Rows another scan inserted first were skipped; ours carry this `now`.
        result.flags = Flag.objects.filter(raised_at=now, pupil_id__in=in_scope)
        if result.raised:
            for path in settings.FLAG_RAISED_HANDLERS:
                import_string(path)(result.flags, now=now)
        per_user = new_flags.per_user
        if per_user and email:
            transaction.on_commit(lambda: queue_notification_emails(per_user))
    return result


def queue_notification_emails(per_user: dict[int, int]) -> None:
    """The e-mails about a scan's new flags are a Celery task of their own: a first
    scan of a municipality writes thousands, and a mail server's pace should hold
    neither the scan nor its worker. Without a broker the task runs in-process. If
    the broker cannot be reached, the flags and the inbox messages are there all the
    same; only the e-mail is lost, and that is logged (without names)."""
    from fravaer.tasks import send_flag_emails

    try:
        send_flag_emails.delay({str(user_id): count for user_id, count in per_user.items()})
    except Exception:
        logger.warning("could not enqueue e-mails to %d people", len(per_user), exc_info=True)


def _rows(queryset: QuerySet) -> Iterator[tuple]:
    """A values_list query's rows as the database returns them (ints and strings
    here), without Django's per-row iteration: a scan reads ~100 000 flags."""
    return raw_rows(queryset)


def recipients_for(flags: list[Flag], *, as_of: dt.date) -> dict[int, set[int]]:
    """flag id → the users it reaches, per the rule table (two statements). The scan
    writes the same people with one statement (`_recipients_sql`)."""
    groups = {f.group_id for f in flags}
    schools = {f.school_id for f in flags}
    contact: dict[int, set[int]] = defaultdict(set)
    for group_id, user_id in TeachingAssignment.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=as_of),
        group_id__in=groups,
        kind=TeachingAssignment.Kind.CONTACT,
        valid_from__lte=as_of,
    ).values_list("group_id", "user_id"):
        contact[group_id].add(user_id)
    staff: dict[tuple[int, str], set[int]] = defaultdict(set)
    for school_id, role, user_id in StaffRole.objects.filter(
        school_id__in=schools,
        role__in=[StaffRole.Role.SCHOOL_LEADER, StaffRole.Role.ENVIRONMENT_TEAM],
    ).values_list("school_id", "role", "user_id"):
        staff[(school_id, role)].add(user_id)
    result = {}
    for flag in flags:
        users: set[int] = set()
        wanted = RULES[flag.rule].recipients
        if CONTACT in wanted:
            users |= contact[flag.group_id]
        if LEADERS in wanted:
            users |= staff[(flag.school_id, StaffRole.Role.SCHOOL_LEADER)]
        if TEAM in wanted:
            users |= staff[(flag.school_id, StaffRole.Role.ENVIRONMENT_TEAM)]
        result[flag.pk] = users
    return result


def _recipients_sql(new: str, *, as_of: dt.date) -> str:
    """(user_id, flag_id) for every person the flags in the relation `new` (id,
    group_id, school_id, rule) reach, per the rule table; a UNION, so nobody twice.
    The rule codes, roles and the date are the code's own values, written as
    literals."""
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
    for who, role in (
        (LEADERS, StaffRole.Role.SCHOOL_LEADER),
        (TEAM, StaffRole.Role.ENVIRONMENT_TEAM),
    ):
        if rules(who):
            parts.append(
                f"SELECT s.user_id, n.id AS flag_id FROM {new} n "  # noqa: S608
                f"JOIN {quote(StaffRole._meta.db_table)} s ON s.school_id = n.school_id "
                f"WHERE n.rule IN ({rules(who)}) AND s.role = '{role.value}'"
            )
    return " UNION ".join(parts) or "SELECT NULL AS user_id, NULL AS flag_id WHERE 1 = 0"


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A text value for PostgreSQL's COPY text format: backslash, tab, newline and
    carriage return escaped."""
    return value.translate(_COPY_ESCAPES)


class NewFlags:
    """The flags one scan raises, written as they are found, and the messages about
    them.

    On PostgreSQL the rows stream with COPY into a temporary table while Python is
    still evaluating; then one statement moves them into the flags
    (`INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`) and, from the rows it
    returns, writes one inbox message per person the rule table names, listing that
    person's new flags, and returns the number per person for the e-mails. No model
    instances are built. Elsewhere (SQLite in development and tests) the flags are
    bulk-created, then one `INSERT … SELECT` writes the messages. Either way database
    uniqueness skips a row another scan raised first (a retried task, the nightly beat
    meeting a rescan after a save).
    """

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
    STAGING = "fravaer_new_flag"
    COPY_BATCH = 2000  # rows per write to the COPY stream

    def __init__(self, in_scope: QuerySet, *, as_of: dt.date, now: dt.datetime) -> None:
        self.in_scope, self.as_of, self.now = in_scope, as_of, now
        self.inserted = self.notifications = 0
        self.per_user: dict[int, int] = {}
        self.copy = connection.vendor == "postgresql"
        self._copy = None
        self.pending: list[Flag] = []

    def __enter__(self) -> NewFlags:
        return self

    def _open_copy(self) -> None:
        """The temporary table and the COPY into it, at the first new flag: a scan
        that raises nothing (most nightly scans) writes nothing."""
        table = connection.ops.quote_name(Flag._meta.db_table)
        columns = ", ".join(self.COLUMNS)
        self._cursor = connection.cursor()
        self._cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{self.STAGING}")
        self._cursor.execute(
            f"CREATE TEMPORARY TABLE {self.STAGING} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        self._copy_context = self._cursor.cursor.copy(f"COPY {self.STAGING} ({columns}) FROM STDIN")
        self._copy = self._copy_context.__enter__()
        self._lines: list[str] = []
        # as_of, raised_at, status, episode_open, acknowledgement: the same for every
        # row but the episode flag.
        head = f"{self.as_of.isoformat()}\t{self.now.isoformat()}\t{Flag.Status.ACTIVE.value}"
        self._constant_tail = {False: f"{head}\tf\t", True: f"{head}\tt\t"}

    def _flush(self) -> None:
        """Rows in PostgreSQL's COPY text format, written by hand: psycopg's
        per-value adaptation cost a second for a first scan of a municipality."""
        if self._lines:
            self._copy.write("\n".join(self._lines) + "\n")
            self._lines = []

    def add(self, place, finding: Finding) -> None:
        rule = RULES[finding.rule]
        if self.copy:
            if self._copy is None:
                self._open_copy()
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
                        self._constant_tail[rule.opens_episodes],
                    )
                )
            )
            if len(self._lines) >= self.COPY_BATCH:
                self._flush()
            return
        self.pending.append(
            Flag(
                pupil_id=place.pupil_id,
                school_id=place.school_id,
                group_id=place.group_id,
                rule=finding.rule,
                period_key=finding.period_key,
                period_start=finding.period_start,
                period_end=finding.period_end,
                value=finding.value,
                threshold=Decimal(finding.threshold),
                details=finding.details,
                record_ids=list(finding.record_ids),
                record_id=finding.record_id,
                as_of=self.as_of,
                raised_at=self.now,
                episode_open=rule.opens_episodes,
            )
        )

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._copy is not None:
            if exc_type is None:
                self._flush()
            self._copy_context.__exit__(exc_type, exc, tb)
            try:
                if exc_type is None:
                    self._move_and_notify()
            finally:
                self._cursor.close()
        elif exc_type is None and self.pending:
            Flag.objects.bulk_create(self.pending, ignore_conflicts=True, batch_size=2000)
            self.pending = []
            self._notify()

    def _move_and_notify(self) -> None:
        quote = connection.ops.quote_name
        columns = ", ".join(self.COLUMNS)
        # A row with no user_id carries the number of flags inserted. The flags skip a
        # row another scan raised first (ON CONFLICT); each person then gets one
        # message listing the new flags that reach them (`_messages_sql`). The sort
        # into key order fits in memory for this transaction (with the default 4 MB a
        # first scan of a municipality sorted 100 000 flags on disk).
        self._cursor.execute("SET LOCAL work_mem = '64MB'")
        self._cursor.execute(
            f"WITH new AS (INSERT INTO {quote(Flag._meta.db_table)} ({columns}) "  # noqa: S608
            # In key order: the indexes are written page by page, not at random.
            f"SELECT {columns} FROM {self.STAGING} ORDER BY pupil_id, rule, period_key "
            "ON CONFLICT DO NOTHING "
            "RETURNING id, group_id, school_id, rule), "
            f"notified AS ({_messages_sql('new', as_of=self.as_of)}) "
            "SELECT NULL, COUNT(*) FROM new UNION ALL SELECT user_id, flags FROM notified",
            [self.now],
        )
        self._count(self._cursor.fetchall())

    def _count(self, rows) -> None:
        for user_id, count in rows:
            if user_id is None:
                self.inserted = count
            else:
                self.per_user[user_id] = count
                self.notifications += 1

    def _notify(self) -> None:
        new = Flag.objects.filter(raised_at=self.now, pupil_id__in=self.in_scope).values_list(
            "id", "group_id", "school_id", "rule"
        )
        new_sql, new_params = new.query.get_compiler(new.db).as_sql()
        created_at = Notification._meta.get_field("created_at").get_db_prep_value(
            self.now, connection
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH new (id, group_id, school_id, rule) AS ({new_sql}) "  # noqa: S608
                + _messages_sql("new", as_of=self.as_of),
                [*new_params, created_at],
            )
            self._count(cursor.fetchall())
        self.inserted = new.count()


def _messages_sql(new: str, *, as_of: dt.date) -> str:
    """An INSERT of one inbox message per person whom the flags in the relation `new`
    reach (`_recipients_sql`), listing their ids in order; it returns each person and
    the number of flags in their message. One parameter: the time of the messages."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    recipients = _recipients_sql(new, as_of=as_of)
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


def send_notification_emails(per_user: dict[int, int]) -> int:
    """One short e-mail per person: how many new flags, and a link to log in. No
    names, reasons or figures: they may be health information."""
    users = User.objects.filter(pk__in=per_user, is_active=True).exclude(email="")
    link = settings.SITE_URL + reverse("inbox")
    messages = []
    for user in users:
        count = per_user[user.pk]
        with override(settings.LANGUAGE_CODE):
            subject = ngettext("Fravær: %(n)s nytt varsel", "Fravær: %(n)s nye varsler", count) % {
                "n": count
            }
            body = _(
                "Du har nye varsler om elevfravær.\n\nLogg inn for å se dem: %(link)s\n\n"
                "Av personvernhensyn står ingen detaljer i denne e-posten."
            ) % {"link": link}
        messages.append(EmailMessage(subject, body, to=[user.email]))
    if messages:
        get_connection().send_messages(messages)
    return len(messages)


def clear_undocumented_flags(pupil: Pupil, *, up_to: dt.date, now: dt.datetime) -> int:
    """A contact with the home answers the undocumented absence up to its date."""
    return Flag.objects.filter(
        pupil=pupil,
        rule="undocumented",
        status=Flag.Status.ACTIVE,
        period_start__lte=up_to,
    ).update(status=Flag.Status.CLEARED, cleared_at=now)


def acknowledge_flag(flag: Flag, *, by: User, reason: str) -> Flag:
    """Someone has looked at the flag and says why it needs no more attention."""
    reason = reason.strip()
    if not reason:
        raise AbsenceRuleError(_("Skriv en kort begrunnelse."), code="flag_reason_required")
    now = timezone.now()
    updated = Flag.objects.filter(pk=flag.pk, status=Flag.Status.ACTIVE).update(
        status=Flag.Status.ACKNOWLEDGED,
        acknowledged_by=by,
        acknowledged_at=now,
        acknowledgement=reason[:300],
    )
    if not updated:
        raise AbsenceRuleError(
            _("Varselet er allerede kvittert ut eller avklart."), code="flag_not_active"
        )
    flag.refresh_from_db()
    return flag


def mark_notifications_read(user: User, *, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def change_rule_setting(
    municipality, *, rule: str, enabled: bool, threshold: Decimal, by: User
) -> RuleSetting | None:
    """Change one rule for a municipality; the change is logged with who and when."""
    if rule not in RULES:
        raise AbsenceRuleError(_("Ukjent regel."), code="rule_unknown")
    if threshold < 0:
        raise AbsenceRuleError(_("Grensen kan ikke være negativ."), code="rule_threshold")
    now = timezone.now()
    with transaction.atomic():
        current = (
            RuleSetting.objects.select_for_update()
            .filter(municipality=municipality, rule=rule)
            .first()
        )
        before = (
            {"enabled": current.enabled, "threshold": str(current.threshold)}
            if current
            else {"enabled": True, "threshold": str(RULES[rule].default)}
        )
        after = {"enabled": enabled, "threshold": str(threshold)}
        if before == after:
            return current  # nothing changed: no row, no log entry
        setting, _created = RuleSetting.objects.update_or_create(
            municipality=municipality,
            rule=rule,
            defaults={
                "enabled": enabled,
                "threshold": threshold,
                "updated_by": by,
                "updated_at": now,
            },
        )
        RuleSettingChange.objects.create(
            municipality=municipality, rule=rule, before=before, after=after, by=by, at=now
        )
    return setting
