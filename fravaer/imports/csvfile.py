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
    delimiter = sniff_delimiter(header_line)
    # strict: a quote left open makes the reader stop at the end of the file (or at
    # the next stray quote) instead of swallowing the rest of the file into one value.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    last_line = 0
    try:
        header = [name.strip().lower() for name in next(reader)]
        missing = [name for name in required if name not in header]
        if missing:
            table.errors.append(
                RowError(
                    1,
                    _("mangler påkrevde kolonner: %(columns)s. Påkrevde kolonner er: %(required)s.")
                    % {"columns": ", ".join(missing), "required": ", ".join(required)},
                )
            )
        index: dict[str, int] = {}
        for i, name in enumerate(header):
            if name not in (*required, *optional):
                continue
            if name in index:
                table.errors.append(
                    RowError(
                        1,
                        _("kolonnen «%(column)s» står flere ganger i overskriften.")
                        % {"column": name},
                    )
                )
            index.setdefault(name, i)
        if table.errors:
            table.fatal, table.rows = True, []
            return table
        last_line = reader.line_num
        for cells in reader:
            # A quoted value may span lines: the row starts after the previous one.
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if line < last_line and _swallows_rows(cells, delimiter, len(header)):
                table.count += 1
                table.errors.append(
                    RowError(
                        _quote_line(text, line, last_line, delimiter),
                        _(
                            'et anførselstegn («"») åpnes, men lukkes først på linje '
                            "%(end)s, så linjene imellom er blitt én verdi. Rett fila og "
                            "last den opp på nytt."
                        )
                        % {"end": last_line},
                    )
                )
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
    except csv.Error:
        return table.reject(*_quote_error(text, last_line + 1, reader.line_num, delimiter))
    if not table.count:
        return table.reject(_("Fila har ingen rader under overskriftene."))
    return table


def _swallows_rows(cells: list[str], delimiter: str, columns: int) -> bool:
    """A value spanning lines whose later lines look like rows of their own (as many
    delimiters as the header): a quote that was never closed where it should have
    been, not a note written over several lines."""
    return any(
        part.count(delimiter) >= max(columns - 1, 1)
        for cell in cells
        for part in cell.splitlines()[1:]
    )


def _scan_quotes(text: str, first: int, last: int, delimiter: str) -> tuple[int, bool]:
    """Walk lines `first`..`last` (1-based, one row of the file) as the csv module
    does: the line on which the row's first value spanning lines opens its quote (or
    else the last quote opened), and whether a quote is still open at the end."""
    lines = io.StringIO(text, newline="").readlines()[first - 1 : last]
    opened = spanning = None
    quoted, field_start = False, True
    for number, content in enumerate(lines, start=first):
        i = 0
        while i < len(content):
            char = content[i]
            if quoted:
                if char == '"' and content[i + 1 : i + 2] == '"':
                    i += 1
                elif char == '"':
                    quoted = False
                elif char in "\r\n" and spanning is None:
                    spanning = opened
            elif field_start and char == '"':
                quoted, opened = True, number
            field_start = not quoted and char == delimiter
            i += 1
    return spanning or opened or first, quoted


def _quote_line(text: str, first: int, last: int, delimiter: str) -> int:
    return _scan_quotes(text, first, last, delimiter)[0]


def _quote_error(text: str, first: int, last: int, delimiter: str) -> tuple[str, int]:
    """The message and line for a row the csv reader could not read (strict mode):
    a quote never closed, or text after a closing quote."""
    opened, still_open = _scan_quotes(text, first, last, delimiter)
    if still_open:
        message = _(
            'et anførselstegn («"») åpnes, men lukkes aldri. Rett fila og last den opp på nytt.'
        )
    elif opened < last:
        message = _(
            'et anførselstegn («"») åpnes, men lukkes først på linje %(end)s, så linjene '
            "imellom er blitt én verdi. Rett fila og last den opp på nytt."
        ) % {"end": last}
    else:
        message = _(
            'det står tekst etter et avsluttende anførselstegn («"»). En verdi i '
            "anførselstegn må slutte med anførselstegnet; anførselstegn inne i verdien "
            'skrives dobbelt («""»).'
        )
    return message, opened


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
