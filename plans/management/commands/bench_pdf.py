"""`manage.py bench_pdf [--repeat 5] [--weeks 40] [--versions 3] [--measures 8]
[--goals 4] [--as-of 2026-06-12] [--keep]`: the PDF documents' benchmark (issue #14,
§4). A thin entry point to `bench.pdf`; it builds its case in a scratch database of
its own (`bench.scratch`) and never touches the real data. It measures and prints;
it asserts no timings."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from bench.pdf import PdfSpec, format_pdf_report, run_pdf_benchmark
from bench.scratch import scratch_database


class Command(BaseCommand):
    help = (
        "Build a realistic case (a year of absence, three plan versions) in a scratch "
        "database and render each PDF document several times: time and peak memory."
    )
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = PdfSpec()
        parser.add_argument("--repeat", type=int, default=defaults.repeat)
        parser.add_argument("--weeks", type=int, default=defaults.weeks)
        parser.add_argument("--versions", type=int, default=defaults.versions)
        parser.add_argument("--measures", type=int, default=defaults.measures)
        parser.add_argument("--goals", type=int, default=defaults.goals)
        parser.add_argument("--as-of", default=defaults.as_of.isoformat(), help="YYYY-MM-DD")
        parser.add_argument("--keep", action="store_true", help="keep the scratch database")

    def handle(self, *args, repeat, weeks, versions, measures, goals, as_of, keep, **options):
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError as exc:
            raise CommandError(f"--as-of: ugyldig dato «{as_of}» (bruk YYYY-MM-DD)") from exc
        if min(repeat, weeks, versions, measures, goals) < 1:
            raise CommandError(
                "--repeat, --weeks, --versions, --measures and --goals must be positive."
            )
        spec = PdfSpec(
            weeks=weeks, versions=versions, measures=measures, goals=goals, repeat=repeat, as_of=day
        )
        # Production settings for the measured code: no query log.
        with override_settings(DEBUG=False), scratch_database(keep=keep) as scratch:
            report = run_pdf_benchmark(spec)
        self.report = report  # for callers that want the figures, not the text
        self.stdout.write(format_pdf_report(report))
        if keep:
            self.stdout.write(f"Scratch database kept: {scratch.name}")
