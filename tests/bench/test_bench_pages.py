"""`manage.py bench_pages` on a tiny synthetic school (issue #15, §7). It measures;
this test asserts only that every page answers and the figures are printed, never
timings."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from bench.pages import CASES_ON_BOARD, FLAGS_ON_START_PAGE, PAGES
from fravaer.management.commands.bench_pages import Command
from fravaer.models import Pupil

pytestmark = pytest.mark.django_db


def test_bench_pages_measures_every_page_in_a_scratch_database(django_db_blocker):
    command, out = Command(), StringIO()
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        call_command(command, pupils=75, schools=1, iterations=2, stdout=out)
        assert connection.settings_dict["NAME"] == name
    assert [r.name for r in command.results] == [p.name for p in PAGES]
    assert all(r.status == 200 for r in command.results), command.results
    assert all(
        r.html_bytes > 0 and r.queries > 0 and r.p95_ms >= r.p50_ms > 0 for r in command.results
    )
    text = out.getvalue()
    assert f"contact teacher: {FLAGS_ON_START_PAGE} active flags" in text
    assert f"case board: {CASES_ON_BOARD} open cases" in text
    for page in PAGES:
        assert page.name in text
    assert not Pupil.objects.exists()  # the real (test) database is untouched
