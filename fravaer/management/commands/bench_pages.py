"""`manage.py bench_pages [--pupils 1000] [--schools N] [--as-of YYYY-MM-DD]
[--iterations 30] [--page NAME ...] [--keep]`: server time p50/p95 and HTML size of
the pages of `bench.pages.PAGES` (issue #15, §7), on synthetic data in a scratch
database of its own (as `bench_scan`: the real data is never touched). It asserts no
timings; it prints them."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings
from django.utils import timezone

from bench.generate import Spec, generate
from bench.pages import PAGES, format_results, measure_page, prepare
from bench.scratch import scratch_database
from fravaer.actions import scan_absence
from fravaer.models import School
from fravaer.scan import Scope

PUPILS_PER_SCHOOL = 500


class Command(BaseCommand):
    help = "Measure the main pages' server time and HTML size on synthetic data."
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pupils", type=int, default=1000)
        parser.add_argument(
            "--schools", type=int, help=f"default: one per {PUPILS_PER_SCHOOL} pupils"
        )
        parser.add_argument("--as-of", help="the data's last day, YYYY-MM-DD (default: today)")
        parser.add_argument("--iterations", type=int, default=30)
        parser.add_argument("--page", action="append", help="only pages whose name has this")
        parser.add_argument("--seed", type=int, default=20261120)
        parser.add_argument("--keep", action="store_true", help="keep the scratch database")

    def handle(self, *args, pupils, schools, as_of, iterations, page, seed, keep, **options):
        try:
            day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--as-of: ugyldig dato «{as_of}» (bruk YYYY-MM-DD)") from exc
        if day > timezone.localdate():
            raise CommandError("--as-of: the pages show data up to today, not later.")
        if pupils < 1 or iterations < 1 or (schools is not None and schools < 1):
            raise CommandError("--pupils, --schools and --iterations must be positive.")
        spec = Spec(
            pupils=pupils,
            schools=schools or max(1, round(pupils / PUPILS_PER_SCHOOL)),
            as_of=day,
            seed=seed,
        )
        pages = [p for p in PAGES if not page or any(w.lower() in p.name.lower() for w in page)]
        measured = override_settings(
            DEBUG=False,
            ALLOWED_HOSTS=["localhost"],
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
        with measured, scratch_database(keep=keep) as scratch:
            generated = generate(spec)
            scope = Scope(school_ids=tuple(School.objects.values_list("pk", flat=True)))
            scan_absence(scope, as_of=day, email=False)
            data = prepare(day)
            self.results = [measure_page(p, data, iterations=iterations) for p in pages]
        header = (
            f"bench_pages: {generated.pupils} pupils, {len(generated.school_ids)} schools, "
            f"{generated.records} absence records up to {day:%d.%m.%Y}; "
            f"{scratch.vendor} {scratch.server_version}; {iterations} requests a page"
        )
        self.stdout.write(format_results(self.results, data, header))
        if keep:
            self.stdout.write(f"Scratch database kept: {scratch.name}")
