"""Find a tracker's table: its heading row, what each column holds, and its rows.

The heading row is the one, among a tracker's first rows, holding the most
headings trackers use (:mod:`.headings`) or the map names; each column's
target comes from the map, else from its heading. Every column is accounted
for: one nothing maps, a map line no column has, two columns for one
target are problems. Rows are read once, each cell's text kept; text that
only says a cell is empty ("N/A", "TBC") reads as empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs
from openpyxl.utils import get_column_letter

from actiontrack.adopt.headings import REPEATABLE, TARGETS, guess, heading_key
from actiontrack.adopt.mapping import TrackerMap
from actiontrack.adopt.tracker import Tracker
from actiontrack.errors import WorkbookError
from actiontrack.excel.cells import CellValue, cell_text

__all__ = ["Column", "Problem", "Row", "cell_words", "find_columns", "not_values", "problem_at",
           "rows_of", "where"]

#: How far down a tracker its heading row is looked for.
HEADING_ROWS_SEARCHED = 30
#: Cell text that says there is nothing there.
_PLACEHOLDERS = frozenset({"", "na", "n a", "none", "nil", "tbc", "tba", "to follow",
                           "to be confirmed"})
_LONGEST_PLACEHOLDER = 20


@attrs.frozen(kw_only=True)
class Problem:
    """Why a cell, a column or a line of the map stops the adoption."""

    where: str  # "'Action Plan'!D6", or the map file and its table
    message: str
    record: str | None = None  # the record the row would have been
    sheet: str | None = None  # the sheet and cell a problem of the tracker is on
    cell: str | None = None

    def __str__(self) -> str:
        about = f" ({self.record})" if self.record else ""
        return f"{self.where}{about}: {self.message}"


@attrs.frozen(kw_only=True)
class Column:
    """A tracker column and what it holds."""

    position: int
    letter: str
    heading: str
    target: str | None  # None: nothing maps it (a problem)
    guessed: bool


def where(sheet: str, cell: str) -> str:
    quoted = sheet if sheet.isalnum() else "'" + sheet.replace("'", "''") + "'"
    return f"{quoted}!{cell}"


def problem_at(sheet: str, cell: str, message: str, record: str | None = None) -> Problem:
    return Problem(where=where(sheet, cell), message=message, record=record, sheet=sheet,
                   cell=cell)


def _heading_row(rows: Sequence[Sequence[CellValue]], headings: Mapping[str, str]) -> int | None:
    """The row, 0-based, holding the most headings a tracker uses (two at least)."""
    best, best_count = None, 1
    for number, row in enumerate(rows[:HEADING_ROWS_SEARCHED]):
        count = sum(1 for value in row if (text := cell_text(value))
                    and (heading_key(text) in headings or guess(text)))
        if count > best_count:
            best, best_count = number, count
    return best


def find_columns(tracker: Tracker, tracker_map: TrackerMap, map_name: str
                 ) -> tuple[int, list[Column], list[Problem]]:
    """The heading row (0-based), its columns with their targets, and the problems in them.

    Raises :class:`WorkbookError` when no row looks like a tracker's headings.
    """
    mapped = {heading_key(heading): target for heading, target in tracker_map.columns.items()}
    header = _heading_row(tracker.rows, mapped)
    if header is None:
        raise WorkbookError(
            f"sheet {tracker.sheet!r} has no heading row that adopt recognises in its first"
            f" {HEADING_ROWS_SEARCHED} rows: name the columns in a map file's [columns] table"
            " (see docs/adopt.md), or choose the sheet with --sheet")
    problems: list[Problem] = []
    columns: list[Column] = []
    found: set[str] = set()
    by_target: dict[str, Column] = {}
    for position, value in enumerate(tracker.rows[header]):
        letter = get_column_letter(position + 1)
        cell = f"{letter}{header + 1}"
        heading = cell_text(value)
        if heading is None:
            stray = next((f"{letter}{number + 1}" for number, row in
                          enumerate(tracker.rows[header + 1:], start=header + 1)
                          if position < len(row) and cell_text(row[position])), None)
            if stray is not None:
                problems.append(problem_at(tracker.sheet, stray, f"column {letter} has values but"
                                         " no heading: give it one, and map it if need be"))
            continue
        key = heading_key(heading)
        target = mapped.get(key)
        guessed = target is None
        if target is None:
            target = guess(heading)
        else:
            found.add(key)
            target = target or None  # left blank in the map: still to be chosen
        column = Column(position=position, letter=letter, heading=heading, target=target,
                        guessed=guessed)
        columns.append(column)
        if target is None:
            problems.append(problem_at(tracker.sheet, cell, f"no target for the column {heading!r}:"
                                     ' map it in [columns] to a target, or to "ignore"'))
        elif target not in TARGETS:
            problems.append(Problem(where=f"{map_name} [columns]", message=(
                f"{heading!r} = {target!r}: {target!r} is not a target; the targets are"
                f" {', '.join(TARGETS)}")))
        elif target in by_target and target not in REPEATABLE:
            first = by_target[target]
            problems.append(problem_at(tracker.sheet, cell, (
                f"the columns {first.heading!r} ({first.letter}) and {heading!r} ({letter}) are"
                f" both {target}: map one of them to another target or to \"ignore\"")))
        else:
            by_target[target] = column
    for heading in tracker_map.columns:
        if heading_key(heading) not in found:
            problems.append(Problem(where=f"{map_name} [columns]", message=(
                f"{heading!r}: no column of sheet {tracker.sheet!r} has this heading")))
    targets = {column.target for column in columns}
    for needed in ("recommendation.text", "action.title"):
        if needed not in targets:
            problems.append(Problem(where=where(tracker.sheet, f"{header + 1}:{header + 1}"),
                                    message=f"no column holds {needed}: map one in [columns]"))
    return header, columns, problems


@attrs.define
class Row:
    """One tracker row's cells by target (several for update and evidence columns)."""

    number: int  # as the sheet numbers it, from 1
    cells: dict[str, tuple[str, CellValue]]  # target -> (cell reference, value)
    notes: list[tuple[str, str]]  # (cell, text) of each update column with text
    evidence: list[tuple[str, str]]
    #: Each target's text; ``None`` for an empty cell or one that says so ("N/A").
    texts: dict[str, str | None]

    def text(self, target: str) -> str | None:
        return self.texts.get(target)

    def cell(self, target: str) -> str | None:
        found = self.cells.get(target)
        return found[0] if found else None


