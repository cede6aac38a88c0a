"""A roster file's rows: the columns, and each row checked on its own (types,
lengths, formats) into a `RosterRow`; what the rows mean together is `roster.py`'s."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from fravaer.imports.csvfile import Row
from fravaer.imports.fields import (
    RowChecks,
    format_date,
    int_in_range,
    name_key,
    parse_date,
    squash_spaces,
)
from fravaer.imports.results import RowError

ROSTER_REQUIRED = (
    "school",
    "group",
    "grade",
    "pupil_id",
    "first_name",
    "last_name",
    "birth_date",
    "contact_teacher_email",
)
GUARDIAN_SLOTS = (1, 2)
ROSTER_OPTIONAL = (
    "lessons_per_day",
    *(f"guardian{n}_{part}" for n in GUARDIAN_SLOTS for part in ("name", "phone", "email")),
)


@dataclass(frozen=True)
class GuardianRow:
    slot: int
    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class RosterRow:
    line: int
    school: str
    group: str
    grade: int
    pupil_id: str
    first_name: str
    last_name: str
    birth_date: dt.date
    teacher_email: str
    lessons_per_day: int | None
    guardians: tuple[GuardianRow, ...]


def parse_roster_row(row: Row, *, today: dt.date) -> tuple[RosterRow | None, list[RowError]]:
    check = RowChecks(row)
    school = check.text("school", 150, required=True)
    group = check.text("group", 50, required=True)
    grade = int_in_range(row["grade"], 1, 10)
    if grade is None and not check.missing("grade"):
        check.fail(
            _("ugyldig trinn «%(value)s»; bruk et heltall fra 1 til 10") % {"value": row["grade"]}
        )
    pupil_id = check.text("pupil_id", 50, required=True)
    first_name = check.text("first_name", 100, required=True)
    last_name = check.text("last_name", 100, required=True)
    birth_date = parse_date(row["birth_date"])
    if birth_date is None:
        if not check.missing("birth_date"):
            check.fail(
                _("ugyldig fødselsdato «%(value)s»; bruk ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ")
                % {"value": row["birth_date"]}
            )
    elif not check.date_in_range("birth_date", birth_date):
        birth_date = None
    elif not (today.year - 25 <= birth_date.year <= today.year - 3) or birth_date > today:
        check.fail(
            _("fødselsdato %(date)s passer ikke for en elev i grunnskolen")
            % {"date": format_date(birth_date)}
        )
    # The e-mail becomes the username, which holds at most 150 characters.
    teacher_email = check.email("contact_teacher_email", required=True, max_length=150)
    lessons_per_day = None
    if row["lessons_per_day"]:
        lessons_per_day = int_in_range(row["lessons_per_day"], 1, 12)
        if lessons_per_day is None:
            check.fail(
                _("ugyldig antall timer per dag «%(value)s»; bruk et heltall fra 1 til 12")
                % {"value": row["lessons_per_day"]}
            )
    guardians = []
    for n in GUARDIAN_SLOTS:
        name = check.text(f"guardian{n}_name", 200)
        phone = check.phone(f"guardian{n}_phone")
        email = check.email(f"guardian{n}_email")
        if (phone or email) and not name:
            check.fail(
                _(
                    "kolonnen «%(column)s» (navnet til foresatt %(n)s) er tom, men foresatt "
                    "%(n)s har telefon eller e-post."
                )
                % {"column": f"guardian{n}_name", "n": n}
            )
        if name:
            if any(name_key(g.name) == name_key(name) for g in guardians):
                check.fail(_("foresatt 1 og foresatt 2 har samme navn «%(name)s»") % {"name": name})
            guardians.append(GuardianRow(n, name, phone, email))
    if check.messages or grade is None or birth_date is None:
        return None, check.errors()
    return (
        RosterRow(
            line=row.line,
            school=squash_spaces(school),
            group=squash_spaces(group),
            grade=grade,
            pupil_id=pupil_id,
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            teacher_email=teacher_email,
            lessons_per_day=lessons_per_day,
            guardians=tuple(guardians),
        ),
        [],
    )
