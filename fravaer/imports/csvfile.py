"""Reading an uploaded CSV file: size and format limits, encodings (UTF-8 or
Windows-1252), the delimiter, column names, and the file's own line numbers, so
that every message points at the line a person sees in a text editor."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from fravaer.imports.results import ImportResult, RowError

MAX_ROWS = 50_000


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    fatal: bool = False
    count: int = 0  # non-empty data rows, including unreadable ones

    def reject(self, message: str, line: int | None = None) -> Table:
        self.errors.append(RowError(line, message))
        self.fatal = True
        self.rows = []
        return self


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 – what Norwegian Excel writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def sniff_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_table(data: bytes, *, required: Sequence[str], optional: Sequence[str]) -> Table:
    """Rows keyed by column name (lower-cased, trimmed), values trimmed; wholly empty
    rows are skipped. File-level problems make the table `fatal` and empty."""
    table = Table()
    if len(data) > settings.IMPORT_MAX_BYTES:
        return table.reject(
            _("Fila er for stor. Største tillatte størrelse er %(max)s.")
            % {"max": filesizeformat(settings.IMPORT_MAX_BYTES)}
        )
    if data.startswith(b"PK\x03\x04"):
        return table.reject(
            _("Fila ser ut som en Excel-arbeidsbok. Lagre den som CSV og prøv igjen.")
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return table.reject(
            _("Fila er lagret som UTF-16. Lagre den som CSV (UTF-8 eller Windows-1252).")
        )
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return table.reject(
            _("Fila har en tegnkoding vi ikke kan lese. Lagre den som UTF-8 eller Windows-1252.")
        )
    if "\x00" in text:
        return table.reject(_("Fila er ikke en tekstfil (CSV)."))
    if not text.strip():
        return table.reject(_("Fila er tom."))
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(header_line))
    header = [name.strip().lower() for name in next(reader)]
    missing = [name for name in required if name not in header]
    if missing:
        return table.reject(
            _("mangler påkrevde kolonner: %(columns)s. Påkrevde kolonner er: %(required)s.")
            % {"columns": ", ".join(missing), "required": ", ".join(required)},
            line=1,
        )
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in (*required, *optional):
            index.setdefault(name, i)
    last_line = reader.line_num
    try:
        for cells in reader:
            # A quoted value may span lines: the row starts after the previous one.
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            table.count += 1
            if table.count > MAX_ROWS:
                return table.reject(
                    _("Fila har mer enn %(max)s rader. Del den opp i flere filer.")
                    % {"max": f"{MAX_ROWS:,}".replace(",", " ")}
                )
            if any(cell.strip() for cell in cells[len(header) :]):
                table.errors.append(
                    RowError(
                        line,
                        _(
                            "raden har %(cells)s felt, men overskriften har %(columns)s. "
                            "Sjekk skilletegn og anførselstegn."
                        )
                        % {"cells": len(cells), "columns": len(header)},
                    )
                )
                continue
            values = {name: cells[i].strip() if i < len(cells) else "" for name, i in index.items()}
            table.rows.append(Row(line, values))
    except csv.Error as exc:
        return table.reject(
            _("kan ikke lese fila videre (%(error)s).") % {"error": exc}, line=reader.line_num
        )
    return table


ParsedRow = TypeVar("ParsedRow")


def parse_rows(
    data: bytes,
    result: ImportResult,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    parse: Callable[[Row], tuple[ParsedRow | None, list[RowError]]],
) -> list[ParsedRow] | None:
    """Read the file and parse every row, recording the row count and every error
    in `result`; the rows that parsed, or None when the file as a whole is refused."""
    table = read_table(data, required=required, optional=optional)
    result.rows, result.errors = table.count, table.errors
    if table.fatal:
        return None
    rows = []
    for row in table.rows:
        parsed, errors = parse(row)
        result.errors.extend(errors)
        if parsed:
            rows.append(parsed)
    return rows
