"""The file as a whole: quoting, the header and empty files (`fravaer/imports/csvfile.py`),
through both imports."""

import pytest
from django.utils import translation

from fravaer import imports
from fravaer.models import AbsenceRecord, Pupil
from tests.fravaer.csv_files import roster_csv, roster_row

UNCLOSED = (
    'Linje 2: Et anførselstegn («"») åpnes, men lukkes aldri. Rett fila og last den opp på nytt.'
)


@pytest.fixture
def run(municipality):
    def run(text: str) -> list[str]:
        result = imports.import_absence(text.encode(), municipality=municipality, by=None)
        return [str(e) for e in result.errors]

    return run


def test_unclosed_quote_refuses_the_file_instead_of_swallowing_rows(run, pupil):
    text = (
        "pupil_id;date;kind;note\n"
        f'{pupil.pupil_id};2026-11-16;dag;"uavsluttet sitat\n'
        f"{pupil.pupil_id};2026-11-17;dag;andre rad\n"
        "E404;2026-11-17;dag;tredje rad med ukjent elev\n"
    )

    assert run(text) == [UNCLOSED]
    assert AbsenceRecord.objects.count() == 0


def test_unclosed_quote_is_found_in_a_file_larger_than_a_csv_field(run, pupil):
    rows = [f"{pupil.pupil_id};2026-11-16;dag;{'x' * 60}" for _ in range(3_000)]
    text = "pupil_id;date;kind;note\n" + f'{pupil.pupil_id};2026-11-17;dag;"a\n' + "\n".join(rows)

    assert run(text) == [UNCLOSED]


def test_quote_closed_lines_later_names_both_lines(run, pupil):
    text = (
        "pupil_id;date;kind;note\n"
        f'{pupil.pupil_id};2026-11-16;dag;"uavsluttet\n'
        f"{pupil.pupil_id};2026-11-17;dag;andre rad\n"
        f'{pupil.pupil_id};2026-11-13;dag;slutt"\n'
        f"{pupil.pupil_id};2026-11-12;dag;\n"
    )

    assert run(text) == [
        'Linje 2: Et anførselstegn («"») åpnes, men lukkes først på linje 4, så linjene '
        "imellom er blitt én verdi. Rett fila og last den opp på nytt."
    ]
    assert AbsenceRecord.objects.count() == 0


def test_quote_closed_by_the_next_quoted_value_names_the_opening_line(run, pupil):
    text = (
        "pupil_id;date;kind;note\n"
        f'{pupil.pupil_id};2026-11-16;dag;"uavsluttet\n'
        f"{pupil.pupil_id};2026-11-17;dag;andre rad\n"
        f'{pupil.pupil_id};2026-11-13;dag;"Syk, sier mor"\n'
    )

    assert run(text) == [
        'Linje 2: Et anførselstegn («"») åpnes, men lukkes først på linje 4, så linjene '
        "imellom er blitt én verdi. Rett fila og last den opp på nytt."
    ]


def test_text_after_a_closing_quote_is_refused(run, pupil):
    text = f'pupil_id;date;kind;note\n{pupil.pupil_id};2026-11-16;dag;"Syk" sa mor\n'

    assert run(text) == [
        'Linje 2: Det står tekst etter et avsluttende anførselstegn («"»). En verdi i '
        "anførselstegn må slutte med anførselstegnet; anførselstegn inne i verdien skrives "
        'dobbelt («""»).'
    ]


def test_note_over_two_lines_in_quotes_is_still_read(run, pupil):
    text = (
        "pupil_id;date;kind;note\n"
        f'{pupil.pupil_id};2026-11-16;dag;"Syk.\nSa ""hei"" i telefonen"\n'
        "E404;2026-11-17;dag;x\n"
    )

    assert run(text) == ["Linje 4: Ukjent elev-ID «E404»."]


def test_note_over_two_lines_is_saved(run, pupil):
    text = f'pupil_id;date;kind;note\r\n{pupil.pupil_id};2026-11-16;dag;"Syk.\r\nRinger"\r\n'

    assert run(text) == []
    assert AbsenceRecord.objects.get().note == "Syk.\r\nRinger"


@pytest.mark.parametrize("body", ["", ";;\n;;\n", "\n\n"], ids=["nothing", "empty_cells", "blank"])
def test_header_without_rows_is_refused(run, pupil, body):
    assert run("pupil_id;date;kind\n" + body) == ["Fila har ingen rader under overskriftene."]


def test_new_file_messages_are_translated(run, pupil):
    with translation.override("en"):
        assert run("pupil_id;date;kind\n") == ["The file has no rows below the header."]
        assert run(f'pupil_id;date;kind;note\n{pupil.pupil_id};2026-11-16;dag;"x\n') == [
            'Line 2: A quotation mark (“"”) opens, but is never closed. Correct the file and '
            "upload it again."
        ]
    with translation.override("nn"):
        assert run("pupil_id;date;kind;date\nE1;2026-11-16;dag;x\n") == [
            "Linje 1: Kolonnen «date» står fleire gonger i overskrifta."
        ]


def test_repeated_column_is_refused_naming_it(run, pupil):
    text = f"pupil_id;date;kind;DATE\n{pupil.pupil_id};2026-11-17;dag;2026-11-16\n"

    assert run(text) == ["Linje 1: Kolonnen «date» står flere ganger i overskriften."]
    assert AbsenceRecord.objects.count() == 0


def test_repeated_unknown_column_is_ignored(run, pupil):
    text = f"pupil_id;date;kind;klasse;klasse\n{pupil.pupil_id};2026-11-17;dag;5A;5A\n"

    assert run(text) == []


def test_roster_unclosed_quote_is_refused(municipality):
    data = roster_csv(roster_row("P1", first='"Kari'), roster_row("P2"), roster_row("P3"))

    result = imports.import_roster(data, municipality_name=municipality.name)

    assert [str(e) for e in result.errors] == [UNCLOSED]
    assert Pupil.objects.count() == 0
