import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from fravaer import demo
from fravaer.models import AbsenceRecord, Enrollment, Guardian, Municipality, Pupil, StaffRole, User
from fravaer.views.imports import SESSION_KEY
from tests.conftest import TODAY, make_user
from tests.fravaer.csv_files import SAMPLES, absence_csv, absence_line, roster_csv, roster_row
from tests.pages import upload

URL = reverse("imports")


def confirm(client):
    token = client.session[SESSION_KEY]["token"]
    return client.post(URL, {"action": "confirm", "token": token})


# --- who may upload ---------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, school):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["contact_teacher", "outsider", "team_member"])
def test_staff_without_import_role_get_404(db, client_for, request, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)

    assert client.get(URL).status_code == 404
    assert client.post(URL, {"action": "validate"}).status_code == 404


def test_leader_sees_upload_form(client_for, leader):
    response = client_for(leader).get(URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Kontroller fila" in content
    assert "Nordby skole" in content
    assert 'enctype="multipart/form-data"' in content
    assert "csrfmiddlewaretoken" in content
    assert "<script" not in content.split("</head>")[1]
    assert "style=" not in content


def test_upload_form_is_csrf_protected(leader, municipality):
    client = Client(enforce_csrf_checks=True)
    client.force_login(leader)

    response = upload(client, roster_csv(roster_row("P1")), "roster", municipality)

    assert response.status_code == 403


# --- preview, then confirm -----------------------------------------------------------------


def test_roster_upload_previews_then_confirm_applies(client_for, leader, municipality):
    client = client_for(leader)

    response = upload(
        client, roster_csv(roster_row("P1"), roster_row("P2")), "roster", municipality
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Fila er kontrollert uten feil" in content
    assert "Bekreft import" in content
    assert "Nye elever" in content
    assert Pupil.objects.count() == 0

    response = confirm(client)

    assert response.status_code == 302
    assert response.url == URL
    assert Pupil.objects.count() == 2
    assert Enrollment.objects.count() == 2
    assert SESSION_KEY not in client.session
    followed = client.get(URL).content.decode()
    assert "«fil.csv» er importert for Nordby skole (2 rader). Nye skoleår: 1," in followed


def test_confirm_message_names_the_file_and_the_school_but_no_pupil(
    client_for, leader, pupil, municipality
):
    client = client_for(leader)
    upload(
        client,
        absence_csv(absence_line(pupil), absence_line(pupil, "2026-11-16")),
        "absence",
        municipality,
    )

    followed = client.post(
        URL, {"action": "confirm", "token": client.session[SESSION_KEY]["token"]}, follow=True
    )

    content = followed.content.decode()
    assert (
        "«fil.csv» er importert for Nordby skole (2 rader). "
        "Nye registreringer av hele dager: 2." in content
    )
    assert pupil.pupil_id not in content
    assert "Nordmann" not in content


def test_confirm_message_of_a_municipal_admin_names_the_municipality(
    client_for, municipal_admin, school, other_school, municipality
):
    client = client_for(municipal_admin)
    upload(client, roster_csv(roster_row("P1")), "roster", municipality)

    followed = client.post(
        URL, {"action": "confirm", "token": client.session[SESSION_KEY]["token"]}, follow=True
    )

    assert "«fil.csv» er importert for Testvik (1 rad)." in followed.content.decode()


def test_absence_upload_records_as_the_uploader(client_for, leader, pupil, municipality):
    client = client_for(leader)

    upload(client, absence_csv(absence_line(pupil)), "absence", municipality)
    confirm(client)

    record = AbsenceRecord.objects.get()
    assert record.registered_by == leader


def test_preview_survives_a_reload(client_for, leader, municipality):
    client = client_for(leader)
    upload(client, roster_csv(roster_row("P1")), "roster", municipality)

    content = client.get(URL).content.decode()

    assert "Bekreft import" in content
    assert "fil.csv" in content


def test_pending_preview_still_offers_the_upload_form(client_for, leader, pupil, municipality):
    client = client_for(leader)
    upload(client, roster_csv(roster_row("P1")), "roster", municipality)

    content = client.get(URL).content.decode()

    assert "Last opp en annen fil" in content
    assert 'name="action" value="validate"' in content

    response = upload(client, absence_csv(absence_line(pupil)), "absence", municipality)

    assert "Fravær: «fil.csv», 1 rad." in response.content.decode()
    assert client.session[SESSION_KEY]["job"]["kind"] == "absence"


def test_missing_file_asks_to_choose_one(client_for, leader, municipality):
    response = client_for(leader).post(
        URL,
        {
            "action": "validate",
            "kind": "absence",
            "municipality": municipality.pk,
            "school_year": "2026-08-01",
        },
    )

    content = response.content.decode()
    assert "Velg en CSV-fil å laste opp." in content
    assert "Fyll ut" not in content


def test_thousands_of_bad_rows_show_a_count_and_the_first_200(client_for, leader, municipality):
    data = absence_csv(*(absence_line(f"E{n}") for n in range(5_000)))

    response = upload(client_for(leader), data, "absence", municipality)

    content = response.content.decode()
    assert "5\N{NO-BREAK SPACE}000 rader har feil; de første 200 feilene vises." in content
    assert content.count('<td class="nowrap">') == 200
    assert "Ukjent elev-ID «E199»." in content
    assert "Ukjent elev-ID «E200»." not in content
    assert 'href="#h-upload"' in content
    assert 'id="h-upload"' in content


def test_upload_lists_every_row_error_and_keeps_nothing(client_for, leader, pupil, municipality):
    client = client_for(leader)
    data = absence_csv(absence_line(pupil), absence_line("E123"), absence_line(pupil, "2026-11-14"))

    response = upload(client, data, "absence", municipality)

    content = response.content.decode()
    assert "Fila ble avvist: 2 feil. Ingenting er lagret." in content
    assert '<td class="nowrap">3</td><td>Ukjent elev-ID «E123».</td>' in content
    assert "14.11.2026 er ikke en skoledag ved elevens skole." in content
    assert "Bekreft import" not in content
    assert SESSION_KEY not in client.session
    assert AbsenceRecord.objects.count() == 0


def test_leader_cannot_import_another_schools_rows(client_for, leader, municipality):
    client = client_for(leader)

    response = upload(
        client,
        roster_csv(roster_row("P1"), roster_row("P2", school="Sørby skole")),
        "roster",
        municipality,
    )

    content = response.content.decode()
    assert "Skolen «Sørby skole» er ikke en av skolene du kan importere for" in content
    assert "Bekreft import" not in content
    assert Pupil.objects.count() == 0


def test_leader_cannot_take_over_another_schools_pupil(
    client_for, leader, other_pupil, municipality
):
    client = client_for(leader)
    data = roster_csv(
        roster_row(other_pupil.pupil_id, first="Kapret", g1=("Ny Foresatt", "40000000", ""))
    )

    response = upload(client, data, "roster", municipality)

    content = response.content.decode()
    assert f"<td>Ukjent elev-ID «{other_pupil.pupil_id}».</td>" in content
    assert "Bekreft import" not in content
    assert SESSION_KEY not in client.session
    other_pupil.refresh_from_db()
    assert other_pupil.first_name == "Per"
    assert list(Enrollment.objects.filter(pupil=other_pupil).values_list("group__name", "end")) == [
        ("5B", None)
    ]
    assert not Guardian.objects.filter(pupils=other_pupil).exists()


def test_leader_cannot_hand_a_class_to_ppt(client_for, leader, ppt_advisor, municipality):
    client = client_for(leader)
    data = roster_csv(roster_row("P1"), roster_row("P2", teacher="ppt@testvik.no"))

    response = upload(client, data, "roster", municipality)

    content = response.content.decode()
    assert "Fila ble avvist: 1 feil. Ingenting er lagret." in content
    assert (
        '<td class="nowrap">3</td><td>Brukeren «ppt@testvik.no» i «contact_teacher_email» '
        "kan ikke bli kontaktlærer ved Nordby skole:"
    ) in content
    assert "Bekreft import" not in content
    assert SESSION_KEY not in client.session
    assert not ppt_advisor.teaching_assignments.exists()
    assert not Pupil.objects.exists()


def test_municipal_admin_may_import_for_the_municipalitys_schools(
    client_for, municipal_admin, school, other_school, municipality
):
    client = client_for(municipal_admin)

    upload(
        client,
        roster_csv(roster_row("P1"), roster_row("P2", school="Sørby skole")),
        "roster",
        municipality,
    )
    response = confirm(client)

    assert response.status_code == 302
    assert Pupil.objects.count() == 2


def test_confirm_with_wrong_token_applies_nothing(client_for, leader, municipality):
    client = client_for(leader)
    upload(client, roster_csv(roster_row("P1")), "roster", municipality)

    response = client.post(URL, {"action": "confirm", "token": "forfalsket"})

    assert response.status_code == 302
    assert Pupil.objects.count() == 0
    assert SESSION_KEY not in client.session


def test_cancel_forgets_the_file(client_for, leader, municipality):
    client = client_for(leader)
    upload(client, roster_csv(roster_row("P1")), "roster", municipality)

    client.post(URL, {"action": "cancel"})

    assert SESSION_KEY not in client.session
    assert Pupil.objects.count() == 0


def test_confirm_after_losing_the_role_is_404(client_for, leader, municipality):
    client = client_for(leader)
    upload(client, roster_csv(roster_row("P1")), "roster", municipality)
    StaffRole.objects.filter(user=leader).delete()

    assert confirm(client).status_code == 404
    assert Pupil.objects.count() == 0


def test_upload_for_a_municipality_not_ones_own_is_rejected(client_for, leader, municipality):
    from fravaer.models import Municipality

    elsewhere = Municipality.objects.create(name="Andreby")

    response = upload(client_for(leader), roster_csv(roster_row("P1")), "roster", elsewhere)

    assert response.status_code == 200
    assert "Velg et gyldig valg" in response.content.decode()
    assert Pupil.objects.count() == 0


def test_empty_upload_speaks_of_fila(client_for, leader, municipality):
    response = upload(client_for(leader), b"", "roster", municipality)

    content = response.content.decode()
    assert "Fila er tom." in content
    assert "Filen" not in content


def test_upload_rejects_too_large_file(client_for, leader, municipality, settings):
    settings.IMPORT_MAX_BYTES = 50

    response = upload(client_for(leader), roster_csv(roster_row("P1")), "roster", municipality)

    assert "Fila er for stor." in response.content.decode()
    assert Pupil.objects.count() == 0


def test_no_personal_data_in_urls(client_for, leader, pupil, municipality):
    client = client_for(leader)
    upload(client, absence_csv(absence_line(pupil)), "absence", municipality)

    response = confirm(client)

    assert response.url == URL


def test_leader_with_two_municipalities_chooses(client_for, leader, municipality):
    from fravaer.models import Municipality, School

    other = Municipality.objects.create(name="Andreby")
    school = School.objects.create(municipality=other, name="Andreby skole")
    StaffRole.objects.create(user=leader, role="school_leader", school=school)

    content = client_for(leader).get(URL).content.decode()

    assert '<select name="municipality"' in content


def test_wrong_role_user_is_404_even_when_logged_in(client_for, db):
    assert client_for(make_user()).get(URL).status_code == 404


# --- the demo municipality and its sample files ------------------------------------------


def errors_in(response) -> list[str]:
    return re.findall(r'<td class="nowrap">[^<]*</td><td>([^<]*)</td>', response.content.decode())


def test_fjordvik_samples_upload_as_the_demo_principal(db, client):
    demo.seed_demo()
    municipality = Municipality.objects.get(name=demo.MUNICIPALITY_NAME)
    rektor = User.objects.get(username="rektor@demo.no")
    client.force_login(rektor)
    records = AbsenceRecord.objects.count()

    response = upload(
        client, (SAMPLES / "fjordvik_roster.csv").read_bytes(), "roster", municipality
    )

    assert "Fila er kontrollert uten feil" in response.content.decode(), errors_in(response)
    assert confirm(client).status_code == 302
    new = Enrollment.objects.filter(pupil__pupil_id__startswith="FJ09").select_related("group")
    assert len(new) == 4
    for enrollment in new:
        assert enrollment.group.school.name == demo.BARNESKOLE
        assert (enrollment.start, enrollment.end) == (TODAY, None)
    assert Guardian.objects.filter(pupils__pupil_id__startswith="FJ09").distinct().count() == 7

    response = upload(
        client, (SAMPLES / "fjordvik_absence.csv").read_bytes(), "absence", municipality
    )

    assert "Fila er kontrollert uten feil" in response.content.decode(), errors_in(response)
    assert confirm(client).status_code == 302
    imported = AbsenceRecord.objects.filter(registered_by=rektor)
    assert AbsenceRecord.objects.count() == records + 8 == records + imported.count()
    assert all(r.date < TODAY and r.date.weekday() < 5 for r in imported)
    assert {r.pupil.pupil_id for r in imported} == {
        "FJ00135",
        "FJ00152",
        "FJ00192",
        "FJ00213",
        "FJ00233",
        "FJ00267",
    }
    assert min(r.date for r in imported) >= dt.date(2026, 11, 9)
