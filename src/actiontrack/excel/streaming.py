"""Writing a sheet row by row with openpyxl's write-only mode, fast.

Two ways, for two kinds of sheet. The partner workbook
(:mod:`actiontrack.excel.export`), whose cells carry comments, data
validation and protection, appends openpyxl cells: a prepared cell per column
and look, whose style id is looked up once, and a row writer that takes those
cells as they are. The report's tables (:mod:`actiontrack.report.xlsx`),
millions of plain styled cells, are written as sheet XML by :class:`RowWriter`,
with openpyxl still writing the rest of the sheet and the workbook.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import types
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeAlias
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from actiontrack.excel.cells import escaped

__all__ = ["CellXml", "PreparedCell", "RowWriter", "Sheet", "new_sheet", "save", "style_id"]

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
        self._settled_id = style_id(self)
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


#: A day as Excel counts it: days since 30 December 1899 (dates after February 1900).
_EXCEL_DAY_ZERO = date(1899, 12, 30).toordinal()
_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>")
_WRITE_EVERY = 2_000  # rows gathered before they go to the file
#: zlib's level for a workbook's parts: a national report's hundred megabytes of sheet
#: XML compress in under half the time of openpyxl's (the default, 6), a sixth bigger.
_COMPRESS_LEVEL = 3


def style_id(cell: Cell) -> int:
    """The workbook's id for ``cell``'s look, added to the workbook's styles when new."""
    return int(Cell.style_id.fget(cell))  # type: ignore[attr-defined]


class CellXml:
    """The XML of one column's cells in one look, for :class:`RowWriter` rows.

    Made once per column and look (a style id from :func:`style_id`, or 0
    for none); each method gives one cell at ``row`` (its number, as text),
    as openpyxl would write it: text inline (its ``_xHHHH_`` kept literal,
    see :func:`~actiontrack.excel.cells.escaped`), dates as Excel day numbers.
    """

    __slots__ = ("_start", "_styled")

    def __init__(self, column: int, style: int = 0) -> None:
        self._start = f'<c r="{get_column_letter(column)}'
        self._styled = f'" s="{style}"' if style else '"'

    def text(self, row: str, value: str) -> str:
        """A cell holding ``value`` as text, whatever its first character."""
        if "_x" in value:
            value = escaped(value)
        space = ' xml:space="preserve"' if value != value.strip() else ""
        # What XML text cannot hold as it is (a lone CR would be read as LF), each
        # replaced only where found: most text has none, and a search costs least.
        if "&" in value:
            value = value.replace("&", "&amp;")
        if "<" in value:
            value = value.replace("<", "&lt;")
        if ">" in value:
            value = value.replace(">", "&gt;")
        if "\r" in value:
            value = value.replace("\r", "&#13;")
        return f'{self._start}{row}{self._styled} t="inlineStr"><is><t{space}>{value}</t></is></c>'

    def number(self, row: str, value: int | float) -> str:
        return f"{self._start}{row}{self._styled}><v>{value:.16g}</v></c>"

    def day(self, row: str, value: date) -> str:
        """``value`` as a day number, which the look's number format shows as a date."""
        return f"{self._start}{row}{self._styled}><v>{value.toordinal() - _EXCEL_DAY_ZERO}</v></c>"

    def empty(self, row: str) -> str:
        """A cell with the look and no value."""
        return f"{self._start}{row}{self._styled}/>"


class RowWriter:
    """A write-only sheet's rows written as sheet XML, past openpyxl's writer for each cell.

    openpyxl builds every cell as XML elements, which at millions of cells
    is most of the time a big workbook takes. Here each row is text made by
    :class:`CellXml`, gathered in a temporary file; on leaving the ``with``
    block the sheet is closed by openpyxl (everything but the rows: views,
    widths, filter, print setup, drawings) and the rows put in its place.
    Use it on a sheet nothing has been appended to, and settle the sheet's
    other parts before the block ends.
    """

    def __init__(self, sheet: Sheet) -> None:
        if sheet._rows is not None or sheet.closed:
            raise ValueError(f"sheet {sheet.title!r} already has rows")
        self.sheet = sheet
        self._body = tempfile.TemporaryFile()  # noqa: SIM115  # closed when the block ends
        self._gathered: list[str] = []
        self.rows = 0

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self._flush()
                self._close_sheet()
        finally:
            self._body.close()

    @property
    def next_row(self) -> str:
        """The number of the row :meth:`append` adds next, as text for :class:`CellXml`."""
        return str(self.rows + 1)

    def append(self, cells: Iterable[str], attributes: str = "") -> None:
        """Add a row of cells made by :class:`CellXml` for :attr:`next_row`.

        ``attributes`` go into the row's element as they are (as ``ht="30"``).
        No cells gives an empty row.
        """
        self.rows += 1
        joined = "".join(cells)
        if joined or attributes:
            spaced = f" {attributes}" if attributes else ""
            self._gathered.append(f'<row r="{self.rows}"{spaced}>{joined}</row>')
            if len(self._gathered) >= _WRITE_EVERY:
                self._flush()

    def _flush(self) -> None:
        self._body.write("".join(self._gathered).encode("utf-8"))
        self._gathered.clear()

    def _close_sheet(self) -> None:
        self.sheet.close()
        path = self.sheet._writer.out
        with open(path, "rb") as file:
            written = file.read()
        found = list(_SHEET_DATA.finditer(written))
        if len(found) != 1:
            raise RuntimeError(f"openpyxl wrote sheet {self.sheet.title!r} in a form"
                               " actiontrack does not know: no single empty sheetData")
        self._body.seek(0)
        with open(path, "wb") as file:
            file.write(written[:found[0].start()])
            file.write(b"<sheetData>")
            shutil.copyfileobj(self._body, file)
            file.write(b"</sheetData>")
            file.write(written[found[0].end():])


def save(workbook: Workbook, path: Path) -> None:
    """Save ``workbook`` at ``path`` as ``workbook.save`` does, compressed more quickly."""
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True,
                 compresslevel=_COMPRESS_LEVEL) as archive:
        workbook.properties.modified = datetime.now(tz=UTC).replace(tzinfo=None)
        ExcelWriter(workbook, archive).save()
