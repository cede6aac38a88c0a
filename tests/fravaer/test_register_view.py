import datetime as dt
import re

import pytest
from django.urls import reverse

from fravaer.models import AbsenceRecord, AbsenceRecordChange, NonSchoolDay
from tests.conftest import make_pupil
from tests.factories import absence
from tests.pages import post_data, register_url

DAY = dt.date(2026, 11, 17)  # Tuesday, a school day (today is frozen at 18.11.2026)


@pytest.fixture
def three_pupils(group):
    return [make_pupil(group, first=name, last="Berg") for name in ("Anna", "Brage", "Cecilie")]


def test_register_defaults_to_today(client_for, contact_teacher, group, three_pupils):
    response = client_for(contact_teacher).get(reverse("register", args=[group.pk]))
    assert response.status_code == 200
    assert response.context["day"] == dt.date(2026, 11, 18)
    assert len(response.context["rows"]) == 3


def test_register_saves_day_lesson_and_late_in_one_post(
    client_for, contact_teacher, group, three_pupils
):
    client = client_for(contact_teacher)
    page = client.get(register_url(group))
    data = post_data(
        page,
        {
            "Anna": {"status": "day"},
            "Brage": {
                "status": "lesson",
                "lessons": 2,
                "subject": "Matematikk",
                "documented": True,
                "reason": "illness",
            },
            "Cecilie": {"status": "late", "minutes_late": 10},
        },
    )
    response = client.post(register_url(group), data)
    assert response.status_code == 302
    records = {
        r.pupil.first_name: r for r in AbsenceRecord.objects.select_related("pupil", "reason")
    }
    assert records["Anna"].kind == "day" and not records["Anna"].documented
    assert records["Anna"].reason.code == "unknown"
    assert records["Brage"].lessons == 2 and records["Brage"].subject == "Matematikk"
    assert records["Brage"].documented and records["Brage"].reason.code == "illness"
    assert records["Cecilie"].kind == "late" and records["Cecilie"].minutes_late == 10
    assert all(r.registered_by == contact_teacher for r in records.values())
    assert AbsenceRecordChange.objects.filter(action="created").count() == 3


def test_register_reopens_with_saved_values(client_for, contact_teacher, group, three_pupils):
    client = client_for(contact_teacher)
    client.post(
        register_url(group), post_data(client.get(register_url(group)), {"Anna": {"status": "day"}})
    )
    page = client.get(register_url(group))
    forms = {row.pupil.first_name: form for row, form in page.context["rows"]}
    assert forms["Anna"].initial["status"] == "day"
    assert forms["Brage"].initial["status"] == "none"
    html = page.content.decode()
    assert "Kontakt hjemmet" in html
    assert reverse("contact_log", args=[three_pupils[0].uuid]) in html


def test_register_edits_and_removes(client_for, contact_teacher, group, three_pupils):
    client = client_for(contact_teacher)
    client.post(
        register_url(group),
        post_data(
            client.get(register_url(group)),
            {"Anna": {"status": "day"}, "Brage": {"status": "late", "minutes_late": 5}},
        ),
    )
    page = client.get(register_url(group))
    client.post(
        register_url(group),
        post_data(
            page,
            {
                "Anna": {"status": "lesson", "lessons": 1, "subject": "Norsk"},
                "Brage": {"status": "none"},
            },
        ),
    )
    current = AbsenceRecord.objects.current()
    assert current.count() == 1
    anna = current.get()
    assert anna.kind == "lesson" and anna.lessons == 1 and anna.updated_by == contact_teacher
    removed = AbsenceRecord.objects.get(deleted_at__isnull=False)
    assert removed.deleted_by == contact_teacher
    assert set(AbsenceRecordChange.objects.values_list("action", flat=True)) == {
        "created",
        "updated",
        "deleted",
    }
    before = AbsenceRecordChange.objects.get(action="updated").before
    assert before["kind"] == "day"


def test_register_bad_row_saves_nothing_and_keeps_typed_values(
    client_for, contact_teacher, group, three_pupils
):
    client = client_for(contact_teacher)
    data = post_data(
        client.get(register_url(group)),
        {
            "Anna": {"status": "day", "note": "Ringte mor"},
            "Brage": {"status": "lesson"},  # no count
        },
    )
    response = client.post(register_url(group), data)
    assert response.status_code == 200
    assert not AbsenceRecord.objects.exists()
    html = response.content.decode()
    assert "Oppgi antall timer." in html
    assert 'value="Ringte mor"' in html
    assert "Registreringen ble ikke lagret" in html


