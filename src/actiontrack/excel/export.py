"""Write a plan, or one agency's slice of it, as the partner workbook (see :mod:`.layout`).

The workbook is written by openpyxl in write-only mode, row by row, so a
national plan streams to disk without being held as cells in memory. Its
hidden part (Lists, Export, As exported) is signed with the store's key
(:mod:`.signing`), the signature going into the Export sheet. Each
column has one prepared cell per style (locked and shaded, or open to edit;
a date; text that starts like a formula), reused for every row, and a style
of its own that its empty cells take, so an empty cell is not written at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import attrs
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from actiontrack.domain.models import Action, ActionStatus, EvidenceKind, EvidenceTier
from actiontrack.domain.plan import Plan
from actiontrack.domain.rag import RagPolicy
from actiontrack.excel import layout
from actiontrack.excel.cells import FORMULA_STARTS, escaped, sheet_text
from actiontrack.excel.choices import offered_recommendations, recommendation_entries
from actiontrack.excel.layout import RECOMMENDATION_IDS, Column, ExportInfo, ValueKind
from actiontrack.excel.rows import action_values, evidence_values, measure_values
from actiontrack.excel.signing import Sign, as_read, hidden_part
from actiontrack.excel.streaming import PreparedCell, Sheet, new_sheet
from actiontrack.formatting import RAG_COLOURS, long_date
from actiontrack.labels import label

__all__ = [
    "ExportInfo",
    "Progress",
    "drop_down_lists",
    "write_workbook",
]

#: Called now and then with (what is being done, how far, out of how much).
Progress = Callable[[str, int, int], None]

#: Blank rows left under the existing ones for new actions, new evidence and more figures.
BLANK_ACTION_ROWS = 100
BLANK_EVIDENCE_ROWS = 200
BLANK_MEASURE_ROWS = 50
DATE_FORMAT = "dd/mm/yyyy"
#: The statuses the drop-down offers: the ones a partner lead sets. Assured, embedded
#: and reopened are the assurance group's to set (import still checks any status typed).
PARTNER_STATUSES = (ActionStatus.PROPOSED, ActionStatus.AGREED, ActionStatus.IN_PROGRESS,
                    ActionStatus.COMPLETED, ActionStatus.ON_HOLD, ActionStatus.SUPERSEDED)
_READ_ONLY_FILL = PatternFill("solid", fgColor="EDEDED")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_PROGRESS_EVERY = 2_000


def _style(target: Cell | Any, column: Column, *, locked: bool, dated: bool = False,
           quoted: bool = False) -> None:
    """Give a cell, or a whole column's empty cells, the look of a locked or open cell."""
    target.protection = Protection(locked=locked)
    if locked:
        target.fill = _READ_ONLY_FILL
    target.alignment = Alignment(wrap_text=column.wrap or None, vertical="top")
    if dated:
        target.number_format = DATE_FORMAT
    elif column.number_format is not None:
        target.number_format = column.number_format
    if quoted:
        target.quotePrefix = True


class _CellMaker:
    """Prepared cells for one column: one object per style, filled anew for each row.

    An empty value gives no cell at all unless ``keep_empty``: the column's
    own style (:func:`_set_columns`) then shades or opens it, as it does every
    empty cell of the column.
    """

    def __init__(self, sheet: Sheet, column: Column, *, locked: bool,
                 keep_empty: bool = False) -> None:
        def prepared(*, quoted: bool = False, dated: bool = False) -> PreparedCell:
            cell = PreparedCell(sheet, row=1, column=1)
            _style(cell, column, locked=locked, dated=dated, quoted=quoted)
            return cell.settle()

        self._plain = prepared(dated=column.kind is ValueKind.DATE)
        self._quoted = prepared(quoted=True)
        self._dated = prepared(dated=True)
        self._keep_empty = keep_empty

    def __call__(self, value: object) -> Cell | None:
        """The column's cell holding ``value`` (a row's value: see :mod:`.rows`)."""
        if type(value) is str:
            cell = self._quoted if value.startswith(FORMULA_STARTS) else self._plain
            cell.value = escaped(value)
            cell.data_type = "s"  # never a formula, whatever its first character
            return cell
        if value is None and not self._keep_empty:
            return None
        cell = self._dated if isinstance(value, date) else self._plain
        cell.value = value  # type: ignore[assignment]  # a date, a number or None
        return cell


