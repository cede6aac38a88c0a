"""The plan and version pages after an evaluation with outcome "continue": the next
evaluation date in force (the pending deadline the evaluation set), the version's own
date as history, and the agreement PDF of the version shown; in a fixed number of
queries whatever the number of evaluations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.actions.deadlines import set_deadline
from cases.models import Deadline
from plans import queries
from plans.actions.evaluations import record_evaluation
from plans.models import Evaluation
from tests.factories import agreed_version

pytestmark = pytest.mark.django_db

AGREED = dt.date(2026, 10, 19)  # evaluation date (agreed + 21 days): 09.11.2026


@pytest.fixture
def version(case, contact_teacher):
    version = agreed_version(case, by=contact_teacher, agreed_on=AGREED)
    set_deadline(
        case,
        Deadline.Kind.PLAN_EVALUATION,
        now=timezone.now(),
        due=version.evaluation_date,
        by=contact_teacher,
    )
    return version


def evaluate_continue(case, version, by, *, held_on, next_date):
    return record_evaluation(
        case,
        version,
        by=by,
        held_on=held_on,
        form=Evaluation.Form.MEETING,
        pupil_view="Det går bedre.",
        guardian_view="",
        outcome=Evaluation.Outcome.CONTINUE,
        outcome_reason="Delvis: vi fortsetter.",
        next_evaluation_date=next_date,
        goal_results={g.pk: ("partly", "") for g in version.goals.all()},
        measure_results={m.pk: ("partly", "") for m in version.measures.all()},
    )


def pages(case, version):
    return [
        reverse("plans:plan", args=[case.uuid]),
        reverse("plans:version", args=[case.uuid, version.number]),
    ]


def test_before_an_evaluation_the_pages_show_the_agreed_date_only(
    client_for, case, version, contact_teacher
):
    assert queries.evaluation_dates(version) == queries.EvaluationDates(
        dt.date(2026, 11, 9), dt.date(2026, 11, 9)
    )
    client = client_for(contact_teacher)
    for url in pages(case, version):
        html = client.get(url).content.decode()
        assert "09.11.2026" in html
        assert "Opprinnelig evalueringsdato" not in html


def test_after_continue_the_pages_show_the_new_date_and_the_original_as_history(
    client_for, case, version, contact_teacher
):
    evaluate_continue(
        case, version, contact_teacher, held_on=dt.date(2026, 11, 9), next_date=dt.date(2026, 12, 7)
    )
    dates = queries.evaluation_dates(version)
    assert dates.in_force == dt.date(2026, 12, 7) and dates.original == dt.date(2026, 11, 9)
    client = client_for(contact_teacher)
    for url in pages(case, version):
        html = client.get(url).content.decode()
        assert "07.12.2026 (ny dato satt ved evaluering)" in html, url
        assert "Opprinnelig evalueringsdato: 09.11.2026" in html, url


def test_the_latest_continue_wins_and_queries_do_not_grow_with_evaluations(
    client_for, case, version, contact_teacher
):
    evaluate_continue(
        case,
        version,
        contact_teacher,
        held_on=dt.date(2026, 11, 9),
        next_date=dt.date(2026, 11, 30),
    )

    def count(url):
        client = client_for(contact_teacher)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    [count(url) for url in pages(case, version)]  # warm: the first request fills caches
    few = [count(url) for url in pages(case, version)]
    evaluate_continue(
        case,
        version,
        contact_teacher,
        held_on=dt.date(2026, 11, 16),
        next_date=dt.date(2026, 12, 14),
    )
    assert queries.evaluation_dates(version).in_force == dt.date(2026, 12, 14)
    assert [count(url) for url in pages(case, version)] == few
    html = client_for(contact_teacher).get(pages(case, version)[0]).content.decode()
    assert "14.12.2026 (ny dato satt ved evaluering)" in html
    assert "30.11.2026 (ny dato" not in html


def test_a_superseded_version_keeps_its_latest_new_date_without_the_deadline(
    case, version, contact_teacher
):
    evaluate_continue(
        case, version, contact_teacher, held_on=dt.date(2026, 11, 9), next_date=dt.date(2026, 12, 7)
    )
    later = agreed_version(case, by=contact_teacher, agreed_on=dt.date(2026, 11, 16), number=2)
    version.refresh_from_db()
    assert version.status == "superseded"
    assert queries.evaluation_dates(version).in_force == dt.date(2026, 12, 7)
    assert queries.evaluation_dates(later).moved is False


def test_the_pages_link_the_agreement_pdf_of_the_version_shown(
    client_for, case, version, contact_teacher
):
    pdf_url = reverse("plans_documents:agreement_version", args=[case.uuid, version.uuid])
    client = client_for(contact_teacher)
    for url in pages(case, version):
        html = client.get(url).content.decode()
        assert f'href="{pdf_url}" download' in html, url
    later = agreed_version(case, by=contact_teacher, agreed_on=dt.date(2026, 11, 16), number=2)
    html = client.get(reverse("plans:version", args=[case.uuid, 1])).content.decode()
    assert f'href="{pdf_url}"' in html
    assert str(later.uuid) not in html
    assert client.get(pdf_url)["Content-Type"] == "application/pdf"


def test_the_plan_page_links_the_draft_as_a_pdf_too(client_for, pupil, group, contact_teacher):
    from cases.actions.core import open_case
    from tests.conftest import make_pupil
    from tests.factories import at_level, make_plan, next_plan_version

    case = at_level(
        open_case(make_pupil(group), school=group.school, concern="Fravær", by=contact_teacher),
        "1",
        by=contact_teacher,
    )
    current = make_plan(case, by=contact_teacher)
    draft = next_plan_version(current, agree=False)
    html = client_for(contact_teacher).get(reverse("plans:plan", args=[case.uuid])).content.decode()
    for version in (current, draft):
        pdf_url = reverse("plans_documents:agreement_version", args=[case.uuid, version.uuid])
        assert f'href="{pdf_url}" download' in html
    assert "Last ned utkastet, versjon 2 (PDF)" in html
