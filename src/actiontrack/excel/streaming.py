"""Writing a sheet row by row with openpyxl's write-only mode, fast.

Shared by the partner workbook (:mod:`actiontrack.excel.export`) and the
report's dashboard workbook: a prepared cell per column and look, whose
style id is looked up once, and a row writer that takes those cells as they
are.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Iterator
from typing import Any, TypeAlias

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = ["PreparedCell", "Sheet", "new_sheet"]

#: A write-only sheet; openpyxl's type stubs leave out most of what it shares with
#: ``Worksheet`` (validations, formatting, protection, dimensions).
Sheet: TypeAlias = Any


class PreparedCell(Cell):
    """A cell whose style is settled when it is made, so its style id is looked up once.

    openpyxl looks a cell's style up in the workbook's style table for every
    cell it writes; a prepared cell is reused for a whole column, so it keeps
    the id it was given. Only its value changes from row to row, and values
    never change its style here: dates go to a cell that already has a date format.
    """

    __slots__ = ("_settled_id",)
    has_style = True

    def settle(self) -> PreparedCell:
        self._settled_id: int = Cell.style_id.fget(self)  # type: ignore[attr-defined]
        return self

    @property
    def style_id(self) -> int:
        return self._settled_id


def rows_of_cells(sheet: Sheet, values: Iterable[object],
                  row_index: int) -> Iterator[Cell]:
    """openpyxl's ``_values_to_row`` without its exception for every prepared cell.

    openpyxl first tries each value as a plain value and only takes it as a
    cell when that raises; with millions of styled cells the exceptions
    cost a quarter of an export. Plain values share one unstyled cell, as
    openpyxl's own version does.
    """
    plain: Cell = WriteOnlyCell(sheet)
    for column_index, value in enumerate(values, 1):
        if value is None:
            continue
        if isinstance(value, Cell):
            cell = value
        else:
            plain.value = value  # type: ignore[assignment]  # what openpyxl's append takes
            cell = plain
        cell.column = column_index
        cell.row = row_index
        yield cell
        if cell is plain and plain.has_style:  # a date gave it a format: start afresh
            plain = WriteOnlyCell(sheet)


def new_sheet(workbook: Workbook, title: str) -> Sheet:
    sheet = workbook.create_sheet(title)
    assert isinstance(sheet, WriteOnlyWorksheet)
    sheet._values_to_row = types.MethodType(rows_of_cells, sheet)  # type: ignore[attr-defined]
    return sheet
