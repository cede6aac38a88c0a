import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fravaer import imports
from fravaer.actions import AbsenceInput, add_non_school_days, apply_absence_changes
from fravaer.models import AbsenceReason, AbsenceRecord, AbsenceRecordChange, Enrollment
from tests.conftest import make_group, make_pupil, make_user
from tests.fravaer.csv_files import absence_csv, absence_line


@pytest.fixture
def run(municipality):
    def run(data: bytes, **kwargs) -> imports.ImportResult:
        kwargs.setdefault("by", None)
        return imports.import_absence(data, municipality=municipality, **kwargs)

    return run


def messages(result) -> list[str]:
    return [str(e) for e in result.errors]


def record_count() -> tuple[int, int]:
    return AbsenceRecord.objects.count(), AbsenceRecordChange.objects.count()


# --- what gets written ------------------------------------------------------------


def test_absence_import_creates_records_as_system_user(run, pupil):
    data = absence_csv(
        absence_line(pupil, "2026-11-16", "day", documented="yes", reason="illness", note="Feber"),
        absence_line(pupil, "2026-11-17", "lesson", lessons="2", subject="Norsk"),
        absence_line(pupil, "2026-11-18", "late"),
    )

    result = run(data)

    assert result.ok, messages(result)
    assert result.counts == {"day": 1, "lesson": 1, "late": 1}
    records = {r.kind: r for r in AbsenceRecord.objects.select_related("reason", "registered_by")}
    day = records["day"]
    assert (day.date, day.documented, day.reason.code, day.note) == (
        dt.date(2026, 11, 16),
        True,
        "illness",
        "Feber",
    )
    assert (records["lesson"].lessons, records["lesson"].subject) == (2, "Norsk")
    assert records["late"].reason.code == "unknown"
    assert day.registered_by.username == "import@system"
    assert not day.registered_by.has_usable_password()
    assert AbsenceRecordChange.objects.filter(action="created").count() == 3


def test_absence_import_accepts_norwegian_values(run, pupil):
    data = absence_csv(
        absence_line(pupil, "16.11.2026", "dag", documented="ja", reason="sykdom"),
        absence_line(pupil, "17.11.2026", "time", lessons="1", documented="Nei", reason="ukjent"),
        absence_line(pupil, "12.11.2026", "sen", documented="1", reason="Permisjon"),
        absence_line(pupil, "13.11.2026", "DAY", documented="true", reason="annet"),
    )

    result = run(data)

    assert result.ok, messages(result)
    assert sorted(AbsenceRecord.objects.values_list("kind", "documented", "reason__code")) == [
        ("day", True, "illness"),
        ("day", True, "other"),
        ("late", True, "leave"),
        ("lesson", False, "unknown"),
    ]


def test_absence_import_empty_reason_depends_on_documented(run, pupil):
    result = run(
        absence_csv(
            absence_line(pupil, "2026-11-16", documented="ja"), absence_line(pupil, "2026-11-17")
        )
    )

    assert result.ok, messages(result)
    assert dict(AbsenceRecord.objects.values_list("documented", "reason__code")) == {
        True: "other",
        False: "unknown",
    }


def test_absence_import_records_as_uploading_user(run, pupil, leader, school):
    result = run(absence_csv(absence_line(pupil)), by=leader, schools=[school])

    assert result.ok, messages(result)
    assert AbsenceRecord.objects.get().registered_by == leader


def test_absence_import_twice_changes_nothing(run, pupil):
    data = absence_csv(
        absence_line(pupil, "2026-11-16", "day", documented="ja", reason="sykdom", note="Feber"),
        absence_line(pupil, "2026-11-17", "lesson", lessons="2", subject="Norsk"),
        absence_line(pupil, "2026-11-17", "late"),
    )
    assert run(data).ok
    before = record_count()

    again = run(data)

    assert again.ok, messages(again)
    assert record_count() == before == (3, 3)
    assert again.counts == {"skipped": 3}


