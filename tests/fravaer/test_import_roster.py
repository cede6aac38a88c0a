import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fravaer import imports
from fravaer.imports import csvfile
from fravaer.models import (
    AbsenceReason,
    AbsenceRecord,
    Enrollment,
    Group,
    Guardian,
    Municipality,
    Pupil,
    School,
    SchoolYear,
    StaffRole,
    TeachingAssignment,
    User,
)
from tests.conftest import TODAY, make_group, make_pupil, make_user
from tests.fravaer.csv_files import ROSTER_HEADER, SAMPLES, roster_csv, roster_row


def run(data: bytes, **kwargs) -> imports.ImportResult:
    kwargs.setdefault("municipality_name", "Testvik")
    return imports.import_roster(data, **kwargs)


def messages(result: imports.ImportResult) -> list[str]:
    return [str(e) for e in result.errors]


def snapshot() -> dict[str, int]:
    models = (Municipality, SchoolYear, School, Group, Pupil, Enrollment, Guardian, User)
    counts = {m.__name__: m.objects.count() for m in models}
    counts["links"] = Guardian.pupils.through.objects.count()
    counts["assignments"] = TeachingAssignment.objects.count()
    counts["reasons"] = AbsenceReason.objects.count()
    return counts


# --- creating and updating --------------------------------------------------------


def test_roster_creates_everything_for_a_new_municipality(db):
    data = roster_csv(
        roster_row(
            "P1",
            teacher="Kari.Larer@Nyby.no",
            g1=("Mona Berg", "+47 912 34 567", "mona@example.no"),
            g2=("Tor Berg", "", ""),
        )
    )

    result = run(data, municipality_name="Nyby")

    assert result.ok, messages(result)
    municipality = Municipality.objects.get(name="Nyby")
    assert set(municipality.absence_reasons.values_list("code", flat=True)) == {
        "illness",
        "leave",
        "other",
        "unknown",
    }
    year = SchoolYear.objects.get()
    assert (year.start, year.end) == (dt.date(2026, 8, 1), dt.date(2027, 7, 31))
    group = Group.objects.get(school__municipality=municipality)
    assert (group.school.name, group.name, group.grade, group.lessons_per_day) == (
        "Nordby skole",
        "5A",
        5,
        5,
    )
    pupil = Pupil.objects.get(pupil_id="P1")
    assert (pupil.full_name, pupil.birth_date) == ("Nora Berg", dt.date(2016, 4, 1))
    enrollment = Enrollment.objects.get(pupil=pupil)
    # A class new to the product belongs from the school year's start.
    assert (enrollment.group, enrollment.start, enrollment.end) == (
        group,
        dt.date(2026, 8, 1),
        None,
    )
    assert sorted(pupil.guardians.values_list("name", "phone", "email")) == [
        ("Mona Berg", "+47 912 34 567", "mona@example.no"),
        ("Tor Berg", "", ""),
    ]
    teacher = User.objects.get(username="kari.larer@nyby.no")
    assert not teacher.has_usable_password()
    assignment = TeachingAssignment.objects.get(user=teacher)
    assert (assignment.group, assignment.kind, assignment.valid_from) == (
        group,
        "contact",
        year.start,
    )
    assert result.counts["pupils"] == 1
    assert result.counts["municipalities"] == 1


def test_roster_uses_lessons_per_day_and_grade_default(municipality):
    result = run(
        roster_csv(
            roster_row("P1", group="9B", grade="9", birth="2012-01-01"),
            roster_row("P2", group="9C", grade="9", birth="2012-01-01", lessons="7"),
        )
    )

    assert result.ok, messages(result)
    assert dict(Group.objects.values_list("name", "lessons_per_day")) == {"9B": 6, "9C": 7}


def test_roster_one_assignment_per_teacher_and_group(municipality):
    result = run(
        roster_csv(roster_row("P1"), roster_row("P2"), roster_row("P3", teacher="to@nordby.no"))
    )

    assert result.ok, messages(result)
    assert TeachingAssignment.objects.count() == 2
    assert User.objects.count() == 2


def test_roster_updates_what_changed(pupil, group, contact_teacher):
    data = roster_csv(
        roster_row(
            pupil.pupil_id,
            first="Ola Johan",
            last="Nordmann",
            birth="2014-02-03",
            lessons="6",
            g1=("kari nordmann", "40000000", "kari@example.no"),
        )
    )

    result = run(data, school_year_start=group.school_year.start)

    assert result.ok, messages(result)
    pupil.refresh_from_db()
    group.refresh_from_db()
    assert (pupil.first_name, pupil.birth_date) == ("Ola Johan", dt.date(2014, 2, 3))
    assert group.lessons_per_day == 6
    guardian = pupil.guardians.get()
    assert (guardian.name, guardian.phone, guardian.email) == (
        "Kari Nordmann",
        "40000000",
        "kari@example.no",
    )
    assert result.counts == {
        **{key: 0 for key in result.counts},
        "pupils_updated": 1,
        "groups_updated": 1,
        "guardians_updated": 1,
    }


