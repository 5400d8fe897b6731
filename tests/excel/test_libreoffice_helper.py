"""The LibreOffice round-trip helper itself: a re-saved workbook reads back the same."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from .libreoffice import requires_libreoffice, resave, set_cells


def _rows(path: Path, sheet: str) -> list[list[object]]:
    workbook = CalamineWorkbook.from_path(str(path))
    rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return [list(row) for row in rows]


@requires_libreoffice
def test_resave_keeps_text_dates_and_numbers_and_set_cells_edits(tmp_path: Path) -> None:
    """A LibreOffice re-save keeps text, dates and numbers, and set_cells edits the copy."""
    source = tmp_path / "source" / "tiny.xlsx"
    source.parent.mkdir()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Data"
    sheet.append(["Text", "Date", "Number"])
    sheet.append(["in progress", date(2027, 3, 31), 42])
    sheet["B2"].number_format = "dd/mm/yyyy"
    workbook.save(source)

    resaved = resave(source, tmp_path / "resaved")

    assert resaved == tmp_path / "resaved" / "tiny.xlsx"
    assert resaved.is_file()
    rows = _rows(resaved, "Data")
    assert rows == _rows(source, "Data")
    assert rows == [["Text", "Date", "Number"], ["in progress", date(2027, 3, 31), 42]]
    assert type(rows[1][1]) is date

    set_cells(resaved, "Data", {"A2": "completed", "B2": date(2028, 1, 2)})

    assert _rows(resaved, "Data")[1] == ["completed", date(2028, 1, 2), 42]