def test_absence_dry_run_writes_nothing(run, pupil):
    result = run(absence_csv(absence_line(pupil)), dry_run=True)

    assert result.ok
    assert result.counts == {"day": 1}
    assert record_count() == (0, 0)


# --- rejections: one per reason --------------------------------------------------------


def test_absence_rejects_unknown_pupil(run, pupil):
    result = run(absence_csv(absence_line(pupil), absence_line("E123", "2026-11-16")))

    assert messages(result) == ["Linje 3: Ukjent elev-ID «E123»."]


@pytest.mark.parametrize("date", ["2026-11-31", "17/11/2026", "i går"])
def test_absence_rejects_bad_date(run, pupil, date):
    result = run(absence_csv(absence_line(pupil, date)))

    assert messages(result) == [
        f"Linje 2: Ugyldig dato «{date}»; bruk ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ."
    ]


@pytest.mark.parametrize("date", ["0001-01-01", "01.01.0001", "18.11.0026", "2100-01-04"])
def test_absence_refuses_a_date_outside_the_years_a_file_may_hold(run, pupil, date):
    result = run(absence_csv(absence_line(pupil, date), absence_line(pupil, "2026-11-17")))

    assert messages(result) == [
        f"Linje 2: Datoen «{date}» i «date» er utenfor tillatt område; bruk en dato fra "
        "01.01.1900 til 31.12.2099."
    ]
    assert record_count() == (0, 0)


def test_absence_names_empty_required_cells_and_what_belongs_there(run, pupil):
    result = run(
        absence_csv(absence_line(""), absence_line(pupil, ""), absence_line(pupil, kind=""))
    )

    assert messages(result) == [
        "Linje 2: Kolonnen «pupil_id» (elevens ID) er tom.",
        "Linje 3: Kolonnen «date» (dato, ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ) er tom.",
        "Linje 4: Kolonnen «kind» (fraværstype: dag, time eller sen) er tom.",
    ]


@pytest.mark.parametrize("lessons", ["-2", "0", "2.5"])
def test_absence_rejects_lessons_outside_the_range(run, pupil, lessons):
    result = run(absence_csv(absence_line(pupil, kind="time", lessons=lessons)))

    assert messages(result) == [
        f"Linje 2: Ugyldig antall timer «{lessons}». Antall timer må være et helt tall "
        "fra 1 til 12."
    ]


def test_absence_rejects_future_date(run, pupil):
    result = run(absence_csv(absence_line(pupil, "2026-11-19")))

    assert messages(result) == [
        "Linje 2: Du kan ikke registrere fravær på en dato fram i tid (19.11.2026)."
    ]


def test_absence_rejects_weekend(run, pupil):
    result = run(absence_csv(absence_line(pupil, "2026-11-14")))

    assert messages(result) == ["Linje 2: 14.11.2026 er ikke en skoledag ved elevens skole."]


def test_absence_rejects_configured_non_school_day(run, pupil, school):
    day = dt.date(2026, 11, 13)
    add_non_school_days(school, start=day, end=day, kind="planning", name="Planleggingsdag")

    result = run(absence_csv(absence_line(pupil, "2026-11-13")))

    assert messages(result) == ["Linje 2: 13.11.2026 er ikke en skoledag ved elevens skole."]


def test_absence_uses_calendar_of_school_on_that_date(run, pupil, group, other_group, school):
    # Moved to Sørby on 9 November; Nordby had a planning day on the 6th.
    Enrollment.objects.filter(pupil=pupil).update(end=dt.date(2026, 11, 8))
    Enrollment.objects.create(pupil=pupil, group=other_group, start=dt.date(2026, 11, 9))
    add_non_school_days(
        school,
        start=dt.date(2026, 11, 6),
        end=dt.date(2026, 11, 6),
        kind="planning",
        name="Planleggingsdag",
    )

    result = run(absence_csv(absence_line(pupil, "2026-11-06"), absence_line(pupil, "2026-11-09")))

    assert messages(result) == ["Linje 2: 06.11.2026 er ikke en skoledag ved elevens skole."]