def test_roster_empty_guardian_cells_keep_stored_values(pupil, group, contact_teacher):
    result = run(
        roster_csv(
            roster_row(
                pupil.pupil_id,
                first="Ola",
                last="Nordmann",
                birth="2014-01-01",
                g1=("Kari Nordmann", "", ""),
            )
        )
    )

    assert result.ok, messages(result)
    assert pupil.guardians.get().phone == "99999999"
    assert result.counts["unchanged"] == 1


def test_roster_import_twice_changes_nothing(municipality):
    data = roster_csv(
        roster_row("P1", g1=("Mona Berg", "912 34 567", "mona@example.no")),
        roster_row(
            "P2", first="Jonas", group="6B", grade="6", birth="2015-05-05", teacher="b@x.no"
        ),
    )
    assert run(data).ok
    before = snapshot()

    again = run(data)

    assert again.ok
    assert snapshot() == before
    assert again.counts["unchanged"] == 2
    assert sum(n for key, n in again.counts.items() if key != "unchanged") == 0


def test_roster_dry_run_writes_nothing(municipality):
    before = snapshot()

    result = run(roster_csv(roster_row("P1", g1=("Mona Berg", "", ""))), dry_run=True)

    assert result.ok
    assert result.counts["pupils"] == 1
    assert result.counts["guardians"] == 1
    assert snapshot() == before


# --- enrollments --------------------------------------------------------------------


def test_roster_moving_class_ends_old_enrollment_and_keeps_it(pupil, group, school, school_year):
    make_group(school, school_year, name="5B", grade=5)

    result = run(
        roster_csv(
            roster_row(pupil.pupil_id, group="5B", first="Ola", last="Nordmann", birth="2014-01-01")
        )
    )

    assert result.ok, messages(result)
    assert result.counts["enrollments_ended"] == 1
    old, new = Enrollment.objects.filter(pupil=pupil).order_by("start")
    assert (old.group.name, old.start, old.end) == (
        "5A",
        dt.date(2026, 8, 1),
        dt.date(2026, 11, 17),
    )
    assert (new.group.name, new.start, new.end) == ("5B", dt.date(2026, 11, 18), None)


def test_roster_new_school_year_ends_last_years_enrollment_at_year_end(municipality, school):
    last_year = SchoolYear.objects.create(start=dt.date(2025, 8, 1), end=dt.date(2026, 7, 31))
    old_group = make_group(school, last_year, name="4A", grade=4)
    pupil = Pupil.objects.create(
        municipality=municipality,
        pupil_id="P9",
        first_name="Nora",
        last_name="Berg",
        birth_date=dt.date(2016, 4, 1),
    )
    Enrollment.objects.create(pupil=pupil, group=old_group, start=last_year.start)

    result = run(roster_csv(roster_row("P9")))

    assert result.ok, messages(result)
    old, new = Enrollment.objects.filter(pupil=pupil).order_by("start")
    assert (old.group, old.end) == (old_group, dt.date(2026, 7, 31))
    assert (new.group.name, new.start) == ("5A", dt.date(2026, 8, 1))


def test_roster_leaves_next_years_enrollment_alone(pupil, group, school, school_year):
    next_year = SchoolYear.objects.create(start=dt.date(2027, 8, 1), end=dt.date(2028, 7, 31))
    Enrollment.objects.create(
        pupil=pupil, group=make_group(school, next_year, name="6A", grade=6), start=next_year.start
    )
    make_group(school, school_year, name="5B", grade=5)

    result = run(
        roster_csv(
            roster_row(pupil.pupil_id, group="5B", first="Ola", last="Nordmann", birth="2014-01-01")
        )
    )

    assert result.ok, messages(result)
    assert sorted(Enrollment.objects.filter(pupil=pupil).values_list("group__name", "end")) == [
        ("5A", dt.date(2026, 11, 17)),
        ("5B", None),
        ("6A", None),
    ]


def test_roster_same_class_keeps_enrollment(pupil, group):
    run(roster_csv(roster_row(pupil.pupil_id, first="Ola", last="Nordmann", birth="2014-01-01")))

    assert Enrollment.objects.filter(pupil=pupil).count() == 1


def test_roster_new_pupil_mid_year_is_enrolled_from_the_import_day(group):
    result = run(roster_csv(roster_row("P1")))

    assert result.ok, messages(result)
    enrollment = Enrollment.objects.get(pupil__pupil_id="P1")
    assert (enrollment.group, enrollment.start, enrollment.end) == (group, TODAY, None)


