"""`manage.py bench_scan` on a small synthetic municipality (issue #3, §5).

The benchmark measures; these tests assert behaviour only, never timings. One run of
the command (in a scratch database of its own) serves every test in this module.
"""

import datetime as dt
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection

from fravaer import scan
from fravaer.management.commands.bench_scan import Command
from fravaer.models import Flag, Pupil

# All tests use the database, so pytest-django keeps them together and the module's
# one benchmark run is not set up twice.
pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 18)


@pytest.fixture(scope="module")
def bench(django_db_setup, django_db_blocker):
    command, out = Command(), StringIO()
    # Slices of 150 pupils: the whole scope's three schools of 100 are three slices.
    with django_db_blocker.unblock(), mock.patch.object(scan, "SLICE_PUPILS", 150):
        name = connection.settings_dict["NAME"]
        call_command(command, pupils=300, schools=3, sample=50, as_of=TODAY.isoformat(), stdout=out)
        assert connection.settings_dict["NAME"] == name
    return command.report, out.getvalue()


def test_bench_scan_finds_the_same_flags_as_the_naive_loop(bench):
    report, text = bench
    assert report.first.flags > 0 and report.findings_on_sample > 0
    assert report.mismatches == []
    assert "on 50 sampled pupils: identical findings" in text


def test_bench_scan_second_run_raises_nothing(bench):
    report, _text = bench
    assert report.second.flags == 0
    assert report.first_memory.flags == report.first.flags


def test_bench_scan_statements_grow_with_slices_not_pupils(bench):
    report, text = bench
    # One school of three (one slice), then all three (three slices).
    assert [(schools, pupils, slices) for schools, pupils, slices, _m in report.scopes] == [
        (1, 100, 1),
        (3, 300, 3),
    ]
    one, three = (m.statements for *_rest, m in report.scopes)
    per_slice = report.statements_per_slice
    assert per_slice == int(per_slice) > 0
    assert three == one + 2 * per_slice
    assert report.statements_by_slices
    assert f"{per_slice:g} per slice" in text


def test_bench_scan_complete_floor_finds_the_flags_of_run_1(bench):
    report, text = bench
    assert report.floor_mismatches == []
    assert report.complete.flags == report.first.flags > 0
    assert "the same as run 1's flags" in text
    assert report.copy_rows == report.first.flags
    assert "× (c) + COPY" in text and "× (c) (" in text


def test_bench_scan_leaves_the_real_database_alone(bench):
    assert not Pupil.objects.exists() and not Flag.objects.exists()


def test_bench_scan_times_the_naive_loop_raising_what_it_finds_and_keeps_nothing(bench):
    report, text = bench
    # From no flags, as run 1: it finds the sample's flags new and writes them with
    # their inbox messages, and its transaction is rolled back before run 1.
    assert report.naive_raising.flags == report.findings_on_sample > 0
    assert report.naive_raising.statements > report.naive.statements
    assert "inbox messages, in one transaction rolled back" in text
    assert "(b) raising" in text
    # Run 1 then raised every flag itself (nothing left over from the loop).
    assert report.first.flags == report.first_memory.flags
