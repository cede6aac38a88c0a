"""The monthly overview's downloads and command: formula-safe cells, Norwegian Excel's
CSV (BOM, `;`, CRLF, decimal comma), XLSX cells, the PDF, and the command's output and
errors."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pypdf
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from cases.actions.core import open_case
from fravaer.exports import csv_bytes, safe_cell, xlsx_bytes
from tests.factories import OCTOBER, class_comment, make_flag, october_scene


@pytest.fixture
def scene(group, leader):
    return october_scene(group, leader)


def _url(school, fmt):
    return reverse("fravaer:monthly_overview_export", args=[school.pk, "2026-10", fmt])


@pytest.mark.parametrize("text", ["=1+1", "+47", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cell_makes_formulas_inert(text):
    assert safe_cell(text) == "'" + text


def test_safe_cell_leaves_plain_text_and_numbers():
    assert safe_cell("Sykdom") == "Sykdom"
    assert safe_cell(-2) == -2 and safe_cell(4.5) == 4.5


def test_csv_is_for_norwegian_excel():
    body = csv_bytes(["Navn", "Andel"], [['=HYPERLINK("x")', 4.5], ["Åse", 10.0]])
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text == 'Navn;Andel\r\n"\'=HYPERLINK(""x"")";4,5\r\nÅse;10,0\r\n'


def test_xlsx_keeps_numbers_and_makes_formulas_text():
    body = xlsx_bytes(["Navn", "Dager"], [["=cmd|' /C calc'!A0", 3], ["@x", 1.5]], title="2026-10")
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet["A2"].value == "'=cmd|' /C calc'!A0" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 3 and sheet["B3"].value == 1.5
    assert sheet["A3"].value == "'@x"


def test_csv_download_of_the_overview(scene, school, group, leader, client_for):
    class_comment(group, leader, text="=Syke i uke 41")
    response = client_for(leader).get(_url(school, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="maanedsoversikt-2026-10.csv"'
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Elev-ID", "Navn", "Klasse"]
    stayer = next(r for r in body if r[1] == "Ola Aas")
    values = dict(zip(header, stayer, strict=True))
    assert values["Hele dager"] == "2"
    assert values["Fraværstimer"] == "12"
    assert values["Andel av skoletiden (%)"] == "11,4"
    assert values["Klassens kommentar"] == "'=Syke i uke 41"
    assert len(body) == 4  # the stayer, the mover twice, the quiet pupil


def test_xlsx_download_of_the_overview(scene, school, leader, client_for):
    response = client_for(leader).get(_url(school, "xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('filename="maanedsoversikt-2026-10.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    stayer = next(
        row for row in sheet.iter_rows(min_row=2, values_only=True) if row[1] == "Ola Aas"
    )
    values = dict(zip(header, stayer, strict=True))
    assert values["Hele dager"] == 2 and values["Andel av skoletiden (%)"] == 11.4


def test_pdf_download_of_the_overview(scene, school, group, leader, client_for):
    class_comment(group, leader)
    response = client_for(leader).get(_url(school, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == 'attachment; filename="maanedsoversikt-2026-10.pdf"'


def test_the_pdf_for_the_meeting_names_only_the_pupils_to_discuss(
    scene, school, group, leader, client_for
):
    """The meeting's paper names the pupils with a flag in force that month or an open
    case, and counts the others (their full list is the CSV/XLSX's)."""
    make_flag(
        scene.stayer,
        "month_days",
        period_start=OCTOBER,
        period_end=dt.date(2026, 10, 31),
        period_key="2026-10",
    )
    response = client_for(leader).get(_url(school, "pdf"))
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Ola Aas" in text
    assert "Per Berg" not in text
    assert "Elever å drøfte (varsel eller sak)" in text
    assert "1 elev til hadde fravær uten varsel eller sak" in text


def test_an_unknown_format_is_404(scene, school, leader, client_for):
    assert client_for(leader).get(_url(school, "exe")).status_code == 404


def _command(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_monthly_overview", *args, stdout=out, stderr=err, **options)
    return out.getvalue()


def test_the_command_writes_csv_to_stdout(scene, school, municipality, leader):
    open_case(scene.stayer, school=school, concern="Mye fravær", by=leader)
    text = _command(
        "--municipality", municipality.name, "--school", school.name, "--month", "2026-10"
    )
    assert text.startswith("\ufeffpupil_id;class;")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert "name" not in rows[0]  # the school system's id, never the name
    stayer = next(r for r in rows if r["pupil_id"] == scene.stayer.pupil_id)
    assert stayer["class"] == "5A"
    assert (stayer["whole_days"], stayer["absent_lessons"], stayer["late_arrivals"]) == (
        "2",
        "12",
        "1",
    )
    assert stayer["undocumented_records"] == "2"
    assert stayer["share_percent"] == "11,4"
    assert stayer["case_level"] == "0"
    mover = [r for r in rows if r["pupil_id"] == scene.mover.pupil_id]
    assert sorted(r["class"] for r in mover) == ["5A", "8A"]


def test_the_command_writes_xlsx_to_a_file(scene, school, municipality, tmp_path):
    target = tmp_path / "oversikt.xlsx"
    _command(
        "--municipality",
        municipality.name,
        "--school",
        school.name,
        "--month",
        "2026-10",
        "--format",
        "xlsx",
        "--output",
        str(target),
    )
    sheet = load_workbook(target).active
    assert [c.value for c in sheet[1]][:2] == ["pupil_id", "class"]
    assert sheet.max_row == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Ukjent", "Nordby skole", "2026-10"), "Fant ingen kommune som heter «Ukjent»."),
        (("Testvik", "Ukjent skole", "2026-10"), "Fant ingen skole som heter «Ukjent skole»"),
        (("Testvik", "Nordby skole", "oktober"), "ugyldig måned «oktober»"),
        (("Testvik", "Nordby skole", "2019-10"), "2019-10 er ikke i noe skoleår."),
    ],
)
def test_the_command_refuses_unknown_names_and_months(scene, args, message):
    municipality, school, month = args
    with pytest.raises(CommandError, match=message):
        _command("--municipality", municipality, "--school", school, "--month", month)
