"""Raising, clearing and acknowledging flags, and telling the right people once.

`scan_absence` is the one entry point of the threshold engine: the nightly task, the
re-evaluation after a save and `manage.py scan_absence` all call it. Database
uniqueness (one flag per pupil, rule and period; one open episode per pupil and window
rule) makes it idempotent: a retried task or a second beat raises nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from fravaer.actions.absence import AbsenceRuleError
from fravaer.models import Pupil, StaffRole, TeachingAssignment, User
from fravaer.models.flags import Flag, Notification, RuleSetting, RuleSettingChange
from fravaer.scan import Scope, load_figures
from fravaer.thresholds import CONTACT, LEADERS, RULES, TEAM, Finding, RuleConfig, evaluate


@dataclass
class ScanResult:
    as_of: dt.date
    pupils: int = 0
    new_flags: list[Flag] = field(default_factory=list)
    closed_episodes: int = 0
    cleared: int = 0
    notifications: int = 0


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
    contact with the home has answered, and notify the recipients of new flags."""
    now = now or timezone.now()
    data = load_figures(scope, as_of)
    result = ScanResult(as_of, pupils=len(data.places))
    if not data.places:
        return result
    configs = rule_configs({p.municipality_id for p in data.places.values()})
    findings: dict[int, list[Finding]] = {
        pupil_id: evaluate(f, configs[data.places[pupil_id].municipality_id])
        for pupil_id, f in data.figures.items()
    }
    pupil_ids = list(data.places)
    in_scope = scope.enrollments(as_of).values("pupil_id")
    year_start = min(f.year_start for f in data.figures.values())
    existing = set(
        Flag.objects.filter(
            pupil_id__in=in_scope, period_end__gte=year_start - dt.timedelta(days=120)
        ).values_list("pupil_id", "rule", "period_key")
    )
    open_episodes = {
        (pupil_id, rule): flag_id
        for flag_id, pupil_id, rule in Flag.objects.filter(
            pupil_id__in=in_scope, episode_open=True
        ).values_list("pk", "pupil_id", "rule")
    }
    firing = {(p, f.rule) for p, fs in findings.items() for f in fs}
    still_undocumented = {f.record_id for fs in findings.values() for f in fs if f.record_id}
    stale_undocumented = [
        flag_id
        for flag_id, record_id in Flag.objects.filter(
            pupil_id__in=in_scope, rule="undocumented", status=Flag.Status.ACTIVE
        ).values_list("pk", "record_id")
        if record_id not in still_undocumented
    ]
    new = [
        _flag(pupil_id, finding, data, now)
        for pupil_id, fs in findings.items()
        for finding in fs
        if (pupil_id, finding.rule, finding.period_key) not in existing
        and (pupil_id, finding.rule) not in open_episodes
    ]
    # Every pupil's figures and findings are done with: free them before the writes.
    del data, findings
    with transaction.atomic():
        to_close = [fid for key, fid in open_episodes.items() if key not in firing]
        if to_close:
            result.closed_episodes = Flag.objects.filter(pk__in=to_close).update(episode_open=False)
        if stale_undocumented:
            result.cleared = Flag.objects.filter(pk__in=stale_undocumented).update(
                status=Flag.Status.CLEARED, cleared_at=now
            )
        if new:
            Flag.objects.bulk_create(new, ignore_conflicts=True, batch_size=2000)
            del new
            # Rows another scan inserted first were skipped; ours carry this `now`.
            result.new_flags = list(
                Flag.objects.filter(pupil_id__in=pupil_ids, raised_at=now).select_related("pupil")
            )
            result.notifications = _notify(result.new_flags, as_of=as_of, now=now, email=email)
    return result


def _flag(pupil_id: int, finding: Finding, data, now: dt.datetime) -> Flag:
    place = data.places[pupil_id]
    return Flag(
        pupil_id=pupil_id,
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
        as_of=data.as_of,
        raised_at=now,
        episode_open=RULES[finding.rule].opens_episodes,
    )


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


def _notify(flags: list[Flag], *, as_of: dt.date, now: dt.datetime, email: bool) -> int:
    recipients = recipients_for(flags, as_of=as_of)
    notifications = [
        Notification(user_id=user_id, flag_id=flag.pk, created_at=now)
        for flag in flags
        for user_id in recipients[flag.pk]
    ]
    Notification.objects.bulk_create(notifications, ignore_conflicts=True, batch_size=2000)
    per_user: dict[int, int] = defaultdict(int)
    for n in notifications:
        per_user[n.user_id] += 1
    if per_user and email:
        transaction.on_commit(lambda: send_notification_emails(dict(per_user)))
    return len(notifications)


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