def test_absence_rejects_date_without_enrollment(run, group):
    pupil = make_pupil(group, start=dt.date(2026, 11, 2))

    result = run(absence_csv(absence_line(pupil, "2026-10-30")))

    assert messages(result) == [
        f"Linje 2: Eleven «{pupil.pupil_id}» gikk ikke i noen klasse 30.10.2026."
    ]


@pytest.mark.parametrize("kind", ["hel", "fravær"])
def test_absence_rejects_bad_kind(run, pupil, kind):
    result = run(absence_csv(absence_line(pupil, kind=kind)))

    assert messages(result) == [
        f"Linje 2: Ukjent fraværstype «{kind}»; bruk day, lesson eller late (dag, time, sen)."
    ]


def test_absence_rejects_lesson_without_lessons(run, pupil):
    result = run(absence_csv(absence_line(pupil, kind="lesson")))

    assert messages(result) == ["Linje 2: Oppgi antall timer for timefravær."]


def test_absence_rejects_more_lessons_than_the_day_has(run, pupil):
    result = run(absence_csv(absence_line(pupil, kind="time", lessons="9")))

    assert messages(result) == [
        "Linje 2: 9 timer er flere enn klassens 5 timer per dag; registrer hele dagen i stedet."
    ]


# --- the same absence is never counted twice --------------------------------------------


def store(pupil, user, date="2026-11-17", kind="day", lessons=None, subject=""):
    reason = AbsenceReason.objects.get(municipality=pupil.municipality, code="unknown")
    data = AbsenceInput(
        kind=kind, documented=False, reason=reason, lessons=lessons, subject=subject
    )
    apply_absence_changes(creates=[(pupil, dt.date.fromisoformat(date), data)], by=user)


@pytest.mark.parametrize(
    "row", [{"kind": "time", "lessons": "2"}, {"kind": "sen"}], ids=["lesson", "late"]
)
def test_absence_rejects_lesson_or_late_on_a_stored_whole_day(run, pupil, contact_teacher, row):
    store(pupil, contact_teacher)

    result = run(absence_csv(absence_line(pupil, **row)))

    assert messages(result) == ["Linje 2: Eleven har allerede fravær hele dagen 17.11.2026."]
    assert record_count() == (1, 1)


@pytest.mark.parametrize("kind", ["lesson", "late"])
def test_absence_rejects_whole_day_on_a_date_with_stored_lessons_or_late(
    run, pupil, contact_teacher, kind
):
    store(pupil, contact_teacher, kind=kind, lessons=2 if kind == "lesson" else None)

    result = run(absence_csv(absence_line(pupil)))

    assert messages(result) == [
        "Linje 2: Eleven har allerede fravær registrert 17.11.2026. Endre eller fjern det "
        "før du registrerer hele dagen."
    ]
    assert record_count() == (1, 1)


def test_absence_rejects_whole_day_and_lessons_in_one_file(run, pupil):
    data = absence_csv(
        absence_line(pupil),
        absence_line(pupil, kind="time", lessons="4", subject="Norsk"),
        absence_line(pupil, kind="sen"),
        absence_line(pupil, "2026-11-16", kind="time", lessons="2"),
        absence_line(pupil, "2026-11-16"),
    )

    result = run(data)

    assert messages(result) == [
        "Linje 3: Eleven har allerede fravær hele dagen 17.11.2026. Se linje 2 i fila.",
        "Linje 4: Eleven har allerede fravær hele dagen 17.11.2026. Se linje 2 i fila.",
        "Linje 6: Eleven har allerede fravær registrert 16.11.2026. Endre eller fjern det "
        "før du registrerer hele dagen. Se linje 5 i fila.",
    ]
    assert record_count() == (0, 0)