def test_roster_first_roster_mid_year_enrols_from_the_school_years_start(municipality):
    """A school taken into use in November can still import its autumn's absence."""
    assert run(roster_csv(roster_row("P1"))).ok
    assert Enrollment.objects.get(pupil__pupil_id="P1").start == dt.date(2026, 8, 1)
    result = imports.import_absence(
        b"pupil_id;date;kind\nP1;2026-09-14;day\n", municipality=municipality, by=None
    )
    assert result.ok, messages(result)


def test_roster_new_pupil_before_the_school_year_is_enrolled_from_its_start(municipality):
    result = run(
        roster_csv(roster_row("P1")),
        school_year_start=dt.date(2026, 8, 1),
        today=dt.date(2026, 6, 15),
    )

    assert result.ok, messages(result)
    assert Enrollment.objects.get(pupil__pupil_id="P1").start == dt.date(2026, 8, 1)


def test_roster_new_pupil_for_the_coming_school_year_is_enrolled_from_its_start(municipality):
    result = run(
        roster_csv(roster_row("P1", birth="2017-04-01")), school_year_start=dt.date(2027, 8, 1)
    )

    assert result.ok, messages(result)
    assert Enrollment.objects.get(pupil__pupil_id="P1").start == dt.date(2027, 8, 1)


def test_roster_pupil_back_after_leaving_last_year_is_enrolled_from_the_import_day(
    municipality, school, school_year, group
):
    last_year = SchoolYear.objects.create(start=dt.date(2025, 8, 1), end=dt.date(2026, 7, 31))
    old = make_pupil(make_group(school, last_year, name="4A", grade=4))
    Enrollment.objects.filter(pupil=old).update(end=dt.date(2026, 3, 1))

    result = run(roster_csv(roster_row(old.pupil_id, birth="2014-01-01")))

    assert result.ok, messages(result)
    assert Enrollment.objects.filter(pupil=old).order_by("start").last().start == TODAY


def test_roster_pupil_arriving_mid_year_gets_no_absence_before_arrival(group, municipality):
    assert run(roster_csv(roster_row("P1"))).ok

    result = imports.import_absence(
        b"pupil_id;date;kind\nP1;2026-11-16;day\nP1;2026-11-18;day\n",
        municipality=municipality,
        by=None,
    )

    assert messages(result) == ["Linje 2: Eleven «P1» gikk ikke i noen klasse 16.11.2026."]


# --- contact teachers: who a roster may link ---------------------------------------------


def not_linkable(line: int, email: str, school="Nordby skole") -> str:
    return (
        f"Linje {line}: Brukeren «{email}» i «contact_teacher_email» kan ikke bli "
        f"kontaktlærer ved {school}: den har ingen rolle ved skolen, men en annen rolle (PPT, "
        "kommunal administrator, en rolle ved en annen skole) eller klasser i en annen "
        "kommune. Sjekk e-postadressen, eller la kommunen gi brukeren en rolle ved skolen først."
    )


def contact_groups_of(user) -> list[str]:
    return sorted(
        TeachingAssignment.objects.filter(user=user, kind="contact").values_list(
            "group__name", flat=True
        )
    )


@pytest.fixture
def other_municipalitys_teacher(school_year) -> User:
    elsewhere = School.objects.create(
        municipality=Municipality.objects.create(name="Annenvik"), name="Annenvik skole"
    )
    user = make_user("larer@annenvik.no")
    TeachingAssignment.objects.create(
        user=user, group=make_group(elsewhere, school_year), kind="contact", valid_from=TODAY
    )
    return user


def _school_role(user, role, school):
    StaffRole.objects.create(user=user, role=role, school=school)
    return user


REFUSED = {
    "ppt": lambda request: request.getfixturevalue("ppt_advisor"),
    "municipal_admin": lambda request: request.getfixturevalue("municipal_admin"),
    "other_schools_leader": lambda request: _school_role(
        make_user("rektor@sorby.no"), "school_leader", request.getfixturevalue("other_school")
    ),
    "other_schools_nurse": lambda request: _school_role(
        make_user("helse@sorby.no"), "school_nurse", request.getfixturevalue("other_school")
    ),
    "other_municipalitys_teacher": lambda request: request.getfixturevalue(
        "other_municipalitys_teacher"
    ),
}


@pytest.mark.parametrize("persona", REFUSED)
@pytest.mark.parametrize("allowed", [["Nordby skole"], None], ids=["leader", "command"])
def test_roster_refuses_to_make_staff_of_another_role_or_place_a_contact_teacher(
    request, school, school_year, persona, allowed
):
    user = REFUSED[persona](request)
    before = snapshot()

    result = run(
        roster_csv(roster_row("P1"), roster_row("P2", teacher=user.username)),
        allowed_schools=allowed,
    )

    assert messages(result) == [not_linkable(3, user.username)]
    assert snapshot() == before
    assert not TeachingAssignment.objects.filter(user=user, group__school=school).exists()


