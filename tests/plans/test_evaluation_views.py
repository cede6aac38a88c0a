"""The evaluation pages: recording an evaluation through the form (errors at their
field, nothing typed lost), the evaluation page, the case page's panel, who gets 404,
and query counts that do not grow with the number of goals and measures."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.actions.consent import refer_to_ppt
from cases.actions.deadlines import set_deadline
from cases.models import CaseAccessLog, Consent, Deadline, Level
from fravaer.models import StaffRole, TeachingAssignment
from plans.models import Evaluation
from tests.conftest import TODAY, make_user
from tests.factories import agreed_version, give

pytestmark = pytest.mark.django_db

AGREED = dt.date(2026, 11, 2)


@pytest.fixture
def version(case, contact_teacher):
    version = agreed_version(case, by=contact_teacher, agreed_on=AGREED)
    set_deadline(case, Deadline.Kind.PLAN_EVALUATION, now=timezone.now(), by=contact_teacher)
    return version


def new_url(case, version):
    return reverse("evaluations:new", args=[case.uuid, version.uuid])


def detail_url(case, evaluation):
    return reverse("evaluations:detail", args=[case.uuid, evaluation.uuid])


def posted(case, version, **extra):
    data = {
        "version": case.version,
        "held_on": "2026-11-16",
        "form": "meeting",
        "meeting": "",
        "pupil_view": "Det hjelper at noen venter på meg.",
        "guardian_view": "Roligere morgener.",
        "outcome": "continue",
        "outcome_reason": "Bedre, men ikke godt nok ennå.",
        "next_evaluation_date": "2026-12-07",
    }
    for goal in version.goals.all():
        data[f"goal_{goal.pk}"] = "partly"
        data[f"goal_{goal.pk}_why"] = ""
    for measure in version.measures.all():
        data[f"measure_{measure.pk}"] = "worked"
        data[f"measure_{measure.pk}_why"] = ""
    data.update(extra)
    return data


def an_evaluation(case, version, by):
    from plans.actions.evaluations import record_evaluation

    return record_evaluation(
        case,
        version,
        held_on=TODAY,
        form="phone",
        pupil_view="Greit.",
        goal_results={g.pk: ("reached", "") for g in version.goals.all()},
        measure_results={m.pk: ("worked", "") for m in version.measures.all()},
        outcome="continue",
        outcome_reason="Vi fortsetter.",
        next_evaluation_date=dt.date(2026, 12, 7),
        by=by,
    )


# --- the form ----------------------------------------------------------------------


def test_the_form_shows_each_goal_and_measure_and_the_effect(
    client_for, case, version, contact_teacher
):
    response = client_for(contact_teacher).get(new_url(case, version))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Delmål 1: møter til første time" in body
    assert "Tiltak 2: møtes i biblioteket kl. 09.30" in body
    assert "Fravær før og etter planen ble avtalt 02.11.2026" in body
    assert "Andel av skoletiden" in body
    # A measure's why is needed when it did not work: not called optional.
    measure = version.measures.first()
    label = re.search(rf'<label[^>]*for="id_measure_{measure.pk}_why">(.*?)</label>', body)
    assert label and "valgfritt" not in label.group(1)
    assert CaseAccessLog.objects.filter(case=case, user=contact_teacher, what="case_form").exists()


def test_posting_the_form_records_the_evaluation_and_shows_its_page(
    client_for, case, version, contact_teacher
):
    client = client_for(contact_teacher)
    response = client.post(new_url(case, version), posted(case, version))
    evaluation = Evaluation.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(case, evaluation)
    assert evaluation.outcome == "continue" and evaluation.next_evaluation_date == dt.date(
        2026, 12, 7
    )
    page = client.get(response.url)
    body = page.content.decode()
    assert "Planen fortsetter, med ny evaluering 07.12.2026." in body
    assert "Delvis: fortsett samme plan med ny evalueringsdato" in body
    assert "Det hjelper at noen venter på meg." in body
    assert "Fravær før og etter planen ble avtalt 02.11.2026" in body
    assert CaseAccessLog.objects.filter(case=case, what="evaluation").exists()


def test_missing_answers_are_shown_at_their_fields_and_nothing_typed_is_lost(
    client_for, case, version, contact_teacher
):
    measure = version.measures.first()
    data = posted(
        case,
        version,
        pupil_view="",
        outcome_reason="Vi må prøve noe annet.",
        next_evaluation_date="",
        **{f"measure_{measure.pk}": "did_not_work"},
    )
    response = client_for(contact_teacher).post(new_url(case, version), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["pupil_view"] == ["Skriv elevens egen stemme."]
    assert form.errors[f"measure_{measure.pk}_why"] == [
        "Skriv kort hvorfor tiltaket ikke virket eller ikke ble gjennomført."
    ]
    assert form.errors["next_evaluation_date"] == [
        "Velg en ny evalueringsdato når planen skal fortsette."
    ]
    body = response.content.decode()
    assert "Vi må prøve noe annet." in body  # what was typed is still there
    # The message is tied to its field.
    assert f'id="id_measure_{measure.pk}_why-err"' in body
    assert form[f"measure_{measure.pk}_why"].field.widget.attrs["aria-invalid"] == "true"
    assert not Evaluation.objects.exists()


def test_a_refused_escalation_is_shown_at_the_outcome_and_saves_nothing(
    client_for, case, version, contact_teacher
):
    Consent.objects.filter(case=case).delete()
    data = posted(case, version, outcome="escalate", outcome_reason="Tiltakene virket ikke.")
    response = client_for(contact_teacher).post(new_url(case, version), data)
    assert response.status_code == 200
    errors = response.context["form"].errors["outcome"]
    assert errors == [
        "Nivå 2A krever samtykke fra foresatte for tjenestene som skal involveres. "
        "Registrer samtykket først."
    ]
    assert "Tiltakene virket ikke." in response.content.decode()
    assert not Evaluation.objects.exists()
    case.refresh_from_db()
    assert case.level == Level.NIVA_1


def test_the_case_page_offers_the_evaluation_and_lists_those_held(
    client_for, case, version, contact_teacher
):
    client = client_for(contact_teacher)
    body = client.get(reverse("cases:case", args=[case.uuid])).content.decode()
    assert new_url(case, version) in body
    assert "Versjon 1 skal evalueres 23.11.2026." in body
    evaluation = an_evaluation(case, version, contact_teacher)
    body = client.get(reverse("cases:case", args=[case.uuid])).content.decode()
    assert detail_url(case, evaluation) in body
    # "Continue" set a new date; the agreed version keeps its own.
    assert "Versjon 1 skal evalueres 07.12.2026." in body


def test_a_change_of_the_case_meanwhile_keeps_what_was_typed_and_saves_the_next_time(
    client_for, case, version, contact_teacher
):
    from cases.models import Case

    data = posted(case, version, outcome_reason="Vi venter litt til.")
    Case.objects.filter(pk=case.pk).update(version=case.version + 1)  # someone else
    client = client_for(contact_teacher)
    response = client.post(new_url(case, version), data)
    assert response.status_code == 200
    assert "endret av noen andre" in response.content.decode()
    assert "Vi venter litt til." in response.content.decode()
    assert not Evaluation.objects.exists()
    again = response.context["form"]["version"].value()
    response = client.post(new_url(case, version), {**data, "version": again})
    assert response.status_code == 302
    assert Evaluation.objects.count() == 1


# --- who gets 404 ------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, case, version, contact_teacher):
    evaluation = an_evaluation(case, version, contact_teacher)
    for url in (new_url(case, version), detail_url(case, evaluation)):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/logg-inn/")
    response = client.post(new_url(case, version), posted(case, version))
    assert response.status_code == 302
    assert Evaluation.objects.count() == 1


def assert_shut_out(client, case, version, evaluation):
    assert client.get(new_url(case, version)).status_code == 404
    assert client.post(new_url(case, version), posted(case, version)).status_code == 404
    assert client.get(detail_url(case, evaluation)).status_code == 404
    assert Evaluation.objects.count() == 1


def test_staff_of_another_school_get_404(client_for, case, version, contact_teacher, outsider):
    evaluation = an_evaluation(case, version, contact_teacher)
    assert_shut_out(client_for(outsider), case, version, evaluation)


def test_ppt_without_a_referral_gets_404(client_for, case, version, contact_teacher, ppt_advisor):
    evaluation = an_evaluation(case, version, contact_teacher)
    assert_shut_out(client_for(ppt_advisor), case, version, evaluation)


def test_a_contact_teacher_whose_assignment_ended_gets_404(
    client_for, case, version, contact_teacher, leader
):
    evaluation = an_evaluation(case, version, leader)
    TeachingAssignment.objects.filter(user=contact_teacher).update(
        valid_to=TODAY - dt.timedelta(days=1)
    )
    assert_shut_out(client_for(contact_teacher), case, version, evaluation)


def test_another_version_or_evaluation_uuid_is_404(client_for, case, version, contact_teacher):
    import uuid

    client = client_for(contact_teacher)
    assert client.get(reverse("evaluations:new", args=[case.uuid, uuid.uuid4()])).status_code == 404
    assert (
        client.get(reverse("evaluations:detail", args=[case.uuid, uuid.uuid4()])).status_code == 404
    )


def test_readers_see_the_evaluation_but_get_404_on_the_form_and_post(
    client_for, case, version, contact_teacher, school
):
    evaluation = an_evaluation(case, version, contact_teacher)
    attendance = make_user("naervaer@nordby.no")
    StaffRole.objects.create(user=attendance, role="attendance_contact", school=school)
    ppt = make_user("ppt@testvik.no")
    StaffRole.objects.create(user=ppt, role="ppt_advisor", municipality=school.municipality)
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    for reader in (attendance, ppt):
        client = client_for(reader)
        assert client.get(detail_url(case, evaluation)).status_code == 200
        assert client.get(new_url(case, version)).status_code == 404
        assert client.post(new_url(case, version), posted(case, version)).status_code == 404
        body = client.get(reverse("cases:case", args=[case.uuid])).content.decode()
        assert new_url(case, version) not in body
    assert Evaluation.objects.count() == 1


# --- query counts --------------------------------------------------------------------


def _queries(client, url, django_assert_max_num_queries) -> int:
    client.get(url)  # the session's own first-request reads (the inbox count) aside
    with django_assert_max_num_queries(80) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_pages_cost_the_same_whatever_the_number_of_goals_and_measures(
    client_for, group, school, contact_teacher, django_assert_max_num_queries
):
    from cases.actions.core import open_case
    from tests.conftest import make_pupil
    from tests.factories import at_level

    counts = []
    for goals, measures in ((1, 1), (4, 9)):
        pupil = make_pupil(group)
        case = open_case(pupil, school=school, concern="Fravær.", by=contact_teacher)
        at_level(case, "1", by=contact_teacher)
        version = agreed_version(
            case, by=contact_teacher, agreed_on=AGREED, goals=goals, measures=measures
        )
        evaluation = an_evaluation(case, version, contact_teacher)
        client = client_for(contact_teacher)
        counts.append(
            (
                _queries(client, new_url(case, version), django_assert_max_num_queries),
                _queries(client, detail_url(case, evaluation), django_assert_max_num_queries),
            )
        )
    assert counts[0] == counts[1]


def test_the_plan_page_offers_the_evaluation_to_those_who_run_the_case(
    client_for, case, version, contact_teacher, school
):
    plan = reverse("plans:plan", args=[case.uuid])
    assert new_url(case, version) in client_for(contact_teacher).get(plan).content.decode()
    attendance = make_user("naervaer@nordby.no")
    StaffRole.objects.create(user=attendance, role="attendance_contact", school=school)
    assert new_url(case, version) not in client_for(attendance).get(plan).content.decode()


def test_the_case_page_panel_costs_the_same_whatever_the_number_of_evaluations(
    client_for, case, version, contact_teacher, django_assert_max_num_queries
):
    client = client_for(contact_teacher)
    page = reverse("cases:case", args=[case.uuid])
    an_evaluation(case, version, contact_teacher)
    one = _queries(client, page, django_assert_max_num_queries)
    for _ in range(3):
        case.refresh_from_db()
        an_evaluation(case, version, contact_teacher)
    assert _queries(client, page, django_assert_max_num_queries) == one
