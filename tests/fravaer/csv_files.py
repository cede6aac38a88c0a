"""CSV files as the roster and absence imports read them, built row by row: shared by
the import, upload and submission tests."""

from __future__ import annotations

from pathlib import Path

ROSTER_HEADER = (
    "school;group;grade;pupil_id;first_name;last_name;birth_date;contact_teacher_email;"
    "lessons_per_day;guardian1_name;guardian1_phone;guardian1_email;"
    "guardian2_name;guardian2_phone;guardian2_email"
)
ABSENCE_HEADER = "pupil_id;date;kind;lessons;subject;documented;reason;note"
SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def roster_row(
    pupil_id="P1",
    *,
    school="Nordby skole",
    group="5A",
    grade="5",
    first="Nora",
    last="Berg",
    birth="2016-04-01",
    teacher="kontakt@nordby.no",
    lessons="",
    g1=("", "", ""),
    g2=("", "", ""),
) -> str:
    return ";".join(
        [school, group, grade, pupil_id, first, last, birth, teacher, lessons, *g1, *g2]
    )


def roster_csv(*rows: str, header: str = ROSTER_HEADER, delimiter=";", encoding="utf-8") -> bytes:
    text = "\r\n".join([header, *rows]) + "\r\n"
    if delimiter != ";":
        text = text.replace(";", delimiter)
    return text.encode(encoding)


def absence_csv(*rows: str, header: str = ABSENCE_HEADER, delimiter=";", encoding="utf-8") -> bytes:
    text = "\n".join([header, *rows]) + "\n"
    if delimiter != ";":
        text = text.replace(";", delimiter)
    return text.encode(encoding)


def absence_line(
    pupil,
    date="2026-11-17",
    kind="day",
    lessons="",
    subject="",
    documented="no",
    reason="",
    note="",
) -> str:
    pupil_id = pupil if isinstance(pupil, str) else pupil.pupil_id
    return ";".join([pupil_id, date, kind, lessons, subject, documented, reason, note])
