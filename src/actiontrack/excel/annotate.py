"""The partner's own workbook handed back with every problem marked on its cell.

Each offending cell is filled red and carries a comment saying what is wrong
and what is expected; the rest of the workbook is left as the partner made it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from actiontrack.excel.files import replace_atomically
from actiontrack.excel.merge import Problem

__all__ = ["annotate_workbook"]

_PROBLEM_FILL = PatternFill("solid", fgColor="FF9999")
_TAB_COLOUR = "C00000"


def _markable(sheet: Worksheet, reference: str) -> Cell:
    """The cell to mark for ``reference``: the first cell of a merged range it lies in."""
    for merged in sheet.merged_cells.ranges:
        if reference in merged:
            reference = merged.start_cell.coordinate
            break
    cell = sheet[reference]
    assert isinstance(cell, Cell)
    return cell


def annotate_workbook(source: Path, destination: Path, problems: Sequence[Problem]) -> None:
    """Write a copy of ``source`` to ``destination`` with ``problems`` marked on their cells."""
    workbook = load_workbook(source)
    by_cell: dict[tuple[str, str], list[str]] = defaultdict(list)
    for problem in problems:
        cell = _markable(workbook[problem.sheet], problem.cell)
        by_cell[problem.sheet, cell.coordinate].append(problem.message)
    for (sheet_name, reference), messages in by_cell.items():
        sheet = workbook[sheet_name]
        cell = sheet[reference]
        cell.fill = _PROBLEM_FILL
        text = "\n\n".join(f"• {message}" for message in messages)
        cell.comment = Comment(text, "actiontrack", width=360, height=60 + 15 * len(text) // 50)
        sheet.sheet_properties.tabColor = _TAB_COLOUR
    with replace_atomically(destination) as temporary:
        workbook.save(temporary)
