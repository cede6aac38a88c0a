"""Raising, clearing and acknowledging flags, and telling the right people once.

`scan_absence` is the one entry point of the threshold engine: the nightly task, the
re-evaluation after a save and `manage.py scan_absence` all call it. Database
uniqueness (one flag per pupil, rule and period; one open episode per pupil and window
rule) makes it idempotent: a retried task or a second beat raises nothing twice.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from fravaer.access import HANDOVER_AUDIENCE
from fravaer.actions.scan_writes import ScanWrites, queue_notification_emails
from fravaer.models import Pupil, SchoolYear, User
from fravaer.models.flags import (
    Flag,
    RuleSetting,
    RuleSettingChange,
    contact_cleared_details,
)
from fravaer.models.notifications import Notification
from fravaer.scan import PupilPlace, Scope, load_figures, raw_rows
from fravaer.thresholds import (
    MONTH,
    RULES,
    YEAR,
    Finding,
    RuleConfig,
    early_warning_problem,
    evaluate,
    threshold_problem,
)


class FlagRuleError(ValidationError):
    """Acknowledging a flag was refused (no reason given, or no longer active); `code`
    names the rule."""


class RuleSettingError(ValidationError):
    """A change to the municipality's rule settings was refused (an unknown rule, a
    threshold out of range, the early warning not before the leadership's); `code`
    names the rule."""


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
    # Cleared undocumented flags active again; among `flags`, not counted in `raised`.
    reactivated: int = 0
    notifications: int = 0  # inbox messages: one per person the new flags reach
    flags: QuerySet[Flag] = field(default_factory=Flag.objects.none)

    @cached_property
    def new_flags(self) -> list[Flag]:
        return list(self.flags.select_related("pupil").order_by("pk"))


# The rules whose flags belong to the school year or one of its months: their figures
# are final for a past month only as long as nobody corrects the records, so a scan
# that finds them below the threshold clears the flag (`Flag.Cause.BELOW`, or
# `RULE_OFF`), and raises it again if they reach it again.
PERIOD_RULES = frozenset(code for code, rule in RULES.items() if rule.period in (YEAR, MONTH))


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
    contact with the home has answered, notify the recipients of new flags and emit
    `flags_raised` with them (`fravaer.events`).

    The scope is scanned in slices of whole schools (`Scope.slices`), in one
    transaction on the caller's connection. The statements are a fixed number per
    slice, whatever the number of pupils in it: one read of the flags, the figures
    (`fravaer.scan.load_figures`), and the writes (`fravaer.actions.scan_writes`): on
    PostgreSQL a COPY and an INSERT of the new flags, an UPDATE each for closed
    episodes, cleared and reactivated flags, if any; then once per scan the inbox
    messages and the handlers. Only the pupils and rules within reach of a bound are
    evaluated (`fravaer.reach`)."""
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


@dataclass
class _KnownFlags:
    """The flags a scan checks its findings against (`_read_flags`), by key (pupil,
    rule, period)."""

    # Every flag of the school year (period rules look back over the year; a window or
    # pattern flag is at most 15 weeks long): a finding among them is not new.
    existing: set[tuple[int, str, str]] = field(default_factory=set)
    # Open episodes by (pupil, rule): closed when their condition no longer holds.
    open_episodes: dict[tuple[int, str], int] = field(default_factory=dict)
    # Active undocumented flags, (flag id, record id): cleared when no finding names
    # their record any more.
    active_undocumented: list[tuple[int, int]] = field(default_factory=list)
    # Active flags of this school year's periods (`PERIOD_RULES`): those no finding
    # confirms are cleared (the figures are below the threshold now, or the rule is
    # off).
    active_periods: dict[tuple[int, str, str], int] = field(default_factory=dict)
    # Cleared flags, which fire again if their finding does: an undocumented absence
    # undocumented and unanswered again (corrected back, the rule switched on again),
    # a period's figures at the threshold again.
    cleared: dict[tuple[int, str, str], int] = field(default_factory=dict)


def _read_flags(in_scope: QuerySet, *, as_of: dt.date) -> _KnownFlags:
    """The scope's flags that a scan as of `as_of` checks its findings against, in one
    read (`_KnownFlags`)."""
    year_start, _year_end = SchoolYear.bounds_for(as_of)
    known = _KnownFlags()
    flags = Flag.objects.filter(
        Q(period_end__gte=year_start - dt.timedelta(days=120))
        | Q(episode_open=True)
        | Q(rule="undocumented", status=Flag.Status.ACTIVE),
        pupil_id__in=in_scope,
    ).annotate(  # a period of this school year up to the scan date (a truth value)
        this_year=ExpressionWrapper(
            Q(period_start__gte=year_start, period_start__lte=as_of), output_field=BooleanField()
        )
    )
    columns = ("pk", "pupil_id", "rule", "period_key", "episode_open", "status", "record_id")
    for flag_id, pupil_id, rule, period_key, episode_open, status, record_id, this_year in raw_rows(
        flags.values_list(*columns, "this_year")
    ):
        key = (pupil_id, rule, period_key)
        known.existing.add(key)
        if episode_open:
            known.open_episodes[(pupil_id, rule)] = flag_id
        if rule == "undocumented" and status == Flag.Status.ACTIVE:
            known.active_undocumented.append((flag_id, record_id))
        elif rule == "undocumented" and status == Flag.Status.CLEARED:
            known.cleared[key] = flag_id
        elif this_year and rule in PERIOD_RULES:
            if status == Flag.Status.ACTIVE:
                known.active_periods[key] = flag_id
            elif status == Flag.Status.CLEARED:
                known.cleared[key] = flag_id
    return known


