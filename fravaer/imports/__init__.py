"""Roster and absence imports from CSV files (the contract is in README.md, "Imports").

Each import reads the whole file, validates every row against the database state
(loaded in a few set-based queries, never one per row) and then either applies
everything in one transaction or nothing at all. `dry_run=True` validates and counts
what would change without writing, which is the upload page's preview.

The absence import uses the same rules as the class register and the pupil page
(`check_absence_date`, `check_absence_input`, `check_day_consistency`) and saves
through `save_absence` (the lock, the transaction, all or nothing), so a record
imported from a file is indistinguishable from one registered by hand.

- `csvfile`: bytes to rows (limits, encodings, delimiter, line numbers).
- `fields`: cell values and per-row checks; `db`: chunked lookups, the system user.
- `roster_rows` and `roster`: the roster file's rows, then what they change.
- `absence`: the absence file.
- `results`: `RowError` and `ImportResult`, what both report.
"""

from fravaer.imports.absence import (
    ABSENCE_OPTIONAL,
    ABSENCE_REQUIRED,
    KINDS,
    NO,
    REASON_ALIASES,
    YES,
    AbsenceRow,
    import_absence,
    parse_absence_row,
)
from fravaer.imports.csvfile import MAX_ROWS, Row, Table, decode, read_table, sniff_delimiter
from fravaer.imports.db import IN_CHUNK, SYSTEM_USERNAME, system_user
from fravaer.imports.fields import (
    ISO_DATE_RE,
    NORWEGIAN_DATE_RE,
    PHONE_RE,
    SCHOOL_YEAR_RE,
    parse_date,
    parse_school_year,
)
from fravaer.imports.results import (
    ABSENCE,
    ABSENCE_LABELS,
    ROSTER,
    ROSTER_LABELS,
    ImportResult,
    RowError,
)
from fravaer.imports.roster import import_roster
from fravaer.imports.roster_rows import (
    GUARDIAN_SLOTS,
    ROSTER_OPTIONAL,
    ROSTER_REQUIRED,
    GuardianRow,
    RosterRow,
    parse_roster_row,
)

__all__ = [
    "ABSENCE",
    "ABSENCE_LABELS",
    "ABSENCE_OPTIONAL",
    "ABSENCE_REQUIRED",
    "GUARDIAN_SLOTS",
    "IN_CHUNK",
    "ISO_DATE_RE",
    "KINDS",
    "MAX_ROWS",
    "NO",
    "NORWEGIAN_DATE_RE",
    "PHONE_RE",
    "REASON_ALIASES",
    "ROSTER",
    "ROSTER_LABELS",
    "ROSTER_OPTIONAL",
    "ROSTER_REQUIRED",
    "SCHOOL_YEAR_RE",
    "SYSTEM_USERNAME",
    "YES",
    "AbsenceRow",
    "GuardianRow",
    "ImportResult",
    "RosterRow",
    "Row",
    "RowError",
    "Table",
    "decode",
    "import_absence",
    "import_roster",
    "parse_absence_row",
    "parse_date",
    "parse_roster_row",
    "parse_school_year",
    "read_table",
    "sniff_delimiter",
    "system_user",
]
