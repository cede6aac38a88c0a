"""Defects found in the review of the plan editor (issue #14), each pinned: a new
short-term goal cannot have a target date already passed (a carried-over goal keeps
its own), and a tapering step must fall within its measure's period. Both refusals are
shown at their field with what was typed kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from plans.actions.versions import add_tapering_step, save_goal
from plans.models import Goal, Measure, PlanVersion, TaperingStep
from tests.conftest import TODAY
from tests.factories import make_plan, next_plan_version, refused

pytestmark = pytest.mark.django_db


def url(name, case, *rest):
    return reverse(f"plans:{name}", args=[case.uuid, *rest])


def test_a_new_goal_with_a_passed_target_date_is_refused(case, contact_teacher):
    draft = make_plan(case, by=contact_teacher, agreed=False)
    refused(
        "goal_target_in_past",
        save_goal,
        draft,
        revision=draft.revision,
        by=contact_teacher,
        text="Møter hver dag",
        target_date=TODAY - dt.timedelta(days=1),
    )
    assert draft.goals.count() == 1


def test_a_carried_over_goal_keeps_its_passed_date_when_its_text_changes(case, contact_teacher):
    first = make_plan(case, by=contact_teacher)
    draft = next_plan_version(first, agree=False)
    goal = draft.goals.get()
    Goal.objects.filter(pk=goal.pk).update(target_date=TODAY - dt.timedelta(days=7))
    goal.refresh_from_db()
    draft.refresh_from_db()
    save_goal(
        draft,
        revision=draft.revision,
        by=contact_teacher,
        goal=goal,
        text="Ny tekst",
        target_date=goal.target_date,
    )
    goal.refresh_from_db()
    assert goal.text == "Ny tekst"
    draft.refresh_from_db()
    refused(
        "goal_target_in_past",
        save_goal,
        draft,
        revision=draft.revision,
        by=contact_teacher,
        goal=goal,
        text="Ny tekst",
        target_date=TODAY - dt.timedelta(days=3),
    )


def test_the_goal_form_shows_the_passed_date_at_its_field_and_keeps_the_text(
    client_for, case, contact_teacher
):
    draft = make_plan(case, by=contact_teacher, agreed=False)
    response = client_for(contact_teacher).post(
        url("add", case, "delmal"),
        {
            "goal-revision": draft.revision,
            "goal-text": "Møter til første time",
            "goal-target_date": "2020-01-01",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_goal-target_date-err"' in body
    assert "Måldatoen kan ikke være passert" in body
    assert "Møter til første time" in body
    assert draft.goals.count() == 1


def _special(draft) -> Measure:
    return draft.measures.get(special_arrangement=True)


def test_a_tapering_step_before_the_measure_starts_is_refused(case, contact_teacher):
    draft = make_plan(case, by=contact_teacher, agreed=False)
    measure = _special(draft)
    before = measure.steps.count()
    refused(
        "step_outside_measure",
        add_tapering_step,
        draft,
        revision=draft.revision,
        by=contact_teacher,
        measure=measure,
        starts_on=measure.starts_on - dt.timedelta(days=1),
        description="Skoledag til kl. 11",
    )
    assert measure.steps.count() == before


def test_a_tapering_step_after_the_measure_ends_is_refused(case, contact_teacher):
    draft = make_plan(case, by=contact_teacher, agreed=False)
    measure = _special(draft)
    Measure.objects.filter(pk=measure.pk).update(ends_on=TODAY + dt.timedelta(weeks=4))
    measure.refresh_from_db()
    refused(
        "step_outside_measure",
        add_tapering_step,
        draft,
        revision=draft.revision,
        by=contact_teacher,
        measure=measure,
        starts_on=TODAY + dt.timedelta(weeks=5),
        description="Full skoledag",
    )
    add_tapering_step(
        draft,
        revision=draft.revision,
        by=contact_teacher,
        measure=measure,
        starts_on=TODAY + dt.timedelta(weeks=4),
        description="Full skoledag",
    )
    assert TaperingStep.objects.filter(measure=measure, description="Full skoledag").exists()


def test_the_step_form_shows_the_refusal_at_the_date_and_keeps_the_text(
    client_for, case, contact_teacher
):
    draft = make_plan(case, by=contact_teacher, agreed=False)
    measure = _special(draft)
    prefix = f"trinn{measure.pk}"
    response = client_for(contact_teacher).post(
        url("tapering_step", case, measure.pk),
        {
            f"{prefix}-revision": draft.revision,
            f"{prefix}-starts_on": "2020-01-01",
            f"{prefix}-description": "Skoledag til kl. 11",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{prefix}-starts_on-err"' in body
    assert "Trinnet kan ikke starte før tiltaket starter" in body
    assert "Skoledag til kl. 11" in body
    assert PlanVersion.objects.get(pk=draft.pk).revision == draft.revision


def test_every_remove_button_on_the_draft_asks_first(client_for, case, contact_teacher):
    """One click on "Fjern tiltaket" removed a measure with its tapering plan, without
    a question and without undo: the forms carry `data-confirm` (static/js/app.js)."""
    make_plan(case, by=contact_teacher, agreed=False)
    body = client_for(contact_teacher).get(url("draft", case)).content.decode()
    remove_action = f'action="{url("remove", case)}"'
    forms = [chunk for chunk in body.split("<form")[1:] if remove_action in chunk.split(">")[0]]
    # A goal, three measures, the special arrangement's steps and an attendance day.
    assert len(forms) >= 5
    question = 'data-confirm="Fjerne dette fra utkastet? Det kan ikke angres."'
    for form in forms:
        assert question in form.split(">")[0]


def test_compare_says_why_the_newer_version_was_made(client_for, case, contact_teacher):
    """The reason typed when version 2 was drafted ("Hvorfor planen endres") was on no
    page that compares the versions."""
    first = make_plan(case, by=contact_teacher)
    draft = next_plan_version(first, agree=False)
    PlanVersion.objects.filter(pk=draft.pk).update(
        change_reason="Eleven klarer mer: oppmøte flyttes til 08.30."
    )
    body = client_for(contact_teacher).get(url("compare", case) + "?fra=1&til=2").content.decode()
    assert "Hvorfor versjon 2 ble laget:" in body
    assert "Eleven klarer mer: oppmøte flyttes til 08.30." in body


def test_markers_on_the_same_day_share_one_label_in_the_chart(case, contact_teacher):
    """Agreeing a plan marks the version and each measure's start on one day: six
    numbers on one line, of which three rows showed only three (the rest hidden under
    them). They now share one label, "2–6", whose title names them all."""
    import re

    from django.template.loader import render_to_string

    from plans.chart import effect_chart
    from tests.factories import chart_version, plan_measure

    v1 = chart_version(case, contact_teacher, agreed_on=dt.date(2026, 9, 14), status="superseded")
    for n in range(4):
        plan_measure(v1, starts_on=dt.date(2026, 9, 21), what=f"Tiltak {n + 1}")
    chart_version(case, contact_teacher, agreed_on=dt.date(2026, 9, 21), number=2)

    chart = effect_chart(case, today=TODAY)
    same_day = [m for m in chart.markers if m.on == dt.date(2026, 9, 21)]
    assert len(same_day) == 5
    html = render_to_string("plans/includes/_effect_chart.html", {"chart": chart})
    shown = re.findall(r'font-weight="bold">([^<]+)</text>', html)
    first, last = same_day[0].number, same_day[-1].number
    assert f"{first}–{last}" in shown
    for m in same_day[1:]:
        assert str(m.number) not in shown
    assert all(m.label_y == same_day[0].label_y for m in same_day)
    assert "Tiltak 1; " in same_day[0].label_title and "Tiltak 4" in same_day[0].label_title
    # Every marker is still in the list under the chart.
    for m in chart.markers:
        assert f'<li value="{m.number}">' in html


def test_the_chart_words_agree_with_their_numbers(case, pupil, contact_teacher):
    """The chart's week titles and description read "1 hele dager, 1 timer" to a
    screen reader; one is singular now."""
    from plans.chart import ChartWeek

    week = ChartWeek(monday=dt.date(2026, 11, 9), school_days=5, days=1, lessons=1, late=1)
    assert week.title == "Uke 46: 1 hel dag, 1 time, 1 forsentkomming"
    week = ChartWeek(monday=dt.date(2026, 11, 9), school_days=5, days=2, lessons=3, late=0)
    assert week.title == "Uke 46: 2 hele dager, 3 timer, 0 forsentkomminger"


def test_a_stale_remove_says_nothing_was_removed_not_that_typing_was_kept(
    client_for, case, contact_teacher
):
    """A remove refused because someone else saved said "Det du skrev er tatt vare på
    nedenfor", though a remove button has nothing typed to keep."""
    draft = make_plan(case, by=contact_teacher, agreed=False)
    first, second = draft.measures.order_by("order")[:2]
    client = client_for(contact_teacher)
    seen = draft.revision
    client.post(url("remove", case), {"revision": seen, "kind": "measure", "item": first.pk})
    response = client.post(
        url("remove", case), {"revision": seen, "kind": "measure", "item": second.pk}, follow=True
    )
    body = response.content.decode()
    assert "så ingenting er fjernet" in body
    assert "Det du skrev er tatt vare på" not in body
    assert Measure.objects.filter(pk=second.pk).exists()


def test_compare_shows_changes_to_the_tapering_and_attendance_plans(
    client_for, case, contact_teacher
):
    """Moving a tapering step or the place the pupil is met made two versions look
    "Uendret" side by side: neither plan was compared."""
    from plans.models import AttendanceDay

    first = make_plan(case, by=contact_teacher)
    draft = next_plan_version(first, agree=False)
    special = _special(draft)
    step = special.steps.order_by("starts_on").last()
    TaperingStep.objects.filter(pk=step.pk).update(description="Full skoledag")
    AttendanceDay.objects.filter(version=draft).update(place="Klasserommet")
    body = client_for(contact_teacher).get(url("compare", case) + "?fra=1&til=2").content.decode()
    assert "Endret</strong>: nedtrappingsplan" in body
    assert "Full skoledag" in body
    row = body.split("Oppmøteplan per ukedag</th>")[1].split("</tr>")[0]
    assert "Biblioteket" in row and "Klasserommet" in row and "Endret" in row
