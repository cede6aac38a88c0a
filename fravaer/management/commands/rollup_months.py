"""Backfill the monthly rollup: `manage.py rollup_months [--from YYYY-MM]` recomputes
every month from the given one (default: the school year's first) to this month, for
every school."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fravaer.actions.rollups import recompute_rollups
from fravaer.models import SchoolYear
from fravaer.rollups import months_from


def _month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError(f"--from must be YYYY-MM, not {value!r}") from exc


class Command(BaseCommand):
    help = "Recompute the monthly rollup from a month (YYYY-MM) to this month."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=_month, default=None)

    def handle(self, *args, start=None, **options):
        today = timezone.localdate()
        start = start or SchoolYear.bounds_for(today)[0]
        months = months_from(start, today)
        written = recompute_rollups(months)
        self.stdout.write(f"{len(months)} months, {written} rows")