def test_roster_refuses_an_existing_account_in_every_row_that_names_it(ppt_advisor, school):
    result = run(
        roster_csv(
            roster_row("P1", teacher="PPT@testvik.no"),
            roster_row("P2", teacher="ny@nordby.no"),
            roster_row("P3", group="6A", grade="6", teacher="ppt@testvik.no"),
        )
    )

    assert [e.line for e in result.errors] == [2, 4]
    assert not Pupil.objects.exists()


def test_roster_for_a_new_school_refuses_an_account_with_another_role(leader, school_year):
    result = run(roster_csv(roster_row("P1", school="Nyskolen", teacher=leader.username)))

    assert messages(result) == [not_linkable(2, leader.username, school="Nyskolen")]


def test_roster_for_a_new_municipality_refuses_another_municipalitys_teacher(
    other_municipalitys_teacher,
):
    result = run(
        roster_csv(roster_row("P1", teacher=other_municipalitys_teacher.username)),
        municipality_name="Nyby",
    )

    assert messages(result) == [not_linkable(2, "larer@annenvik.no")]
    assert not Municipality.objects.filter(name="Nyby").exists()


@pytest.mark.parametrize(
    "persona", ["contact_teacher", "subject_teacher", "leader", "team_member", "nurse"]
)
@pytest.mark.parametrize("allowed", [["Nordby skole"], None], ids=["leader", "command"])
def test_roster_links_staff_of_the_school(request, group, persona, allowed):
    user = request.getfixturevalue(persona)

    result = run(
        roster_csv(roster_row("P1", group="6A", grade="6", teacher=user.username)),
        allowed_schools=allowed,
    )

    assert result.ok, messages(result)
    assert "6A" in contact_groups_of(user)
    assert result.counts["users"] == 0


def test_roster_links_a_teacher_of_another_school_in_the_municipality(school, outsider):
    result = run(
        roster_csv(roster_row("P1", teacher=outsider.username)), allowed_schools=["Nordby skole"]
    )

    assert result.ok, messages(result)
    assert contact_groups_of(outsider) == ["5A", "5B"]


def test_roster_links_an_account_that_holds_no_role_yet(school):
    user = make_user("ny.larer@nordby.no")

    result = run(
        roster_csv(roster_row("P1", teacher="Ny.Larer@nordby.no")), allowed_schools=["Nordby skole"]
    )

    assert result.ok, messages(result)
    assert contact_groups_of(user) == ["5A"]


def test_roster_links_a_teacher_whose_classes_elsewhere_are_last_years(
    school, other_municipalitys_teacher
):
    last_year = SchoolYear.objects.create(start=dt.date(2025, 8, 1), end=dt.date(2026, 7, 31))
    TeachingAssignment.objects.filter(user=other_municipalitys_teacher).update(
        group=make_group(School.objects.get(name="Annenvik skole"), last_year)
    )

    result = run(roster_csv(roster_row("P1", teacher=other_municipalitys_teacher.username)))

    assert result.ok, messages(result)
    assert TeachingAssignment.objects.filter(
        user=other_municipalitys_teacher, group__school=school, kind="contact"
    ).exists()


def test_roster_for_a_new_municipality_links_an_existing_account_without_roles(db):
    user = make_user("kari.larer@nyby.no")

    result = run(roster_csv(roster_row("P1", teacher=user.username)), municipality_name="Nyby")

    assert result.ok, messages(result)
    assert result.counts["users"] == 0
    assert TeachingAssignment.objects.get(user=user).group.school.municipality.name == "Nyby"


# --- a school leader's file: their own pupils and guardians only ----------------------

BOTH_SCHOOLS = ["Nordby skole", "Sørby skole"]  # a municipal administrator's


def as_leader(data: bytes, **kwargs) -> imports.ImportResult:
    return run(data, allowed_schools=["Nordby skole"], **kwargs)


def ola(**kwargs) -> str:
    """The row that matches the `pupil` fixture as stored."""
    return roster_row(
        kwargs.pop("pupil_id"), first="Ola", last="Nordmann", birth="2014-01-01", **kwargs
    )


@pytest.fixture
def siblings(pupil, other_pupil):
    """Kari Nordmann is the guardian of `pupil` (Nordby) and `other_pupil` (Sørby)."""
    guardian = pupil.guardians.get()
    guardian.pupils.add(other_pupil)
    return guardian


@pytest.mark.parametrize("dry_run", [True, False])
def test_leader_cannot_take_over_a_pupil_at_another_school(school, other_pupil, dry_run):
    before = snapshot()
    data = roster_csv(roster_row(other_pupil.pupil_id, first="Kapret", birth="2016-01-01"))

    result = as_leader(data, dry_run=dry_run)

    assert messages(result) == [f"Linje 2: Ukjent elev-ID «{other_pupil.pupil_id}»."]
    other_pupil.refresh_from_db()
    assert (other_pupil.first_name, other_pupil.birth_date) == ("Per", dt.date(2014, 1, 1))
    assert list(Enrollment.objects.filter(pupil=other_pupil).values_list("group__name", "end")) == [
        ("5B", None)
    ]
    assert snapshot() == before