def test_register_rejects_documented_unknown_reason(
    client_for, contact_teacher, group, three_pupils
):
    client = client_for(contact_teacher)
    data = post_data(
        client.get(register_url(group)),
        {"Anna": {"status": "day", "documented": True, "reason": "unknown"}},
    )
    response = client.post(register_url(group), data)
    assert "Dokumentert fravær kan ikke ha ukjent årsak." in response.content.decode()
    assert not AbsenceRecord.objects.exists()


@pytest.mark.parametrize("lessons", [6, 20])
def test_register_rejects_more_lessons_than_the_day_has(
    client_for, contact_teacher, group, three_pupils, lessons
):
    # 20 is past any class's day too: the message still names this class's lessons.
    client = client_for(contact_teacher)
    changes = {"Anna": {"status": "lesson", "lessons": lessons}}
    data = post_data(client.get(register_url(group)), changes)
    response = client.post(register_url(group), data)
    assert "Klassen har 5 timer per dag" in response.content.decode()
    assert not AbsenceRecord.objects.exists()


def test_register_weekend_shows_message_not_form(client_for, contact_teacher, group, three_pupils):
    response = client_for(contact_teacher).get(register_url(group, dt.date(2026, 11, 15)))
    assert response.status_code == 200
    assert "er en helgedag, ikke en skoledag" in response.content.decode()
    assert "rows" not in response.context


def test_register_holiday_shows_its_name(client_for, contact_teacher, group, three_pupils):
    NonSchoolDay.objects.create(
        school=group.school, date=dt.date(2026, 11, 16), kind="planning", name="Planleggingsdag"
    )
    response = client_for(contact_teacher).get(register_url(group, dt.date(2026, 11, 16)))
    assert "ikke en skoledag (Planleggingsdag)" in response.content.decode()


def test_register_future_date_shows_message(client_for, contact_teacher, group, three_pupils):
    response = client_for(contact_teacher).get(register_url(group, dt.date(2026, 11, 19)))
    assert "er fram i tid" in response.content.decode()


def test_register_post_on_non_school_day_saves_nothing(
    client_for, contact_teacher, group, three_pupils
):
    client = client_for(contact_teacher)
    data = post_data(client.get(register_url(group)), {"Anna": {"status": "day"}})
    data["dato"] = "2026-11-15"
    response = client.post(register_url(group, dt.date(2026, 11, 15)), data)
    assert response.status_code == 200
    assert not AbsenceRecord.objects.exists()


def test_register_invalid_date_falls_back_to_today_with_message(client_for, contact_teacher, group):
    response = client_for(contact_teacher).get(
        reverse("register", args=[group.pk]) + "?dato=2026-13-45", follow=True
    )
    assert response.context["day"] == dt.date(2026, 11, 18)
    assert "Ugyldig dato" in response.content.decode()


def test_register_date_out_of_range_says_so_not_that_the_format_is_wrong(
    client_for, contact_teacher, group
):
    response = client_for(contact_teacher).get(
        reverse("register", args=[group.pk]) + "?dato=1999-01-01", follow=True
    )
    html = response.content.decode()
    assert "Ugyldig dato" not in html
    assert "01.01.1999 ligger utenfor skoleåret 2026–2027 for denne klassen. Her er i dag." in html


def test_register_step_stays_within_the_school_year(client_for, contact_teacher, group):
    first = group.school_year.start
    while first.weekday() >= 5:
        first += dt.timedelta(days=1)
    response = client_for(contact_teacher).get(
        reverse("register_step", args=[group.pk]) + f"?dato={first.isoformat()}", follow=True
    )
    assert response.context["day"] == first
    assert "Det er ingen tidligere skoledag i dette skoleåret." in response.content.decode()


def test_register_step_goes_to_previous_school_day(client_for, contact_teacher, group):
    NonSchoolDay.objects.create(
        school=group.school, date=dt.date(2026, 11, 16), kind="holiday", name="Fri"
    )
    client = client_for(contact_teacher)
    response = client.get(reverse("register_step", args=[group.pk]) + "?dato=2026-11-17")
    assert response["Location"].endswith("?dato=2026-11-13")
    response = client.get(
        reverse("register_step", args=[group.pk]) + "?dato=2026-11-13&retning=neste"
    )
    assert response["Location"].endswith("?dato=2026-11-17")


