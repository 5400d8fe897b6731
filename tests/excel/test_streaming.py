"""Rows written as sheet XML (:class:`RowWriter`) read back as openpyxl's own cells do.

Each test writes the same cells twice into one workbook: on one sheet by
openpyxl's write-only writer, cell by cell, on another by ``RowWriter``, and
reads both back with the real readers (openpyxl, python-calamine, LibreOffice).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from python_calamine import CalamineWorkbook

from actiontrack.excel.cells import escaped
from actiontrack.excel.streaming import CellXml, RowWriter, new_sheet, save, style_id

from .libreoffice import requires_libreoffice, resave

#: How a cell looks: set on an openpyxl cell, once per look.
Look = Callable[[Any], None]


def _plain(cell: Any) -> None:
    pass


def _dated(cell: Any) -> None:
    cell.number_format = "d mmm yyyy"


def _quoted_and_wrapped(cell: Any) -> None:
    cell.quotePrefix = True
    cell.alignment = Alignment(wrap_text=True, vertical="top")


def _bold_on_red(cell: Any) -> None:
    cell.font = Font(bold=True)
    cell.fill = PatternFill("solid", fgColor="FF7C80")


def _percent(cell: Any) -> None:
    cell.number_format = "0%"


#: Rows of (value, look); ``None`` is no cell.
ROWS: list[list[tuple[object, Look] | None]] = [
    [("Id", _bold_on_red), ("Text", _bold_on_red), ("On", _bold_on_red),
     ("Count", _bold_on_red), ("Share", _bold_on_red)],
    [("P000/A0001", _plain), ("Fish & chips <b>bold</b> > all", _plain),
     (date(2026, 12, 5), _dated), (3, _plain), (0.25, _percent)],
    [("R2", _plain), ("  spaces kept either side  ", _plain), None, (-17, _plain),
     (1e20, _percent)],
    [("=SUM(A1:A2)", _quoted_and_wrapped), ("line one\nline two\r\nthree\r", _plain),
     (date(1999, 1, 31), _dated), (0.1, _plain), None],
    [("Shared_x0020_Documents", _plain), ("é ü 中文 👩‍⚕️ and a tab\tinside", _plain),
     (date(2100, 2, 28), _dated), (12345678901234, _plain), (2 / 3, _percent)],
    [],  # an empty row between
    [None, None, None, None, ("+44 1234", _quoted_and_wrapped)],
]


def _openpyxl_row(sheet: Any, row: list[tuple[object, Look] | None]) -> list[Any]:
    cells: list[Any] = []
    for entry in row:
        if entry is None:
            cells.append(None)
            continue
        value, look = entry
        # Text escaped as the partner workbook writes it (openpyxl would write
        # ``_x0020_`` as it is, and Excel would read it as a space).
        cell = WriteOnlyCell(sheet, value=escaped(value) if isinstance(value, str) else value)
        if isinstance(value, str):
            cell.data_type = "s"  # text, never a formula
        look(cell)
        cells.append(cell)
    return cells


def _our_row(sheet: Any, out: RowWriter, row: list[tuple[object, Look] | None]) -> list[str]:
    number = out.next_row
    cells = []
    for column, entry in enumerate(row, start=1):
        if entry is None:
            continue
        value, look = entry
        cell = WriteOnlyCell(sheet)
        look(cell)
        xml = CellXml(column, style_id(cell))
        if isinstance(value, str):
            cells.append(xml.text(number, value))
        elif isinstance(value, date):
            cells.append(xml.day(number, value))
        else:
            assert isinstance(value, int | float)
            cells.append(xml.number(number, value))
    return cells


def _write_both(path: Path, *, extra: Callable[[Any], None] = lambda sheet: None) -> Path:
    workbook = Workbook(write_only=True)
    theirs = new_sheet(workbook, "openpyxl")
    ours = new_sheet(workbook, "ours")
    for sheet in (theirs, ours):
        sheet.freeze_panes = "A2"
        sheet.column_dimensions["B"].width = 30
    with RowWriter(ours) as out:
        for row in ROWS:
            out.append(_our_row(ours, out, row))
        ours.auto_filter.ref = f"A1:E{out.rows}"  # settled after the rows, before the end
        extra(ours)
    theirs.auto_filter.ref = f"A1:E{len(ROWS)}"
    for row in ROWS:
        theirs.append(_openpyxl_row(theirs, row))
    save(workbook, path)
    return path


def _described(sheet: Any) -> list[list[tuple[object, ...]]]:
    return [[(cell.value, cell.data_type, cell.number_format, cell.quotePrefix,
              cell.alignment.wrap_text, cell.font.b, cell.fill.fgColor.rgb, cell.is_date)
             for cell in row] for row in sheet.iter_rows()]


def test_openpyxl_reads_the_same_cells_and_looks(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(_write_both(tmp_path / "both.xlsx"))
    theirs, ours = workbook["openpyxl"], workbook["ours"]
    assert _described(ours) == _described(theirs)
    assert ours.max_row == len(ROWS)
    assert ours["B2"].value == "Fish & chips <b>bold</b> > all"
    assert ours["B3"].value == "  spaces kept either side  "
    # openpyxl reads escapes as they are; Excel and calamine read this one as "_".
    assert ours["A5"].value == "Shared_x005F_x0020_Documents"
    assert ours["C2"].value.date() == date(2026, 12, 5)
    assert (ours.freeze_panes, ours.auto_filter.ref) == ("A2", "A1:E7")
    assert ours.column_dimensions["B"].width == 30


def test_calamine_reads_the_same_values(tmp_path: Path) -> None:
    book = CalamineWorkbook.from_path(str(_write_both(tmp_path / "both.xlsx")))
    ours = book.get_sheet_by_name("ours").to_python()
    assert ours == book.get_sheet_by_name("openpyxl").to_python()
    assert ours[3][1] == "line one\nline two\r\nthree\r"  # a CR kept, not read as a line feed
    assert ours[4][0] == "Shared_x0020_Documents"  # not read back as a space


@requires_libreoffice
def test_libreoffice_opens_and_keeps_the_cells(tmp_path: Path) -> None:
    source = _write_both(tmp_path / "both.xlsx")
    workbook = openpyxl.load_workbook(resave(source, tmp_path / "resaved"))
    theirs, ours = workbook["openpyxl"], workbook["ours"]
    assert ([[cell.value for cell in row] for row in ours.iter_rows()]
            == [[cell.value for cell in row] for row in theirs.iter_rows()])
    assert ours["B2"].value == "Fish & chips <b>bold</b> > all"
    assert ours["A4"].value == "=SUM(A1:A2)"
    assert ours["A4"].data_type == "s"


def test_a_row_keeps_its_attributes(tmp_path: Path) -> None:
    workbook = Workbook(write_only=True)
    sheet = new_sheet(workbook, "tall")
    with RowWriter(sheet) as out:
        out.append([CellXml(1).text(out.next_row, "short")])
        out.append([CellXml(1).text(out.next_row, "tall")], 'ht="45" customHeight="1"')
    save(workbook, tmp_path / "tall.xlsx")
    read = openpyxl.load_workbook(tmp_path / "tall.xlsx")["tall"]
    assert read.row_dimensions[2].height == 45
    assert read.row_dimensions[1].height is None


def test_a_sheet_that_has_rows_is_refused() -> None:
    workbook = Workbook(write_only=True)
    sheet = new_sheet(workbook, "started")
    sheet.append(["already here"])
    with pytest.raises(ValueError, match="already has rows"):
        RowWriter(sheet)
    sheet.close()  # openpyxl's own rows, ended as saving would


def test_a_failure_inside_leaves_the_sheet_unwritten() -> None:
    workbook = Workbook(write_only=True)
    sheet = new_sheet(workbook, "half")

    def fail_halfway() -> None:
        with RowWriter(sheet) as out:
            out.append([CellXml(1).text(out.next_row, "first")])
            raise KeyError("the caller's own failure")

    with pytest.raises(KeyError, match="own failure"):
        fail_halfway()
    assert not sheet.closed
