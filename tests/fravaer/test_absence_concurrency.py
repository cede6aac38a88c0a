"""Two saves for one pupil at the same moment: the day rules (no whole day beside
lessons, no more lessons than the class has) hold, because each saver locks the
pupil before it reads the pupil's records (`lock_pupils`). PostgreSQL only: SQLite
lets one writer in at a time, so there is no race to lose there (CI runs PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connections

import fravaer.actions.absence as absence_module
from fravaer.actions import (
    AbsenceInput,
    AbsenceRefused,
    RegisterPost,
    record_absence,
    save_class_register,
)
from fravaer.models import AbsenceReason, AbsenceRecord
from fravaer.schooldays import SchoolCalendar
from tests.conftest import needs_concurrent_transactions

DAY = dt.date(2026, 11, 17)

pytestmark = [needs_concurrent_transactions, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"kind": "day"}, {"kind": "lesson", "lessons": 2}),
        ({"kind": "lesson", "lessons": 4}, {"kind": "lesson", "lessons": 4}),
    ],
)
def test_two_saves_at_once_keep_the_day_rules(
    pupil, group, contact_teacher, subject_teacher, monkeypatch, first, second
):
    reason = AbsenceReason.objects.get(municipality=pupil.municipality, code="unknown")
    real = absence_module._others_that_day

    def read_then_linger(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(0.5)  # the other save starts while this one has read, not written
        return result

    monkeypatch.setattr(absence_module, "_others_that_day", read_then_linger)
    refused = []

    def save(user, spec):
        try:
            record_absence(
                pupil,
                day=DAY,
                data=AbsenceInput(documented=False, reason=reason, **spec),
                by=user,
                calendar=SchoolCalendar(),
                lessons_per_day=group.lessons_per_day,
            )
        except AbsenceRefused as exc:
            refused.append(exc.codes)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=save, args=(contact_teacher, first)),
        threading.Thread(target=save, args=(subject_teacher, second)),
    ]
    threads[0].start()
    time.sleep(0.1)
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)
    stored = AbsenceRecord.objects.current().filter(pupil=pupil, date=DAY)
    assert stored.count() == 1
    assert len(refused) == 1


def test_a_register_save_and_a_pupil_page_save_at_once_keep_the_day_rules(
    pupil, group, contact_teacher, subject_teacher
):
    """The register reads its rows under the lock, then the forms are parsed: a pupil
    page save for one of its pupils waits, and then sees the register's whole day."""
    reason = AbsenceReason.objects.get(municipality=pupil.municipality, code="unknown")
    refused = []

    def parse_slowly(rows):
        time.sleep(0.5)  # the pupil page save starts while the register has read
        return [
            RegisterPost(
                key=row.pupil.pk,
                row=row,
                posted_pupil=row.pupil.uuid,
                posted_record=None,
                data=AbsenceInput("day", False, reason),
            )
            for row in rows
        ]

    def save_register():
        try:
            save_class_register(
                group,
                day=DAY,
                parse=parse_slowly,
                by=contact_teacher,
                calendar=SchoolCalendar(),
                allowed_kinds=frozenset({"day", "lesson", "late"}),
            )
        except AbsenceRefused as exc:
            refused.append(exc.codes)
        finally:
            connections.close_all()

    def save_lessons():
        try:
            record_absence(
                pupil,
                day=DAY,
                data=AbsenceInput("lesson", False, reason, lessons=2),
                by=subject_teacher,
                calendar=SchoolCalendar(),
                lessons_per_day=group.lessons_per_day,
            )
        except AbsenceRefused as exc:
            refused.append(exc.codes)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save_register), threading.Thread(target=save_lessons)]
    threads[0].start()
    time.sleep(0.1)
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)
    stored = AbsenceRecord.objects.current().filter(pupil=pupil, date=DAY)
    assert list(stored.values_list("kind", flat=True)) == ["day"]
    assert refused == [{"absence_one_day_record_per_pupil_date"}]