def test_subject_teacher_registers_lessons_but_not_days(
    client_for, subject_teacher, group, three_pupils
):
    client = client_for(subject_teacher)
    page = client.get(register_url(group))
    data = post_data(page, {"Anna": {"status": "day"}})
    response = client.post(register_url(group), data)
    assert response.status_code == 200
    assert not AbsenceRecord.objects.exists()
    data = post_data(page, {"Anna": {"status": "lesson", "lessons": 1, "subject": "Matematikk"}})
    assert client.post(register_url(group), data).status_code == 302
    assert AbsenceRecord.objects.get().kind == "lesson"


def test_subject_teacher_sees_day_record_read_only(
    client_for, contact_teacher, subject_teacher, group, three_pupils
):
    client = client_for(contact_teacher)
    client.post(
        register_url(group), post_data(client.get(register_url(group)), {"Anna": {"status": "day"}})
    )
    page = client_for(subject_teacher).get(register_url(group))
    rows = {row.pupil.first_name: row for row, _ in page.context["rows"]}
    assert rows["Anna"].primary is None
    assert rows["Anna"].others[0].kind == "day"


def test_register_stale_row_is_a_conflict_not_an_overwrite(
    client_for, contact_teacher, group, three_pupils
):
    client = client_for(contact_teacher)
    stale = client.get(register_url(group))
    client.post(
        register_url(group), post_data(client.get(register_url(group)), {"Anna": {"status": "day"}})
    )
    response = client.post(
        register_url(group), post_data(stale, {"Anna": {"status": "late", "minutes_late": 3}})
    )
    assert response.status_code == 200
    assert "endret av en annen" in response.content.decode()
    assert AbsenceRecord.objects.current().get().kind == "day"


def shown_data(response, changes: dict[str, dict] | None = None) -> dict:
    """What the page shows in each row's fields (bound or not), as a browser posts it,
    with some rows changed (by first name)."""
    data = {"dato": response.context["day"].isoformat()}
    for row, form in response.context["rows"]:
        shown = {name: form[name].value() for name in form.fields}
        shown.update((changes or {}).get(row.pupil.first_name, {}))
        for name, value in shown.items():
            if name == "documented":
                if value:
                    data[f"{form.prefix}-{name}"] = "on"
            else:
                data[f"{form.prefix}-{name}"] = "" if value is None else str(value)
    return data


def test_after_a_conflict_the_row_shows_the_others_change_and_saves_again(
    client_for, contact_teacher, group, three_pupils
):
    client = client_for(contact_teacher)
    stale = client.get(register_url(group))
    client.post(
        register_url(group), post_data(client.get(register_url(group)), {"Anna": {"status": "day"}})
    )
    conflict = client.post(
        register_url(group),
        post_data(
            stale, {"Anna": {"status": "late", "minutes_late": 3}, "Brage": {"status": "day"}}
        ),
    )
    assert conflict.status_code == 200
    rows = {row.pupil.first_name: form for row, form in conflict.context["rows"]}
    record = AbsenceRecord.objects.current().get()
    assert rows["Anna"]["record"].value() == str(record.pk)
    assert rows["Anna"]["status"].value() == "day"  # what the other saved, to look over
    assert rows["Brage"]["status"].value() == "day"  # the other rows keep what was typed
    assert "De radene viser nå det som er registrert" in conflict.content.decode()
    # Saving again from what the page shows works, and the teacher's choice wins.
    again = client.post(
        register_url(group), shown_data(conflict, {"Anna": {"status": "late", "minutes_late": "3"}})
    )
    assert again.status_code == 302
    kinds = dict(AbsenceRecord.objects.current().values_list("pupil__first_name", "kind"))
    assert kinds == {"Anna": "late", "Brage": "day"}


def test_register_htmx_post_renders_fragment(client_for, contact_teacher, group, three_pupils):
    client = client_for(contact_teacher)
    data = post_data(client.get(register_url(group)), {"Brage": {"status": "lesson"}})
    response = client.post(register_url(group), data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'id="register-body"' in html
    assert "<html" not in html


@pytest.mark.parametrize("persona", ["leader", "team_member", "nurse"])
def test_school_staff_see_register_read_only(request, client_for, group, three_pupils, persona):
    client = client_for(request.getfixturevalue(persona))
    page = client.get(register_url(group))
    assert page.status_code == 200
    assert "Du kan se registreringen, men ikke endre den." in page.content.decode()
    response = client.post(register_url(group), post_data(page, {"Anna": {"status": "day"}}))
    assert response.status_code == 404
    assert not AbsenceRecord.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "ppt_advisor", "municipal_admin"])
