"""`manage.py bench_pdf` on a tiny case: it builds its case in a scratch database of
its own, renders each document and reports; it asserts no timings, and neither does
this test."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from cases.models import Case
from plans.management.commands.bench_pdf import Command

pytestmark = pytest.mark.django_db


def test_bench_pdf_renders_each_document_in_a_scratch_database(django_db_blocker):
    command, out = Command(), StringIO()
    name = connection.settings_dict["NAME"]
    with django_db_blocker.unblock():
        call_command(command, repeat=1, weeks=2, versions=2, measures=2, goals=1, stdout=out)
    assert connection.settings_dict["NAME"] == name
    report = command.report
    assert [r.kind for r in report.results] == ["agreement", "minutes", "consent", "evaluation"]
    for result in report.results:
        assert result.pages >= 1 and len(result.seconds) == 1
        assert result.python_peak_mb is not None and result.rss_peak_mb > 0
    text = out.getvalue()
    assert "agreement" in text and "p50 s" in text and "≤ 1.0 s" in text
    # The real (test) database was left alone.
    assert not Case.objects.exists()
