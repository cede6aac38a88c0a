"""One benchmark run on the current (scratch) database, and its report.

Order: generate; (a) the product's scan over every school in one scope, twice (the
second must raise nothing); the same steady-state scan over 1 school, a tenth and
all, to show the statement count does not grow with pupils; (b) the naive loop on a
sample, checked finding by finding against the flags (a) raised; (c) the SQL floor.
Then memory passes under tracemalloc: the flags are cleared and (a) runs again,
then (b) and (c); their times are not used, tracemalloc slows allocation.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from django.core import mail
from django.db import connection

from fravaer.actions import scan_absence
from fravaer.bench.baselines import finding_keys, naive_findings, sql_floor
from fravaer.bench.generate import Generated, Spec, generate
from fravaer.bench.measure import Measurement, measure
from fravaer.bench.scratch import Scratch
from fravaer.models import Flag, Notification, School
from fravaer.scan import Scope

# Issue #3, §5, on PostgreSQL on a 2-core machine.
TARGET_SECONDS = 10.0
TARGET_PUPILS = 70_000
TARGET_SPEEDUP = 100.0
TARGET_FLOOR_RATIO = 3.0
TARGET_MEMORY_MB = 256.0


@dataclass
class Target:
    name: str
    measured: str
    met: bool


@dataclass
class Report:
    spec: Spec
    scratch: Scratch
    generated: Generated
    pupils_in_scope: int
    sample: list[int]
    first: Measurement
    second: Measurement
    scopes: list[tuple[int, int, Measurement]]
    naive: Measurement
    floor: Measurement
    first_memory: Measurement
    naive_memory: Measurement
    floor_memory: Measurement
    notifications: int = 0
    emails: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def naive_seconds_all(self) -> float:
        return self.naive.seconds / max(1, len(self.sample)) * self.pupils_in_scope

    @property
    def naive_statements_all(self) -> int:
        return round(self.naive.statements / max(1, len(self.sample)) * self.pupils_in_scope)

    @property
    def speedup(self) -> float:
        return self.naive_seconds_all / self.first.seconds

    @property
    def floor_ratio(self) -> float:
        return self.first.seconds / self.floor.seconds

    @property
    def statements_constant(self) -> bool:
        return len({m.statements for _s, _p, m in self.scopes}) == 1

    def targets(self) -> list[Target]:
        scale = self.pupils_in_scope / TARGET_PUPILS
        budget = TARGET_SECONDS * max(1.0, scale)
        counts = ", ".join(f"{p} pupils: {m.statements}" for _s, p, m in self.scopes)
        return [
            Target(
                f"(a) ≤ {budget:g} s for {self.pupils_in_scope} pupils",
                f"{self.first.seconds:.2f} s",
                self.first.seconds <= budget,
            ),
            Target(
                "statements independent of pupils",
                f"steady state {counts}; run 1 adds "
                f"{_writes(self.first)} batched writes for {self.first.flags} flags",
                self.statements_constant,
            ),
            Target(
                "second run raises nothing",
                f"{self.second.flags} flags",
                self.second.flags == 0,
            ),
            Target(
                f"(a) ≥ {TARGET_SPEEDUP:g}× faster than (b)",
                f"{self.speedup:.0f}×",
                self.speedup >= TARGET_SPEEDUP,
            ),
            Target(
                f"(a) within {TARGET_FLOOR_RATIO:g}× of (c)",
                f"{self.floor_ratio:.1f}× (run 2: {self.second.seconds / self.floor.seconds:.1f}×)",
                self.floor_ratio <= TARGET_FLOOR_RATIO,
            ),
            Target(
                f"worker memory ≤ {TARGET_MEMORY_MB:g} MB",
                f"RSS peak {self.first.rss_peak_mb:.0f} MB, "
                f"Python peak {self.first_memory.python_peak_mb:.0f} MB",
                self.first.rss_peak_mb <= TARGET_MEMORY_MB,
            ),
        ]


def _writes(m: Measurement) -> int:
    return sum(n for kind, n in m.kinds.items() if kind.startswith(("INSERT", "UPDATE")))


def run_benchmark(spec: Spec, *, sample_size: int, scratch: Scratch) -> Report:
    generated = generate(spec)
    as_of = spec.as_of
    # As `manage.py scan_absence` does: every school in one scope.
    scope = Scope(school_ids=tuple(School.objects.values_list("pk", flat=True)))

    def scan(label: str, scan_scope: Scope = scope, *, trace: bool = False) -> Measurement:
        with measure(label, trace_memory=trace) as m:
            result = scan_absence(scan_scope, as_of=as_of)
        m.flags = len(result.new_flags)
        m.note = f"{result.pupils} pupils, {result.notifications} notifications"
        return m

    first = scan("(a) scan_absence, run 1")
    notifications = Notification.objects.count()
    emails = _clear_outbox()
    second = scan("(a) scan_absence, run 2")

    schools = list(scope.school_ids or ())
    scopes = []
    for part in sorted({1, max(1, len(schools) // 10), len(schools)}):
        part_scope = Scope(school_ids=tuple(schools[:part]))
        m = scan(f"(a) steady state, {part} schools", part_scope)
        scopes.append((part, part_scope.enrollments(as_of).count(), m))

    in_scope = sorted(set(scope.enrollments(as_of).values_list("pupil_id", flat=True)))
    sample = sorted(random.Random(spec.seed).sample(in_scope, min(sample_size, len(in_scope))))
    with measure(f"(b) naive loop, {len(sample)} pupils") as naive:
        findings = naive_findings(sample, as_of)
    naive.flags = sum(len(fs) for fs in findings.values())
    raised = set(
        Flag.objects.filter(pupil_id__in=sample, as_of=as_of).values_list(
            "pupil_id", "rule", "period_key", "value"
        )
    )
    expected = finding_keys(findings)
    mismatches = [f"only in (a): {key}" for key in sorted(raised - expected)] + [
        f"only in (b): {key}" for key in sorted(expected - raised)
    ]

    with measure("(c) SQL floor") as floor:
        rows = sql_floor(as_of)
    floor.note = f"{rows} pupil rows"

    _clear_flags()
    first_memory = scan("(a) run 1 again, tracemalloc", trace=True)
    _clear_outbox()
    if first_memory.flags != first.flags:
        mismatches.append(f"run 1 raised {first.flags} flags, its repeat {first_memory.flags}")
    with measure("(b) naive loop, tracemalloc", trace_memory=True) as naive_memory:
        naive_findings(sample, as_of)
    with measure("(c) SQL floor, tracemalloc", trace_memory=True) as floor_memory:
        sql_floor(as_of)

    return Report(
        spec=spec,
        scratch=scratch,
        generated=generated,
        pupils_in_scope=len(in_scope),
        sample=sample,
        first=first,
        second=second,
        scopes=scopes,
        naive=naive,
        floor=floor,
        first_memory=first_memory,
        naive_memory=naive_memory,
        floor_memory=floor_memory,
        notifications=notifications,
        emails=emails,
        mismatches=mismatches,
    )


def _clear_outbox() -> int:
    sent = len(getattr(mail, "outbox", []))
    mail.outbox = []
    return sent


def _clear_flags() -> None:
    tables = [connection.ops.quote_name(m._meta.db_table) for m in (Notification, Flag)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


# --- the report ---------------------------------------------------------------------


def _n(value: float | int) -> str:
    return f"{value:,.0f}".replace(",", " ")


def format_report(report: Report) -> str:
    g, spec = report.generated, report.spec
    lines = [
        f"Scratch database: {report.scratch.vendor} {report.scratch.server_version} "
        f"({report.scratch.name})",
        f"Synthetic municipality: {_n(len(g.school_ids))} schools, {_n(g.groups)} groups, "
        f"{_n(g.pupils)} pupils ({_n(report.pupils_in_scope)} enrolled on the scan date), "
        f"{_n(g.staff)} staff",
        f"  {_n(g.records)} absence records up to {spec.as_of.isoformat()} "
        f"({g.school_days_so_far} of {g.school_days_in_year} school days: "
        f"{g.records_per_pupil_year:.1f} per pupil-year), {_n(g.undocumented)} undocumented, "
        f"{_n(g.contacts)} contact logs, {_n(g.non_school_days)} non-school days",
        f"  generated in {g.seconds:.1f} s",
        "",
        f"{'phase':<40} {'wall s':>8} {'statements':>11} {'Python MB':>10} "
        f"{'RSS MB':>13} {'flags':>8}",
    ]

    def row(m: Measurement, *, python: Measurement | None = None) -> str:
        peak = python.python_peak_mb if python else m.python_peak_mb
        rss = f"{m.rss_start_mb:.0f}→{m.rss_peak_mb:.0f}" + ("" if m.rss_peak_is_phase else "*")
        return (
            f"{m.label:<40} {m.seconds:>8.2f} {_n(m.statements):>11} "
            f"{'—' if peak is None else f'{peak:.1f}':>10} {rss:>13} "
            f"{'—' if m.flags is None else _n(m.flags):>8}"
        )

    lines += [
        row(report.first, python=report.first_memory),
        row(report.second),
        row(report.naive, python=report.naive_memory),
        f"{'(b) extrapolated to ' + _n(report.pupils_in_scope) + ' pupils':<40} "
        f"{report.naive_seconds_all:>8.1f} {_n(report.naive_statements_all):>11}",
        row(report.floor, python=report.floor_memory),
        "",
        f"Run 1: {report.first.note}, {report.emails} e-mails (locmem backend).",
        f"Run 1 statements by kind: {_kinds(report.first.kinds)}",
        f"Run 2 statements by kind: {_kinds(report.second.kinds)}",
        "Steady-state scan by scope (same data, nothing new to raise):",
    ]
    for schools, pupils, m in report.scopes:
        lines.append(
            f"  {schools:>4} schools {_n(pupils):>7} pupils: {m.statements} statements, "
            f"{m.seconds:.2f} s, RSS peak {m.rss_peak_mb:.0f} MB"
        )
    lines += [
        "(c): "
        + report.floor.note
        + "; RSS start→peak per phase"
        + ("" if report.first.rss_peak_is_phase else " (* lifetime peak)")
        + "; Python MB from the tracemalloc passes.",
        "",
        f"(a) and (b) on {len(report.sample)} sampled pupils: "
        + (
            f"identical findings ({_n(report.naive.flags or 0)})"
            if not report.mismatches
            else f"{len(report.mismatches)} DIFFERENCES"
        ),
        "",
        "Targets (issue #3, §5):",
    ]
    for target in report.targets():
        lines.append(
            f"  {'met   ' if target.met else 'MISSED'}  {target.name:<40} {target.measured}"
        )
    return "\n".join(lines)


def _kinds(kinds: Counter) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