def test_leader_gets_the_words_of_an_unknown_pupil_id(school, other_pupil, municipality):
    roster_error = as_leader(roster_csv(roster_row(other_pupil.pupil_id))).errors[0].message
    absence_error = (
        imports.import_absence(
            f"pupil_id;date;kind\n{other_pupil.pupil_id};2026-11-17;day\n".encode(),
            municipality=municipality,
            by=None,
            schools=[school],
        )
        .errors[0]
        .message
    )

    assert roster_error == absence_error == f"Ukjent elev-ID «{other_pupil.pupil_id}»."


def test_leader_cannot_claim_a_pupil_enrolled_at_another_school_later(
    school, other_school, municipality
):
    next_year = SchoolYear.objects.create(start=dt.date(2027, 8, 1), end=dt.date(2028, 7, 31))
    pupil = make_pupil(make_group(other_school, next_year, name="6B", grade=6))

    result = as_leader(roster_csv(roster_row(pupil.pupil_id, birth="2014-01-01")))

    assert messages(result) == [f"Linje 2: Ukjent elev-ID «{pupil.pupil_id}»."]
    assert Enrollment.objects.filter(pupil=pupil).count() == 1


@pytest.mark.parametrize("allowed", [BOTH_SCHOOLS, None], ids=["municipal_admin", "command"])
def test_municipal_admin_and_command_line_may_move_a_pupil_between_schools(
    school, other_pupil, allowed
):
    data = roster_csv(
        roster_row(other_pupil.pupil_id, first="Per", last="Hansen", birth="2014-01-01")
    )

    result = run(data, allowed_schools=allowed)

    assert result.ok, messages(result)
    old, new = Enrollment.objects.filter(pupil=other_pupil).order_by("start")
    assert (old.group.school.name, old.end) == ("Sørby skole", dt.date(2026, 11, 17))
    assert (new.group.school.name, new.start, new.end) == ("Nordby skole", TODAY, None)


def test_leader_may_enrol_a_pupil_who_has_left_another_school(school, other_pupil):
    Enrollment.objects.filter(pupil=other_pupil).update(end=dt.date(2026, 10, 30))

    result = as_leader(
        roster_csv(roster_row(other_pupil.pupil_id, first="Per", last="Hansen", birth="2014-01-01"))
    )

    assert result.ok, messages(result)
    # 5A is new to the product: the pupil belongs from the day after they left.
    latest = Enrollment.objects.filter(pupil=other_pupil).order_by("start").last()
    assert latest.start == dt.date(2026, 10, 31)


@pytest.mark.parametrize("elsewhere", ["other_school", "no_school_now"])
def test_leader_never_changes_a_guardian_shared_with_a_pupil_not_theirs(
    pupil, other_pupil, siblings, elsewhere
):
    if elsewhere == "no_school_now":
        Enrollment.objects.filter(pupil=other_pupil).update(end=dt.date(2026, 10, 30))
    data = roster_csv(ola(pupil_id=pupil.pupil_id, g1=("Kari Nordmann", "40000000", "kari@x.no")))

    result = as_leader(data)

    assert result.ok, messages(result)
    siblings.refresh_from_db()
    assert (siblings.phone, siblings.email) == ("99999999", "")
    assert list(siblings.pupils.all()) == [other_pupil]
    copy = pupil.guardians.get()
    assert copy.pk != siblings.pk
    assert (copy.name, copy.phone, copy.email) == ("Kari Nordmann", "40000000", "kari@x.no")
    assert (result.counts["guardians"], result.counts["guardians_updated"]) == (1, 0)
    # The next import finds the pupil's own copy: nothing more to do.
    before = snapshot()
    assert as_leader(data).counts["unchanged"] == 1
    assert snapshot() == before


def test_leader_gives_siblings_at_their_school_one_copy_of_a_shared_guardian(
    group, pupil, other_pupil, siblings
):
    sister = make_pupil(group, first="Eva", last="Nordmann")
    siblings.pupils.add(sister)
    g1 = ("Kari Nordmann", "40000000", "")

    result = as_leader(
        roster_csv(
            ola(pupil_id=pupil.pupil_id, g1=g1),
            roster_row(sister.pupil_id, first="Eva", last="Nordmann", birth="2014-01-01", g1=g1),
        )
    )

    assert result.ok, messages(result)
    copy = pupil.guardians.get()
    assert sister.guardians.get() == copy
    assert copy.phone == "40000000"
    assert Guardian.objects.count() == 2
    assert siblings.pupils.get() == other_pupil