def test_absence_rejects_lessons_adding_up_to_more_than_the_day_in_one_file(run, pupil):
    data = absence_csv(
        absence_line(pupil, kind="time", lessons="3", subject="Norsk"),
        absence_line(pupil, kind="time", lessons="2", subject="Matte"),
        absence_line(pupil, kind="time", lessons="1", subject="Musikk"),
    )

    result = run(data)

    assert messages(result) == [
        "Linje 4: Eleven har allerede 5 timer fravær 17.11.2026, og klassen har 5 timer per "
        "dag. Endre timene som er registrert, eller fjern dem og registrer hele dagen. "
        "Se linjene 2, 3 i fila."
    ]
    assert record_count() == (0, 0)


def test_absence_rejects_lessons_adding_up_with_stored_lessons(run, pupil, contact_teacher):
    store(pupil, contact_teacher, kind="lesson", lessons=4, subject="Norsk")

    result = run(absence_csv(absence_line(pupil, kind="time", lessons="2", subject="Matte")))

    assert messages(result) == [
        "Linje 2: Eleven har allerede 4 timer fravær 17.11.2026, og klassen har 5 timer per "
        "dag. Endre timene som er registrert, eller fjern dem og registrer hele dagen."
    ]
    assert record_count() == (1, 1)


def test_absence_accepts_lessons_filling_the_day_with_stored_ones(run, pupil, contact_teacher):
    store(pupil, contact_teacher, kind="lesson", lessons=3, subject="Norsk")

    result = run(absence_csv(absence_line(pupil, kind="time", lessons="2", subject="Matte")))

    assert result.ok, messages(result)
    assert result.counts == {"lesson": 1}


def test_absence_repeated_rows_are_not_counted_twice(run, pupil, contact_teacher):
    # The stored 3 lessons are the file's own first row: 3 + 2, not 3 + 3 + 2.
    store(pupil, contact_teacher, kind="lesson", lessons=3, subject="Norsk")
    data = absence_csv(
        absence_line(pupil, kind="time", lessons="3", subject="Norsk"),
        absence_line(pupil, kind="time", lessons="2", subject="Matte"),
    )

    result = run(data)

    assert result.ok, messages(result)
    assert result.counts == {"skipped": 1, "lesson": 1}


def test_absence_repeated_row_still_clashes_with_an_earlier_row(run, pupil, contact_teacher):
    store(pupil, contact_teacher, kind="late")

    result = run(absence_csv(absence_line(pupil), absence_line(pupil, kind="sen")))

    assert messages(result) == [
        "Linje 3: Eleven har allerede fravær hele dagen 17.11.2026. Se linje 2 i fila."
    ]
    assert record_count() == (1, 1)


def test_absence_rejects_non_numeric_lessons(run, pupil):
    result = run(absence_csv(absence_line(pupil, kind="time", lessons="to")))

    assert messages(result) == [
        "Linje 2: Ugyldig antall timer «to». Antall timer må være et helt tall fra 1 til 12."
    ]


def test_absence_rejects_duplicate_day_in_file(run, pupil):
    result = run(
        absence_csv(
            absence_line(pupil),
            absence_line(pupil, "2026-11-16"),
            absence_line(pupil, documented="ja"),
        )
    )

    assert messages(result) == ["Linje 4: Eleven har fravær hele dagen 17.11.2026 også på linje 2."]


def test_absence_rejects_duplicate_lesson_row_in_file(run, pupil):
    row = absence_line(pupil, kind="time", lessons="1", subject="Norsk")

    result = run(absence_csv(row, row))

    assert messages(result) == ["Linje 3: Samme fravær står også på linje 2."]


