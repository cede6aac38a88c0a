"""`manage.py export_monthly_overview --municipality NAME --school NAME --month YYYY-MM
[--format csv|xlsx] [--output FILE]`: the leaders' monthly overview as a spreadsheet,
one row per pupil and class in the month, for municipalities that script their reports.

It lives in the cases app because it reads each pupil's case level; the figures are
fravaer's (`fravaer.overviews`), the same as on the page. Pupils are named by the school
system's id (`pupil_id`), never by name. The command is run by the operators, who read
the whole school: it needs no user's access."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from cases import queries
from cases.models import Case
from fravaer import exports, overviews
from fravaer.models import Municipality, School


class Command(BaseCommand):
    help = "Export a school's monthly absence overview as CSV (;, UTF-8 with BOM) or XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipality", required=True, help="the municipality's name")
        parser.add_argument("--school", required=True, help="the school's name")
        parser.add_argument("--month", required=True, help="the month, YYYY-MM")
        parser.add_argument("--format", dest="fmt", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args, municipality, school, month, fmt="csv", output=None, **options):
        with translation.override("nb"):
            self._export(municipality, school, month, fmt, output)

    def _export(self, municipality_name, school_name, raw_month, fmt, output) -> None:
        municipality = Municipality.objects.filter(name=municipality_name).first()
        if municipality is None:
            raise CommandError(f"Fant ingen kommune som heter «{municipality_name}».")
        school = School.objects.filter(municipality=municipality, name=school_name).first()
        if school is None:
            raise CommandError(f"Fant ingen skole som heter «{school_name}» i {municipality.name}.")
        month = overviews.parse_month(raw_month)
        if month is None:
            raise CommandError(f"--month: ugyldig måned «{raw_month}» (bruk YYYY-MM).")
        if not overviews.has_begun(month, timezone.localdate()):
            raise CommandError(f"--month: måneden {raw_month} har ikke begynt ennå.")
        overview = overviews.monthly_overview(school, month, today=timezone.localdate())
        if overview.school_year is None:
            raise CommandError(f"{raw_month} er ikke i noe skoleår.")
        cases = queries.open_cases_at_school(
            Case.objects.all(), school.pk, {row.pupil.pk for row in overview.rows}
        )
        for row in overview.rows:
            case = cases.get(row.pupil.pk)
            row.case_level = case.level if case else ""
        columns, rows = overviews.export_rows(overview, with_names=False)
        header = [key for key, _label in columns]
        if fmt == "csv":
            body = exports.csv_bytes(header, rows)
        else:
            body = exports.xlsx_bytes(header, rows, title=f"{month:%Y-%m}")
        if output:
            Path(output).write_bytes(body)
            self.stderr.write(f"Skrev {len(rows)} rader til {output}.")
        elif fmt == "csv":
            self.stdout.write(body.decode("utf-8"), ending="")
        else:
            out = self.stdout._out
            getattr(out, "buffer", out).write(body)
