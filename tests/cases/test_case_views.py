"""The case page's own workflow through its views: level moves, owner, the
safe-environment duty, notes, closing and reopening; refusals keep what was typed;
concurrent edits are caught; negative tests; bounded queries."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cases.actions.core import add_note, attach_flags, close_case
from cases.actions.timeline import add_event
from cases.models import Case, CaseEvent, CaseNote, Level
from tests.factories import at_level, consent, conversation, make_flag


def url(name, case):
    return reverse(f"cases:{name}", args=[case.uuid])


def level_post(case, to, **fields):
    prefix = f"niva-{to.lower()}"
    data = {"to": to, f"{prefix}-version": case.version, f"{prefix}-reason": "Bekymringen står."}
    data.update({f"{prefix}-{k}": v for k, v in fields.items()})
    return data


# --- the page ---------------------------------------------------------------------------


def test_case_page_shows_header_level_guide_and_timeline(client_for, case, contact_teacher):
    flag = make_flag(case.pupil)
    attach_flags(case, [flag], now=timezone.now())
    html = client_for(contact_teacher).get(url("case", case)).content.decode()
    assert "Nordby skole" in html and "klasse 5A" in html
    assert "Mye fravær på mandager." in html
    assert flag.explanation() in html
    assert "Avklar om det er grunn til bekymring." in html
    assert "Flytt til Nivå 1 – iverksette tiltak" in html
    assert "Registrer minst én undringssamtale" in html
    assert '<ol class="timeline" reversed>' in html
    assert "Sak opprettet" in html


def test_case_page_anonymous_redirects_to_login(client, case):
    response = client.get(url("case", case))
    assert response.status_code == 302


@pytest.mark.parametrize("persona", ["outsider", "subject_teacher", "nurse", "ppt_advisor"])
def test_case_page_is_404_for_others(request, client_for, case, persona):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(url("case", case)).status_code == 404


def test_case_page_timeline_newest_first_with_levels(client_for, case, contact_teacher):
    conversation(case, contact_teacher)
    client = client_for(contact_teacher)
    client.post(url("case_level", case), level_post(case, Level.NIVA_1))
    timeline = client.get(url("case", case)).context["timeline"]
    assert timeline[0].at >= timeline[-1].at
    moved = next(e for e in timeline if e.kind == CaseEvent.Kind.LEVEL_CHANGED)
    assert (moved.level_from_label, moved.level_to_label) == (
        "Nivå 0 – undring",
        "Nivå 1 – iverksette tiltak",
    )


def _page_queries(client, case) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url("case", case)).status_code == 200
    return len(ctx.captured_queries)


def test_case_page_queries_do_not_grow_with_events_flags_and_notes(
    client_for, case, contact_teacher, django_assert_max_num_queries
):
    client = client_for(contact_teacher)
    now = timezone.now()
    # One of each: the timeline reads the rows its events name, one query per kind.
    attach_flags(case, [make_flag(case.pupil, period_key="one")], now=now)
    client.get(url("case", case))  # warm session and caches
    few = _page_queries(client, case)
    for i in range(3):
        flag = make_flag(case.pupil, period_key=f"many-{i}")
        attach_flags(case, [flag], now=now)
    for i in range(20):
        add_event(case, CaseEvent.Kind.NOTE_ADDED, by=contact_teacher, now=now, text=f"e{i}")
        add_note(case, text=f"Notat {i}", by=contact_teacher, basis="owner")
    assert _page_queries(client, case) == few
    with django_assert_max_num_queries(40):
        client.get(url("case", case))


# --- level ------------------------------------------------------------------------------


def test_level_move_from_page(client_for, case, contact_teacher, leader):
    conversation(case, contact_teacher)
    response = client_for(contact_teacher).post(
        url("case_level", case), level_post(case, Level.NIVA_1)
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.level == Level.NIVA_1


def test_level_refusal_shows_message_and_keeps_reason(client_for, case, contact_teacher):
    data = level_post(case, Level.NIVA_1, reason="Min grunn, skrevet selv")
    response = client_for(contact_teacher).post(url("case_level", case), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Registrer minst én undringssamtale" in html
    assert "Min grunn, skrevet selv" in html
    case.refresh_from_db()
    assert case.level == Level.NIVA_0


def test_level_requires_reason_in_form(client_for, case, contact_teacher):
    conversation(case, contact_teacher)
    data = level_post(case, Level.NIVA_1, reason="")
    html = client_for(contact_teacher).post(url("case_level", case), data).content.decode()
    assert "Skriv kort hvorfor saken flyttes til et annet nivå." in html


def test_level_2a_form_asks_coordinator_and_leaders(client_for, case, contact_teacher, team_member):
    at_level(case, Level.NIVA_1, ready=False)
    consent(case, contact_teacher)
    client = client_for(contact_teacher)
    html = client.get(url("case", case)).content.decode()
    assert 'name="niva-2a-coordinator"' in html and 'name="niva-2a-leaders_informed"' in html
    data = level_post(case, Level.NIVA_2A, coordinator=team_member.pk)
    html = client.post(url("case_level", case), data).content.decode()
    assert "Skoleledelsen må være orientert før saken går til nivå 2A." in html
    data = level_post(case, Level.NIVA_2A, coordinator=team_member.pk, leaders_informed="on")
    client.post(url("case_level", case), data)
    case.refresh_from_db()
    assert (case.level, case.coordinator) == (Level.NIVA_2A, team_member)


def test_level_2b_form_defaults_summary_to_three_weeks(client_for, case, contact_teacher):
    at_level(case, Level.NIVA_2A)
    forms = client_for(contact_teacher).get(url("case", case)).context["level_forms"]
    to_2b = next(f for f in forms if f.to == Level.NIVA_2B)
    assert to_2b["summary_due"].value() == dt.date(2026, 12, 9)


def test_level_2b_form_says_which_dates_the_summary_may_have(client_for, case, contact_teacher):
    at_level(case, Level.NIVA_2A)
    response = client_for(contact_teacher).get(url("case", case))
    to_2b = next(f for f in response.context["level_forms"] if f.to == Level.NIVA_2B)
    hint = to_2b["summary_due"]
    html = response.content.decode()
    # The hint is on the page, tied to the field, with the window's dates.
    assert f'id="{hint.id_for_label}-hint">Fra ' in html
    assert "09.12.2026 (kommunens frist).</p>" in html
    assert f'aria-describedby="{hint.id_for_label}-hint"' in html


def test_level_page_offers_only_allowed_moves(client_for, case, contact_teacher):
    at_level(case, Level.NIVA_2A)
    forms = client_for(contact_teacher).get(url("case", case)).context["level_forms"]
    assert sorted(f.to for f in forms) == [Level.NIVA_1, Level.NIVA_2B]


def test_level_unknown_target_is_404(client_for, case, contact_teacher):
    response = client_for(contact_teacher).post(url("case_level", case), {"to": "9"})
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "subject_teacher", "nurse"])
def test_level_is_404_for_others(request, client_for, case, persona):
    conversation(case, case.owner)
    user = request.getfixturevalue(persona)
    response = client_for(user).post(url("case_level", case), level_post(case, Level.NIVA_1))
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.level == Level.NIVA_0


def test_level_anonymous_redirects(client, case):
    assert client.post(url("case_level", case), level_post(case, Level.NIVA_1)).status_code == 302


def test_concurrent_level_change_second_gets_message_and_keeps_input(case, contact_teacher, leader):
    conversation(case, contact_teacher)
    first, second = Client(), Client()
    first.force_login(contact_teacher)
    second.force_login(leader)
    data_second = level_post(case, Level.NIVA_1, reason="Lederens egen begrunnelse")
    first.post(url("case_level", case), level_post(case, Level.NIVA_1, reason="Først"))
    response = second.post(url("case_level", case), data_second)
    html = response.content.decode()
    assert "Saken er endret av noen andre" in html
    assert "Lederens egen begrunnelse" in html
    case.refresh_from_db()
    assert case.level == Level.NIVA_1
    moves = case.events.filter(kind=CaseEvent.Kind.LEVEL_CHANGED)
    assert [(e.by, e.text) for e in moves] == [(contact_teacher, "Først")]


def test_closing_a_case_moved_up_meanwhile_says_it_changed_not_that_the_reason_is_wrong(
    client_for, case, contact_teacher, team_member
):
    # Seen at nivå 0 ("Ikke bekreftet" fits there); moved to nivå 1 before the close.
    seen = case.version
    Case.objects.filter(pk=case.pk).update(level=Level.NIVA_1, version=F("version") + 1)
    response = client_for(contact_teacher).post(
        url("case_close", case), {"avslutt-version": seen, "avslutt-reason": "not_confirmed"}
    )
    html = response.content.decode()
    assert "Saken er endret av noen andre" in html
    assert "passer ikke" not in html
    case.refresh_from_db()
    assert case.is_open and case.level == Level.NIVA_1


def test_concurrent_close_form_is_based_on_new_version(case, contact_teacher, leader, team_member):
    first, second = Client(), Client()
    first.force_login(team_member)
    second.force_login(leader)
    seen = case.version
    first.post(url("case_owner", case), {"eier-version": seen, "eier-owner": team_member.pk})
    response = second.post(
        url("case_close", case),
        {"avslutt-version": seen, "avslutt-reason": "other", "avslutt-text": "Flyttet bort"},
    )
    form = response.context["close_form"]
    assert "Saken er endret av noen andre" in response.content.decode()
    assert form["text"].value() == "Flyttet bort"
    assert int(form["version"].value()) == seen + 1
    case.refresh_from_db()
    assert case.is_open


# --- owner ------------------------------------------------------------------------------


def test_team_assigns_owner(client_for, case, team_member):
    response = client_for(team_member).post(
        url("case_owner", case), {"eier-version": case.version, "eier-owner": team_member.pk}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == team_member


def test_owner_with_htmx_swaps_the_case_body(client_for, case, team_member):
    response = client_for(team_member).post(
        url("case_owner", case),
        {"eier-version": case.version, "eier-owner": team_member.pk},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="case-body"')
    assert "Saksansvarlig er lagret." in html


def test_owner_must_be_a_candidate(client_for, case, team_member, leader):
    response = client_for(team_member).post(
        url("case_owner", case), {"eier-version": case.version, "eier-owner": leader.pk}
    )
    assert "Saksansvarlig må være i skolemiljøteamet" in response.content.decode()
    case.refresh_from_db()
    assert case.owner != leader


def test_contact_teacher_may_not_assign_owner(client_for, case, contact_teacher, team_member):
    response = client_for(contact_teacher).post(
        url("case_owner", case), {"eier-version": case.version, "eier-owner": team_member.pk}
    )
    assert response.status_code == 404


def test_owner_is_404_for_outsider(client_for, case, outsider, team_member):
    response = client_for(outsider).post(
        url("case_owner", case), {"eier-version": case.version, "eier-owner": team_member.pk}
    )
    assert response.status_code == 404


# --- duty and notes ---------------------------------------------------------------------


def test_duty_needs_reference(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    page = client.get(url("case", case)).content.decode()
    label = page[page.index('for="id_plikt-reference"') :]
    label = label[: label.index("</label>")]
    # Required once the box is ticked, so the label does not call it optional; the hint
    # that says when is tied to the field.
    assert "valgfritt" not in label
    assert 'aria-describedby="id_plikt-reference-hint"' in page
    assert 'id="id_plikt-reference-hint"' in page
    response = client.post(
        url("case_duty", case), {"plikt-version": case.version, "plikt-involved": "on"}
    )
    html = response.content.decode()
    # At the field, with the box still ticked.
    assert 'id="id_plikt-reference-err">Oppgi en referanse til aktivitetsplanen' in html
    assert 'name="plikt-involved" class="ds-input" id="id_plikt-involved" checked' in html
    case.refresh_from_db()
    assert not case.environment_duty


def test_duty_recorded_with_reference(client_for, case, contact_teacher):
    client_for(contact_teacher).post(
        url("case_duty", case),
        {"plikt-version": case.version, "plikt-involved": "on", "plikt-reference": "2026/114"},
    )
    case.refresh_from_db()
    assert (case.environment_duty, case.activity_plan_ref) == (True, "2026/114")
    assert case.events.filter(kind=CaseEvent.Kind.ENVIRONMENT_DUTY).exists()


def test_duty_is_404_for_nurse(client_for, case, nurse):
    response = client_for(nurse).post(url("case_duty", case), {"plikt-version": case.version})
    assert response.status_code == 404


def test_note_added_with_basis(client_for, case, leader):
    client_for(leader).post(url("case_note", case), {"notat-text": "Ringte mor."})
    note = CaseNote.objects.get()
    assert (note.text, note.author, note.basis) == ("Ringte mor.", leader, "leader")
    assert case.events.filter(kind=CaseEvent.Kind.NOTE_ADDED).exists()


def test_empty_note_is_refused(client_for, case, leader):
    response = client_for(leader).post(url("case_note", case), {"notat-text": "  "})
    assert "Notatet er tomt." in response.content.decode()
    assert not CaseNote.objects.exists()


def test_note_is_404_for_outsider(client_for, case, outsider):
    assert client_for(outsider).post(url("case_note", case), {"notat-text": "x"}).status_code == 404


# --- close and reopen -------------------------------------------------------------------


def test_close_from_page(client_for, case, contact_teacher):
    client_for(contact_teacher).post(
        url("case_close", case), {"avslutt-version": case.version, "avslutt-reason": "moved"}
    )
    case.refresh_from_db()
    assert (case.status, case.close_reason) == (Case.Status.CLOSED, "moved")


def test_close_other_requires_text_and_keeps_choice(client_for, case, contact_teacher):
    response = client_for(contact_teacher).post(
        url("case_close", case), {"avslutt-version": case.version, "avslutt-reason": "other"}
    )
    assert "Skriv kort hvorfor saken avsluttes." in response.content.decode()
    assert response.context["close_form"]["reason"].value() == "other"
    case.refresh_from_db()
    assert case.is_open


def test_close_text_is_not_called_optional(client_for, case, contact_teacher):
    # Required when the reason is «Annet», as its label says: never "(valgfritt)".
    page = client_for(contact_teacher).get(url("case", case)).content.decode()
    label = page[page.index('for="id_avslutt-text"') :]
    label = label[: label.index("</label>")]
    assert "Utdyping" in label
    assert "valgfritt" not in label


def test_close_is_404_for_nurse_and_outsider(client_for, case, nurse, outsider):
    for user in (nurse, outsider):
        response = client_for(user).post(
            url("case_close", case), {"avslutt-version": case.version, "avslutt-reason": "moved"}
        )
        assert response.status_code == 404


def test_reopen_from_page(client_for, case, contact_teacher):
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    client = client_for(contact_teacher)
    assert "Gjenåpne saken" in client.get(url("case", case)).content.decode()
    client.post(
        url("case_reopen", case),
        {"gjenapne-version": case.version, "gjenapne-reason": "Nytt fravær"},
    )
    case.refresh_from_db()
    assert case.is_open


def test_reopen_too_late_shows_message(client_for, case, contact_teacher):
    close_case(
        case,
        reason="not_confirmed",
        by=contact_teacher,
        version=case.version,
        now=timezone.now() - dt.timedelta(days=91),
    )
    response = client_for(contact_teacher).post(
        url("case_reopen", case),
        {"gjenapne-version": case.version, "gjenapne-reason": "Nytt fravær"},
    )
    assert "mer enn 90 dager siden" in response.content.decode()
    case.refresh_from_db()
    assert not case.is_open


def test_reopen_is_404_for_outsider(client_for, case, contact_teacher, outsider):
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    response = client_for(outsider).post(
        url("case_reopen", case), {"gjenapne-version": case.version, "gjenapne-reason": "x"}
    )
    assert response.status_code == 404


def test_case_page_lists_an_attached_flag_once_and_the_other_active_flags_apart(
    client_for, pupil, contact_teacher
):
    from tests.cases.conftest import make_case

    attached = make_flag(pupil)
    other = make_flag(pupil, rule="month_late", period_key="2026-10")
    case = make_case(pupil, by=contact_teacher, flag=attached)
    html = client_for(contact_teacher).get(f"/saker/{case.uuid}/").content.decode()
    assert html.count(attached.explanation()) == 1
    assert html.count(other.explanation()) == 1
    assert "Elevens andre aktive varsler" in html


def test_timeline_labels_follow_the_readers_language(client_for, case, contact_teacher):
    """A system label in an event (the conversation's form, a flag's rule) is made in
    the reader's language, whatever language it was written in."""
    from django.urls import reverse

    from tests.cases.conftest import logged_conversation

    logged_conversation(case, summary="Ringte hjem.", by=contact_teacher)
    client = client_for(contact_teacher)
    html = client.get(url("case", case)).content.decode()
    assert "(Telefon)" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(url("case", case)).content.decode()
    assert "(Phone)" in html
    assert "(Telefon)" not in html