def test_leader_updates_a_guardian_whose_pupils_are_all_at_their_school(group, pupil, other_pupil):
    guardian = pupil.guardians.get()
    guardian.pupils.add(make_pupil(group))

    result = as_leader(
        roster_csv(ola(pupil_id=pupil.pupil_id, g1=("Kari Nordmann", "40000000", "")))
    )

    assert result.ok, messages(result)
    guardian.refresh_from_db()
    assert guardian.phone == "40000000"
    assert pupil.guardians.get() == guardian
    assert result.counts["guardians_updated"] == 1


def test_municipal_admin_updates_a_guardian_shared_across_schools(pupil, other_pupil, siblings):
    data = roster_csv(ola(pupil_id=pupil.pupil_id, g1=("Kari Nordmann", "40000000", "")))

    result = run(data, allowed_schools=BOTH_SCHOOLS)

    assert result.ok, messages(result)
    siblings.refresh_from_db()
    assert siblings.phone == "40000000"
    assert set(siblings.pupils.all()) == {pupil, other_pupil}
    assert Guardian.objects.count() == 1


# --- rejections: one per reason --------------------------------------------------------


def test_roster_missing_column_is_reported_once(municipality):
    header = ROSTER_HEADER.replace("birth_date;", "").replace("contact_teacher_email;", "")

    result = run(roster_csv("a;b;c", "d;e;f", header=header))

    assert messages(result) == [
        "Linje 1: Mangler påkrevde kolonner: birth_date, contact_teacher_email. Påkrevde "
        "kolonner er: school, group, grade, pupil_id, first_name, last_name, birth_date, "
        "contact_teacher_email."
    ]


@pytest.mark.parametrize("grade", ["0", "11", "femte"])
def test_roster_rejects_grade_out_of_range(municipality, grade):
    result = run(roster_csv(roster_row("P1"), roster_row("P2", grade=grade)))

    assert messages(result) == [f"Linje 3: Ugyldig trinn «{grade}»; bruk et heltall fra 1 til 10."]


@pytest.mark.parametrize("birth", ["2016-13-01", "31.02.2016", "1.april 2016"])
def test_roster_rejects_bad_birth_date(municipality, birth):
    result = run(roster_csv(roster_row("P1", birth=birth)))

    assert messages(result) == [
        f"Linje 2: Ugyldig fødselsdato «{birth}»; bruk ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ."
    ]


def test_roster_names_empty_required_cells_and_what_belongs_there(municipality):
    result = run(roster_csv(roster_row("P1", grade="", birth="", first="")))

    assert messages(result) == [
        "Linje 2: Kolonnen «grade» (trinn, et helt tall fra 1 til 10) er tom.",
        "Linje 2: Kolonnen «first_name» (elevens fornavn) er tom.",
        "Linje 2: Kolonnen «birth_date» (fødselsdato, ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ) er tom.",
    ]


@pytest.mark.parametrize("birth", ["2027-01-01", "1980-05-05", "2025-01-01"])
def test_roster_rejects_implausible_birth_date(municipality, birth):
    result = run(roster_csv(roster_row("P1", birth=birth)))

    assert len(result.errors) == 1
    assert "passer ikke for en elev i grunnskolen" in messages(result)[0]


@pytest.mark.parametrize("birth", ["0001-01-01", "01.01.0001", "1899-12-31"])
def test_roster_refuses_a_birth_date_outside_the_years_a_file_may_hold(municipality, birth):
    result = run(roster_csv(roster_row("P1", birth=birth)))

    assert messages(result) == [
        f"Linje 2: Datoen «{birth}» i «birth_date» er utenfor tillatt område; bruk en dato "
        "fra 01.01.1900 til 31.12.2099."
    ]


def test_import_dates_show_with_four_digit_years():
    assert imports.fields.format_date(dt.date(1, 1, 1)) == "01.01.0001"
    assert imports.fields.format_date(dt.date(2026, 9, 4)) == "04.09.2026"


def test_roster_rejects_bad_teacher_email(municipality):
    result = run(roster_csv(roster_row("P1", teacher="kari.nordby.no")))

    assert messages(result) == [
        "Linje 2: Ugyldig e-postadresse «kari.nordby.no» i «contact_teacher_email»."
    ]


def test_roster_rejects_bad_guardian_email_and_phone(municipality):
    result = run(roster_csv(roster_row("P1", g1=("Mona Berg", "ring meg", "mona@"))))

    assert messages(result) == [
        "Linje 2: Ugyldig telefonnummer «ring meg» i «guardian1_phone».",
        "Linje 2: Ugyldig e-postadresse «mona@» i «guardian1_email».",
    ]


