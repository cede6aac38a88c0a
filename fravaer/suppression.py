"""Small-number suppression for the municipality's overview: no published figure lets
a reader single out fewer than `MIN_PUPILS` pupils.

What we do (issue #15, section 6):

1. Primary suppression. A cell whose figure stands on 1 to 4 distinct pupils (for a
   rate: whose population, the pupils enrolled, is 1 to 4) is shown as "<5". A cell
   with no pupils behind it is a true zero and shown as 0 (a rate over nobody is "–").
2. Complementary suppression. Each table is a grid of rows (the schools, and the
   municipality as the sum of the schools) by columns (the grades or the keys of a
   metric, and the total as the sum of the columns). Every row and every column is an
   additive line: its total is the sum of its cells. Where a line has exactly one
   hidden cell, the total minus the shown cells would give it away, so a second cell
   of that line is hidden as well: the visible cell with the fewest pupils (a
   non-zero one first; the line's total when there is no other). This repeats over
   rows and columns until no line has a lone hidden cell.
3. One publication, sliced by the filters. Suppression is computed once per metric
   and month over the whole grid of the municipality (every school, every grade or
   key, the totals), independent of the filters. The filters (school, grade, month,
   metric) only choose which of these already-suppressed cells to show; they never
   aggregate anything of their own. So no combination of filters, and no comparison
   of two filtered pages, can narrow a cell below `MIN_PUPILS` or undo a suppression.
   Sums across months are not published.

Not covered: relations between different tables. Cases open at the end of a month
are roughly those open at the end of the month before, plus those opened, less those
closed; a reader who puts these tables side by side may narrow a hidden cell. The
suppression here protects each table's own sums (rows, columns, totals), not such
linear relations across metrics and months.

The rules are pure Python over `Cell`s, so they are tested without a database.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

MIN_PUPILS = 5
HIDDEN_TEXT = "<5"


@dataclass
class Cell:
    """One figure: `value` (a count, or the numerator of a rate), `base` (the
    denominator of a rate, else 0), and the distinct `pupils` behind it."""

    value: int = 0
    pupils: int = 0
    base: int = 0
    hidden: bool = False

    def add(self, other: Cell) -> None:
        self.value += other.value
        self.pupils += other.pupils
        self.base += other.base


Key = Hashable


def suppress(
    grid: dict[tuple[Key, Key], Cell],
    rows: Iterable[Key],
    columns: Iterable[Key],
    *,
    rows_add_up: bool = True,
) -> set[tuple[Key, Key]]:
    """Mark the cells of `grid` (by (row, column); the last of `rows` and of `columns`
    are the totals) that must be hidden, and return them. A missing cell is an empty
    one: nothing to hide, nothing it could give away. `rows_add_up=False`: a row's
    cells have no total (rates before and after), so only the columns are lines."""
    rows, columns = list(rows), list(columns)
    hidden = {pos for pos, cell in grid.items() if 0 < cell.pupils < MIN_PUPILS}
    lines = [[(r, c) for r in rows] for c in columns]
    if rows_add_up:
        lines += [[(r, c) for c in columns] for r in rows]
    changed = True
    while changed:
        changed = False
        for line in lines:
            present = [pos for pos in line if pos in grid]
            lone = [pos for pos in present if pos in hidden]
            if len(lone) != 1:
                continue
            candidates = [pos for pos in present if pos not in hidden]
            if not candidates:
                continue
            total = line[-1]
            cells = [pos for pos in candidates if pos != total]
            nonzero = [pos for pos in cells if grid[pos].pupils > 0]
            pool = nonzero or ([total] if total in candidates else cells)
            pick = min(pool, key=lambda pos: (grid[pos].pupils, grid[pos].value, str(pos)))
            hidden.add(pick)
            changed = True
    for pos in hidden:
        grid[pos].hidden = True
    return hidden