def test_timeline_shows_a_close_reason_in_the_readers_language_and_typed_words_as_typed(
    client_for, case, contact_teacher, pupil
):
    from django.urls import reverse

    from tests.cases.conftest import make_case

    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    client = client_for(contact_teacher)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(url("case", case)).content.decode()
    with translation.override("en"):
        english = str(Case.CloseReason.NOT_CONFIRMED.label)
    timeline = html[html.index("Timeline") :]
    assert english in timeline
    assert "Bekymringen ble ikke bekreftet" not in timeline
    other = make_case(pupil, by=contact_teacher)
    close_case(
        other, reason="other", text="Flyttet til Bergen", by=contact_teacher, version=other.version
    )
    html = client.get(url("case", other)).content.decode()
    assert "Flyttet til Bergen" in html[html.index("Timeline") :]


# --- the close form says beforehand what closing does ------------------------------------


def _meeting_on(case, by, day, hour):
    from cases.actions.meetings import schedule_meeting

    starts = dt.datetime(2026, 12, day, hour, 0, tzinfo=timezone.get_default_timezone())
    return schedule_meeting(case, kind="level1", starts_at=starts, place="Rom 1", by=by)


def test_close_form_lists_the_planned_meetings_it_will_cancel(client_for, case, contact_teacher):
    at_level(case, Level.NIVA_1)
    _meeting_on(case, contact_teacher, 3, 9)
    _meeting_on(case, contact_teacher, 3, 14)
    html = client_for(contact_teacher).get(url("case", case)).content.decode()
    form = html[html.index('id="avslutt"') :]
    assert "Saken har 2 planlagte møter. De blir avlyst når saken avsluttes" in form
    assert "03.12.2026 09:00" in form and "03.12.2026 14:00" in form