def test_roster_rejects_guardian_contact_without_name(municipality):
    result = run(roster_csv(roster_row("P1", g2=("", "91234567", ""))))

    assert messages(result) == [
        "Linje 2: Kolonnen «guardian2_name» (navnet til foresatt 2) er tom, men foresatt 2 "
        "har telefon eller e-post."
    ]


def test_roster_rejects_empty_required_value(municipality):
    result = run(roster_csv(roster_row("P1", first="")))

    assert messages(result) == ["Linje 2: Kolonnen «first_name» (elevens fornavn) er tom."]


def test_roster_rejects_bad_lessons_per_day(municipality):
    result = run(roster_csv(roster_row("P1", lessons="13")))

    assert messages(result) == [
        "Linje 2: Ugyldig antall timer per dag «13»; bruk et heltall fra 1 til 12."
    ]


def test_roster_rejects_pupil_twice_in_file(municipality):
    result = run(roster_csv(roster_row("P1"), roster_row("P2"), roster_row("P1", group="5B")))

    assert messages(result) == ["Linje 4: Elev-ID «P1» står også på linje 2."]


def test_roster_rejects_group_with_two_grades_in_file(municipality):
    result = run(roster_csv(roster_row("P1"), roster_row("P2", grade="6", birth="2015-01-01")))

    assert messages(result) == ["Linje 3: Klassen «5A» har trinn 5 på linje 2."]


def test_roster_rejects_grade_that_contradicts_existing_group(group):
    result = run(roster_csv(roster_row("P1", grade="6", birth="2015-01-01")))

    assert messages(result) == [
        "Linje 2: Klassen «5A» ved Nordby skole har trinn 5 i skoleåret 2026–2027, ikke 6."
    ]


def test_roster_rejects_school_outside_allowed_schools(school):
    result = run(
        roster_csv(roster_row("P1"), roster_row("P2", school="Sørby skole")),
        allowed_schools=[school.name],
    )

    assert messages(result) == [
        "Linje 3: Skolen «Sørby skole» er ikke en av skolene du kan importere for."
    ]


def test_roster_rejects_finished_school_year(municipality):
    result = run(roster_csv(roster_row("P1")), school_year_start=dt.date(2025, 8, 1))

    assert not result.ok
    assert "er avsluttet" in messages(result)[0]


def test_roster_messages_are_in_sentence_case(school, other_pupil):
    result = as_leader(
        roster_csv(
            roster_row("P1", grade="0", birth="x"),
            roster_row("P2"),
            roster_row("P2"),
            roster_row("P3", school="Sørby skole"),
            roster_row(other_pupil.pupil_id),
            roster_row("P4", teacher="x", g1=("", "1234", "")),
            roster_row("P5") + ";x;y",
        )
    )

    assert len(result.errors) == 8
    assert [e.message for e in result.errors if not e.message[0].isupper()] == []
    assert [e.message for e in result.errors if not e.message.endswith(".")] == []


def test_roster_reports_every_bad_row_and_creates_nothing(municipality):
    before = snapshot()
    data = roster_csv(
        roster_row("P1"), roster_row("P2", grade="0"), roster_row("P3"), roster_row("P4", birth="x")
    )

    result = run(data)

    assert [e.line for e in result.errors] == [3, 5]
    assert snapshot() == before


def test_roster_rejects_row_with_extra_cells(municipality):
    result = run(roster_csv(roster_row("P1") + ";x;y"))

    assert messages(result)[0].startswith("Linje 2: Raden har 17 felt, men overskriften har 15")


def test_roster_refuses_too_large_file(municipality, settings):
    settings.IMPORT_MAX_BYTES = 100

    result = run(roster_csv(roster_row("P1"), roster_row("P2")))

    assert messages(result) == ["Fila er for stor. Største tillatte størrelse er 100\xa0byte."]
    assert result.rows == 0


def test_roster_refuses_more_than_max_rows(municipality, monkeypatch):
    monkeypatch.setattr(csvfile, "MAX_ROWS", 3)  # where `read_table` reads it

    result = run(roster_csv(*(roster_row(f"P{i}") for i in range(4))))

    assert messages(result) == ["Fila har mer enn 3 rader. Del den opp i flere filer."]


def test_roster_refuses_excel_workbook(municipality):
    result = run(b"PK\x03\x04rest-of-a-zip")

    assert "Excel-arbeidsbok" in messages(result)[0]


# --- encodings and delimiters --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_roster_reads_encodings_and_delimiters(municipality, encoding, delimiter):
    data = roster_csv(
        roster_row(
            "P1",
            school="Bjørkely skole",
            first="Åse",
            last="Ødegård",
            g1=("Mæhlum Ødegård", "", ""),
        ),
        delimiter=delimiter,
        encoding=encoding,
    )

    result = run(data)

    assert result.ok, messages(result)
    pupil = Pupil.objects.get(pupil_id="P1")
    assert pupil.full_name == "Åse Ødegård"
    assert School.objects.filter(name="Bjørkely skole").exists()
    assert pupil.guardians.get().name == "Mæhlum Ødegård"