def test_absence_rejects_day_already_registered_differently(run, pupil, contact_teacher):
    reasons = {r.code: r for r in AbsenceReason.objects.all()}
    apply_absence_changes(
        creates=[
            (
                pupil,
                dt.date(2026, 11, 17),
                AbsenceInput(kind="day", documented=True, reason=reasons["illness"]),
            )
        ],
        by=contact_teacher,
    )

    result = run(absence_csv(absence_line(pupil, documented="nei")))

    assert messages(result) == [
        "Linje 2: Eleven har allerede fravær hele dagen 17.11.2026, med annen dokumentasjon, "
        "årsak eller merknad. Rett registreringen på elevens side."
    ]
    assert record_count() == (1, 1)


def test_absence_skips_day_already_registered_identically(run, pupil, contact_teacher):
    reasons = {r.code: r for r in AbsenceReason.objects.all()}
    apply_absence_changes(
        creates=[
            (
                pupil,
                dt.date(2026, 11, 17),
                AbsenceInput(kind="day", documented=False, reason=reasons["unknown"]),
            )
        ],
        by=contact_teacher,
    )

    result = run(absence_csv(absence_line(pupil)))

    assert result.ok
    assert result.counts == {"skipped": 1}
    assert record_count() == (1, 1)


def test_absence_rejects_unknown_reason(run, pupil):
    result = run(absence_csv(absence_line(pupil, reason="influensa")))

    assert messages(result) == [
        "Linje 2: Ukjent årsak «influensa»; bruk en av kommunens årsakskoder."
    ]


def test_absence_rejects_inactive_reason(run, pupil, municipality):
    # The default codes cannot be retired; a municipality's own reason can.
    municipality.absence_reasons.create(code="trip", name="Tur", active=False)

    result = run(absence_csv(absence_line(pupil, reason="trip", documented="ja")))

    assert messages(result) == ["Linje 2: Ukjent årsak «trip»; bruk en av kommunens årsakskoder."]


def test_absence_rejects_documented_with_unknown_reason(run, pupil):
    result = run(absence_csv(absence_line(pupil, documented="ja", reason="ukjent")))

    assert messages(result) == [
        "Linje 2: Dokumentert fravær kan ikke ha ukjent årsak. Velg en årsak."
    ]


@pytest.mark.parametrize("value", ["kanskje", "2", "x"])
def test_absence_rejects_bad_documented_value(run, pupil, value):
    result = run(absence_csv(absence_line(pupil, documented=value)))

    assert messages(result) == [
        f"Linje 2: Ugyldig verdi «{value}» i «documented»; bruk ja eller nei."
    ]


def test_absence_missing_column_is_reported_once(run, pupil):
    result = run(absence_csv("E1;2026-11-17", "E2;2026-11-17", header="pupil_id;date"))

    assert messages(result) == [
        "Linje 1: Mangler påkrevde kolonner: kind. Påkrevde kolonner er: pupil_id, date, kind."
    ]


def test_absence_reports_every_bad_row_and_creates_nothing(run, pupil):
    data = absence_csv(
        absence_line(pupil, "2026-11-16"),
        absence_line("E404"),
        absence_line(pupil, "2026-11-17", kind="time", lessons="2"),
        absence_line(pupil, "2026-11-21"),
    )

    result = run(data)

    assert [e.line for e in result.errors] == [3, 5]
    assert record_count() == (0, 0)


def test_absence_messages_are_in_sentence_case(run, pupil, contact_teacher):
    data = absence_csv(
        absence_line("E404"),
        absence_line(pupil, "nå"),
        absence_line(pupil, "2026-11-16", kind="hopp"),
        absence_line(pupil, "2026-11-16", kind="time"),
        absence_line(pupil, "2026-11-17", reason="influensa"),
        absence_line(pupil, "2026-11-14"),
        absence_line(pupil, "2026-11-13"),
        absence_line(pupil, "2026-11-13"),
        absence_line(pupil, "2026-11-12", documented="kanskje"),
    )

    result = run(data)

    assert len(result.errors) == 8
    assert [e.message for e in result.errors if not e.message[0].isupper()] == [
        "14.11.2026 er ikke en skoledag ved elevens skole."
    ]


