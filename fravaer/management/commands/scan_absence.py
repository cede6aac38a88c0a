"""`manage.py scan_absence [--as-of YYYY-MM-DD] [--municipality NAME] [--json]`."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from fravaer.actions import scan_absence
from fravaer.models import Municipality, School
from fravaer.scan import Scope


class Command(BaseCommand):
    help = "Run the threshold and pattern scan now and print the flags it newly raised."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="scan date, YYYY-MM-DD (default: today)")
        parser.add_argument("--municipality", help="only this municipality (by name)")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print a JSON array"
        )

    def handle(self, *args, as_of=None, municipality=None, as_json=False, **options) -> None:
        try:
            day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--as-of: ugyldig dato «{as_of}» (bruk YYYY-MM-DD)") from exc
        schools = School.objects.all()
        if municipality:
            found = Municipality.objects.filter(name=municipality).first()
            if found is None:
                raise CommandError(f"Fant ingen kommune som heter «{municipality}».")
            schools = schools.filter(municipality=found)
        result = scan_absence(
            Scope(school_ids=tuple(schools.values_list("pk", flat=True))), as_of=day
        )
        rows = [
            {
                "pupil_id": school_pupil_id,
                "rule": rule,
                "period_start": period_start.isoformat(),
                "period_end": period_end.isoformat(),
                "value": float(value),
                "threshold": float(threshold),
            }
            for school_pupil_id, rule, period_start, period_end, value, threshold in (
                result.flags.order_by("pupil__pupil_id", "rule", "period_start").values_list(
                    "pupil__pupil_id", "rule", "period_start", "period_end", "value", "threshold"
                )
            )
        ]
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['pupil_id']:<12} {row['rule']:<22} {row['period_start']}–"
                f"{row['period_end']}  {row['value']:g} (grense {row['threshold']:g})"
            )
        self.stdout.write(
            f"Skannet {result.pupils} elever per {day:%d.%m.%Y}: {len(rows)} nye varsler, "
            f"{result.notifications} varslinger, {result.closed_episodes} episoder avsluttet, "
            f"{result.cleared} udokumenterte avklart."
        )
