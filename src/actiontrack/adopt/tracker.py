"""Read a partnership's own tracker: one sheet of an .xlsx or .ods workbook, or a .csv file.

A workbook gets the same safety checks as a returned partner workbook
(:mod:`actiontrack.excel.safety`) before any parser opens it; the cells
are then read with python-calamine, and the cells holding formulas or
showing errors are noted (an .xlsx file's; adopt takes values typed in).
Hidden sheets are left out. A merged cell's value is read into every cell
of its range, as a person reads it. A CSV file is read as UTF-8 (with or
without Excel's byte-order mark) or, failing that, Windows-1252, with
commas, semicolons or tabs between its values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from actiontrack.errors import WorkbookError
from actiontrack.excel.cells import CellValue
from actiontrack.excel.safety import (
    Limits,
    check_opendocument_file,
    check_workbook_file,
    checked_size,
)

__all__ = ["SUFFIXES", "Tracker", "read_tracker"]

#: The files adopt reads.
SUFFIXES = (".xlsx", ".ods", ".csv")
#: How much of a CSV file is looked at to find what separates its values.
_SNIFFED = 16_384


@attrs.frozen(kw_only=True)
class Tracker:
    """The cells of one sheet, row by row from row 1 (padded to one width)."""

    sheet: str
    rows: Sequence[Sequence[CellValue]]
    #: Cells holding a formula (``F14``), and cells showing an error with the error.
    formula_cells: Sequence[str] = ()
    error_cells: Sequence[tuple[str, str]] = ()


def read_tracker(path: Path, *, sheet: str | None = None,
                 limits: Limits | None = None) -> list[Tracker]:
    """The sheets to look for a tracker in: ``sheet``, or every sheet in the file's order.

    Raises :class:`~actiontrack.errors.WorkbookError` for a file that is not
    one adopt reads, cannot be read or is unsafe, and for an unknown sheet.
    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise WorkbookError(f"{path.name}: adopt reads a tracker saved as .xlsx, .ods or .csv;"
                            " save it as one of those (File > Save As)")
    limits = limits or Limits()
    if suffix == ".csv":
        return [_read_csv(path, limits)]
    formulas: Mapping[str, Sequence[str]] = {}
    errors: Mapping[str, Sequence[tuple[str, str]]] = {}
    if suffix == ".xlsx":
        scan = check_workbook_file(path, limits)
        formulas, errors = scan.formula_cells, scan.error_cells
    else:
        check_opendocument_file(path, limits)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
        if sheet is not None and sheet not in names:
            raise WorkbookError(f"{path.name} has no sheet {sheet!r}; its sheets are: "
                                + ", ".join(repr(name) for name in names))
        shown = [meta.name for meta in book.sheets_metadata
                 if meta.visible == SheetVisibleEnum.Visible]
        chosen = [sheet] if sheet else shown
        if not chosen:
            raise WorkbookError(f"{path.name} has no sheet to read a tracker from")
        return [attrs.evolve(_sheet_rows(book, name), formula_cells=formulas.get(name, ()),
                             error_cells=errors.get(name, ())) for name in chosen]
    except CalamineError as error:
        raise WorkbookError(f"{path.name} cannot be read as a workbook: {error}") from error


def _sheet_rows(book: CalamineWorkbook, name: str) -> Tracker:
    found = book.get_sheet_by_name(name)
    rows = [list(row) for row in found.to_python(skip_empty_area=False)]
    for (top, left), (bottom, right) in found.merged_cell_ranges or ():
        value = rows[top][left] if top < len(rows) and left < len(rows[top]) else ""
        for row in range(top, min(bottom + 1, len(rows))):
            for column in range(left, min(right + 1, len(rows[row]))):
                rows[row][column] = value
    return Tracker(sheet=name, rows=rows)


def _read_csv(path: Path, limits: Limits) -> Tracker:
    checked_size(path, path.name, limits)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise WorkbookError(f"{path.name} cannot be read ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise WorkbookError(f"{path.name} is not a text file: save the tracker as CSV"
                            " (comma delimited), or adopt the workbook itself")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:_SNIFFED], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[CellValue]] = []
    for row in csv.reader(io.StringIO(text, newline=""), dialect):
        rows.append(list(row))
        if len(rows) > limits.max_rows:
            raise WorkbookError(f"{path.name} has more than {limits.max_rows:,} rows, more than"
                                " adopt reads; split it into smaller files")
    width = max((len(row) for row in rows), default=0)
    padded = [[*row, *([""] * (width - len(row)))] for row in rows]
    return Tracker(sheet=path.stem, rows=padded)
