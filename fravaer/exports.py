"""Spreadsheet downloads (CSV and XLSX) that are safe to open in Excel.

- Formula safety: a text cell that starts with `= + - @`, a tab or a carriage return
  is a formula (or a DDE call) to Excel and LibreOffice; `safe_cell` prefixes it with
  an apostrophe, the one sanitiser both writers use.
- Norwegian Excel: CSV with `;` between fields, UTF-8 with a byte-order mark (else
  Excel reads Windows-1252), CRLF line ends, and decimal commas.
- XLSX keeps numbers as numbers and dates as dates (Excel formats them by locale);
  only text goes through `safe_cell`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.cache import patch_cache_control

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """Text that Excel would run as a formula, made inert with a leading apostrophe;
    other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(safe_cell(str(value)) if isinstance(value, str) else value)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([_csv_text(h) for h in header])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence], *, title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        cells = []
        for value in row:
            value = safe_cell(value)
            cells.append(value)
        sheet.append(cells)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD.MM.YYYY"
            elif isinstance(cell.value, float):
                cell.number_format = "0.0"
            elif isinstance(cell.value, str):
                # Never let Excel read a text cell as a formula, whatever it holds.
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(body: bytes, *, content_type: str, filename: str) -> HttpResponse:
    """An attachment, never cached. `filename` carries no personal data."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True, no_cache=True, max_age=0)
    response["X-Content-Type-Options"] = "nosniff"
    return response
