"""The plan's versions: start, save a draft, agree, supersede, the next version, and
the refusals (closed case, below nivå 1, stale revision, a failed measure reused
without a reason)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent, Deadline, DeadlineSetting
from plans.actions.versions import (
    agree_version,
    draft_next_version,
    save_draft,
    save_goal,
    save_measure,
    start_agreement,
)
from plans.errors import PlanChanged
from plans.models import Evaluation, MeasureReview, PlanVersion
from tests.conftest import TODAY
from tests.factories import make_plan, next_plan_version, refused

pytestmark = pytest.mark.django_db


def test_start_agreement_prefills_activity_plan_ref_and_evaluation_date(case, contact_teacher):
    Case.objects.filter(pk=case.pk).update(activity_plan_ref="AP-2026-17")
    case.refresh_from_db()
    version = start_agreement(case, by=contact_teacher)
    assert (version.number, version.status, version.level) == (1, "draft", "1")
    assert version.activity_plan_ref == "AP-2026-17"
    # 3 weeks after Wednesday 18.11.2026: Wednesday 09.12.2026, a school day.
    assert version.evaluation_date == dt.date(2026, 12, 9)


def test_evaluation_date_follows_the_2a_setting_and_moves_to_a_school_day(
    case, contact_teacher, municipality
):
    Case.objects.filter(pk=case.pk).update(level="2A")
    case.refresh_from_db()
    DeadlineSetting.objects.create(
        municipality=municipality,
        kind="evaluation_2a",
        days=17,
        updated_by=contact_teacher,
        updated_at=timezone.now(),
    )
    version = start_agreement(case, by=contact_teacher)
    # 17 days after 18.11 is Saturday 05.12: moved forward to Monday 07.12.
    assert version.evaluation_date == dt.date(2026, 12, 7)


def test_start_agreement_refused_below_niva_1(case, contact_teacher):
    Case.objects.filter(pk=case.pk).update(level="0")
    case.refresh_from_db()
    refused("plan_level_too_low", start_agreement, case, by=contact_teacher)


def test_start_agreement_refused_on_closed_case(case, contact_teacher):
    Case.objects.filter(pk=case.pk).update(
        status="closed", closed_at=timezone.now(), close_reason="measures_worked"
    )
    case.refresh_from_db()
    refused("plan_case_closed", start_agreement, case, by=contact_teacher)


def test_stale_revision_is_refused_and_nothing_is_overwritten(case, contact_teacher, leader):
    version = start_agreement(case, by=contact_teacher)
    seen = version.revision
    save_draft(version, revision=seen, by=contact_teacher, long_term_goal="Først")
    stale = PlanVersion.objects.get(pk=version.pk)
    stale.revision = seen
    with pytest.raises(PlanChanged):
        save_draft(stale, revision=seen, by=leader, long_term_goal="Sist")
    assert PlanVersion.objects.get(pk=version.pk).long_term_goal == "Først"


def test_agreed_version_cannot_be_edited(case, contact_teacher):
    version = make_plan(case, by=contact_teacher)
    refused(
        "plan_not_draft",
        save_draft,
        version,
        revision=version.revision,
        by=contact_teacher,
        long_term_goal="Nytt",
    )


def test_agree_requires_goal_measure_long_term_goal_and_tapering(case, contact_teacher):
    version = start_agreement(case, by=contact_teacher)
    error = refused(
        "plan_long_term_goal_required",
        agree_version,
        version,
        agreed_on=TODAY,
        pupil_took_part=True,
        guardians=[],
        staff=[],
        by=contact_teacher,
    )
    assert "delmål" in error.message and "tiltak" in error.message
    save_draft(version, revision=version.revision, by=contact_teacher, long_term_goal="Mål")
    save_goal(
        version, revision=version.revision, by=contact_teacher, text="Delmål", target_date=TODAY
    )
    save_measure(
        version,
        revision=version.revision,
        by=contact_teacher,
        what="Kortere dag",
        arena="pupil",
        responsible="pupil",
        starts_on=TODAY,
        special_arrangement=True,
    )
    refused(
        "plan_tapering_required",
        agree_version,
        version,
        agreed_on=TODAY,
        pupil_took_part=True,
        guardians=[],
        staff=[],
        by=contact_teacher,
    )


def test_agree_writes_event_and_starts_the_evaluation_deadline(case, contact_teacher):
    version = make_plan(case, by=contact_teacher)
    assert version.status == "agreed" and version.agreed_on == TODAY
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.PLAN_AGREED)
    assert event.text == "Versjon 1 avtalt"
    assert event.data == {"plan_version": version.pk}
    deadline = Deadline.objects.get(case=case, kind=Deadline.Kind.PLAN_EVALUATION)
    assert deadline.due == version.evaluation_date == dt.date(2026, 12, 9)
    assert deadline.met_at is None


def test_agree_at_2b_starts_the_2b_evaluation_deadline(case, contact_teacher):
    Case.objects.filter(pk=case.pk).update(level="2B")
    case.refresh_from_db()
    make_plan(case, by=contact_teacher)
    assert Deadline.objects.filter(case=case, kind=Deadline.Kind.EVALUATION_2B).exists()
    assert not Deadline.objects.filter(case=case, kind=Deadline.Kind.PLAN_EVALUATION).exists()


def test_next_version_copies_and_supersedes(case, contact_teacher):
    first = make_plan(case, by=contact_teacher)
    draft = draft_next_version(first, by=contact_teacher, change_reason="Nye tiltak")
    assert (draft.number, draft.status, draft.based_on_id) == (2, "draft", first.pk)
    old = list(first.measures.order_by("order"))
    new = list(draft.measures.order_by("order"))
    assert [m.continues_id for m in new] == [m.pk for m in old]
    assert [m.what for m in new] == [m.what for m in old]
    assert new[-1].steps.count() == 2
    assert draft.goals.count() == 1 and draft.attendance_days.count() == 1
    assert draft.contact_how_often == "Hver fredag"
    second = agree_version(
        draft,
        agreed_on=TODAY,
        pupil_took_part=True,
        guardians=[],
        staff=[contact_teacher],
        by=contact_teacher,
    )
    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "agreed")
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.PLAN_AGREED, case=case).count() == 2


def test_next_version_refused_while_a_draft_exists(case, contact_teacher):
    first = make_plan(case, by=contact_teacher)
    draft = draft_next_version(first, by=contact_teacher)
    error = refused("plan_draft_exists", draft_next_version, first, by=contact_teacher)
    assert error.params["draft"] == draft


def _did_not_work(version, measure, by):
    evaluation = Evaluation.objects.create(
        case=version.agreement.case,
        version=version,
        held_on=TODAY,
        form="meeting",
        pupil_view="Det hjalp ikke.",
        outcome="revise",
        outcome_reason="Nye tiltak",
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    MeasureReview.objects.create(
        evaluation=evaluation, measure=measure, result=MeasureReview.Result.DID_NOT_WORK
    )


def test_reusing_a_failed_measure_needs_a_reason(case, contact_teacher):
    first = make_plan(case, by=contact_teacher)
    failed = first.measures.order_by("order").first()
    _did_not_work(first, failed, contact_teacher)
    draft = draft_next_version(first, by=contact_teacher)
    copy = draft.measures.get(continues=failed)
    error = refused(
        "measure_reuse_reason_required",
        agree_version,
        draft,
        agreed_on=TODAY,
        pupil_took_part=True,
        guardians=[],
        staff=[],
        by=contact_teacher,
    )
    assert "utsettes igjen og igjen" in error.message
    values = {
        "what": copy.what,
        "arena": copy.arena,
        "responsible": copy.responsible,
        "responsible_staff": contact_teacher,
        "starts_on": copy.starts_on,
    }
    refused(
        "measure_reuse_reason_required",
        save_measure,
        draft,
        revision=draft.revision,
        by=contact_teacher,
        measure=copy,
        **values,
    )
    save_measure(
        draft,
        revision=draft.revision,
        by=contact_teacher,
        measure=copy,
        reuse_reason="Nå med fast voksen hver dag",
        **values,
    )
    agreed = agree_version(
        draft, agreed_on=TODAY, pupil_took_part=True, guardians=[], staff=[], by=contact_teacher
    )
    assert agreed.status == "agreed"


def test_service_measure_needs_a_consent_in_force(case, contact_teacher):
    from tests.factories import give

    version = start_agreement(case, by=contact_teacher)
    values = {
        "what": "Samtaler med helsesykepleier",
        "arena": "pupil",
        "responsible": "service",
        "responsible_service": "school_nurse",
        "starts_on": TODAY,
    }
    refused(
        "measure_service_needs_consent",
        save_measure,
        version,
        revision=version.revision,
        by=contact_teacher,
        **values,
    )
    give(case, contact_teacher, service="school_nurse")
    measure = save_measure(version, revision=version.revision, by=contact_teacher, **values)
    assert measure.responsible_service == "school_nurse"


def test_third_version_supersedes_the_second(case, contact_teacher):
    second = next_plan_version(make_plan(case, by=contact_teacher))
    third = next_plan_version(second)
    statuses = list(
        PlanVersion.objects.filter(agreement__case=case)
        .order_by("number")
        .values_list("status", flat=True)
    )
    assert statuses == ["superseded", "superseded", "agreed"]
    assert third.number == 3


def test_evaluation_deadline_on_a_saturday_moves_to_monday(case, contact_teacher):
    version = make_plan(case, by=contact_teacher, agreed=False)
    agree_version(
        version,
        agreed_on=TODAY,
        evaluation_date=dt.date(2026, 12, 12),  # a Saturday
        pupil_took_part=True,
        guardians=[],
        staff=[],
        by=contact_teacher,
    )
    deadline = Deadline.objects.get(case=case, kind=Deadline.Kind.PLAN_EVALUATION)
    assert (deadline.due, deadline.moved_from) == (dt.date(2026, 12, 14), dt.date(2026, 12, 12))
    assert PlanVersion.objects.get(pk=version.pk).evaluation_date == dt.date(2026, 12, 12)


def test_agree_refuses_an_evaluation_date_before_the_agreement(case, contact_teacher):
    version = make_plan(case, by=contact_teacher, agreed=False)
    refused(
        "plan_evaluation_before_agreement",
        agree_version,
        version,
        agreed_on=TODAY,
        evaluation_date=TODAY,
        pupil_took_part=True,
        guardians=[],
        staff=[],
        by=contact_teacher,
    )
    assert PlanVersion.objects.get(pk=version.pk).status == "draft"


def test_a_draft_on_a_closed_case_cannot_be_saved(case, contact_teacher):
    version = start_agreement(case, by=contact_teacher)
    Case.objects.filter(pk=case.pk).update(
        status="closed", closed_at=timezone.now(), close_reason="measures_worked"
    )
    refused(
        "plan_case_closed",
        save_draft,
        version,
        revision=version.revision,
        by=contact_teacher,
        long_term_goal="Nytt",
    )


def test_in_force_is_the_agreed_version_and_ever_agreed_adds_the_replaced(case, contact_teacher):
    first = make_plan(case, by=contact_teacher)
    second = next_plan_version(first, by=contact_teacher)
    draft = next_plan_version(second, by=contact_teacher, agree=False)
    versions = PlanVersion.objects.filter(agreement__case=case)
    assert list(versions.in_force()) == [second]
    assert set(versions.ever_agreed()) == {first, second}
    assert draft not in set(versions.ever_agreed())