def _hidden_maker(sheet: Sheet) -> Callable[[object], object]:
    """Values of one column of a hidden sheet: plain, except text that starts like a formula."""
    text_cell = WriteOnlyCell(sheet)

    def make(value: object) -> object:
        if type(value) is str:
            if value.startswith(FORMULA_STARTS):
                text_cell.value = escaped(value)
                text_cell.data_type = "s"
                return text_cell
            return escaped(value)
        return value

    return make


_LINE_POINTS = 15
_MOST_LINES = 8


def _lines_needed(values: Sequence[object], wrapped: Sequence[tuple[int, int]]) -> int:
    """How many lines of text the tallest wrapped cell of a row needs (at most 8)."""
    most = 1
    for position, width in wrapped:
        text = values[position]
        if type(text) is str and (len(text) > width or "\n" in text):
            most = max(most, sum(len(line) // width + 1 for line in text.split("\n")))
    return min(most, _MOST_LINES)


def _set_columns(sheet: Sheet, columns: Sequence[Column],
                 locked: Callable[[Column], bool]) -> None:
    """Widths and styles of the columns, and the header row and id column frozen.

    Set before any row is written, as a write-only sheet needs. A column's
    style is what its empty cells look like: shaded and locked, or open.
    """
    sheet.freeze_panes = "B2"
    for index, column in enumerate(columns, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = column.width
        _style(dimension, column, locked=locked(column), dated=column.kind is ValueKind.DATE)


def _header(sheet: Sheet, columns: Sequence[Column]) -> list[Cell]:
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        editable = "You may change this column." if column.editable else (
            "Fill this in on a new row." if column.new else "For information: do not change.")
        cell.comment = Comment(f"{column.help}\n\n{editable}", "actiontrack", width=300,
                               height=120)
        cells.append(cell)
    return cells


def _protect(sheet: Sheet, columns: Sequence[Column], last_row: int) -> None:
    """Lock read-only cells (no password) and filter every column."""
    last_letter = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last_letter}{last_row}"
    protection = sheet.protection
    protection.sheet = True
    # What a partner may still do on the protected sheet.
    for allowed in ("autoFilter", "sort", "formatColumns", "formatRows", "formatCells"):
        setattr(protection, allowed, False)


def drop_down_lists(plan: Plan, actions: Sequence[Action], agency: str | None = None,
                    review: str | None = None) -> dict[str, list[str]]:
    """The Lists sheet's columns, by name: what each drop-down list offers.

    Enumerations are offered by label (``In progress``), recommendations by
    number and opening words (:mod:`.choices`), with their ids in the column
    after them for import. A workbook for one agency offers only that agency
    for new actions; one for a review offers only its recommendations. The
    measures of ``actions`` are the only ones a figure may be recorded for.
    """
    recommendations = recommendation_entries(plan, offered_recommendations(plan, review))
    return {
        "statuses": [label(status) for status in PARTNER_STATUSES],
        "agencies": [agency] if agency else sorted(plan.agencies),
        "tiers": [label(tier) for tier in EvidenceTier],
        "kinds": [label(kind) for kind in EvidenceKind],
        "recommendations": list(recommendations),
        RECOMMENDATION_IDS: list(recommendations.values()),
        "actions": [action.id for action in actions],
        layout.MEASURE_IDS: [measure.id for action in actions
                             for measure in plan.measures_for(action.id)],
    }


def _validate(sheet: Sheet, columns: Sequence[Column], lists: dict[str, list[str]],
              first_row: int, last_row: int) -> None:
    """Drop-down lists fed from the Lists sheet, and dates that must be dates."""
    names = list(lists)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cells = f"{letter}{first_row}:{letter}{last_row}"
        if column.choices is not None:
            source = get_column_letter(names.index(column.choices) + 1)
            count = max(len(lists[column.choices]), 1)
            strict = column.kind is ValueKind.LIST
            validation = DataValidation(
                type="list",
                formula1=f"{quote_sheetname(layout.LISTS)}!${source}$2:${source}${count + 1}",
                allow_blank=True, showErrorMessage=True,
                errorStyle="stop" if strict else "information",
                error=f"Pick a value from the list for {column.header}.",
                errorTitle=column.header,
            )
        elif column.kind is ValueKind.DATE and (column.editable or column.new):
            earliest, error = "1", "Type a date, such as 31/03/2027"
            if column.not_before is not None:  # relative: each row's own earlier date
                keys = [c.key for c in columns]
                earliest = f"{get_column_letter(keys.index(column.not_before) + 1)}{first_row}"
                error += (", not before the "
                          + layout.column_named(tuple(columns), column.not_before).header.lower())
            validation = DataValidation(
                type="date", operator="between", formula1=earliest,
                formula2="TODAY()" if column.past else "73050",
                allow_blank=True, showErrorMessage=True, errorStyle="stop",
                errorTitle=column.header,
                error=error + (", and not after today." if column.past else "."),
            )
        elif column.kind is ValueKind.NUMBER and (column.editable or column.new):
            validation = DataValidation(
                type="decimal", operator="between", formula1="-1E+15", formula2="1E+15",
                allow_blank=True, showErrorMessage=True, errorStyle="stop",
                errorTitle=column.header,
                error="Type a number only, such as 62 or 3.5, without its unit.",
            )
        else:
            continue
        validation.add(cells)
        sheet.data_validations.append(validation)


def _colour_rag(sheet: Sheet, columns: Sequence[Column], last_row: int) -> None:
    letter = get_column_letter([c.key for c in columns].index("rag") + 1)
    cells = f"{letter}2:{letter}{last_row}"
    for value, colour in RAG_COLOURS.items():
        sheet.conditional_formatting.add(cells, CellIsRule(  # type: ignore[no-untyped-call]
            operator="equal", formula=[f'"{label(value)}"'],
            fill=PatternFill("solid", fgColor=colour, bgColor=colour)))


def _table_sheet(sheet: Sheet, columns: Sequence[Column], rows: Iterable[list[object]], *,
                 editable: Callable[[Column], bool], blank_rows: int,
                 lists: dict[str, list[str]]) -> None:
    """A sheet of records: a header, a row per record, blank rows, then its rules.

    Cells of existing rows are open where ``editable``, locked and shaded
    elsewhere; blank rows are open in the columns a new record fills in.
    """
    _set_columns(sheet, columns, locked=lambda column: not editable(column))
    sheet.append(_header(sheet, columns))
    existing = [_CellMaker(sheet, c, locked=not editable(c)) for c in columns]
    blank = [_CellMaker(sheet, c, locked=not c.new, keep_empty=True) for c in columns]
    wrapped = [(position, column.width) for position, column in enumerate(columns)
               if column.wrap]
    row_number = 1
    for row_number, values in enumerate(rows, start=2):
        lines = _lines_needed(values, wrapped)
        if lines > 1:  # spreadsheet programs do not grow rows for wrapped text themselves
            # The row's attributes as openpyxl's write-only writer takes them (a
            # RowDimension object per row costs more than the row's cells).
            sheet.row_dimensions[row_number] = {"ht": str(_LINE_POINTS * lines),
                                                "customHeight": "1"}
        sheet.append([make(value) for make, value in zip(existing, values, strict=True)])
    for _ in range(blank_rows):
        sheet.append([make(None) for make in blank])
    last = row_number + blank_rows
    _protect(sheet, columns, last)
    _validate(sheet, columns, lists, 2, last)
    if any(column.key == "rag" for column in columns):
        _colour_rag(sheet, columns, last)


def write_workbook(
    plan: Plan,
    path: Path,
    info: ExportInfo,
    *,
    today: date,
    policy: RagPolicy,
    progress: Progress | None = None,
    sign: Sign | None = None,
) -> tuple[int, int]:
    """Write the workbook for ``info``'s scope; return (actions, evidence items) written.

    The Measures sheet lists the measures of the actions written.

    The RAG column shows each action's RAG on ``today`` under ``policy``, and
    its header note says what the colours mean under it. ``sign`` (the
    store's ``sign``) signs the hidden part, as every workbook a partner is
    given must be: without it the workbook has no signature, and import
    refuses it (a layout to look at, or to measure writing, only).
    """
    actions = [
        action for action in (plan.actions[key] for key in sorted(plan.actions))
        if (info.agency is None or action.lead_agency_id == info.agency)
        and (info.review is None
             or any(review.id == info.review for review in plan.reviews_of(action)))
    ]
    evidence = [item for action in actions for item in plan.evidence_for(action.id)]
    measures = [measure for action in actions for measure in plan.measures_for(action.id)]
    total = len(actions) * 2 + len(evidence) + len(measures)
    done = 0

    def tick(count: int = 1) -> None:
        nonlocal done
        done += count
        if progress is not None and done % _PROGRESS_EVERY < count:
            progress("Writing the workbook", done, total)

    workbook = Workbook(write_only=True)
    lists = drop_down_lists(plan, actions, info.agency, info.review)
    _instructions(new_sheet(workbook, layout.INSTRUCTIONS), plan, info, today)

    # Actions, then Evidence: the rows that exist, then blank rows for new ones.
    mirror: list[list[object]] = []

    def action_rows() -> Iterator[list[object]]:
        for action in actions:
            values = action_values(plan, action, today, policy)
            mirror.append([action.id, action.version, *values[1:]])
            yield values
            tick()

    def evidence_rows() -> Iterator[list[object]]:
        for item in evidence:
            yield evidence_values(item)
            tick()

    def measure_rows() -> Iterator[list[object]]:
        for measure in measures:
            yield measure_values(plan, measure)
            tick()

    action_columns = [attrs.evolve(column, help=layout.rag_help(policy))
                      if column.key == "rag" else column for column in layout.ACTION_COLUMNS]
    _table_sheet(new_sheet(workbook, layout.ACTIONS), action_columns, action_rows(),
                 editable=lambda column: column.editable, blank_rows=BLANK_ACTION_ROWS,
                 lists=lists)
    _table_sheet(new_sheet(workbook, layout.EVIDENCE), layout.EVIDENCE_COLUMNS,
                 evidence_rows(), editable=lambda column: False,
                 blank_rows=BLANK_EVIDENCE_ROWS, lists=lists)
    _table_sheet(new_sheet(workbook, layout.MEASURES), layout.MEASURE_COLUMNS,
                 measure_rows(), editable=lambda column: column.editable,
                 blank_rows=BLANK_MEASURE_ROWS, lists=lists)

    # Lists, then what import needs to merge: who exported what, and the rows as exported.
    longest = max(len(values) for values in lists.values())
    list_rows: list[Sequence[object]] = [
        list(lists),
        *([values[index] if index < len(values) else None for values in lists.values()]
          for index in range(longest))]
    headings: list[object] = ["Action id", "Version",
                              *(c.header for c in layout.ACTION_COLUMNS[1:])]
    export_rows = info.rows()
    if sign is not None:  # the cells as written: import signs them again as it reads them
        hidden = hidden_part([(layout.LISTS, map(as_read, list_rows)),
                              (layout.EXPORT, map(as_read, export_rows)),
                              (layout.AS_EXPORTED, map(as_read, [headings, *mirror]))])
        export_rows.append([layout.SIGNATURE, sign(hidden)])

    sheet = new_sheet(workbook, layout.LISTS)
    sheet.sheet_state = "hidden"
    sheet.append(list_rows[0])
    makers = [_hidden_maker(sheet) for _ in lists]
    for row in list_rows[1:]:
        sheet.append([make(value) for make, value in zip(makers, row, strict=True)])

    sheet = new_sheet(workbook, layout.EXPORT)
    sheet.sheet_state = "veryHidden"
    for pair in export_rows:
        sheet.append(pair)

    sheet = new_sheet(workbook, layout.AS_EXPORTED)
    sheet.sheet_state = "veryHidden"
    sheet.append(headings)
    makers = [_hidden_maker(sheet) for _ in headings]
    for row in mirror:
        sheet.append([make(value) for make, value in zip(makers, row, strict=True)])
        tick()

    if progress is not None:
        progress("Saving the workbook", total, total)
    workbook.save(path)
    return len(actions), len(evidence)


def _instructions(sheet: Sheet, plan: Plan, info: ExportInfo, today: date) -> None:
    sheet.column_dimensions["A"].width = 110
    title = WriteOnlyCell(sheet, value="Action plan: your updates")
    title.font = Font(bold=True, size=16)
    heading = Font(bold=True, size=12)
    wrap = Alignment(wrap_text=True, vertical="top")
    scope = "every agency" if info.agency is None else (
        plan.agencies[info.agency].name if info.agency in plan.agencies else info.agency)
    send_to = info.return_to or "the partnership's business manager who sent it to you"
    paragraphs: list[tuple[str, bool]] = [
        (f"Exported on {long_date(today)} for {scope}"
         + (f", review {info.review}" if info.review else "") + ".", False),
        ("What to do", True),
        ("1. On the Actions sheet, update your actions: the white columns are yours to"
         " change; grey columns are for information and are locked.", False),
        ("2. Status: pick from the drop-down list (In progress, On hold and so on). An"
         " action can be completed only once completion evidence is on the plan; add it on"
         " the Evidence sheet first (or in the same return).", False),
        ("3. Target date: type the new date (as 31/03/2027) and say why in 'Reason for new"
         " date'. The original target is always kept.", False),
        ("4. New progress update: say what has happened since the last update. It is"
         " added to the plan with the date it is imported; earlier updates are kept.", False),
        ("5. To put an action on hold, give the reason and a review date. To mark it"
         " superseded, give the action that replaces it.", False),
        ("6. Evidence: add a row under the existing items with the action id, tier"
         " (Completion or Impact), kind, title and the date it is about.", False),
        ("7. New actions: use the empty rows at the bottom of the Actions sheet and leave"
         " the action id empty; fill in the recommendation (pick it from the list, which"
         " shows its number and opening words), lead agency, action, target date and"
         " status.", False),
        ("8. Measures: for a measure with a new figure, type it in 'New figure' (the"
         " number only, in the measure's unit), the day it was taken in 'Taken on' and,"
         " if you like, a note. For more figures of one measure, use the empty rows"
         " below and pick the measure from the list.", False),
        ("Please do not", True),
        ("Change the action ids, rename the column headings or delete the hidden sheets."
         " You may sort and filter rows, and add columns of your own: they are ignored."
         " Deleting a row deletes nothing from the plan: the action stays as it was.",
         False),
        ("When you have finished", True),
        (f"Save the workbook as .xlsx (not .xls or .xlsm) and send it back to {send_to}."
         " If someone else changed the same thing in the meantime, you will be asked"
         " which is right; nothing you typed is lost.", False),
        ("Statuses", True),
        ("Proposed, Agreed, In progress, Completed (needs completion evidence), On hold"
         " (needs a reason and a review date), Superseded (needs the action that replaces"
         " it). The assurance group sets Assured, Embedded and Reopened.", False),
        ("Agencies", True),
        *((f"{agency.id}: {agency.name}", False)
          for agency in (plan.agencies[key] for key in sorted(plan.agencies))),
        ("Privacy", True),
        ("Do not type names, dates of birth, addresses or NHS numbers of children, adults"
         " or family members. Use the review's pseudonym.", False),
    ]
    sheet.append([title])
    for text, is_heading in paragraphs:
        cell = WriteOnlyCell(sheet, value=sheet_text(text))
        cell.data_type = "s"
        if is_heading:
            sheet.append([])
            cell.font = heading
        else:
            cell.alignment = wrap
        sheet.append([cell])
