import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from fravaer.actions import (
    AbsenceInput,
    AbsenceRefused,
    AbsenceRuleError,
    apply_absence_changes,
    check_absence_date,
    check_absence_input,
    record_absence,
)
from fravaer.models import AbsenceReason, AbsenceRecord, Group
from fravaer.schooldays import SchoolCalendar

TUESDAY = dt.date(2026, 11, 17)


def reason(municipality, code):
    return AbsenceReason.objects.get(municipality=municipality, code=code)


def raw_record(pupil, user, **fields):
    values = {
        "date": TUESDAY,
        "kind": "day",
        "registered_at": timezone.now(),
        "reason": reason(pupil.municipality, "unknown"),
    }
    values.update(fields)
    return AbsenceRecord(pupil=pupil, registered_by=user, **values)


def test_default_reasons_have_stable_codes(municipality):
    codes = list(municipality.absence_reasons.values_list("code", flat=True))
    assert codes == ["illness", "leave", "other", "unknown"]


def test_constraint_one_day_record_per_pupil_and_date(pupil, contact_teacher):
    raw_record(pupil, contact_teacher).save()
    with (
        pytest.raises(
            IntegrityError,
            # PostgreSQL names the constraint; SQLite names its columns.
            match="absence_one_day_record_per_pupil_date|UNIQUE.*absencerecord.pupil_id",
        ),
        transaction.atomic(),
    ):
        raw_record(pupil, contact_teacher).save()


def test_constraint_allows_new_day_record_after_removal(pupil, contact_teacher):
    raw_record(pupil, contact_teacher, deleted_at=timezone.now()).save()
    raw_record(pupil, contact_teacher).save()
    assert AbsenceRecord.objects.count() == 2


def test_constraint_lessons_positive_for_lesson(pupil, contact_teacher):
    with (
        pytest.raises(IntegrityError, match="absence_lessons_positive_for_lesson"),
        transaction.atomic(),
    ):
        raw_record(pupil, contact_teacher, kind="lesson", lessons=0).save()


def test_constraint_no_date_after_registration(pupil, contact_teacher):
    with pytest.raises(IntegrityError, match="absence_date_not_in_future"), transaction.atomic():
        raw_record(pupil, contact_teacher, date=dt.date(2026, 11, 19)).save()


def test_rule_no_future_date():
    with pytest.raises(AbsenceRuleError) as exc:
        check_absence_date(
            dt.date(2026, 11, 19), calendar=SchoolCalendar(), today=dt.date(2026, 11, 18)
        )
    assert exc.value.code == "absence_date_in_future"


def test_rule_school_day_only():
    calendar = SchoolCalendar({TUESDAY: "Planleggingsdag"})
    for day in (TUESDAY, dt.date(2026, 11, 14)):
        with pytest.raises(AbsenceRuleError) as exc:
            check_absence_date(day, calendar=calendar, today=dt.date(2026, 11, 18))
        assert exc.value.code == "absence_date_not_school_day"
    check_absence_date(dt.date(2026, 11, 16), calendar=calendar, today=dt.date(2026, 11, 18))


def test_rule_lessons_required_and_bounded(municipality):
    unknown = reason(municipality, "unknown")
    with pytest.raises(AbsenceRuleError, match="antall timer"):
        check_absence_input(AbsenceInput("lesson", False, unknown), lessons_per_day=5)
    with pytest.raises(AbsenceRuleError) as exc:
        check_absence_input(AbsenceInput("lesson", False, unknown, lessons=6), lessons_per_day=5)
    assert exc.value.code == "absence_lessons_exceed_day"


def test_rule_documented_absence_needs_a_known_reason(municipality):
    with pytest.raises(AbsenceRuleError) as exc:
        check_absence_input(
            AbsenceInput("day", True, reason(municipality, "unknown")), lessons_per_day=5
        )
    assert exc.value.code == "absence_documented_unknown_reason"


def test_record_absence_refuses_second_day_record(pupil, contact_teacher, municipality):
    data = AbsenceInput("day", False, reason(municipality, "unknown"))
    kwargs = {
        "day": TUESDAY,
        "data": data,
        "by": contact_teacher,
        "calendar": SchoolCalendar(),
        "lessons_per_day": 5,
    }
    record_absence(pupil, **kwargs)
    with pytest.raises(AbsenceRefused) as exc:
        record_absence(pupil, **kwargs)
    assert [e.code for e in exc.value.problems[(None, "kind")]] == [
        "absence_one_day_record_per_pupil_date"
    ]


def test_bulk_changes_use_three_statements_and_one_for_the_rescan(
    pupil, contact_teacher, municipality, django_assert_num_queries
):
    data = AbsenceInput("late", False, reason(municipality, "unknown"), minutes_late=5)
    first = apply_absence_changes(creates=[(pupil, TUESDAY, data)], by=contact_teacher).created[0]
    creates = [(pupil, dt.date(2026, 11, 16), data), (pupil, dt.date(2026, 11, 13), data)]
    # Records, their history, the removal; and the rescan's outbox row.
    with django_assert_num_queries(4):
        apply_absence_changes(creates=creates, removals=[first], by=contact_teacher)


def test_default_lessons_per_day_by_grade():
    assert [Group.default_lessons_per_day(g) for g in (1, 7, 8, 10)] == [5, 5, 6, 6]


def test_calendar_previous_and_next_school_day_skip_holidays():
    calendar = SchoolCalendar(
        {dt.date(2026, 12, 21) + dt.timedelta(days=i): "Juleferie" for i in range(12)}
    )
    assert calendar.next_school_day(dt.date(2026, 12, 18)) == dt.date(2027, 1, 4)
    assert calendar.previous_school_day(dt.date(2027, 1, 4)) == dt.date(2026, 12, 18)
    assert calendar.count_school_days(dt.date(2026, 12, 14), dt.date(2027, 1, 8)) == 10
