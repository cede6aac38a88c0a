"""What one phase of the benchmark costs: wall time, SQL statements (by kind), peak
Python memory (tracemalloc, optional: it slows allocation-heavy code, so timed runs
go without it) and the process's peak resident set size."""

from __future__ import annotations

import gc
import re
import resource
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection

MB = 1024 * 1024
_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


@dataclass
class Measurement:
    label: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process only: PostgreSQL's own work is not in it
    statements: int = 0
    kinds: Counter = field(default_factory=Counter)
    python_peak_mb: float | None = None
    rss_start_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_peak_is_phase: bool = True  # False: the process's lifetime peak
    flags: int | None = None
    note: str = ""


def statement_kind(sql: str) -> str:
    """'SELECT fravaer_flag', 'INSERT fravaer_notification', …: the verb and the
    first table named."""
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    table = _TABLE.search(sql)
    return f"{verb} {table.group(1)}" if table else verb


class StatementCounter:
    """Counts the statements Django runs on the connection it is installed on (a
    COPY through psycopg's own API is not among them)."""

    def __init__(self, measurement: Measurement) -> None:
        self.measurement = measurement

    def __call__(self, execute, sql, params, many, context):
        self.measurement.statements += 1
        self.measurement.kinds[statement_kind(sql)] += 1
        return execute(sql, params, many, context)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_now_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    # Linux reports kilobytes, macOS bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MB if peak > 1 << 32 else peak / 1024


def reset_peak_rss() -> bool:
    """Linux: restart the high-water mark, so the peak is this phase's own."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


@contextmanager
def measure(label: str, *, trace_memory: bool = False) -> Iterator[Measurement]:
    result = Measurement(label)
    gc.collect()
    result.rss_start_mb = rss_now_mb()
    result.rss_peak_is_phase = reset_peak_rss()
    if trace_memory:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    try:
        with connection.execute_wrapper(StatementCounter(result)):
            yield result
    finally:
        result.seconds = time.perf_counter() - started
        result.cpu_seconds = cpu_seconds() - cpu_started
        if trace_memory:
            result.python_peak_mb = tracemalloc.get_traced_memory()[1] / MB
            tracemalloc.stop()
        result.rss_peak_mb = peak_rss_mb()
