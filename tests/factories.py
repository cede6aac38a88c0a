"""Small factories for test data that many test modules share: absence records, flags
(raised, acknowledged, cleared) and inbox messages, contacts with the home, scans, and
cases' consents, conversations and levels. Personas (users,
schools, classes, pupils) are fixtures in `tests/conftest.py`."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.actions.consent import record_consent
from cases.errors import CaseRuleError
from cases.models import Case, Consent, Conversation, Service
from fravaer.actions import AbsenceInput, apply_absence_changes, scan_absence
from fravaer.models import (
    AbsenceReason,
    ContactLog,
    Enrollment,
    Flag,
    Notification,
    RuleSetting,
)
from fravaer.scan import Scope
from tests.conftest import TODAY

MONDAY, TUESDAY = dt.date(2026, 11, 16), dt.date(2026, 11, 17)  # the week of TODAY
CONTACT = {"channel": "phone", "summary": "Mor ringte", "outcome": "clarified"}


def give(case, by, *, service=Service.PPT, given_on=TODAY, **extra) -> Consent:
    return record_consent(
        case,
        service=service,
        purpose="Kartlegging og tiltak",
        guardians=case.pupil.guardians.all(),
        given_on=given_on,
        by=by,
        **extra,
    )


def refused(code: str, fn, *args, **kwargs) -> CaseRuleError:
    with pytest.raises(CaseRuleError) as exc:
        fn(*args, **kwargs)
    assert exc.value.code == code
    return exc.value


_keys = itertools.count(1)


def make_flag(pupil, rule="month_days", *, status="active", raised_at=None, **extra) -> Flag:
    enrollment = Enrollment.objects.select_related("group").filter(pupil=pupil).first()
    group = enrollment.group
    defaults = {
        "period_key": f"2026-{next(_keys)}",
        "period_start": dt.date(2026, 11, 1),
        "period_end": dt.date(2026, 11, 18),
        "value": Decimal(4),
        "threshold": Decimal(3),
        "as_of": dt.date(2026, 11, 18),
        "raised_at": raised_at or timezone.now(),
    }
    defaults.update(extra)
    return Flag.objects.create(
        pupil=pupil, school=group.school, group=group, rule=rule, status=status, **defaults
    )


def acknowledged_flag(pupil, rule="month_days", *, by, reason: str) -> Flag:
    """A flag `by` acknowledged now with `reason`."""
    return make_flag(
        pupil,
        rule,
        status="acknowledged",
        acknowledged_by=by,
        acknowledged_at=timezone.now(),
        acknowledgement=reason,
    )


def cleared_flag(pupil, cause: str = "", by=None, **extra) -> Flag:
    """An undocumented flag cleared now, with `cause` (and who) kept as a scan or a
    contact keeps them; no cause: cleared before causes were kept."""
    details = {"cleared_cause": cause, "cleared_by": by.pk if by else None} if cause else {}
    return make_flag(
        pupil,
        "undocumented",
        status="cleared",
        cleared_at=timezone.now(),
        details=details,
        **extra,
    )


def undocumented_flag(pupil, record) -> Flag:
    return Flag.objects.get(pupil=pupil, rule="undocumented", record=record)


def scan(school):
    return scan_absence(Scope(school_ids=(school.pk,)), as_of=TODAY)


def at(hour: int, day: dt.date = TODAY) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def logged_elsewhere(
    pupil, by, hour: int, outcome: str = "clarified", counterpart: str = "guardian"
) -> ContactLog:
    """A contact written without `log_contact` (an import, the admin) at `hour` today:
    only the scan clears the flags it answers."""
    return ContactLog.objects.create(
        pupil=pupil,
        contacted_at=at(hour),
        counterpart=counterpart,
        logged_by=by,
        logged_at=at(hour),
        **{**CONTACT, "outcome": outcome},
    )


def notify(user, *flags, read=False, created_at=None) -> Notification:
    """One inbox message listing these flags, as a scan writes it."""
    now = timezone.now()
    return Notification.objects.create(
        user=user,
        flag_ids=sorted(f.pk for f in flags),
        created_at=created_at or now,
        read_at=now if read else None,
    )


def absence(pupil, day, by, kind="day", documented=False, code=None, **extra):
    reason = AbsenceReason.objects.get(
        municipality=pupil.municipality,
        code=code or ("illness" if documented else "unknown"),
    )
    data = AbsenceInput(kind=kind, documented=documented, reason=reason, **extra)
    return apply_absence_changes(creates=[(pupil, day, data)], by=by).created[0]


def conversation(case, by):
    return Conversation.objects.create(
        case=case,
        held_on=TODAY,
        with_whom=Conversation.With.BOTH,
        medium=Conversation.Medium.PHONE,
        recorded_by=by,
        recorded_at=timezone.now(),
    )


def consent(case, by, **extra):
    values = {"service": "ppt", "purpose": "Tverrfaglig samarbeid", "given_on": TODAY}
    values.update(extra)
    return Consent.objects.create(case=case, recorded_by=by, recorded_at=timezone.now(), **values)


def at_level(case, level, *, ready=True, by=None):
    """Put the case on `level` (test setup) with every requirement of every move met."""
    if ready:
        conversation(case, by or case.owner)
        consent(case, by or case.owner)
        Case.objects.filter(pk=case.pk).update(
            level=level, coordinator=case.owner, leaders_informed_at=timezone.now()
        )
    else:
        Case.objects.filter(pk=case.pk).update(level=level)
    case.refresh_from_db()
    return case


def saved_before_the_ranges(municipality, admin) -> RuleSetting:
    """A threshold outside today's range (5 alternate weeks; the scan reads 8 weeks),
    saved before the ranges existed."""
    from django.utils import timezone

    return RuleSetting.objects.create(
        municipality=municipality,
        rule="pattern_alternate_week",
        enabled=True,
        threshold=Decimal(5),
        updated_by=admin,
        updated_at=timezone.now(),
    )


def weekdays(start, n):
    day, out = start, []
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def attendance_contact_at(school, username="naervaer@nordby.no"):
    """A nærværskontakt at `school` (a staff role, no teaching)."""
    from fravaer.models import StaffRole
    from tests.conftest import make_user

    user = make_user(username)
    StaffRole.objects.create(user=user, role="attendance_contact", school=school)
    return user
