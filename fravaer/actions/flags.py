"""Raising, clearing and acknowledging flags, and telling the right people once.

`scan_absence` is the one entry point of the threshold engine: the nightly task, the
re-evaluation after a save and `manage.py scan_absence` all call it. Database
uniqueness (one flag per pupil, rule and period; one open episode per pupil and window
rule) makes it idempotent: a retried task or a second beat raises nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
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
    notifications: int = 0
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
    (`fravaer.scan.load_figures`), three reads of the flags, and in one transaction
    the new flags (COPY and one INSERT … SELECT on PostgreSQL), the closed episodes,
    the cleared flags and the notifications (one INSERT … SELECT)."""
    now = now or timezone.now()
    data = load_figures(scope, as_of, rule_configs)
    result = ScanResult(as_of, pupils=len(data.places))
    if not data.places:
        return result
    in_scope = scope.enrollments(as_of).values("pupil_id")
    year_start, _year_end = SchoolYear.bounds_for(as_of)
    # Period rules look back over the school year; flags of earlier years cannot match.
    existing = set(
        _rows(
            Flag.objects.filter(
                pupil_id__in=in_scope, period_end__gte=year_start - dt.timedelta(days=120)
            ).values_list("pupil_id", "rule", "period_key")
        )
    )
    open_episodes = {
        (pupil_id, rule): flag_id
        for flag_id, pupil_id, rule in _rows(
            Flag.objects.filter(pupil_id__in=in_scope, episode_open=True).values_list(
                "pk", "pupil_id", "rule"
            )
        )
    }
    active_undocumented = _rows(
        Flag.objects.filter(
            pupil_id__in=in_scope, rule="undocumented", status=Flag.Status.ACTIVE
        ).values_list("pk", "record_id")
    )
    firing: set[tuple[int, str]] = set()  # open episodes whose condition still holds
    still_undocumented: set[int] = set()
    with transaction.atomic():
        with NewFlags(as_of=as_of, now=now) as new_flags:
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
            result.notifications = _notify(result.flags, as_of=as_of, now=now, email=email)
            for path in settings.FLAG_RAISED_HANDLERS:
                import_string(path)(result.flags, now=now)
    return result


def _rows(queryset: QuerySet) -> list[tuple]:
    """A values_list query's rows as the database returns them (ints and strings
    here), without Django's per-row iteration: a scan reads ~100 000 flags."""
    return raw_rows(queryset)


class NewFlags:
    """The flags one scan raises, written as they are found.

    On PostgreSQL the rows stream with COPY into a temporary table, then one
    `INSERT … SELECT … ON CONFLICT DO NOTHING` moves them into the flags: no model
    instances, and the database parses the rows while Python is still evaluating.
    Elsewhere (SQLite in development and tests) they are bulk-created. Either way
    database uniqueness skips a row another scan raised first (a retried task, the
    nightly beat meeting a rescan after a save). `inserted` counts the rows written.
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

    def __init__(self, *, as_of: dt.date, now: dt.datetime) -> None:
        self.as_of, self.now = as_of, now
        self.inserted = 0
        self.copy = connection.vendor == "postgresql"
        self.pending: list[Flag] = []

    def __enter__(self) -> NewFlags:
        if self.copy:
            table = connection.ops.quote_name(Flag._meta.db_table)
            columns = ", ".join(self.COLUMNS)
            self._cursor = connection.cursor()
            self._cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{self.STAGING}")
            self._cursor.execute(
                f"CREATE TEMPORARY TABLE {self.STAGING} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            self._copy_context = self._cursor.cursor.copy(
                f"COPY {self.STAGING} ({columns}) FROM STDIN"
            )
            self._copy = self._copy_context.__enter__()
        return self

    def add(self, place, finding: Finding) -> None:
        rule = RULES[finding.rule]
        if self.copy:
            self._copy.write_row(
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
        if self.copy:
            self._copy_context.__exit__(exc_type, exc, tb)
            try:
                if exc_type is None:
                    table = connection.ops.quote_name(Flag._meta.db_table)
                    columns = ", ".join(self.COLUMNS)
                    self._cursor.execute(
                        f"INSERT INTO {table} ({columns}) "  # noqa: S608
                        f"SELECT {columns} FROM {self.STAGING} ON CONFLICT DO NOTHING"
                    )
                    self.inserted = self._cursor.rowcount
            finally:
                self._cursor.close()
        elif exc_type is None and self.pending:
            Flag.objects.bulk_create(self.pending, ignore_conflicts=True, batch_size=2000)
            pupil_ids = {f.pupil_id for f in self.pending}
            self.pending = []
            self.inserted = Flag.objects.filter(raised_at=self.now, pupil_id__in=pupil_ids).count()


def recipients_for(flags: list[Flag], *, as_of: dt.date) -> dict[int, set[int]]:
    """flag id → the users it reaches, per the rule table (two statements)."""
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


def recipient_rows(flags: QuerySet[Flag], *, as_of: dt.date) -> QuerySet:
    """(user id, flag id) for every user the flags reach, per the rule table: the
    same people as `recipients_for`, as one query (a UNION, so nobody twice)."""

    def rules(who: str) -> list[str]:
        return [code for code, rule in RULES.items() if who in rule.recipients]

    assignment = "group__teaching_assignments__"
    contact = flags.filter(
        Q(**{f"{assignment}valid_to__isnull": True}) | Q(**{f"{assignment}valid_to__gte": as_of}),
        **{
            f"{assignment}kind": TeachingAssignment.Kind.CONTACT,
            f"{assignment}valid_from__lte": as_of,
        },
        rule__in=rules(CONTACT),
    ).values_list(f"{assignment}user_id", "pk")
    leaders = flags.filter(
        rule__in=rules(LEADERS), school__staff_roles__role=StaffRole.Role.SCHOOL_LEADER
    ).values_list("school__staff_roles__user_id", "pk")
    team = flags.filter(
        rule__in=rules(TEAM), school__staff_roles__role=StaffRole.Role.ENVIRONMENT_TEAM
    ).values_list("school__staff_roles__user_id", "pk")
    return contact.order_by().union(leaders.order_by(), team.order_by())


def _notify(flags: QuerySet[Flag], *, as_of: dt.date, now: dt.datetime, email: bool) -> int:
    """One INSERT … SELECT for every notification, and one read of how many each
    person got, for the e-mails."""
    recipients = recipient_rows(flags, as_of=as_of)
    sql, params = recipients.query.get_compiler(recipients.db).as_sql()
    table = connection.ops.quote_name(Notification._meta.db_table)
    created_at = Notification._meta.get_field("created_at").get_db_prep_value(now, connection)
    with connection.cursor() as cursor:
        # `WHERE true` keeps SQLite from reading ON CONFLICT as part of the SELECT.
        cursor.execute(
            f"INSERT INTO {table} (user_id, flag_id, created_at) "  # noqa: S608
            f"SELECT r.*, %s FROM ({sql}) r WHERE true ON CONFLICT DO NOTHING",
            [created_at, *params],
        )
        created = cursor.rowcount
    if created and email:
        per_user = dict(
            Notification.objects.filter(created_at=now, flag__in=flags)
            .order_by()
            .values("user_id")
            .annotate(n=Count("pk"))
            .values_list("user_id", "n")
        )
        transaction.on_commit(lambda: send_notification_emails(per_user))
    return created


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