def test_close_form_says_nothing_of_meetings_when_none_are_planned(
    client_for, case, contact_teacher
):
    html = client_for(contact_teacher).get(url("case", case)).content.decode()
    assert 'id="avslutt-moter"' not in html
    assert "planlagt" not in html[html.index('id="avslutt"') :]


# --- the reasons that fit the level --------------------------------------------------------


def _close_choices(client, case) -> list[str]:
    form = client.get(url("case", case)).context["close_form"]
    return [value for value, _label in form.fields["reason"].choices]


def test_close_form_at_level_0_offers_no_measures_worked(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    assert _close_choices(client, case) == ["not_confirmed", "moved", "other"]
    assert "Tiltakene virket" not in client.get(url("case", case)).content.decode()


def test_close_form_at_level_1_offers_measures_worked(client_for, case, contact_teacher):
    at_level(case, Level.NIVA_1)
    assert _close_choices(client_for(contact_teacher), case) == [
        "measures_worked",
        "moved",
        "other",
    ]


def test_close_with_a_reason_unfit_for_the_level_is_refused_at_the_field(
    client_for, case, contact_teacher
):
    response = client_for(contact_teacher).post(
        url("case_close", case),
        {"avslutt-version": case.version, "avslutt-reason": "measures_worked"},
    )
    html = response.content.decode()
    assert "Denne grunnen passer ikke for en sak på Nivå 0 – undring." in html
    case.refresh_from_db()
    assert case.is_open


# --- moving to 2A: every blocker in one answer ---------------------------------------------


def test_level_2a_panel_says_up_front_that_consent_is_missing(client_for, case, contact_teacher):
    at_level(case, Level.NIVA_1, ready=False)
    html = client_for(contact_teacher).get(url("case", case)).content.decode()
    summary = html[html.index("Flytt til Nivå 2A") :]
    summary = summary[: summary.index("</summary>")]
    assert "1 krav mangler" in summary
    assert "Dette mangler først:" in html
    assert "Nivå 2A krever samtykke fra foresatte" in html
    # With the way to supply it.
    item = html[html.index("Nivå 2A krever samtykke fra foresatte") :]
    item = item[: item.index("</li>")]
    assert (
        f'<a class="ds-link" href="/saker/{case.uuid}/samtykke/ny/">Registrer samtykke</a>' in item
    )


def _error_summary(html: str) -> str:
    start = html.index('<div class="ds-error-summary"')
    return html[start : html.index("</div>", start)]


def test_level_2a_reports_missing_consent_and_coordinator_at_once(
    client_for, case, contact_teacher
):
    at_level(case, Level.NIVA_1, ready=False)
    response = client_for(contact_teacher).post(
        url("case_level", case), level_post(case, Level.NIVA_2A)
    )
    html = response.content.decode()
    summary = _error_summary(html)
    assert "Nivå 2A krever samtykke fra foresatte" in summary
    assert "Velg en stafettholder for det tverrfaglige arbeidet." in summary
    # The summary is the one place focus goes; the panel's own "missing" box is not
    # shown beside it.
    assert html.count("data-focus-on-load") == 1
    assert 'class="ds-error-summary" role="alert" data-focus-on-load' in html
    assert "Dette mangler først:" not in html
    case.refresh_from_db()
    assert case.level == Level.NIVA_1


def test_level_2a_reports_missing_consent_and_leaders_with_a_coordinator_chosen(
    client_for, case, contact_teacher, team_member
):
    at_level(case, Level.NIVA_1, ready=False)
    data = level_post(case, Level.NIVA_2A, coordinator=team_member.pk)
    html = client_for(contact_teacher).post(url("case_level", case), data).content.decode()
    summary = _error_summary(html)
    assert "Nivå 2A krever samtykke fra foresatte" in summary
    assert "Skoleledelsen må være orientert før saken går til nivå 2A." in summary
    assert 'href="#id_niva-2a-leaders_informed"' in summary
    # At the box itself, tied to its message.
    assert (
        'name="niva-2a-leaders_informed" class="ds-input" aria-invalid="true" '
        'aria-describedby="id_niva-2a-leaders_informed-err"'
    ) in html


def test_level_2a_with_everything_in_place_moves(client_for, case, contact_teacher, team_member):
    at_level(case, Level.NIVA_1, ready=False)
    consent(case, contact_teacher)
    data = level_post(case, Level.NIVA_2A, coordinator=team_member.pk, leaders_informed="on")
    response = client_for(contact_teacher).post(url("case_level", case), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.level == Level.NIVA_2A


# --- a version conflict is said once -------------------------------------------------------


CHANGED = "Saken er endret av noen andre mens du arbeidet med den."


def _stale_posts(case, team_member):
    seen = case.version
    return {
        "close": ("case_close", {"avslutt-version": seen, "avslutt-reason": "moved"}),
        "owner": ("case_owner", {"eier-version": seen, "eier-owner": team_member.pk}),
        "duty": ("case_duty", {"plikt-version": seen, "plikt-reference": "2026/1"}),
        "level": ("case_level", level_post(case, Level.NIVA_1) | {"niva-1-version": seen}),
    }


@pytest.mark.parametrize("form", ["close", "owner", "duty", "level"])
def test_version_conflict_message_is_shown_once_as_the_alert(
    client_for, case, leader, team_member, contact_teacher, form
):
    conversation(case, contact_teacher)
    name, data = _stale_posts(case, team_member)[form]
    add_note(case, text="x", by=leader, basis="leader")
    case.__class__.objects.filter(pk=case.pk).update(version=case.version + 1)
    response = client_for(leader).post(url(name, case), data)
    html = response.content.decode()
    assert html.count(CHANGED) == 1
    assert 'class="ds-alert" data-color="warning" role="alert" data-focus-on-load' in html
    assert "Dette må rettes før det kan lagres" not in html
    assert html.count("data-focus-on-load") == 1


def test_version_conflict_on_reopen_is_shown_once(client_for, case, contact_teacher):
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    seen = case.version
    Case.objects.filter(pk=case.pk).update(version=seen + 1)
    response = client_for(contact_teacher).post(
        url("case_reopen", case), {"gjenapne-version": seen, "gjenapne-reason": "Nytt fravær"}
    )
    html = response.content.decode()
    assert html.count(CHANGED) == 1
    assert "Nytt fravær" in html


def test_version_conflict_keeps_the_close_form_open_with_the_text(
    client_for, case, contact_teacher
):
    seen = case.version
    Case.objects.filter(pk=case.pk).update(version=seen + 1)
    response = client_for(contact_teacher).post(
        url("case_close", case),
        {"avslutt-version": seen, "avslutt-reason": "other", "avslutt-text": "Flyttet bort"},
    )
    html = response.content.decode()
    assert '<details class="ds-details" id="avslutt" open>' in html
    assert "Flyttet bort" in html


def test_case_header_lists_attached_flags_active_first_and_settled_ones_as_settled(
    client_for, case, contact_teacher
):
    cleared = make_flag(
        case.pupil,
        "undocumented",
        status="cleared",
        period_start=dt.date(2026, 11, 2),
        cleared_at=timezone.now(),
    )
    active = make_flag(case.pupil)
    attach_flags(case, [active], now=timezone.now() - dt.timedelta(days=1))
    attach_flags(case, [cleared], now=timezone.now())
    response = client_for(contact_teacher).get(url("case", case))
    assert response.context["attached_flags"] == [active, cleared]
    html = response.content.decode()
    start = html.index('id="h-case-flags"')
    header = html[start : html.index("</header>", start)]
    assert "Udokumentert fravær 02.11.2026." in header
    assert "Kontakt hjemmet i dag" not in header
    assert '<span class="ds-tag" data-color="success">Avklart</span>' in header


def test_close_form_says_the_cases_active_flags_will_be_acknowledged(
    client_for, case, contact_teacher
):
    attach_flags(case, [make_flag(case.pupil), make_flag(case.pupil)], now=timezone.now())
    html = client_for(contact_teacher).get(url("case", case)).content.decode()
    assert "2 aktive varsler knyttet til saken blir kvittert ut i ditt navn" in html


def test_error_summary_puts_no_colon_after_a_question(client_for, case, contact_teacher):
    response = client_for(contact_teacher).post(
        url("case_close", case), {"avslutt-version": case.version}
    )
    html = response.content.decode()
    assert "Hvorfor avsluttes saken? Velg hvorfor saken avsluttes.</a>" in html
    assert "saken?:" not in html


class RefusingMailServer:
    """An e-mail backend whose server refuses every connection."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


def test_a_mail_server_that_is_down_fails_no_step_in_a_case(
    client_for,
    case,
    leader,
    team_member,
    settings,
    caplog,
    django_capture_on_commit_callbacks,
    eager_tasks,
):
    """The e-mail that a new owner is told by goes through the inbox e-mail task: with
    the mail server down the step is saved and answered as usual, the inbox message
    is there, and the lost e-mail is logged without names."""
    from fravaer.models import Notification

    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(leader).post(
            url("case_owner", case), {"eier-version": case.version, "eier-owner": team_member.pk}
        )
    assert callbacks  # the e-mail was due
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == team_member
    assert Notification.objects.filter(user=team_member, link__contains=str(case.uuid)).exists()
    assert "send_inbox_emails failed in-process (ConnectionRefusedError)" in caplog.text
    assert case.pupil.first_name not in caplog.text


def test_a_step_in_a_case_e_mails_the_people_it_tells(
    client_for,
    case,
    leader,
    team_member,
    django_capture_on_commit_callbacks,
    mailoutbox,
    eager_tasks,
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(leader).post(
            url("case_owner", case), {"eier-version": case.version, "eier-owner": team_member.pk}
        )
    assert [m.to for m in mailoutbox] == [[team_member.email]]
    assert case.pupil.first_name not in mailoutbox[0].body
