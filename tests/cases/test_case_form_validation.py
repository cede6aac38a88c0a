"""Case forms refuse what cannot be true at the field that holds it: the consent
form's date limits, date errors shown at their field in the conversation and meeting
forms (not only in the summary), and the case board's filters (an unknown value drops
only its own filter; the owner filter lists everyone who may be given a case)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cases.actions.consent import record_consent, years_after
from cases.actions.meetings import MEETING_WINDOW_DAYS, assign_task
from cases.errors import CaseRuleError
from cases.forms.consent import ConsentForm
from cases.forms.meetings import ConversationForm, MeetingForm, TaskForm
from cases.models import Case, Consent, Conversation, Meeting, Service
from fravaer.models import StaffRole, User
from tests.cases.conftest import make_case
from tests.conftest import TODAY, _assign, make_group, make_pupil, make_user
from tests.pages import consent_form_data, consent_url

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
BORN = dt.date(2014, 1, 1)  # tests/conftest.py's make_pupil


def _input(page: str, name: str) -> str:
    """The <input>/<select>/<textarea> tag named `name` in the page."""
    match = re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', page)
    assert match, f"no field {name}"
    return match.group(0)


def assert_error_at(page: str, field_id: str, text: str) -> None:
    """The message is under the field, the field is invalid and points at it, and the
    error summary links to the field."""
    assert f'id="{field_id}-err"' in page
    err = re.search(rf'<p [^>]*id="{field_id}-err"[^>]*>(.*?)</p>', page, re.S)
    assert err and text in err.group(1)
    tag = re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in tag
    assert f"{field_id}-err" in re.search(r'aria-describedby="([^"]*)"', tag).group(1)
    assert re.search(rf'<a class="ds-link" href="#{field_id}">[^<]*{re.escape(text)}', page)


# --- consent: the dates ------------------------------------------------------------------


def consent_form(pupil, **data) -> ConsentForm:
    values = {
        "service": Service.PPT,
        "purpose": "Kartlegging og tiltak",
        "guardians": [g.pk for g in pupil.guardians.all()],
        "given_on": TODAY.isoformat(),
        **{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()},
    }
    return ConsentForm(values, guardians=pupil.guardians.all(), pupil=pupil)


def test_consent_given_on_the_pupils_birth_date_is_accepted(pupil):
    assert consent_form(pupil, given_on=BORN).is_valid()


def test_consent_given_before_the_pupil_was_born_is_refused_at_the_date(pupil):
    form = consent_form(pupil, given_on=BORN - DAY)
    assert not form.is_valid()
    assert form.errors["given_on"] == ["Datoen kan ikke være før eleven ble født (01.01.2014)."]
    assert not form.non_field_errors()


def test_consent_given_in_1900_is_refused(pupil):
    assert "given_on" in consent_form(pupil, given_on=dt.date(1900, 1, 1)).errors


def test_consent_given_today_is_accepted_and_tomorrow_refused(pupil):
    assert consent_form(pupil, given_on=TODAY).is_valid()
    form = consent_form(pupil, given_on=TODAY + DAY)
    assert form.errors["given_on"] == ["Datoen samtykket ble gitt kan ikke være fram i tid."]


def test_consent_expiring_today_is_accepted(pupil):
    assert consent_form(pupil, expires_on=TODAY).is_valid()


def test_consent_expiring_yesterday_is_refused_at_the_expiry(pupil):
    form = consent_form(pupil, given_on=TODAY - 30 * DAY, expires_on=TODAY - DAY)
    assert not form.is_valid()
    assert form.errors["expires_on"][0].startswith("Utløpsdatoen kan ikke være tilbake i tid.")
    assert list(form.errors) == ["expires_on"]


def test_consent_may_last_three_years_from_the_day_it_was_given(pupil):
    given = dt.date(2026, 1, 10)
    assert consent_form(pupil, given_on=given, expires_on=dt.date(2029, 1, 10)).is_valid()
    form = consent_form(pupil, given_on=given, expires_on=dt.date(2029, 1, 11))
    assert form.errors["expires_on"] == [
        "Utløpsdatoen kan være høyst 3 år etter datoen samtykket ble gitt, det vil si senest "
        "10.01.2029. Registrer et nytt samtykke når dette utløper."
    ]


def test_consent_expiring_in_2199_is_refused(pupil):
    assert "expires_on" in consent_form(pupil, expires_on=dt.date(2199, 12, 31)).errors


def test_consent_expiry_limit_counts_from_today_when_the_given_date_is_wrong(pupil):
    form = consent_form(pupil, given_on=TODAY + DAY, expires_on=years_after(TODAY, 3) + DAY)
    assert set(form.errors) == {"given_on", "expires_on"}


def test_three_years_after_29_february_is_28_february():
    assert years_after(dt.date(2028, 2, 29), 3) == dt.date(2031, 2, 28)


def test_consent_date_pickers_offer_only_possible_days(pupil):
    form = ConsentForm(guardians=pupil.guardians.all(), pupil=pupil)
    assert form.fields["given_on"].widget.attrs["min"] == "2014-01-01"
    assert form.fields["given_on"].widget.attrs["max"] == TODAY.isoformat()
    assert form.fields["expires_on"].widget.attrs["min"] == TODAY.isoformat()
    assert form.fields["expires_on"].widget.attrs["max"] == "2029-11-18"


def test_consent_page_shows_a_wrong_given_date_at_the_field(client_for, case, contact_teacher):
    response = client_for(contact_teacher).post(
        consent_url(case), consent_form_data(case, given_on="1900-01-01", expires_on="2199-01-01")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert_error_at(page, "id_given_on", "før eleven ble født")
    assert_error_at(page, "id_expires_on", "høyst 3 år")
    # The help text stays tied to the expiry, beside its message.
    assert 'aria-describedby="id_expires_on-hint id_expires_on-err"' in page
    assert 'value="1900-01-01"' in page and 'value="2199-01-01"' in page
    assert not Consent.objects.exists()


def test_consent_page_records_a_consent_within_the_limits(client_for, case, contact_teacher):
    response = client_for(contact_teacher).post(
        consent_url(case), consent_form_data(case, expires_on="2029-11-18")
    )
    assert response.status_code == 302
    assert Consent.objects.get(case=case).expires_on == dt.date(2029, 11, 18)


def test_withdrawal_refused_by_the_action_is_tied_to_the_date(client_for, case, contact_teacher):
    consent = record_consent(
        case,
        service=Service.PPT,
        purpose="Kartlegging",
        guardians=case.pupil.guardians.all(),
        given_on=TODAY - 10 * DAY,
        by=contact_teacher,
    )
    response = client_for(contact_teacher).post(
        consent_url(case, f"samtykke/{consent.pk}/trekk/"),
        {"withdrawn_on": (TODAY - 20 * DAY).isoformat()},
    )
    assert_error_at(response.content.decode(), "id_withdrawn_on", "trukket før det ble gitt")


def test_consent_refusal_from_the_action_is_tied_to_its_field(
    client_for, case, contact_teacher, pupil
):
    """The pupil's own consent (from 15) is the action's rule: shown at the checkbox."""
    pupil.birth_date = dt.date(2010, 1, 1)
    pupil.save(update_fields=["birth_date"])
    page = client_for(contact_teacher).post(consent_url(case), consent_form_data(case))
    tag = _input(page.content.decode(), "pupil_consented")
    assert 'aria-invalid="true"' in tag
    assert 'aria-describedby="id_pupil_consented-err"' in tag


# --- conversations and meetings: date errors at the date ---------------------------------


def _conversation_data(**extra) -> dict:
    return {
        "held_on": TODAY.isoformat(),
        "with_whom": Conversation.With.values[0],
        "medium": Conversation.Medium.values[0],
        "summary": "Eleven sier at mandager er tunge.",
        **extra,
    }


def test_conversation_a_year_ago_is_accepted(case):
    day = TODAY - dt.timedelta(days=MEETING_WINDOW_DAYS)
    assert ConversationForm(_conversation_data(held_on=day.isoformat())).is_valid()


def test_conversation_more_than_a_year_ago_is_refused_at_the_date(case):
    day = TODAY - dt.timedelta(days=MEETING_WINDOW_DAYS + 1)
    form = ConversationForm(_conversation_data(held_on=day.isoformat()))
    assert form.errors["held_on"] == ["Samtalen må være holdt i løpet av det siste året."]
    assert not form.non_field_errors()


def test_conversation_page_shows_date_errors_at_the_date(client_for, case, contact_teacher):
    old = (TODAY - dt.timedelta(days=MEETING_WINDOW_DAYS + 1)).isoformat()
    response = client_for(contact_teacher).post(
        f"/saker/{case.uuid}/samtaler/ny/", _conversation_data(held_on=old)
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert_error_at(page, "id_held_on", "i løpet av det siste året")
    assert f'value="{old}"' in page
    assert "Eleven sier at mandager er tunge." in page
    assert not Conversation.objects.exists()


def test_conversation_page_shows_the_actions_refusal_at_its_field(
    client_for, case, contact_teacher, monkeypatch
):
    """A rule only the action knows (here: a refusal for a date) goes to its field."""

    def refuse(*args, **kwargs):
        raise CaseRuleError("Samtalen er for gammel.", code="conversation_too_old")

    monkeypatch.setattr("cases.views.meetings.log_conversation", refuse)
    page = client_for(contact_teacher).post(
        f"/saker/{case.uuid}/samtaler/ny/", _conversation_data()
    )
    assert_error_at(page.content.decode(), "id_held_on", "Samtalen er for gammel.")


def test_conversation_missing_choice_links_to_its_fieldset(client_for, case, contact_teacher):
    data = _conversation_data()
    del data["with_whom"]
    page = client_for(contact_teacher).post(f"/saker/{case.uuid}/samtaler/ny/", data)
    html = page.content.decode()
    assert '<fieldset class="ds-fieldset" id="id_with_whom"' in html
    assert '<a class="ds-link" href="#id_with_whom">' in html
    # Only the fieldset points at the message: the radios have no "-err" of their own.
    assert 'aria-describedby="-err"' not in html


def test_date_pickers_offer_the_days_the_forms_accept(case):
    conversation = ConversationForm().fields["held_on"].widget.attrs
    assert (conversation["min"], conversation["max"]) == ("2025-11-17", "2026-11-18")
    meeting = _meeting_form(case).fields["date"].widget.attrs
    assert (meeting["min"], meeting["max"]) == ("2025-11-17", "2027-11-19")


def test_unknown_rule_stays_above_the_form(case):
    form = ConversationForm(_conversation_data())
    assert form.is_valid()
    form.add_rule_error(CaseRuleError("Skriv noe.", code="conversation_empty"))
    assert form.non_field_errors() == ["Skriv noe."]


def _meeting_form(case, **extra) -> MeetingForm:
    data = {
        "kind": Meeting.Kind.LEVEL1,
        "date": TODAY.isoformat(),
        "time": "10:00",
        "duration_minutes": 60,
        "place": "Møterom 2",
        **extra,
    }
    return MeetingForm(
        data, guardians=case.pupil.guardians.all(), staff=case.pupil.guardians.none(), level="1"
    )


@pytest.mark.parametrize("days", [MEETING_WINDOW_DAYS, -MEETING_WINDOW_DAYS])
def test_meeting_up_to_a_year_from_today_is_accepted(case, days):
    day = TODAY + dt.timedelta(days=days)
    assert _meeting_form(case, date=day.isoformat()).is_valid()


@pytest.mark.parametrize("days", [MEETING_WINDOW_DAYS + 1, -MEETING_WINDOW_DAYS - 1])
def test_meeting_more_than_a_year_from_today_is_refused_at_the_date(case, days):
    form = _meeting_form(case, date=(TODAY + dt.timedelta(days=days)).isoformat())
    assert form.errors["date"] == [
        "Møtetidspunktet må være fra 17.11.2025 til 19.11.2027 (ett år før eller etter i dag)."
    ]
    assert not form.non_field_errors()


def test_meeting_page_shows_the_date_error_at_the_date(client_for, case, contact_teacher):
    far = (TODAY + dt.timedelta(days=MEETING_WINDOW_DAYS + 1)).isoformat()
    data = {
        "kind": Meeting.Kind.LEVEL1,
        "date": far,
        "time": "10:00",
        "duration_minutes": 60,
        "place": "Møterom 2",
    }
    response = client_for(contact_teacher).post(f"/saker/{case.uuid}/moter/nytt/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert_error_at(page, "id_date", "ett år før eller etter i dag")
    assert f'value="{far}"' in page and 'value="Møterom 2"' in page
    assert not Meeting.objects.exists()


def test_meeting_page_shows_the_actions_refusal_at_its_field(
    client_for, case, contact_teacher, monkeypatch
):
    def refuse(*args, **kwargs):
        raise CaseRuleError("For langt unna.", code="meeting_date_out_of_range")

    monkeypatch.setattr("cases.views.meetings.schedule_meeting", refuse)
    data = {
        "kind": Meeting.Kind.LEVEL1,
        "date": TODAY.isoformat(),
        "time": "10:00",
        "duration_minutes": 60,
        "place": "Møterom 2",
    }
    page = client_for(contact_teacher).post(f"/saker/{case.uuid}/moter/nytt/", data)
    assert_error_at(page.content.decode(), "id_date", "For langt unna.")


def test_task_due_refused_by_the_action_is_shown_at_the_due_date(case):
    form = TaskForm(
        {"description": "Snakk med treneren", "assignee": "", "due": TODAY.isoformat()},
        participants=[],
        staff=[],
    )
    form.is_valid()
    form.add_rule_error(CaseRuleError("Fristen har gått ut.", code="task_due_in_past"))
    assert "Fristen har gått ut." in form.errors["due"]
    assert form.fields["due"].widget.attrs["aria-describedby"] == "id_due-err"
    assert form.fields["due"].widget.attrs["aria-invalid"] == "true"


def test_task_due_more_than_a_year_ahead_is_refused_at_the_field(case, contact_teacher):
    far = TODAY + dt.timedelta(days=MEETING_WINDOW_DAYS + 1)
    form = TaskForm(
        {"description": "Snakk med treneren", "assignee": "", "due": far.isoformat()},
        participants=[],
        staff=[],
    )
    assert not form.is_valid()
    assert form.errors["due"] == ["Fristen må være innen ett år fra i dag."]
    Case.objects.filter(pk=case.pk).update(level="2A")  # tasks belong to nivå 2
    case.refresh_from_db()
    with pytest.raises(CaseRuleError) as error:
        assign_task(
            case, description="x", due=far, assignee_user=contact_teacher, by=contact_teacher
        )
    assert error.value.code == "task_due_too_far"


# --- the case board: filters -------------------------------------------------------------


@pytest.fixture
def three_cases(case, school, school_year, contact_teacher, team_member):
    """Ola (5A, nivå 0), Per (6B, nivå 1, owned by the team), Siri (5A, nivå 1)."""
    group_6b = make_group(school, school_year, name="6B", grade=6)
    teacher_6b = _assign(make_user("kontakt6b@nordby.no"), group_6b, "contact")
    per = make_case(make_pupil(group_6b, first="Per"), by=teacher_6b, owner=team_member)
    siri = make_case(
        make_pupil(case.pupil.enrollments.first().group, first="Siri"), by=contact_teacher
    )
    Case.objects.filter(pk__in=[per.pk, siri.pk]).update(level="1")
    return {"ola": case, "per": per, "siri": siri, "6b": group_6b, "teacher_6b": teacher_6b}


def _board(client, school, query=""):
    return client.get(f"/skole/{school.pk}/saker/{query}")


def _shown(response) -> set[str]:
    return {row["case"].pupil.first_name for s in response.context["levels"] for row in s["rows"]}


def _owner_options(response) -> dict[int, str]:
    choices = response.context["form"].fields["ansvarlig"].choices
    return {pk: name for _label, group in choices[1:] for pk, name in group}


def test_unknown_owner_in_the_link_keeps_the_other_filters(
    client_for, team_member, school, three_cases
):
    response = _board(client_for(team_member), school, "?nivaa=1&ansvarlig=abc")
    assert _shown(response) == {"Per", "Siri"}
    page = response.content.decode()
    assert "Filteret «Saksansvarlig» i lenken har en verdi som ikke finnes her" in page
    # The select is reset to "all", and not marked as an error.
    assert response.context["form"]["ansvarlig"].value() is None
    assert 'aria-invalid="true"' not in _input(page, "ansvarlig")
    assert response.context["form"]["nivaa"].value() == "1"


def test_last_years_class_in_the_link_keeps_level_and_overdue(
    client_for, team_member, school, three_cases
):
    response = _board(client_for(team_member), school, "?nivaa=1&klasse=999999&forfalt=")
    assert _shown(response) == {"Per", "Siri"}
    assert "«Klasse»" in response.context["ignored"]


def test_two_unknown_filters_are_both_named(client_for, team_member, school, three_cases):
    response = _board(
        client_for(team_member), school, f"?nivaa=9&ansvarlig=x&klasse={three_cases['6b'].pk}"
    )
    assert _shown(response) == {"Per"}
    assert response.context["ignored"].startswith("Filtrene «Nivå» og «Saksansvarlig» i lenken")


def test_valid_filters_give_no_notice(client_for, team_member, school, three_cases):
    response = _board(client_for(team_member), school, f"?nivaa=1&ansvarlig={team_member.pk}")
    assert _shown(response) == {"Per"}
    assert response.context["ignored"] == ""
    assert "i lenken" not in response.content.decode()


def test_htmx_results_carry_the_notice(client_for, team_member, school, three_cases):
    response = client_for(team_member).get(
        f"/skole/{school.pk}/saker/?nivaa=1&ansvarlig=abc", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board-results">')
    assert "Filteret «Saksansvarlig»" in html


def test_owner_filter_lists_who_may_be_given_a_case_before_they_have_one(
    client_for, team_member, school, three_cases, contact_teacher
):
    colleague = make_user("kollega@nordby.no", first_name="Kari", last_name="Kollega")
    StaffRole.objects.create(user=colleague, school=school, role=StaffRole.Role.ENVIRONMENT_TEAM)
    options = _owner_options(_board(client_for(team_member), school))
    assert colleague.pk in options  # the team, without a case yet
    assert three_cases["teacher_6b"].pk in options  # 6B's contact teacher, Per's class
    assert contact_teacher.pk in options


def test_owner_filter_after_assigning_a_first_case_finds_it(
    client_for, team_member, school, three_cases
):
    """Assigning in place does not reload the filter: the new owner must already be
    choosable, and the filter must find the case."""
    colleague = make_user("kollega@nordby.no")
    StaffRole.objects.create(user=colleague, school=school, role=StaffRole.Role.ENVIRONMENT_TEAM)
    client = client_for(team_member)
    assert colleague.pk in _owner_options(_board(client, school))
    siri = three_cases["siri"]
    client.post(
        f"/skole/{school.pk}/saker/{siri.uuid}/saksansvarlig/",
        {"owner": colleague.pk, "version": siri.version},
        headers={"HX-Request": "true"},
    )
    response = _board(client, school, f"?ansvarlig={colleague.pk}")
    assert _shown(response) == {"Siri"}
    assert response.context["ignored"] == ""


def test_owner_filter_groups_the_team_teachers_and_former_members(
    client_for, team_member, school, three_cases, leader
):
    StaffRole.objects.filter(user=team_member, school=school).delete()
    response = _board(client_for(leader), school)
    labels = [label for label, _group in response.context["form"].fields["ansvarlig"].choices]
    assert labels == ["", "Kontaktlærere", "Andre med saker"]
    others = dict(response.context["form"].fields["ansvarlig"].choices[2][1])
    assert team_member.pk in others  # still owns Per's case: the filter must find it
    assert _shown(_board(client_for(leader), school, f"?ansvarlig={team_member.pk}")) == {"Per"}


def test_owner_filter_lists_a_person_once(client_for, team_member, school, three_cases):
    _assign(team_member, three_cases["6b"], "contact")  # on the team and 6B's teacher
    choices = _board(client_for(team_member), school).context["form"].fields["ansvarlig"].choices
    pks = [pk for _label, group in choices[1:] for pk, _name in group]
    assert pks.count(team_member.pk) == 1


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_board_queries_do_not_grow_with_owners_or_unknown_filters(
    client_for, team_member, school, school_year, three_cases
):
    client = client_for(team_member)
    url = f"/skole/{school.pk}/saker/"
    client.get(url)  # warm the per-user caches
    few = _queries(client, url)
    for i in range(5):
        group = make_group(school, school_year, name=f"{i}Q")
        teacher = _assign(make_user(), group, "contact")
        make_case(make_pupil(group), by=teacher)
        StaffRole.objects.create(user=make_user(), school=school, role="environment_team")
    assert _queries(client, url) == few
    assert _queries(client, url + "?nivaa=1&ansvarlig=abc&klasse=x") == few


def test_the_2a_coordinator_is_required_at_its_field(case, contact_teacher):
    from cases.forms.case import LevelForm

    Case.objects.filter(pk=case.pk).update(level="1")
    case.refresh_from_db()
    form = LevelForm(
        {"niva-2a-reason": "Tiltakene virker ikke.", "niva-2a-version": case.version},
        case=case,
        to="2A",
        coordinators=User.objects.filter(pk=contact_teacher.pk),
    )
    assert form.fields["coordinator"].required
    assert not form.is_valid()
    assert form.errors["coordinator"] == ["Velg en stafettholder for det tverrfaglige arbeidet."]


def test_the_consent_page_shows_the_expiry_hint_tied_to_its_field(
    client_for, case, contact_teacher
):
    """The hint is set after the form's fields are tied: it must still reach the page."""
    html = client_for(contact_teacher).get(consent_url(case)).content.decode()
    assert 'id="id_expires_on-hint">La feltet stå tomt hvis samtykket gjelder til det' in html
    assert 'aria-describedby="id_expires_on-hint"' in html
