"""The demo's measure plan (seed 002's example) on a nivå 1 case: agreed, evaluated
three weeks later with the outcome "continue", and a second version in force; its
documents render."""

from __future__ import annotations

import datetime as dt
import io
from io import StringIO

import pypdf
import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from cases.models import CaseEvent, Level
from fravaer.models import User
from plans.models import Evaluation, PlanVersion

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_plan(db):
    with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHER):
        call_command("seed_demo", stdout=StringIO())
        call_command("seed_demo_cases", stdout=StringIO())
        out = StringIO()
        call_command("seed_demo_plans", stdout=out)
    return PlanVersion.objects.select_related("agreement__case").get(status="agreed")


def test_demo_plan_is_seed_002s_agreement_evaluated_and_continued(demo_plan):
    case = demo_plan.agreement.case
    assert case.level == Level.NIVA_1 and case.is_open
    assert demo_plan.number == 2
    v1 = PlanVersion.objects.get(agreement=demo_plan.agreement, number=1)
    assert v1.status == PlanVersion.Status.SUPERSEDED and demo_plan.based_on == v1
    days = [(d.weekday, d.starts_at, d.place) for d in demo_plan.attendance_days.all()]
    assert days == [(w, dt.time(9, 30), "Skolebiblioteket") for w in range(5)]
    texts = " ".join(m.what for m in demo_plan.measures.all())
    for words in ("Følger eleven til biblioteket", "kalender-app", "ukeplan", "09.30"):
        assert words in texts
    evaluation = Evaluation.objects.get(case=case)
    assert evaluation.version == v1 and evaluation.outcome == Evaluation.Outcome.CONTINUE
    assert evaluation.held_on - v1.agreed_on >= dt.timedelta(days=21)
    assert demo_plan.agreed_on == evaluation.held_on
    assert evaluation.effect["since"]["school_days"] > 0  # computed from the demo's absence
    assert demo_plan.evaluation_date == evaluation.next_evaluation_date
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds.count(CaseEvent.Kind.PLAN_AGREED) == 2
    assert CaseEvent.Kind.EVALUATION_RECORDED in kinds


def test_demo_owner_downloads_the_agreement_a_person_would_sign(client, demo_plan):
    case = demo_plan.agreement.case
    client.force_login(User.objects.get(username="kontaktlaerer@demo.no"))
    response = client.get(reverse("plans_documents:agreement", args=[case.uuid]))
    assert response.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert case.pupil.full_name in text
    assert "Skolebiblioteket" in text and "09:30" in text and "Underskrifter" in text
    assert "samarbeidsavtale-v2-" in response["Content-Disposition"]
    page = client.get(reverse("cases:case", args=[case.uuid])).content.decode()
    assert "/dokumenter/evaluering/" in page


def test_seed_demo_plans_if_empty_does_nothing_the_second_time(demo_plan):
    with override_settings(DEBUG=True):
        call_command("seed_demo_plans", "--if-empty", stdout=StringIO())
    assert PlanVersion.objects.count() == 2
