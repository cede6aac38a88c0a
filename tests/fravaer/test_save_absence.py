"""`save_absence` and the actions on it: one transaction, the pupils locked before any
check reads their records, every check run once, and all problems refused at once,
keyed by row and field, with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import fravaer.actions.absence as absence_module
from fravaer import imports
from fravaer.actions import (
    AbsenceInput,
    AbsenceRefused,
    RegisterPost,
    correct_absence,
    record_absence,
    remove_absence,
    save_class_register,
)
from fravaer.models import AbsenceReason, AbsenceRecord, AbsenceRecordChange
from fravaer.schooldays import SchoolCalendar
from tests.conftest import make_pupil
from tests.factories import absence

DAY = dt.date(2026, 11, 17)  # a Tuesday; today is frozen at 18.11.2026


def reason(pupil, code="unknown") -> AbsenceReason:
    return AbsenceReason.objects.get(municipality=pupil.municipality, code=code)


def written() -> tuple[int, int]:
    return AbsenceRecord.objects.count(), AbsenceRecordChange.objects.count()


def save_register(group, by, wanted: dict, *, own_only=None, posted_records=None):
    """Save the register as a form would post it: `wanted` by first name (None:
    present), each row posted with the record it showed (`posted_records` overrides)."""

    def parse(rows):
        return [
            RegisterPost(
                key=row.pupil.first_name,
                row=row,
                posted_pupil=row.pupil.uuid,
                posted_record=(posted_records or {}).get(
                    row.pupil.first_name, row.primary.pk if row.primary else None
                ),
                data=wanted.get(row.pupil.first_name),
            )
            for row in rows
        ]

    return save_class_register(
        group,
        day=DAY,
        parse=parse,
        by=by,
        calendar=SchoolCalendar(),
        allowed_kinds=frozenset({"day", "lesson", "late"}),
        own_only=own_only,
    )


@pytest.fixture
def four_pupils(group):
    return {name: make_pupil(group, first=name) for name in ("Anna", "Brage", "Cecilie", "Dina")}


def test_the_register_reports_every_rows_problem_at_once_keyed_by_field(
    group, contact_teacher, subject_teacher, four_pupils
):
    pupils = four_pupils
    # Dina's lessons were registered by the subject teacher: beside the contact
    # teacher's row (own_only), they are her other records that day.
    absence(pupils["Dina"], DAY, subject_teacher, kind="lesson", lessons=2)
    before = written()
    with pytest.raises(AbsenceRefused) as refused:
        save_register(
            group,
            contact_teacher,
            {
                "Anna": AbsenceInput("lesson", False, reason(pupils["Anna"]), lessons=99),
                "Brage": AbsenceInput("day", True, reason(pupils["Brage"])),
                "Cecilie": AbsenceInput("day", False, reason(pupils["Cecilie"])),
                "Dina": AbsenceInput("day", False, reason(pupils["Dina"])),
            },
            own_only=contact_teacher.pk,
        )
    codes = {key: [e.code for e in errors] for key, errors in refused.value.problems.items()}
    assert codes == {
        ("Anna", "lessons"): ["absence_lessons_exceed_day"],
        ("Brage", "reason"): ["absence_documented_unknown_reason"],
        ("Dina", "kind"): ["absence_day_overlaps"],
    }
    # Cecilie's row was fine, but a refused save writes nothing.
    assert written() == before


def test_the_register_refuses_a_row_someone_changed_and_writes_nothing(
    group, contact_teacher, four_pupils
):
    anna = four_pupils["Anna"]
    absence(anna, DAY, contact_teacher)  # saved by another tab after the page was shown
    before = written()
    with pytest.raises(AbsenceRefused) as refused:
        save_register(
            group,
            contact_teacher,
            {
                "Anna": AbsenceInput("late", False, reason(anna), minutes_late=3),
                "Brage": AbsenceInput("day", False, reason(anna)),
            },
            posted_records={"Anna": None},
        )
    assert [e.code for e in refused.value.problems[("Anna", None)]] == ["absence_row_changed"]
    assert set(refused.value.problems) == {("Anna", None)}
    assert written() == before


def test_the_register_returns_none_and_writes_nothing_while_a_form_must_be_fixed(
    group, contact_teacher, four_pupils
):
    before = written()
    result = save_class_register(
        group,
        day=DAY,
        parse=lambda rows: None,
        by=contact_teacher,
        calendar=SchoolCalendar(),
        allowed_kinds=frozenset({"day"}),
    )
    assert result is None
    assert written() == before


def test_the_pupil_page_save_reports_the_date_and_the_reason_at_once(pupil, contact_teacher):
    with pytest.raises(AbsenceRefused) as refused:
        record_absence(
            pupil,
            day=DAY,
            data=AbsenceInput("day", True, reason(pupil)),
            by=contact_teacher,
            calendar=SchoolCalendar(),
            lessons_per_day=5,
            not_before=DAY + dt.timedelta(days=1),
        )
    codes = {key: [e.code for e in errors] for key, errors in refused.value.problems.items()}
    assert codes == {
        (None, "date"): ["absence_date_outside_enrollment"],
        (None, "reason"): ["absence_documented_unknown_reason"],
    }
    assert written() == (0, 0)


def test_removing_a_record_removed_already_changes_nothing(pupil, contact_teacher):
    record = absence(pupil, DAY, contact_teacher)
    assert remove_absence(record, by=contact_teacher).removed == [record]
    assert not remove_absence(record, by=contact_teacher)
    assert AbsenceRecordChange.objects.filter(action="deleted").count() == 1


# --- the lock comes first -----------------------------------------------------------


def _is_pupil_lock(sql: str) -> bool:
    if connection.features.has_select_for_update:
        return "FOR UPDATE" in sql and '"fravaer_pupil"' in sql.split("FROM", 1)[1][:40]
    # SQLite has no row locks (one writer at a time): the same statement, without them.
    return sql.startswith('SELECT "fravaer_pupil"."id" AS "pk" FROM "fravaer_pupil"')


def _reads_absence(sql: str) -> bool:
    return sql.startswith("SELECT") and 'FROM "fravaer_absencerecord"' in sql


def _save_each_way(name, pupil, group, by):
    data = AbsenceInput("lesson", False, reason(pupil), lessons=1)
    if name == "register":
        save_register(group, by, {pupil.first_name: data})
    elif name == "pupil page":
        record_absence(
            pupil, day=DAY, data=data, by=by, calendar=SchoolCalendar(), lessons_per_day=5
        )
    elif name == "edit page":
        record = absence(pupil, DAY, by)
        with CaptureQueriesContext(connection) as ctx:
            correct_absence(record, data=data, by=by, lessons_per_day=5)
        return ctx
    elif name == "removal":
        record = absence(pupil, DAY, by)
        with CaptureQueriesContext(connection) as ctx:
            remove_absence(record, by=by)
        return ctx
    elif name == "import":
        csv = f"pupil_id;date;kind;lessons\n{pupil.pupil_id};{DAY.isoformat()};lesson;1\n"
        result = imports.import_absence(csv.encode(), municipality=pupil.municipality, by=by)
        assert result.ok
    return None


@pytest.mark.parametrize("way", ["register", "pupil page", "edit page", "removal", "import"])
def test_every_save_locks_the_pupil_before_it_reads_absence(pupil, group, contact_teacher, way):
    with CaptureQueriesContext(connection) as outer:
        inner = _save_each_way(way, pupil, group, contact_teacher)
    sqls = [q["sql"] for q in (inner or outer).captured_queries]
    locks = [i for i, sql in enumerate(sqls) if _is_pupil_lock(sql)]
    reads = [i for i, sql in enumerate(sqls) if _reads_absence(sql)]
    writes = [i for i, sql in enumerate(sqls) if sql.startswith(("INSERT", "UPDATE"))]
    assert locks and reads and writes
    assert locks[0] < reads[0] < writes[0]


def test_each_rule_runs_once_per_row_of_a_register_post(
    client_for, contact_teacher, group, four_pupils, monkeypatch
):
    calls = []
    for name in ("check_day_consistency", "check_absence_input", "check_absence_date"):
        real = getattr(absence_module, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(absence_module, name, spy)
    url = reverse("register", args=[group.pk]) + f"?dato={DAY.isoformat()}"
    client = client_for(contact_teacher)
    page = client.get(url)
    data = {"dato": DAY.isoformat()}
    for row, form in page.context["rows"]:
        data[f"{form.prefix}-pupil"] = str(row.pupil.uuid)
        data[f"{form.prefix}-status"] = (
            "day" if row.pupil.first_name in ("Anna", "Brage") else "none"
        )
    assert client.post(url, data).status_code == 302
    assert sorted(calls) == sorted(
        ["check_absence_date"] + ["check_absence_input", "check_day_consistency"] * 2
    )
