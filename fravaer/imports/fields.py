"""Cell values: dates, school years, small integers, e-mail addresses and phone
numbers, each checked with a Norwegian message naming the column, and the name
normalisation both imports match on."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fravaer.imports.csvfile import Row
from fravaer.imports.results import RowError

# What a required column holds, as the README documents it: an empty cell's message
# names the column and says what belongs there.
COLUMN_CONTENTS = {
    "pupil_id": gettext_lazy("elevens ID"),
    "date": gettext_lazy("dato, ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ"),
    "kind": gettext_lazy("fraværstype: dag, time eller sen"),
    "school": gettext_lazy("skolens navn"),
    "group": gettext_lazy("klassens navn, for eksempel 5A"),
    "grade": gettext_lazy("trinn, et helt tall fra 1 til 10"),
    "first_name": gettext_lazy("elevens fornavn"),
    "last_name": gettext_lazy("elevens etternavn"),
    "birth_date": gettext_lazy("fødselsdato, ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ"),
    "contact_teacher_email": gettext_lazy("kontaktlærerens e-postadresse"),
}
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{3,30}$")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NORWEGIAN_DATE_RE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$")
SCHOOL_YEAR_RE = re.compile(r"^(\d{4})\s*[-/–]\s*(\d{4})$")
# The dates a file may hold at all, whatever the column: a year like 0001 or 0026 is
# a typing error, not a date to look up (the columns' own rules, a pupil's age or
# the school days, then narrow it further).
DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2099, 12, 31))


def parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD or DD.MM.YYYY; None if neither."""
    try:
        if ISO_DATE_RE.match(text):
            return dt.date.fromisoformat(text)
        if NORWEGIAN_DATE_RE.match(text):
            return dt.datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        return None
    return None


def parse_school_year(text: str) -> dt.date:
    """'2026-2027' → 1 August 2026. Raises ValueError with a Norwegian message."""
    match = SCHOOL_YEAR_RE.match(text.strip())
    if not match or int(match[2]) != int(match[1]) + 1:
        raise ValueError(
            _("Ugyldig skoleår «%(value)s». Bruk for eksempel 2026-2027.") % {"value": text}
        )
    return dt.date(int(match[1]), 8, 1)


def int_in_range(text: str, low: int, high: int) -> int | None:
    if not re.fullmatch(r"\d{1,3}", text):
        return None
    value = int(text)
    return value if low <= value <= high else None


class RowChecks:
    """Collects one row's messages so every problem in the row is reported."""

    def __init__(self, row: Row) -> None:
        self.row = row
        self.messages: list[str] = []

    def fail(self, message: str) -> None:
        self.messages.append(message)

    def missing(self, column: str) -> bool:
        """Whether the required column's cell is empty (then the row fails)."""
        if self.row[column]:
            return False
        self.fail(
            _("kolonnen «%(column)s» (%(contents)s) er tom.")
            % {"column": column, "contents": COLUMN_CONTENTS[column]}
        )
        return True

    def text(self, column: str, max_length: int, *, required: bool = False) -> str:
        value = self.row[column]
        if required and self.missing(column):
            return value
        if len(value) > max_length:
            self.fail(
                _("«%(column)s» er for lang (høyst %(max)s tegn)")
                % {"column": column, "max": max_length}
            )
        return value

    def email(self, column: str, *, required: bool = False, max_length: int = 254) -> str:
        value = self.text(column, max_length, required=required).lower()
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.fail(
                    _("ugyldig e-postadresse «%(value)s» i «%(column)s»")
                    % {"value": self.row[column], "column": column}
                )
        return value

    def phone(self, column: str) -> str:
        value = self.row[column]
        if value and (not PHONE_RE.match(value) or sum(c.isdigit() for c in value) < 3):
            self.fail(
                _("ugyldig telefonnummer «%(value)s» i «%(column)s»")
                % {"value": value, "column": column}
            )
        return value

    def date_in_range(self, column: str, day: dt.date) -> bool:
        """Whether a parsed date lies in `DATE_RANGE`; if not, the row fails with the
        value as written."""
        low, high = DATE_RANGE
        if low <= day <= high:
            return True
        self.fail(
            _(
                "datoen «%(value)s» i «%(column)s» er utenfor tillatt område; bruk en "
                "dato fra %(min)s til %(max)s"
            )
            % {
                "value": self.row[column],
                "column": column,
                "min": format_date(low),
                "max": format_date(high),
            }
        )
        return False

    def errors(self) -> list[RowError]:
        return [RowError(self.row.line, m) for m in self.messages]


def format_date(day: dt.date) -> str:
    """dd.mm.åååå, the year always in four digits (strftime's %Y gives "1" for the
    year 1 on Linux)."""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def squash_spaces(text: str) -> str:
    return " ".join(text.split())


def name_key(text: str) -> str:
    """What two names are compared by: spacing and case do not count."""
    return squash_spaces(text).casefold()