def _scan(scope: Scope, *, as_of: dt.date, now: dt.datetime, email: bool) -> ScanResult:
    writes = ScanWrites(
        scope.enrollments(as_of).values("pupil_id"), as_of=as_of, now=now, email=email
    )
    result = ScanResult(as_of)
    with transaction.atomic():
        # Slices of whole schools in school order, each read, evaluated and written
        # before the next is read: the scan holds one slice's figures and flags at a
        # time (`Scope.slices`).
        for part in scope.slices(as_of):
            result.pupils += _scan_slice(part, writes, as_of=as_of)
        written = writes.finish()
    result.raised = written.inserted
    result.notifications = written.notifications
    result.closed_episodes = written.closed_episodes
    result.cleared = written.cleared
    result.reactivated = written.reactivated
    result.flags = writes.new_flags()
    return result


def _scan_slice(part: Scope, writes: ScanWrites, *, as_of: dt.date) -> int:
    """Read, evaluate and write one slice of the scan; returns its pupils."""
    # The flags before the figures: a flag that a save (and its own rescan) changes in
    # between is then judged on figures newer than the flag, and the writes touch only
    # rows still as read here.
    known = _read_flags(part.enrollments(as_of).values("pupil_id"), as_of=as_of)
    data = load_figures(part, as_of, rule_configs)
    pupils = len(data.places)
    if not pupils:
        return 0
    firing: set[tuple[int, str]] = set()  # open episodes whose condition still holds
    still_undocumented: set[int] = set()
    # Flag id, the finding that fires again, and the pupil's class now.
    reactivate: list[tuple[int, Finding, PupilPlace]] = []
    places = data.places
    # In school and pupil order, as the slices: the new flags are inserted in that
    # order, so every scan takes its row locks in the same order as any other (two
    # scans over the same pupils then wait for each other, never deadlock).
    for pupil_id, figures in sorted(
        data.figures.items(), key=lambda item: (places[item[0]].school_id, item[0])
    ):
        place = places[pupil_id]
        rules = None if data.rules is None else data.rules[pupil_id]
        for finding in evaluate(figures, data.configs[place.municipality_id], rules):
            if finding.record_id is not None:
                still_undocumented.add(finding.record_id)
            key = (pupil_id, finding.rule, finding.period_key)
            if (pupil_id, finding.rule) in known.open_episodes:
                firing.add((pupil_id, finding.rule))
            elif key not in known.existing:
                writes.add(place, finding)
            elif known.active_periods.pop(key, None) is None and key in known.cleared:
                reactivate.append((known.cleared[key], finding, place))
    # The slice's figures are done with: free them before the writes.
    del data
    known.existing.clear()
    to_close = [fid for key, fid in known.open_episodes.items() if key not in firing]
    stale = [
        fid for fid, record_id in known.active_undocumented if record_id not in still_undocumented
    ]
    stale.extend(known.active_periods.values())  # no finding confirmed them
    writes.write_slice(to_close=to_close, stale=stale, reactivate=reactivate)
    return pupils


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


def clear_undocumented_flags(
    pupil: Pupil, *, up_to: dt.date, now: dt.datetime, by: User | None = None
) -> int:
    """A contact with the home answers the undocumented absence up to its date; the
    flags keep that cause and who logged the contact (`Flag.Cause`). The duty, to
    contact the home, is met whatever was said, so the flags leave the active list;
    but a contact whose outcome is "must be followed up" keeps `Flag.Cause.FOLLOW_UP`,
    never "settled". The outcome is read from the answering contact in the same
    UPDATE, by the scan's rule (`contact_cleared_details`)."""
    return Flag.objects.filter(
        pupil=pupil,
        rule="undocumented",
        status=Flag.Status.ACTIVE,
        period_start__lte=up_to,
    ).update(
        status=Flag.Status.CLEARED,
        cleared_at=now,
        details=contact_cleared_details(by=by),
    )