def test_register_is_404_for_others(request, client_for, group, three_pupils, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(register_url(group)).status_code == 404
    assert client.post(register_url(group), {"dato": DAY.isoformat()}).status_code == 404
    assert client.get(reverse("register_step", args=[group.pk])).status_code == 404


def test_register_requires_login(client, group):
    response = client.get(register_url(group))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_register_unknown_group_is_404(client_for, contact_teacher):
    assert client_for(contact_teacher).get(reverse("register", args=[999999])).status_code == 404


def test_ended_assignment_loses_access(client_for, contact_teacher, group):
    contact_teacher.teaching_assignments.update(valid_to=dt.date(2026, 11, 1))
    assert client_for(contact_teacher).get(register_url(group)).status_code == 404


# --- bounded queries -------------------------------------------------------------


def _count_queries(django_assert_max_num_queries, client, method, *args):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(*args)
    return response, len(ctx.captured_queries)


@pytest.mark.parametrize("size", [10, 30])
def test_register_get_uses_at_most_five_queries(
    client_for, contact_teacher, group, size, django_assert_max_num_queries
):
    for i in range(size):
        make_pupil(group, first=f"Elev{i}")
    client = client_for(contact_teacher)
    client.get(register_url(group))  # warm the session cache like any second request
    with django_assert_max_num_queries(5):
        response = client.get(register_url(group))
    assert len(response.context["rows"]) == size


def test_register_query_counts_do_not_grow_with_class_size(
    client_for, contact_teacher, school_year, school
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import _assign, make_group

    counts = {}
    for size in (10, 30):
        g = make_group(school, school_year, name=f"G{size}")
        _assign(contact_teacher, g, "contact")
        for i in range(size):
            make_pupil(g, first=f"P{size}-{i}")
        client = client_for(contact_teacher)
        client.get(register_url(g))
        with CaptureQueriesContext(connection) as get_ctx:
            page = client.get(register_url(g))
        data = post_data(page, {})
        for i in range(size):  # everybody absent all day
            data[f"p{i}-status"] = "day"
        with CaptureQueriesContext(connection) as post_ctx:
            response = client.post(register_url(g), data)
        assert response.status_code == 302
        counts[size] = (len(get_ctx.captured_queries), len(post_ctx.captured_queries))
    assert counts[10] == counts[30]
    get_count, post_count = counts[30]
    assert get_count <= 5
    assert post_count <= 12  # with the rescan's outbox row and the register taken


def test_register_without_date_on_a_weekend_opens_the_last_school_day(
    client_for, contact_teacher, group, time_machine
):
    time_machine.move_to(dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC))  # a Sunday
    response = client_for(contact_teacher).get(reverse("register", args=[group.pk]), follow=True)
    assert response.context["day"] == dt.date(2026, 11, 20)
    assert "I dag er ikke en skoledag" in response.content.decode()


def test_subject_teacher_rows_start_with_their_subject(
    client_for, subject_teacher, group, three_pupils
):
    page = client_for(subject_teacher).get(register_url(group))
    assert {form.initial["subject"] for _, form in page.context["rows"]} == {"Matematikk"}


def test_absence_typed_into_a_present_pupils_new_row_is_not_dropped(
    client_for, contact_teacher, group, three_pupils
):
    """Hours, "documented", a reason or a note typed into a row left on "Til stede"
    are absence the teacher meant to register: the save is refused at the row and
    what was typed stays, instead of "Ingen endringer å lagre"."""
    client = client_for(contact_teacher)
    data = post_data(
        client.get(register_url(group)),
        {
            "Anna": {"status": "day"},
            "Brage": {"lessons": 2, "subject": "Matematikk"},
            "Cecilie": {"documented": True, "reason": "illness", "note": "Syk, mor ringte"},
        },
    )
    response = client.post(register_url(group), data)
    assert response.status_code == 200
    assert not AbsenceRecord.objects.exists()
    forms = {row.pupil.first_name: form for row, form in response.context["rows"]}
    message = (
        "Du har fylt ut fravær, men eleven står som «Til stede». Velg hva slags fravær det "
        "er, eller tøm feltene."
    )
    assert forms["Brage"].errors["status"] == [message]
    assert forms["Cecilie"].errors["status"] == [message]
    assert not forms["Anna"].errors
    html = response.content.decode()
    assert 'value="Syk, mor ringte"' in html
    assert f"Brage Berg: {message}" in html  # in the error summary, linked to the row


def test_choosing_present_for_a_registered_row_removes_its_record(
    client_for, contact_teacher, group, three_pupils
):
    """The fields of a row with a record hold that record's values; "Til stede" there
    removes it, as before."""
    client = client_for(contact_teacher)
    client.post(
        register_url(group),
        post_data(client.get(register_url(group)), {"Anna": {"status": "lesson", "lessons": 2}}),
    )
    assert AbsenceRecord.objects.current().count() == 1
    response = client.post(
        register_url(group),
        post_data(client.get(register_url(group)), {"Anna": {"status": "none"}}),
    )
    assert response.status_code == 302
    assert not AbsenceRecord.objects.current().exists()


def test_the_register_adds_up_a_days_lessons_with_the_pupils_other_records(
    client_for, contact_teacher, subject_teacher, group, three_pupils
):
    """A subject teacher's row holds only their own record; the contact teacher's
    lessons that day count too, against the class's 5."""
    anna = three_pupils[0]
    absence(anna, DAY, contact_teacher, kind="lesson", lessons=4)
    client = client_for(subject_teacher)
    data = post_data(client.get(register_url(group)), {"Anna": {"status": "lesson", "lessons": 2}})
    response = client.post(register_url(group), data)
    assert response.status_code == 200
    assert (
        "Eleven har allerede 4 timer fravær 17.11.2026, og klassen har 5 timer per dag."
        in response.content.decode()
    )
    assert AbsenceRecord.objects.current().count() == 1
    forms = {row.pupil.first_name: form for row, form in response.context["rows"]}
    assert forms["Anna"].errors["lessons"][0].startswith("Eleven har allerede 4 timer")
    assert 'aria-invalid="true"' in response.content.decode()
    data = post_data(client.get(register_url(group)), {"Anna": {"status": "lesson", "lessons": 1}})
    assert client.post(register_url(group), data).status_code == 302


def test_the_saved_message_says_one_new_in_the_singular(
    client_for, contact_teacher, group, three_pupils
):
    client = client_for(contact_teacher)
    data = post_data(client.get(register_url(group)), {"Anna": {"status": "day"}})
    response = client.post(register_url(group), data, follow=True)
    assert "Lagret for 17.11.2026: 1 ny, 0 endret, 0 fjernet." in response.content.decode()


@pytest.mark.parametrize("typed", [{"minutes_late": 0}, {"subject": "Norsk"}])
def test_minutes_or_a_subject_alone_in_a_present_row_are_not_dropped_either(
    client_for, contact_teacher, group, three_pupils, typed
):
    client = client_for(contact_teacher)
    response = client.post(
        register_url(group), post_data(client.get(register_url(group)), {"Brage": typed})
    )
    assert response.status_code == 200
    forms = {row.pupil.first_name: form for row, form in response.context["rows"]}
    assert "status" in forms["Brage"].errors


def test_a_subject_teachers_own_subject_in_a_present_row_is_no_absence(
    client_for, subject_teacher, group, three_pupils
):
    client = client_for(subject_teacher)
    response = client.post(register_url(group), post_data(client.get(register_url(group))))
    assert response.status_code == 302


def test_a_present_pupils_row_still_sends_every_field_and_names_the_kinds_that_use_them(
    client_for, contact_teacher, group, three_pupils
):
    """The register hides a row's detail fields by CSS from its status (app.css): the
    HTML keeps every field, so a browser without CSS :has() still shows and sends them,
    and each cell says which statuses use it."""
    html = client_for(contact_teacher).get(register_url(group)).content.decode()
    row = html[html.index('id="row-0"') : html.index('id="row-1"')]
    cells = re.findall(r'<td[^>]*data-kinds="([^"]+)"(.*?)</td>', row, re.S)
    kinds = {
        re.search(r'<(?:input|select)[^>]*name="([^"]+)"', body)[1]: set(names.split())
        for names, body in cells
    }
    assert kinds == {
        "p0-lessons": {"lesson"},
        "p0-minutes_late": {"late"},
        "p0-subject": {"lesson", "late"},
        "p0-documented": {"day", "lesson", "late"},
        "p0-reason": {"day", "lesson", "late"},
        "p0-note": {"day", "lesson", "late"},
    }
    assert re.search(r'name="p0-status" value="none"[^>]*checked', row)
