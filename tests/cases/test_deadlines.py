"""Deadlines on the case page, and the municipality's deadline settings (action and
page)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.actions.core import change_level
from cases.actions.deadlines import change_deadline_settings, set_deadline
from cases.deadlines import deadline_days, municipality_deadline_days
from cases.errors import CaseRuleError
from cases.models import Conversation, Deadline, DeadlineSetting, DeadlineSettingChange
from fravaer.models import Municipality, StaffRole
from tests.conftest import make_pupil, make_user

MEETING = Deadline.Kind.LEVEL1_MEETING


def _deadline(case, due, kind=MEETING):
    return set_deadline(case, kind, now=timezone.now(), due=due, by=None)


def _page(client, case) -> str:
    return client.get(f"/saker/{case.uuid}/").content.decode()


def settings_url(municipality) -> str:
    return f"/kommune/{municipality.pk}/frister/"


# --- deadlines start with the level -------------------------------------------------------


def _to_level1(case, by):
    Conversation.objects.create(
        case=case,
        held_on=dt.date(2026, 11, 17),
        with_whom="both",
        medium="phone",
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    return change_level(
        case, to="1", by=by, reason="Bekymringen er bekreftet.", version=case.version
    )


def test_moving_to_level1_starts_the_meeting_deadline_in_one_week(case, contact_teacher):
    _to_level1(case, contact_teacher)
    deadline = Deadline.objects.get(case=case)
    assert (deadline.kind, deadline.due) == (MEETING, dt.date(2026, 11, 25))


def test_the_municipalitys_setting_changes_the_meeting_deadline(
    case, contact_teacher, municipality, municipal_admin
):
    change_deadline_settings(municipality, days={MEETING: 5}, by=municipal_admin)
    _to_level1(case, contact_teacher)
    assert Deadline.objects.get(case=case).due == dt.date(2026, 11, 23)


# --- the case page section ------------------------------------------------------------


def test_case_page_shows_pending_deadline_with_days_left(client_for, contact_teacher, case):
    _deadline(case, dt.date(2026, 11, 25))
    html = _page(client_for(contact_teacher), case)
    assert "Møte med elev og foresatte (nivå 1)" in html
    assert "25.11.2026" in html and "om 7 dager" in html


def test_case_page_marks_a_passed_deadline(client_for, contact_teacher, case):
    _deadline(case, dt.date(2026, 11, 17))
    html = _page(client_for(contact_teacher), case)
    assert "Forfalt for 1 dag siden" in html
    assert "deadline--overdue" in html


def test_case_page_marks_a_deadline_due_today(client_for, contact_teacher, case):
    _deadline(case, dt.date(2026, 11, 18))
    assert "Frist i dag" in _page(client_for(contact_teacher), case)


def test_case_page_shows_met_and_cancelled_deadlines_as_history(client_for, contact_teacher, case):
    met = _deadline(case, dt.date(2026, 11, 20))
    Deadline.objects.filter(pk=met.pk).update(met_at=timezone.now())
    _deadline(case, dt.date(2026, 12, 1), kind=Deadline.Kind.EVALUATION_2A)
    _deadline(case, dt.date(2026, 12, 2), kind=Deadline.Kind.EVALUATION_2A)  # replaces it
    html = _page(client_for(contact_teacher), case)
    assert "Tidligere frister (2)" in html
    assert "overholdt 18.11.2026" in html
    assert "avbrutt 18.11.2026" in html
    assert "om 14 dager" in html


def test_case_page_without_deadlines_says_none_run(client_for, contact_teacher, case):
    assert "Ingen frister løper nå." in _page(client_for(contact_teacher), case)


def test_deadlines_section_costs_one_query_whatever_the_number(
    client_for, contact_teacher, case, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(contact_teacher)
    _deadline(case, dt.date(2026, 11, 25))
    _page(client, case)  # warm the per-user caches (unread count)
    with CaptureQueriesContext(connection) as few:
        _page(client, case)
    for kind in Deadline.Kind.values[1:]:
        _deadline(case, dt.date(2026, 11, 30), kind=kind)
    with CaptureQueriesContext(connection) as many:
        _page(client, case)
    assert len(many.captured_queries) == len(few.captured_queries)


# --- settings: the action ----------------------------------------------------------------


def test_deadline_settings_default_to_seed_004(municipality):
    assert municipality_deadline_days(municipality.pk) == {
        "level1_meeting": 7,
        "plan_evaluation": 21,
        "evaluation_2a": 21,
        "mapping_summary_2b": 21,
        "evaluation_2b": 21,
    }


def test_change_deadline_settings_saves_and_logs(municipality, municipal_admin):
    changes = change_deadline_settings(
        municipality, days={MEETING: 5, "evaluation_2a": 21}, by=municipal_admin
    )
    assert deadline_days(municipality.pk, MEETING) == 5
    assert [(c.kind, c.days_before, c.days_after, c.by) for c in changes] == [
        (MEETING, 7, 5, municipal_admin)
    ]
    assert DeadlineSettingChange.objects.count() == 1


def test_change_deadline_settings_logs_each_change_append_only(municipality, municipal_admin):
    change_deadline_settings(municipality, days={MEETING: 5}, by=municipal_admin)
    change_deadline_settings(municipality, days={MEETING: 10}, by=municipal_admin)
    log = list(
        DeadlineSettingChange.objects.order_by("pk").values_list("days_before", "days_after")
    )
    assert log == [(7, 5), (5, 10)]
    assert DeadlineSetting.objects.get().days == 10


@pytest.mark.parametrize("days", [0, 91, -3])
def test_change_deadline_settings_refuses_days_outside_1_to_90(municipality, municipal_admin, days):
    with pytest.raises(CaseRuleError) as exc:
        change_deadline_settings(municipality, days={MEETING: days}, by=municipal_admin)
    assert exc.value.code == "deadline_days_range"
    assert not DeadlineSetting.objects.exists()


def test_change_deadline_settings_refuses_an_unknown_kind(municipality, municipal_admin):
    with pytest.raises(CaseRuleError) as exc:
        change_deadline_settings(municipality, days={"nonsense": 5}, by=municipal_admin)
    assert exc.value.code == "deadline_kind_unknown"


def test_settings_of_one_municipality_do_not_touch_another(municipality, municipal_admin):
    other = Municipality.objects.create(name="Annenvik")
    change_deadline_settings(municipality, days={MEETING: 3}, by=municipal_admin)
    assert deadline_days(other.pk, MEETING) == 7


def test_running_deadlines_keep_their_date(case, municipality, municipal_admin):
    deadline = _deadline(case, dt.date(2026, 11, 25))
    change_deadline_settings(municipality, days={MEETING: 3}, by=municipal_admin)
    deadline.refresh_from_db()
    assert deadline.due == dt.date(2026, 11, 25)


# --- settings: the page --------------------------------------------------------------


def _form(**override):
    data = {
        kind: str(days)
        for kind, days in {
            "level1_meeting": 7,
            "plan_evaluation": 21,
            "evaluation_2a": 21,
            "mapping_summary_2b": 21,
            "evaluation_2b": 21,
        }.items()
    }
    data.update(override)
    return data


def test_settings_page_shows_defaults_and_sources(client_for, municipal_admin, municipality):
    html = client_for(municipal_admin).get(settings_url(municipality)).content.decode()
    assert 'value="7"' in html
    assert "Færder kommune, nivå 1" in html and "seed" not in html
    assert "innen 1 uke fra bekymring" in html


def test_settings_page_saves_and_shows_the_log(client_for, municipal_admin, municipality):
    client = client_for(municipal_admin)
    response = client.post(settings_url(municipality), _form(level1_meeting="5"))
    assert response.status_code == 302
    assert deadline_days(municipality.pk, MEETING) == 5
    html = client.get(settings_url(municipality)).content.decode()
    assert "Lagret: 1 frist er endret." in html
    assert 'value="5"' in html


def test_settings_page_refuses_bad_input_and_keeps_it(client_for, municipal_admin, municipality):
    response = client_for(municipal_admin).post(
        settings_url(municipality), _form(level1_meeting="91", evaluation_2a="tre")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Fristen må være mellom 1 og 14 dager." in html
    assert "Skriv et helt antall dager" in html
    assert 'value="91"' in html and 'value="tre"' in html
    assert 'aria-invalid="true"' in html
    assert not DeadlineSetting.objects.exists()


@pytest.mark.parametrize(("kind", "days"), [("evaluation_2a", 13), ("mapping_summary_2b", 22)])
def test_change_deadline_settings_keeps_2a_evaluation_and_2b_summary_within_2_to_3_weeks(
    municipality, municipal_admin, kind, days
):
    with pytest.raises(CaseRuleError) as exc:
        change_deadline_settings(municipality, days={kind: days}, by=municipal_admin)
    assert exc.value.code == "deadline_days_range"
    assert "mellom 14 og 21 dager" in exc.value.message
    assert not DeadlineSetting.objects.exists()


@pytest.mark.parametrize(
    ("kind", "days"), [("level1_meeting", 15), ("plan_evaluation", 6), ("plan_evaluation", 43)]
)
def test_change_deadline_settings_refuses_meeting_and_plan_days_outside_their_range(
    municipality, municipal_admin, kind, days
):
    with pytest.raises(CaseRuleError) as exc:
        change_deadline_settings(municipality, days={kind: days}, by=municipal_admin)
    assert exc.value.code == "deadline_days_range"


def test_change_deadline_settings_accepts_the_ends_of_each_range(municipality, municipal_admin):
    days = {"level1_meeting": 14, "plan_evaluation": 7, "evaluation_2a": 14}
    change_deadline_settings(municipality, days=days, by=municipal_admin)
    assert municipality_deadline_days(municipality.pk) == {
        **days,
        "mapping_summary_2b": 21,
        "evaluation_2b": 21,
    }


def test_settings_page_refuses_2a_evaluation_outside_2_to_3_weeks_and_keeps_the_typed_values(
    client_for, municipal_admin, municipality
):
    response = client_for(municipal_admin).post(
        settings_url(municipality),
        _form(level1_meeting="5", evaluation_2a="30", mapping_summary_2b="10"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["evaluation_2a"] == ["Fristen må være mellom 14 og 21 dager."]
    assert errors["mapping_summary_2b"] == ["Fristen må være mellom 14 og 21 dager."]
    assert 'value="5"' in html and 'value="30"' in html and 'value="10"' in html
    assert not DeadlineSetting.objects.exists()


def test_settings_page_shows_each_kinds_range(client_for, municipal_admin, municipality):
    html = client_for(municipal_admin).get(settings_url(municipality)).content.decode()
    assert "Mellom 1 og 14 dager." in html
    assert "Mellom 7 og 42 dager." in html
    assert html.count("Mellom 14 og 21 dager.") == 2


def test_settings_page_requires_login(client, municipality):
    response = client.get(settings_url(municipality))
    assert response.status_code == 302
    assert response["Location"].startswith("/logg-inn/")


@pytest.mark.parametrize("persona", ["leader", "team_member", "contact_teacher", "ppt_advisor"])
def test_settings_page_is_404_for_other_roles(client_for, request, persona, municipality):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(settings_url(municipality)).status_code == 404
    assert client_for(user).post(settings_url(municipality), _form()).status_code == 404


def test_settings_page_is_404_for_another_municipalitys_admin(client_for, municipality):
    other = Municipality.objects.create(name="Annenvik")
    admin = make_user("admin@annenvik.no")
    StaffRole.objects.create(user=admin, role="municipal_admin", municipality=other)
    assert client_for(admin).get(settings_url(municipality)).status_code == 404


def test_rule_settings_page_links_to_deadline_settings(client_for, municipal_admin, municipality):
    html = client_for(municipal_admin).get(f"/kommune/{municipality.pk}/regler/").content.decode()
    assert f'href="{settings_url(municipality)}"' in html


# --- the start page: my cases ---------------------------------------------------------------


def test_the_start_page_lists_my_cases_most_pressing_first(
    client_for, contact_teacher, case, other_pupil, outsider
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.cases.conftest import make_case

    _to_level1(case, contact_teacher)  # the one-week meeting deadline: 25.11.2026
    client = client_for(contact_teacher)
    html = client.get("/").content.decode()
    section = html[html.index('id="h-my-cases"') :]
    assert case.pupil.full_name in section
    # Above the flagged pupils, which can be a long list.
    assert html.index('id="h-my-cases"') < html.index('id="h-flagged"')
    assert "Neste frist: Møte med elev og foresatte (nivå 1), 25.11.2026." in section
    # Passed, it says so.
    Deadline.objects.filter(case=case).update(due=dt.date(2026, 11, 10))
    section = client.get("/").content.decode()
    assert "fristen 10.11.2026 er passert" in section
    # Someone else's pupil's case is not mine to follow up.
    other = make_case(other_pupil, by=outsider)
    assert other.pupil.full_name not in client.get("/").content.decode()
    # One query for the list, whatever its length.
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    make_case(make_pupil(case.pupil.enrollments.first().group, first="Tredje"), by=contact_teacher)
    with CaptureQueriesContext(connection) as two:
        page = client.get("/").content.decode()
    assert "Tredje" in page and len(two) == len(one)


def test_pending_deadlines_are_neither_met_nor_cancelled(case):
    from tests.factories import make_deadline

    now = timezone.now()
    today = timezone.localdate()
    running = make_deadline(case, today, kind="level1_meeting")
    met = make_deadline(case, today, kind="plan_evaluation")
    met.met_at = now
    met.save()
    cancelled = make_deadline(case, today, kind="evaluation_2a")
    cancelled.cancelled_at = now
    cancelled.save()
    assert list(Deadline.objects.filter(case=case).pending()) == [running]
