"""The demo's cases: one on each step, PPT sees only the referred one."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from cases.access import referred_cases, visible_cases
from cases.models import Case, Deadline, Level
from fravaer.models import Notification, User

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_cases(db):
    with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHER):
        call_command("seed_demo", stdout=StringIO())
        out = StringIO()
        call_command("seed_demo_cases", stdout=out)
    return out.getvalue()


def test_demo_has_a_case_on_levels_0_1_and_2a(demo_cases):
    levels = sorted(Case.objects.open().values_list("level", flat=True))
    assert levels == [Level.NIVA_0, Level.NIVA_0, Level.NIVA_1, Level.NIVA_1, Level.NIVA_2A]
    assert "5 demosaker" in demo_cases


def test_demo_ppt_advisor_sees_exactly_the_referred_case(demo_cases):
    ppt = User.objects.get(username="ppt@demo.no")
    referred = list(referred_cases(ppt))
    assert [c.level for c in referred] == [Level.NIVA_2A]
    assert list(visible_cases(ppt)) == referred


def test_demo_overdue_meeting_deadline_is_notified_to_its_owner(demo_cases):
    overdue = Deadline.objects.get(
        kind=Deadline.Kind.LEVEL1_MEETING,
        met_at__isnull=True,
        cancelled_at__isnull=True,
        due__lt=dt.date(2026, 11, 18),
    )
    assert overdue.overdue_notified_at is not None
    assert Notification.objects.filter(
        user=overdue.case.owner, kind=Notification.Kind.DEADLINE
    ).exists()


def test_seed_demo_cases_if_empty_does_nothing_the_second_time(demo_cases):
    with override_settings(DEBUG=True):
        call_command("seed_demo_cases", "--if-empty", stdout=StringIO())
    assert Case.objects.count() == 5
