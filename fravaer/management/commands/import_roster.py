"""`manage.py import_roster FILE --municipality NAME [--school-year 2026-2027]`."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fravaer import imports


def read_limited(path: Path) -> bytes:
    """At most one byte over the limit, so the import can refuse an oversized file
    without reading all of it."""
    try:
        with path.open("rb") as f:
            return f.read(settings.IMPORT_MAX_BYTES + 1)
    except OSError as exc:
        raise CommandError(
            _("Kan ikke lese fila %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
        ) from exc


def report(command: BaseCommand, result: imports.ImportResult) -> None:
    """Every error on stderr and a non-zero exit, or the summary on stdout."""
    if result.errors:
        for error in result.errors:
            command.stderr.write(str(error))
        n = len(result.errors)
        raise CommandError(
            ngettext(
                "Fila ble avvist med %(n)s feil. Ingenting er lagret.",
                "Fila ble avvist med %(n)s feil. Ingenting er lagret.",
                n,
            )
            % {"n": n}
        )
    command.stdout.write(command.style.SUCCESS(result.summary()))


class Command(BaseCommand):
    help = "Importer elevliste (CSV) for en kommune og et skoleår. Se README.md, «Imports»."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV-fil med elevlisten")
        parser.add_argument("--municipality", required=True, help="kommunens navn")
        parser.add_argument(
            "--school-year",
            help="skoleåret, f.eks. 2026-2027 (standard: skoleåret som inneholder dagens dato)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="kontroller fila uten å lagre noe"
        )

    def handle(
        self,
        *args,
        file: Path,
        municipality: str,
        school_year: str | None,
        dry_run: bool,
        **options,
    ) -> None:
        start = None
        if school_year:
            try:
                start = imports.parse_school_year(school_year)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        result = imports.import_roster(
            read_limited(file),
            municipality_name=municipality,
            school_year_start=start,
            dry_run=dry_run,
        )
        report(self, result)