def hand_over_unanswered(pupil: Pupil, *, day: dt.date, now: dt.datetime) -> list[int]:
    """The school tried the home about undocumented absence and nobody answered. The
    routine (seeds 000 and 003): leadership or the school-environment team follows up
    until it is clear. The pupil's active undocumented flags up to `day` say so in
    their explanation (`details["no_answer_on"]`, the latest attempt), and the school's
    leaders and team get one inbox message about the flags handed over for the first
    time, and the e-mail without details. The flags stay active until the home is
    reached (`clear_undocumented_flags`) or someone acknowledges them. Returns the ids
    of the flags handed over now."""
    flags = list(
        Flag.objects.select_for_update()
        .filter(
            pupil=pupil,
            rule="undocumented",
            status=Flag.Status.ACTIVE,
            period_start__lte=day,
        )
        .order_by("pk")
    )
    first_time = [f for f in flags if "no_answer_on" not in (f.details or {})]
    for flag in flags:
        details = dict(flag.details or {})
        details["no_answer_on"] = max(details.get("no_answer_on", ""), day.isoformat())
        flag.details = details
    Flag.objects.bulk_update(flags, ["details"])
    if not first_time:
        return []
    per_user: dict[int, set[int]] = {}
    for user_id, school_id in (
        HANDOVER_AUDIENCE.people(day)
        .filter(school_id__in={f.school_id for f in first_time})
        .values_list("user_id", "school_id")
        .distinct()
    ):
        per_user.setdefault(user_id, set()).update(
            f.pk for f in first_time if f.school_id == school_id
        )
    Notification.objects.bulk_create(
        Notification(
            user_id=user_id, kind=Notification.Kind.FLAG, flag_ids=sorted(ids), created_at=now
        )
        for user_id, ids in per_user.items()
    )
    counts = {user_id: len(ids) for user_id, ids in per_user.items()}
    if counts:
        queue_notification_emails(counts)
    return [f.pk for f in first_time]


def acknowledge_flag(flag: Flag, *, by: User, reason: str) -> Flag:
    """Someone has looked at the flag and says why it needs no more attention."""
    reason = reason.strip()
    if not reason:
        raise FlagRuleError(_("Skriv en kort begrunnelse."), code="flag_reason_required")
    now = timezone.now()
    updated = Flag.objects.filter(pk=flag.pk, status=Flag.Status.ACTIVE).update(
        status=Flag.Status.ACKNOWLEDGED,
        acknowledged_by=by,
        acknowledged_at=now,
        acknowledgement=reason[:300],
    )
    if not updated:
        raise FlagRuleError(
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
    """Change one rule for a municipality (`change_rule_settings`)."""
    return change_rule_settings(municipality, [(rule, enabled, threshold)], by=by)[0]


def change_rule_settings(
    municipality, changes: list[tuple[str, bool, Decimal]], *, by: User
) -> list[RuleSetting | None]:
    """Change rules for a municipality, (rule, enabled, threshold) each, all or none;
    each change is logged with who and when. A threshold must lie in its rule's range
    (`thresholds.THRESHOLD_RANGES`) when it is changed (one saved before the ranges
    may stay while the rule is switched on or off), and afterwards the early warning
    must still come before the leadership's, when both are on. The settings form
    says both at the fields first; this holds for every caller."""
    now = timezone.now()
    settings_after = []
    with transaction.atomic():
        for rule, enabled, threshold in changes:
            settings_after.append(_change_one(municipality, rule, enabled, threshold, by, now))
        _check_early_warning_first(municipality)
    return settings_after


def _change_one(municipality, rule, enabled, threshold, by, now) -> RuleSetting | None:
    if rule not in RULES:
        raise RuleSettingError(_("Ukjent regel."), code="rule_unknown")
    current = (
        RuleSetting.objects.select_for_update().filter(municipality=municipality, rule=rule).first()
    )
    before = (
        {"enabled": current.enabled, "threshold": str(current.threshold)}
        if current
        else {"enabled": True, "threshold": str(RULES[rule].default)}
    )
    after = {"enabled": enabled, "threshold": str(threshold)}
    if before == after:
        return current  # nothing changed: no row, no log entry
    problem = threshold_problem(rule, threshold)
    if Decimal(before["threshold"]) != threshold and problem:
        raise RuleSettingError(problem, code="rule_threshold")
    setting, _created = RuleSetting.objects.update_or_create(
        municipality=municipality,
        rule=rule,
        defaults={"enabled": enabled, "threshold": threshold, "updated_by": by, "updated_at": now},
    )
    RuleSettingChange.objects.create(
        municipality=municipality, rule=rule, before=before, after=after, by=by, at=now
    )
    return setting


def _check_early_warning_first(municipality) -> None:
    config = rule_configs([municipality.pk])[municipality.pk]
    notice, leadership = config["year_days_notice"], config["year_days_leadership"]
    if not (notice.enabled and leadership.enabled):
        return
    problem = early_warning_problem(notice.threshold, leadership.threshold)
    if problem:
        raise RuleSettingError(problem, code="rule_order")
