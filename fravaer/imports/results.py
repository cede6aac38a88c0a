"""What an import reports: the problems found (`RowError`) and, when there are none,
the counts of what changed or would change (`ImportResult`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

ROSTER = "roster"
ABSENCE = "absence"

# What the summary and the preview list, in this order.
ROSTER_LABELS = {
    "municipalities": gettext_lazy("nye kommuner"),
    "school_years": gettext_lazy("nye skoleår"),
    "schools": gettext_lazy("nye skoler"),
    "groups": gettext_lazy("nye klasser"),
    "groups_updated": gettext_lazy("klasser med endret antall timer per dag"),
    "pupils": gettext_lazy("nye elever"),
    "pupils_updated": gettext_lazy("elever med endret navn eller fødselsdato"),
    "enrollments": gettext_lazy("nye klassetilhørigheter"),
    "enrollments_ended": gettext_lazy("avsluttede klassetilhørigheter (klassebytte)"),
    "guardians": gettext_lazy("nye foresatte"),
    "guardians_updated": gettext_lazy("foresatte med endret telefon eller e-post"),
    "users": gettext_lazy("nye brukere for kontaktlærere"),
    "assignments": gettext_lazy("nye kontaktlærerkoblinger"),
    "unchanged": gettext_lazy("uendrede rader"),
}
ABSENCE_LABELS = {
    "day": gettext_lazy("nye registreringer av hele dager"),
    "lesson": gettext_lazy("nye registreringer av timefravær"),
    "late": gettext_lazy("nye registreringer av forsentkomming"),
    "skipped": gettext_lazy("rader som allerede var registrert (hoppet over)"),
}


def unknown_pupil(pupil_id: str) -> str:
    """The message for a pupil id the uploader may not use. A pupil who does not
    exist and one at a school that is not the uploader's get the same words, so the
    page never confirms that a pupil exists elsewhere."""
    return _("ukjent elev-ID «%(id)s»") % {"id": pupil_id}


@dataclass(frozen=True)
class RowError:
    """One problem with a file: `line` is the CSV line (header = 1), None for the
    file as a whole.

    Messages are shown as sentences: the first letter is capitalised and a full stop
    added here, so every message reads the same whether it comes from the imports
    (whose catalogue entries start in lower case, some without a full stop) or from
    the shared absence rules."""

    line: int | None
    message: str

    def __post_init__(self) -> None:
        message = capfirst(str(self.message).strip())
        if not message.endswith((".", "!", "?")):
            message += "."
        object.__setattr__(self, "message", message)

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("Linje %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportResult:
    kind: str
    dry_run: bool = False
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def add_errors(self, errors: Iterable[RowError]) -> None:
        """Add the planning step's errors; all errors are then in line order, the
        file-level ones (no line) first."""
        self.errors.extend(errors)
        self.errors.sort(key=lambda e: e.line or 0)

    def items(self) -> list[tuple[str, int]]:
        """(label, count) for every non-zero count, in a fixed order."""
        labels = ROSTER_LABELS if self.kind == ROSTER else ABSENCE_LABELS
        return [
            (str(label), self.counts[key]) for key, label in labels.items() if self.counts.get(key)
        ]

    def _counts(self) -> tuple[str, str]:
        """'N rader' and the counts as a sentence's words, first letter capitalised."""
        parts = ", ".join(f"{label}: {n}" for label, n in self.items()) or _("ingen endringer")
        rows = ngettext("%(n)s rad", "%(n)s rader", self.rows) % {"n": self.rows}
        return rows, parts[:1].upper() + parts[1:]

    def summary(self) -> str:
        if self.dry_run:
            head = _("Fila er kontrollert uten feil; ingenting er lagret ennå")
        else:
            head = _("Import fullført")
        rows, parts = self._counts()
        return _("%(head)s (%(rows)s). %(parts)s.") % {"head": head, "rows": rows, "parts": parts}

    def confirmation(self, *, file_name: str, place: str) -> str:
        """The upload page's message once a file is applied: which file, for which
        school or municipality, and the counts; never a pupil's data."""
        rows, parts = self._counts()
        return _("«%(name)s» er importert for %(place)s (%(rows)s). %(parts)s.") % {
            "name": file_name,
            "place": place,
            "rows": rows,
            "parts": parts,
        }
