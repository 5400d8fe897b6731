"""The tracker handed back with every problem marked on its cell (``adopt --errors-to``).

An .xlsx tracker is copied with its formatting, each problem cell filled red
with a comment (:func:`actiontrack.excel.annotate.annotate_workbook`); an
.ods or .csv tracker's cells are first written into a new workbook.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from actiontrack.adopt.table import Problem
from actiontrack.adopt.tracker import Tracker
from actiontrack.excel import merge
from actiontrack.excel.annotate import annotate_workbook
from actiontrack.excel.cells import cell_text, escaped

__all__ = ["mark_problems"]


def mark_problems(path: Path, tracker: Tracker, destination: Path,
                  problems: Sequence[Problem]) -> None:
    """Write ``destination``: the tracker with ``problems`` marked (those on a cell)."""
    on_cells = [merge.Problem(sheet=tracker.sheet, cell=problem.cell, message=problem.message,
                              record_id=problem.record)
                for problem in problems if problem.cell is not None and ":" not in problem.cell]
    if path.suffix.lower() == ".xlsx":
        annotate_workbook(path, destination, on_cells)
        return
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "tracker.xlsx"
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = tracker.sheet[:31]
        for number, row in enumerate(tracker.rows, start=1):
            for column, value in enumerate(row, start=1):
                text = cell_text(value)
                if text is not None:
                    cell = sheet.cell(number, column, escaped(text))
                    cell.data_type = "s"  # text stays text, whatever its first character
        book.save(copy)
        annotate_workbook(copy, destination, [
            merge.Problem(sheet=sheet.title, cell=p.cell, message=p.message,
                          record_id=p.record_id) for p in on_cells])
