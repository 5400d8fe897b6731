"""The committee progress report as an Excel workbook, with a dashboard of native charts.

Sheets: **Dashboard** (key figures and three charts), **Reviews**,
**Recommendations**, **Actions** (one row per action), **Themes**,
**Agencies**, **Measures** (each impact measure: baseline, target, latest figure,
progress), and **Chart data** (the tables the charts are drawn from).
Every table has a frozen header row and a filter; dates are real dates;
RAG cells are coloured.

Text typed by people is always stored as text, never as a formula: a
title that starts with ``=``, ``+``, ``-`` or ``@`` is kept as a string
and marked so that Excel keeps it as text when the cell is edited.
Characters a workbook cannot hold (control characters) are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TypeAlias

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import _BaseAxis
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from actiontrack.domain.models import ActionStatus
from actiontrack.domain.rag import Rag
from actiontrack.formatting import RAG_COLOURS, long_date, month_label
from actiontrack.report.content import ActionLine, Report, describe

__all__ = ["DATE_FORMAT", "RAG_COLOURS", "build_workbook", "write_workbook"]

Value: TypeAlias = str | int | float | date | None

DATE_FORMAT = "d mmm yyyy"
_STATUS_COLOURS: dict[ActionStatus, str] = {
    ActionStatus.PROPOSED: "D9D9D9",
    ActionStatus.AGREED: "BDD7EE",
    ActionStatus.IN_PROGRESS: "5B9BD5",
    ActionStatus.COMPLETED: "A9D18E",
    ActionStatus.ASSURED: "70AD47",
    ActionStatus.EMBEDDED: "375623",
    ActionStatus.ON_HOLD: "FFC000",
    ActionStatus.SUPERSEDED: "7F7F7F",
    ActionStatus.REOPENED: "C00000",
}
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_FORMULA_STARTS = ("=", "+", "-", "@")
_MAX_TEXT = 32_767  # the most characters an Excel cell holds
_MAX_WIDTH = 45


def write_workbook(report: Report, path: Path) -> None:
    """Write ``report`` as an xlsx workbook at ``path``, replacing any file there."""
    build_workbook(report).save(path)


def build_workbook(report: Report) -> Workbook:
    """The report as an openpyxl workbook, not yet saved."""
    workbook = Workbook()
    dashboard = workbook.active
    assert dashboard is not None  # a new workbook always has one sheet
    dashboard.title = "Dashboard"
    _reviews(workbook.create_sheet("Reviews"), report)
    _recommendations(workbook.create_sheet("Recommendations"), report)
    _actions(workbook.create_sheet("Actions"), report)
    _themes(workbook.create_sheet("Themes"), report)
    _agencies(workbook.create_sheet("Agencies"), report)
    _measures(workbook.create_sheet("Measures"), report)
    _dashboard(dashboard, workbook.create_sheet("Chart data"), report)
    return workbook


def _put(sheet: Worksheet, row: int, column: int, value: Value) -> Cell:
    """Write one value: text always as text, dates as dates with a date format."""
    cell = sheet.cell(row=row, column=column)
    assert isinstance(cell, Cell)  # only merged ranges give a MergedCell; we merge none
    if value == "":
        value = None  # an empty cell, not a cell holding empty text
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_TEXT]
        cell.value = text
        cell.data_type = "s"  # openpyxl reads a leading "=" as a formula; this is text
        if text.startswith(_FORMULA_STARTS):
            cell.quotePrefix = True  # Excel keeps it text when someone edits the cell
    else:
        cell.value = value
        if isinstance(value, date):
            cell.number_format = DATE_FORMAT
    return cell


def _table(sheet: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Value]],
           *, top: int = 1, filtered: bool = True) -> int:
    """Write a table with a bold header at row ``top``; return the last row written.

    On a sheet of its own (``filtered``) the header row is frozen and filtered.
    """
    for column, title in enumerate(header, start=1):
        cell = _put(sheet, top, column, title)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        if title.lower() in {colour.value for colour in Rag}:
            cell.fill = PatternFill("solid", fgColor=RAG_COLOURS[Rag(title.lower())])
    row = top
    for row, values in enumerate(rows, start=top + 1):
        for column, value in enumerate(values, start=1):
            _put(sheet, row, column, value)
    if filtered:
        sheet.freeze_panes = f"A{top + 1}"
        last = get_column_letter(len(header))
        sheet.auto_filter.ref = f"A{top}:{last}{max(row, top + 1)}"
        sheet.print_title_rows = f"{top}:{top}"
        _print_landscape(sheet, pages_tall=0)  # 0: as many pages tall as it takes
    _fit_widths(sheet)
    return row


def _print_landscape(sheet: Worksheet, *, pages_tall: int) -> None:
    """Print across one page's width, landscape."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = pages_tall
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _fit_widths(sheet: Worksheet) -> None:
    """Columns as wide as their longest entry, within limits; long text wraps."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None or not isinstance(cell.column, int):
                continue
            length = 12 if isinstance(cell.value, date) else len(str(cell.value))
            widths[cell.column] = max(widths.get(cell.column, 0), length)
            if length > _MAX_WIDTH:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(width, _MAX_WIDTH) + 2


def _colour_rag(sheet: Worksheet, column: int, first_row: int, last_row: int) -> None:
    for row in range(first_row, last_row + 1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(cell.value, str) and cell.value in {c.value for c in Rag}:
            cell.fill = PatternFill("solid", fgColor=RAG_COLOURS[Rag(cell.value)])


def _joined(values: Iterable[str]) -> str:
    return "; ".join(values)


def _reviews(sheet: Worksheet, report: Report) -> None:
    header = ["Review", "Reference", "Kind", "Title", "Subject", "Recommendations", "Actions",
              "Open", "Overdue", *(describe(c).capitalize() for c in Rag),
              "Completion evidence", "Impact evidence", "Learning activities", "Reach"]
    rows: list[list[Value]] = [
        [s.id, s.reference, describe(s.kind), s.title, s.subject, len(s.recommendations),
         len(s.actions), sum(1 for a in s.actions if a.is_open), len(s.overdue),
         *s.by_rag.values(), len(s.completion_evidence), len(s.impact_evidence),
         len(s.learning), s.total_reach]
        for s in report.reviews
    ]
    _table(sheet, header, rows)


def _recommendations(sheet: Worksheet, report: Report) -> None:
    header = ["Recommendation", "Review", "No.", "Text", "Themes", "Response",
              "Response reason", "Status", "Actions", "Repeats"]
    rows: list[list[Value]] = [
        [line.id, section.id, line.number, line.text, _joined(line.themes),
         describe(line.response), line.response_reason, describe(line.status),
         _joined(line.action_ids), _joined(line.repeats)]
        for section in report.reviews for line in section.recommendations
    ]
    _table(sheet, header, rows)


def _target_moves(action: ActionLine) -> str:
    return _joined(
        f"{long_date(r.on)}: {long_date(r.from_date)} to {long_date(r.to_date)}, {r.reason}"
        for r in action.target_revisions
    )


def _actions(sheet: Worksheet, report: Report) -> None:
    header = ["Action", "Title", "Reviews", "Agency id", "Lead agency", "Status", "RAG",
              "Original target", "Current target", "Days overdue", "Target moves",
              "Latest update on", "Latest update"]
    rows: list[list[Value]] = [
        [a.id, a.title, _joined(a.review_ids), a.lead_agency_id, a.lead_agency,
         describe(a.status), a.rag.value, a.original_target_date, a.target_date,
         a.days_overdue, _target_moves(a),
         a.latest_update.on if a.latest_update else None,
         a.latest_update.text if a.latest_update else None]
        for a in report.actions
    ]
    last = _table(sheet, header, rows)
    _colour_rag(sheet, header.index("RAG") + 1, 2, last)


def _themes(sheet: Worksheet, report: Report) -> None:
    header = ["Theme", "Reviews", "Recommendations", "Recurs", "Where", "Recommendation ids"]
    rows: list[list[Value]] = [
        [t.theme, t.review_count, t.recommendation_count, "yes" if t.recurs else "no",
         _joined(dict.fromkeys(c.review_reference for c in t.carriers)),
         _joined(c.recommendation_id for c in t.carriers)]
        for t in report.themes
    ]
    _table(sheet, header, rows)


def _agencies(sheet: Worksheet, report: Report) -> None:
    header = ["Agency id", "Agency", "Former names", "Actions", "Open", "Overdue",
              *(describe(c).capitalize() for c in Rag),
              *(describe(s).capitalize() for s in ActionStatus)]
    rows: list[list[Value]] = [
        [p.agency_id, p.name, _joined(p.former_names), len(p.actions),
         sum(1 for a in p.actions if a.is_open),
         sum(1 for a in p.actions if a.days_overdue is not None),
         *p.by_rag.values(), *p.by_status.values()]
        for p in report.agencies
    ]
    _table(sheet, header, rows)


def _measures(sheet: Worksheet, report: Report) -> None:
    header = ["Measure", "Action", "Name", "Unit", "Baseline", "Baseline on", "Target",
              "Target by", "Better", "Latest", "Latest on", "Progress", "Target met",
              "Worsened", "Source"]
    rows: list[list[Value]] = [
        [m.id, m.action_id, m.name, m.unit, m.baseline, m.baseline_on, m.target, m.target_on,
         f"{m.want.value}", m.latest_value, m.latest_on, m.progress,
         "yes" if m.met else "no", "yes" if m.worsened else "no", m.source]
        for m in report.measures
    ]
    last = _table(sheet, header, rows)
    for row in range(2, last + 1):
        sheet.cell(row=row, column=header.index("Progress") + 1).number_format = "0%"


def _dashboard(sheet: Worksheet, data: Worksheet, report: Report) -> None:
    title = _put(sheet, 1, 1, f"Progress report: {report.title}")
    title.font = Font(bold=True, size=14)
    _put(sheet, 2, 1, "As of").font = Font(bold=True)
    _put(sheet, 2, 2, report.as_of).alignment = Alignment(horizontal="left")
    _put(sheet, 3, 1, f"RAG is derived from each action's status and dates on"
                      f" {long_date(report.as_of)}, never typed in.")
    figures: list[tuple[str, int, str | None]] = [
        ("Actions", len(report.actions), None),
        ("Open", report.open_actions, None),
        ("Overdue", len(report.overdue), RAG_COLOURS[Rag.RED]),
        *((describe(c).capitalize(), n, RAG_COLOURS[c]) for c, n in report.by_rag.items()),
    ]
    centred = Alignment(horizontal="center")
    for column, (label, count, colour) in enumerate(figures, start=1):
        cell = _put(sheet, 5, column, label)
        cell.font, cell.alignment = Font(bold=True), centred
        cell = _put(sheet, 6, column, count)
        cell.font, cell.alignment = Font(bold=True, size=14), centred
        if colour:
            cell.fill = PatternFill("solid", fgColor=colour)
    for column in range(1, len(figures) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 11

    status_chart, rag_chart, trend_chart = _chart_tables(data, report)
    sheet.add_chart(status_chart, "A8")
    sheet.add_chart(rag_chart, "G8")
    sheet.add_chart(trend_chart, "A24")
    _print_landscape(sheet, pages_tall=1)


def _chart_tables(data: Worksheet, report: Report) -> tuple[BarChart, BarChart, LineChart]:
    """Write the three charts' tables on ``data`` and return the charts drawn from them."""
    # Statuses nobody is in would only crowd the legend.
    statuses = [s for s, n in report.by_status.items() if n] or list(ActionStatus)
    agency_rows: list[list[Value]] = [
        [p.name, *(p.by_status[s] for s in statuses)] for p in report.agencies
    ] or [["No actions", *(0 for _ in statuses)]]
    top = 1
    last = _table(data, ["Agency", *(describe(s) for s in statuses)], agency_rows,
                  top=top, filtered=False)
    status_chart = _bar("Actions by status, per agency", data, top, last, len(statuses),
                        [_STATUS_COLOURS[s] for s in statuses], horizontal=True)

    review_rows: list[list[Value]] = [
        [s.reference, *s.by_rag.values()] for s in report.reviews
    ] or [["No reviews", *(0 for _ in Rag)]]
    top = last + 2
    last = _table(data, ["Review", *(c.value for c in Rag)], review_rows, top=top,
                  filtered=False)
    rag_chart = _bar("RAG of actions, by review", data, top, last, len(Rag),
                     [RAG_COLOURS[c] for c in Rag], horizontal=False)

    top = last + 2
    last = _table(data, ["At the end of", "Month", "Open actions"],
                  [[p.on, month_label(p.on), p.open_actions] for p in report.trend],
                  top=top, filtered=False)
    trend_chart = LineChart()
    trend_chart.title = "Open actions at each month end"
    trend_chart.add_data(Reference(data, min_col=3, min_row=top, max_row=last),
                         titles_from_data=True)
    trend_chart.set_categories(Reference(data, min_col=2, min_row=top + 1, max_row=last))
    trend_chart.legend = None
    trend_chart.y_axis.scaling.min = 0
    trend_chart.y_axis.number_format = "0"
    trend_chart.series[0].smooth = False  # a curve would invent values between month ends
    trend_chart.series[0].graphicalProperties.line.solidFill = "2F5597"
    trend_chart.series[0].graphicalProperties.line.width = 28575  # 2.25 pt, in EMU
    _show_axes(trend_chart.x_axis, trend_chart.y_axis)
    trend_chart.width, trend_chart.height = 31, 7.5
    return status_chart, rag_chart, trend_chart


def _bar(title: str, data: Worksheet, top: int, last: int, series: int,
         colours: Sequence[str], *, horizontal: bool) -> BarChart:
    """A stacked bar chart of the table at rows ``top``..``last``, one colour per series."""
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"  # first row at the top, as in the table
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = title
    chart.add_data(Reference(data, min_col=2, max_col=1 + series, min_row=top, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(data, min_col=1, min_row=top + 1, max_row=last))
    for line, colour in zip(chart.series, colours, strict=True):
        line.graphicalProperties.solidFill = colour
        line.graphicalProperties.line.solidFill = colour
    chart.y_axis.number_format = "0"
    chart.y_axis.majorGridlines = None
    _show_axes(chart.x_axis, chart.y_axis)
    chart.width, chart.height = 15, 7.5
    return chart


def _show_axes(*axes: _BaseAxis) -> None:
    # openpyxl 3.1 leaves "delete" unset, which recent Excel reads as hiding the axis.
    for axis in axes:
        axis.delete = False
