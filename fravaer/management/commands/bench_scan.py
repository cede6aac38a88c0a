"""`manage.py bench_scan --pupils 70000 [--schools 140] [--sample 500]
[--as-of 2026-11-20] [--seed N] [--keep] [--no-tracemalloc]`: the threshold scan's
benchmark (issue #3, §5). A thin entry point to the top-level `bench` package, which
the app never imports otherwise. It measures in a scratch database of its own and
never touches the real data; it asserts no timings, only that the scan, the naive loop
and the complete SQL floor agree and that a second run raises nothing."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from bench.generate import Spec
from bench.run import format_report, run_benchmark
from bench.scratch import scratch_database

PUPILS_PER_SCHOOL = 500


class Command(BaseCommand):
    help = (
        "Generate a synthetic municipality in a scratch database and measure the "
        "threshold scan against a naive per-pupil loop and the rules evaluated in SQL."
    )
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pupils", type=int, default=70_000)
        parser.add_argument(
            "--schools", type=int, help=f"default: one per {PUPILS_PER_SCHOOL} pupils"
        )
        parser.add_argument("--sample", type=int, default=500, help="pupils for the naive loop")
        parser.add_argument("--as-of", default="2026-11-20", help="scan date, YYYY-MM-DD")
        parser.add_argument("--seed", type=int, default=20261120)
        parser.add_argument(
            "--keep", action="store_true", help="keep the scratch database afterwards"
        )
        parser.add_argument(
            "--no-tracemalloc",
            action="store_false",
            dest="trace_memory",
            help="skip the memory passes (run 1 and the naive loop again under tracemalloc)",
        )

    def handle(
        self, *args, pupils, schools, sample, as_of, seed, keep, trace_memory, **options
    ) -> None:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError as exc:
            raise CommandError(f"--as-of: ugyldig dato «{as_of}» (bruk YYYY-MM-DD)") from exc
        if pupils < 1 or sample < 1 or (schools is not None and schools < 1):
            raise CommandError("--pupils, --schools and --sample must be positive.")
        spec = Spec(
            pupils=pupils,
            schools=schools or max(1, round(pupils / PUPILS_PER_SCHOOL)),
            as_of=day,
            seed=seed,
        )
        # Production settings for the measured code: no query log, no console e-mail.
        measured = override_settings(
            DEBUG=False, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
        )
        with measured, scratch_database(keep=keep) as scratch:
            report = run_benchmark(
                spec, sample_size=sample, scratch=scratch, trace_memory=trace_memory
            )
        self.report = report  # for callers that want the figures, not the text
        self.stdout.write(format_report(report))
        if keep:
            self.stdout.write(f"Scratch database kept: {scratch.name}")
        if report.mismatches:
            raise CommandError("(a) and (b) disagree:\n  " + "\n  ".join(report.mismatches[:20]))
        if report.floor_mismatches:
            raise CommandError(
                "(c) and run 1 disagree:\n  " + "\n  ".join(report.floor_mismatches[:20])
            )
        if report.second.flags:
            raise CommandError(f"The second run raised {report.second.flags} flags; expected 0.")