def test_roster_header_names_are_trimmed_and_case_insensitive(municipality):
    header = ";".join(f" {name.upper()} " for name in ROSTER_HEADER.split(";"))

    assert run(roster_csv(roster_row("P1"), header=header)).ok


def test_roster_line_numbers_count_quoted_line_breaks(municipality):
    multiline = roster_row("P1", first='"Nora\nMarie"')

    result = run(roster_csv(multiline, roster_row("P2", grade="0")))

    assert [e.line for e in result.errors] == [4]


# --- bounded queries --------------------------------------------------------------------


def _queries(data: bytes, **kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        result = run(data, **kwargs)
    assert result.ok, messages(result)
    return len(ctx)


def test_roster_query_count_does_not_grow_with_rows(school, school_year):
    def file(prefix: str, n: int) -> bytes:
        return roster_csv(
            *(
                roster_row(f"{prefix}{i}", group=f"{prefix}{i % 3}", g1=(f"Foresatt {i}", "", ""))
                for i in range(n)
            )
        )

    small, large = _queries(file("A", 3)), _queries(file("B", 30))
    assert small == large
    again = _queries(file("B", 30))  # existing pupils, guardians and enrollments
    assert again <= large


def test_roster_query_count_for_a_leader_does_not_grow_with_rows(school, other_school, school_year):
    def file(prefix: str, n: int) -> bytes:
        return roster_csv(
            *(
                roster_row(f"{prefix}{i}", group=f"{prefix}{i % 3}", g1=(f"Foresatt {i}", "", ""))
                for i in range(n)
            )
        )

    def count(data: bytes) -> int:
        return _queries(data, allowed_schools=[school.name])

    assert count(file("A", 3)) == count(file("B", 30))
    # Again, with pupils, guardians and enrollments to check against other schools.
    assert count(file("A", 3)) == count(file("B", 30))


# --- command line ------------------------------------------------------------------------


def test_import_roster_command_prints_summary(tmp_path, municipality):
    path = tmp_path / "elever.csv"
    path.write_bytes(roster_csv(roster_row("P1"), roster_row("P2")))
    out = StringIO()

    call_command("import_roster", str(path), "--municipality", "Testvik", stdout=out)

    assert out.getvalue().startswith("Import fullført (2 rader). Nye skoleår: 1, nye skoler: 1")
    assert "nye elever: 2" in out.getvalue()
    assert Pupil.objects.count() == 2


def test_import_roster_command_exits_non_zero_on_rejected_file(tmp_path, municipality):
    path = tmp_path / "elever.csv"
    path.write_bytes(roster_csv(roster_row("P1"), roster_row("P2", grade="12")))
    err = StringIO()

    with pytest.raises(CommandError, match="Fila ble avvist med 1 feil"):
        call_command("import_roster", str(path), "--municipality", "Testvik", stderr=err)

    assert "Linje 3: Ugyldig trinn «12»" in err.getvalue()
    assert Pupil.objects.count() == 0


def test_import_roster_command_takes_school_year(tmp_path, municipality):
    path = tmp_path / "elever.csv"
    path.write_bytes(roster_csv(roster_row("P1", birth="2017-04-01")))

    call_command(
        "import_roster",
        str(path),
        "--municipality",
        "Testvik",
        "--school-year",
        "2027-2028",
        stdout=StringIO(),
    )

    assert Group.objects.get().school_year.start == dt.date(2027, 8, 1)


def test_import_roster_command_rejects_bad_school_year(tmp_path, municipality):
    path = tmp_path / "elever.csv"
    path.write_bytes(roster_csv(roster_row("P1")))

    with pytest.raises(CommandError, match="Ugyldig skoleår «2026-2028»"):
        call_command(
            "import_roster", str(path), "--municipality", "Testvik", "--school-year", "2026-2028"
        )


# --- the samples in docs/ ----------------------------------------------------------------


def test_sample_files_import(db):
    out = StringIO()

    # New pupils are enrolled from the import day once the school year has begun, so
    # the absence sample (autumn 2026) needs the roster imported before 1 August.
    with time_machine.travel(dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC), tick=False):
        call_command(
            "import_roster",
            str(SAMPLES / "roster.csv"),
            "--municipality",
            "Eksempelvik",
            "--school-year",
            "2026-2027",
            stdout=out,
        )
    call_command(
        "import_absence", str(SAMPLES / "absence.csv"), "--municipality", "Eksempelvik", stdout=out
    )

    assert Pupil.objects.count() == 7
    assert School.objects.count() == 2
    assert AbsenceRecord.objects.count() == 8
    assert User.objects.get(username="ingrid.dahl@bjorkely.example.no")
    assert Group.objects.get(name="8B").lessons_per_day == 6
