"""`manage.py import_absence FILE --municipality NAME`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from fravaer import imports
from fravaer.management.commands.import_roster import read_limited, report
from fravaer.models import Municipality


class Command(BaseCommand):
    help = "Importer fravær (CSV) for elevene i en kommune. Se README.md, «Imports»."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV-fil med fravær")
        parser.add_argument("--municipality", required=True, help="kommunens navn")
        parser.add_argument(
            "--dry-run", action="store_true", help="kontroller fila uten å lagre noe"
        )

    def handle(self, *args, file: Path, municipality: str, dry_run: bool, **options) -> None:
        found = Municipality.objects.filter(name__iexact=municipality.strip()).first()
        if found is None:
            raise CommandError(_("Kommunen «%(name)s» finnes ikke.") % {"name": municipality})
        result = imports.import_absence(
            read_limited(file),
            municipality=found,
            by=None,  # the import system user
            dry_run=dry_run,
        )
        report(self, result)