def test_absence_leader_cannot_import_for_another_schools_pupil(
    run, pupil, other_pupil, leader, school
):
    result = run(
        absence_csv(absence_line(pupil), absence_line(other_pupil)), by=leader, schools=[school]
    )

    assert messages(result) == [f"Linje 3: Ukjent elev-ID «{other_pupil.pupil_id}»."]
    assert record_count() == (0, 0)


def test_absence_leader_cannot_import_dates_at_another_school(
    run, pupil, other_group, leader, school
):
    Enrollment.objects.filter(pupil=pupil).update(end=dt.date(2026, 11, 8))
    Enrollment.objects.create(pupil=pupil, group=other_group, start=dt.date(2026, 11, 9))

    result = run(
        absence_csv(absence_line(pupil, "2026-11-06"), absence_line(pupil, "2026-11-10")),
        by=leader,
        schools=[school],
    )

    assert messages(result) == [
        f"Linje 3: Eleven «{pupil.pupil_id}» gikk ikke ved en av dine skoler 10.11.2026."
    ]


# --- encodings and delimiters --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_absence_reads_encodings_and_delimiters(run, pupil, encoding, delimiter):
    data = absence_csv(
        absence_line(pupil, kind="time", lessons="1", subject="Kroppsøving", note="Glemt gymtøy"),
        delimiter=delimiter,
        encoding=encoding,
    )

    result = run(data)

    assert result.ok, messages(result)
    record = AbsenceRecord.objects.get()
    assert (record.subject, record.note) == ("Kroppsøving", "Glemt gymtøy")


# --- bounded queries --------------------------------------------------------------------


def test_absence_query_count_does_not_grow_with_rows(run, group, school):
    make_user("import@system")  # so both runs find it
    other = make_group(school, group.school_year, name="6A", grade=6)

    def count(pupils) -> int:
        rows = [absence_line(p, day) for p in pupils for day in ("2026-11-16", "2026-11-17")]
        with CaptureQueriesContext(connection) as ctx:
            result = run(absence_csv(*rows))
        assert result.ok, messages(result)
        return len(ctx)

    small = count([make_pupil(group) for _ in range(2)])
    large = count([make_pupil(g) for g in (group, other) for _ in range(10)])
    assert small == large


# --- command line ------------------------------------------------------------------------


def test_import_absence_command_prints_summary(tmp_path, pupil):
    path = tmp_path / "fravaer.csv"
    path.write_bytes(absence_csv(absence_line(pupil), absence_line(pupil, "2026-11-16", "sen")))
    out = StringIO()

    call_command("import_absence", str(path), "--municipality", "Testvik", stdout=out)

    assert out.getvalue() == (
        "Import fullført (2 rader). Nye registreringer av hele dager: 1, "
        "nye registreringer av forsentkomming: 1.\n"
    )


def test_import_absence_command_exits_non_zero_on_rejected_file(tmp_path, pupil):
    path = tmp_path / "fravaer.csv"
    path.write_bytes(absence_csv(absence_line(pupil), absence_line("E123")))
    err = StringIO()

    with pytest.raises(CommandError, match="Fila ble avvist med 1 feil. Ingenting er lagret."):
        call_command("import_absence", str(path), "--municipality", "Testvik", stderr=err)

    assert err.getvalue() == "Linje 3: Ukjent elev-ID «E123».\n"
    assert record_count() == (0, 0)


def test_import_absence_command_requires_existing_municipality(tmp_path, pupil):
    path = tmp_path / "fravaer.csv"
    path.write_bytes(absence_csv(absence_line(pupil)))

    with pytest.raises(CommandError, match="Kommunen «Ukjentvik» finnes ikke."):
        call_command("import_absence", str(path), "--municipality", "Ukjentvik")


def test_import_absence_command_reports_unreadable_file(tmp_path, municipality):
    with pytest.raises(CommandError, match="Kan ikke lese fila"):
        call_command("import_absence", str(tmp_path / "mangler.csv"), "--municipality", "Testvik")
