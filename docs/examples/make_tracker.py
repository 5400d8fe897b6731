"""Write lcspr-tracker.xlsx, the example tracker docs/adopt.md moves into a plan.

It is laid out as a council keeps its LCSPR action plan: a title and a
"last updated" line above the headings, each recommendation merged over
its action rows, dates typed in the ways people type them, agencies by
their short names, a RAG column coloured by hand, and a column of the
partnership's own ("Critical friend comments") that adopt cannot place.
Every name in it is made up.

Run it from anywhere to write the file beside this script, or give a path::

    python docs/examples/make_tracker.py [OUT.xlsx]

tests/test_docs.py checks that the file shipped is the one this makes.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

SHEET = "Action Plan"
TITLE = "Northshire Safeguarding Children Partnership: LCSPR Child Sam, action plan"
UPDATED = "Last updated: 13/11/2026 (business unit)"
HEADINGS = ["Rec No", "Recommendation", "Action(s)", "Lead Agency", "Lead Officer",
            "Target Date", "Revised Target Date", "Progress Update", "Evidence", "RAG",
            "Date Closed", "Critical friend comments"]
WIDTHS = [7, 34, 34, 13, 20, 13, 12, 44, 26, 8, 12, 24]

#: (number, recommendation text, its action rows); an action row is the other ten columns.
RECOMMENDATIONS: list[tuple[int, str, list[list[object]]]] = [
    (1, "Partners should use the escalation policy when they disagree about thresholds,"
        " and managers should check that they do.", [
        ["Refresh the multi-agency escalation policy and publish it on the partnership"
         " website", "CSC", "Head of Service, Safeguarding", "31/03/2026", "Sept 2026",
         "12/02/2026: draft shared with partners for comment\n15/05/2026 - signed off by the"
         " Partnership Executive", "Escalation policy v2 on the partnership website", "Blue",
         "30.09.2026", "Check take-up in the next audit"],
        ["Brief police supervisors on the escalation policy", "Police",
         "DI Jones, Public Protection", "31st March 2026", "Q3 2026/27",
         "Briefings delivered to 4 of 6 teams", None, "Green", None, None],
        ["Audit escalations raised in the last six months", "Early Help",
         "Early Help Manager", "Q4 2026/27", None, None, None, "Amber", None,
         "Include schools' escalations"],
    ]),
    (2, "Health visitors should see the child alone at every contact where neglect is"
        " a concern.", [
        ["Update the health visiting standard operating procedure", "ICB",
         "Designated Nurse", datetime(2026, 6, 30), None, "Procedure updated and circulated"
         " to all teams", "Health visiting SOP v4", "G", "31 July 2026", None],
        ["Audit seen-alone recording in health visiting records", "Health", "Named Nurse",
         "31-01-2027", None, "Audit tool agreed with the provider", None, "Green", None,
         None],
    ]),
    (3, "Schools should know which children have a child protection plan when they move"
        " school.", [
        ["Add child protection status to the school transfer checklist", "Education",
         "Education Safeguarding Lead", "Oct 2026", None, "03/10/2026: checklist drafted",
         None, "Green", None, None],
        ["Brief designated safeguarding leads at the termly DSL forum", "Education",
         "Education Safeguarding Lead", "31/03/27", None, None, None, None, None, None],
    ]),
]

RAG_FILLS = {"red": "FF8080", "amber": "FFC000", "green": "92D050", "blue": "9DC3E6"}
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(vertical="top", wrap_text=True)


def _fill(colour: str) -> PatternFill:
    return PatternFill("solid", start_color=colour, end_color=colour)


def _lines_needed(row: tuple[Cell | MergedCell, ...]) -> int:
    """About how many lines of wrapped text the row's fullest cell takes (spreadsheets
    do not size rows to their text when they open a file, so the file says)."""
    needed = 1
    for cell, width in zip(row, WIDTHS, strict=False):
        if isinstance(cell, MergedCell) or cell.column < 3:  # recommendations span rows
            continue
        text = "" if cell.value is None else str(cell.value)
        needed = max(needed, sum(-(-len(line) // int(width * 0.95)) or 1
                                 for line in text.splitlines() or [""]))
    return needed


def _lay_out(sheet: Worksheet, last_row: int) -> None:
    """How a person sees it: widths, a shaded heading row, boxes, and a page to print."""
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"].font = Font(italic=True)
    for cell in sheet[4]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _fill("1F4E79")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cell.border = _BOX
    sheet.row_dimensions[4].height = 30
    for row in sheet.iter_rows(min_row=5, max_row=last_row, max_col=len(HEADINGS)):
        for cell in row:
            cell.alignment = _TOP
            cell.border = _BOX
        sheet.row_dimensions[row[0].row].height = 15 * _lines_needed(row)
        rag = row[9]
        word = {"g": "green", "a": "amber", "r": "red", "b": "blue"}.get(
            str(rag.value or "").lower(), str(rag.value or "").lower())
        if word in RAG_FILLS:
            rag.fill = _fill(RAG_FILLS[word])
        row[5].number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "C5"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_area = f"A1:L{last_row}"


def make_tracker(path: Path) -> Path:
    """Write the example tracker to ``path`` and return it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append([TITLE])
    sheet.append([UPDATED])
    sheet.append([])
    sheet.append(HEADINGS)
    for number, text, actions in RECOMMENDATIONS:
        first = sheet.max_row + 1
        for index, action in enumerate(actions):
            sheet.append([number, text, *action] if index == 0 else [None, None, *action])
        last = sheet.max_row
        if last > first:  # the recommendation is merged over its action rows
            sheet.merge_cells(f"A{first}:A{last}")
            sheet.merge_cells(f"B{first}:B{last}")
    _lay_out(sheet, sheet.max_row)
    book.save(path)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name(
        "lcspr-tracker.xlsx")
    print(f"Wrote {make_tracker(target)}")