def not_values(tracker: Tracker, header: int, columns: Sequence[Column]
                ) -> tuple[list[Problem], list[str]]:
    """Formulas and errors in the table's read columns: problems, and notices.

    A formula whose value was saved with it is read as that value (one
    notice per column); one saved without its value, or a cell showing an
    error, is a problem on the cell.
    """
    read = {column.letter: column for column in columns
            if column.target not in (None, "ignore")}
    problems: list[Problem] = []
    noted: dict[str, str] = {}
    for reference in tracker.formula_cells:
        letters = reference.rstrip("0123456789")
        number = int(reference[len(letters):])
        if letters not in read or number <= header + 1:
            continue
        column = read[letters]
        value = tracker.rows[number - 1][column.position] if number <= len(tracker.rows) else ""
        if cell_text(value) is None:
            problems.append(problem_at(tracker.sheet, reference, "a formula with no value saved:"
                                     " replace it with its value (Copy, then Paste Values)"))
        else:
            noted.setdefault(letters, f"{where(tracker.sheet, reference)}: column {letters}"
                             f" ({column.heading}) holds formulas; their values as last"
                             " calculated are used")
    for reference, error in tracker.error_cells:
        letters = reference.rstrip("0123456789")
        if letters in read and int(reference[len(letters):]) > header + 1:
            problems.append(problem_at(tracker.sheet, reference, f"the cell shows the error"
                                     f" {error}: type the value itself"))
    return problems, list(noted.values())


def cell_words(value: CellValue) -> str | None:
    """A cell's text, ``None`` when empty or when it only says so ("N/A", "TBC")."""
    text = cell_text(value)
    if text is None or (len(text) <= _LONGEST_PLACEHOLDER
                        and heading_key(text) in _PLACEHOLDERS):
        return None
    return text


def rows_of(tracker: Tracker, header: int, columns: Sequence[Column]) -> Iterable[Row]:
    usable = [column for column in columns if column.target and column.target != "ignore"]
    for number, values in enumerate(tracker.rows[header + 1:], start=header + 2):
        row = Row(number=number, cells={}, notes=[], evidence=[], texts={})
        filled = False
        for column in usable:
            value = values[column.position] if column.position < len(values) else ""
            cell = f"{column.letter}{number}"
            assert column.target is not None
            text = cell_words(value)
            if column.target in ("update.text", "evidence.title"):
                if text:
                    (row.notes if column.target == "update.text" else row.evidence).append(
                        (cell, text))
            else:
                row.cells[column.target] = (cell, value)
                row.texts[column.target] = text
            filled = filled or value not in ("", None)
        if filled:
            yield row
