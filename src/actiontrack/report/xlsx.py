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

The workbook is written by openpyxl in write-only mode, except the tables'
rows: a national report has millions of cells, and those are written as
sheet XML (:class:`~actiontrack.excel.streaming.RowWriter`), each column with
the XML of one look (plain, a date, text that starts like a formula, long
text that wraps, a RAG colour) reused for every row, and empty cells not
written. A table's rows are cleaned and measured as they are written, and
its column widths set from them before the sheet is closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TypeAlias

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import _BaseAxis
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from actiontrack.domain.models import ActionStatus
from actiontrack.domain.rag import Rag
from actiontrack.excel.cells import FORMULA_STARTS, MAX_TEXT
from actiontrack.excel.streaming import (
    CellXml,
    RowWriter,
    Sheet,
    new_sheet,
    save,
    style_id,
)
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
_RAG_FILLS = {colour.value: PatternFill("solid", fgColor=RAG_COLOURS[colour]) for colour in Rag}
_WRAPPED = Alignment(wrap_text=True, vertical="top")
_MAX_WIDTH = 45
_DATE_WIDTH = 12


def write_workbook(report: Report, path: Path) -> None:
    """Write ``report`` as an xlsx workbook at ``path``, replacing any file there."""
    save(build_workbook(report), path)


def build_workbook(report: Report) -> Workbook:
    """The report as an openpyxl workbook in write-only mode, not yet saved (save it once)."""
    workbook = Workbook(write_only=True)
    # Sheets in the order they are shown; each is filled in its own time.
    dashboard = new_sheet(workbook, "Dashboard")
    _reviews(new_sheet(workbook, "Reviews"), report)
    _recommendations(new_sheet(workbook, "Recommendations"), report)
    _actions(new_sheet(workbook, "Actions"), report)
    _themes(new_sheet(workbook, "Themes"), report)
    _agencies(new_sheet(workbook, "Agencies"), report)
    _measures(new_sheet(workbook, "Measures"), report)
    _dashboard(dashboard, new_sheet(workbook, "Chart data"), report)
    return workbook


class _ColumnCells:
    """The cells of one table column: their XML in each look, the look made when first needed.

    A look is what a value needs (a date format, the quote prefix of text
    that starts like a formula, wrapping for long text, a RAG colour) on top
    of the column's own ``number_format``. ``keep_empty`` writes an empty
    cell with the column's format where there is no value; otherwise an
    empty value writes no cell.
    """

    def __init__(self, sheet: Sheet, column: int, *, rag: bool = False,
                 number_format: str | None = None, keep_empty: bool = False) -> None:
        self._sheet = sheet
        self._column = column
        self._rag = rag
        self._number_format = number_format
        self._keep_empty = keep_empty
        self._looks: dict[tuple[bool, bool, bool, str | None], CellXml] = {}
        self._plain = self._look()  # the look most values take
        #: The longest entry written so far, in characters (a date counts as its width).
        self.longest = 0

    def _look(self, *, dated: bool = False, quoted: bool = False, wrapped: bool = False,
              fill: str | None = None) -> CellXml:
        key = (dated, quoted, wrapped, fill)
        look = self._looks.get(key)
        if look is None:
            cell = WriteOnlyCell(self._sheet)
            if dated:
                cell.number_format = DATE_FORMAT
            elif self._number_format is not None:
                cell.number_format = self._number_format
            if quoted:
                cell.quotePrefix = True  # Excel keeps it text when someone edits the cell
            if wrapped:
                cell.alignment = _WRAPPED
            if fill is not None:
                cell.fill = _RAG_FILLS[fill]
            self._looks[key] = look = CellXml(self._column, style_id(cell))
        return look

    def __call__(self, row: str, value: Value) -> str:
        """The XML of the cell holding ``value`` at ``row``, and its length noted.

        Text is always text, never a formula, whatever its first character,
        and without what a cell cannot hold (:func:`_text`). An empty value,
        empty text included, gives no cell (``""``) unless the column keeps
        empty cells.
        """
        if type(value) is str:
            length = len(value)
            # Most text is printable and short enough: checked at C speed, kept as it is.
            if not (length and length <= MAX_TEXT and value.isprintable()):
                value = _text(value)
                if not value:
                    return self._plain.empty(row) if self._keep_empty else ""
                length = len(value)
            if length > self.longest:
                self.longest = length
            if length > _MAX_WIDTH or value.startswith(FORMULA_STARTS):
                look = self._look(quoted=value.startswith(FORMULA_STARTS),
                                  wrapped=length > _MAX_WIDTH)
            elif self._rag and value in _RAG_FILLS:
                look = self._look(fill=value)
            else:
                look = self._plain
            return look.text(row, value)
        if type(value) is int or type(value) is float:
            length = len(str(value))
            if length > self.longest:
                self.longest = length
            return self._plain.number(row, value)
        if value is None:
            return self._plain.empty(row) if self._keep_empty else ""
        if isinstance(value, date):
            self.longest = max(self.longest, _DATE_WIDTH)
            return self._look(dated=True).day(row, value)
        raise TypeError(f"a report cell cannot hold {value!r}")


def _header_cell(sheet: Sheet, column: int, title: str) -> CellXml:
    cell = WriteOnlyCell(sheet)
    cell.font = Font(bold=True)
    cell.fill = _RAG_FILLS.get(title.lower(), _HEADER_FILL)
    if len(title) > _MAX_WIDTH:
        cell.alignment = _WRAPPED
    return CellXml(column, style_id(cell))


def _set_widths(sheet: Sheet, longest: Mapping[int, int]) -> None:
    """Each column as wide as its ``longest`` entry, within limits."""
    for column, length in longest.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(length, _MAX_WIDTH) + 2


def _table(sheet: Sheet, header: Sequence[str], rows: Iterable[Sequence[Value]], *,
           rag_column: str | None = None, formats: Mapping[str, str] | None = None) -> None:
    """A sheet holding one table: a bold header, frozen and filtered, then ``rows``.

    Cells in the ``rag_column`` are filled in their RAG colour; ``formats``
    gives the number format of a column's cells, by header, empty cells too.
    """
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    _print_landscape(sheet, pages_tall=0)  # 0: as many pages tall as it takes
    with RowWriter(sheet) as out:  # the sheet's other parts are written when it ends
        _set_widths(sheet, _write_rows(out, header, rows, rag_column=rag_column,
                                       formats=formats))
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(out.rows, 2)}"


def _text(value: str) -> str | None:
    if not value:
        return None  # an empty cell, not a cell holding empty text
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT]


def _write_rows(out: RowWriter, header: Sequence[str], rows: Iterable[Sequence[Value]], *,
                rag_column: str | None = None,
                formats: Mapping[str, str] | None = None) -> dict[int, int]:
    """Append a header and ``rows`` to a sheet; give each column's longest entry, by number."""
    formats = formats or {}
    row = out.next_row
    out.append([_header_cell(out.sheet, column, title).text(row, title)
                for column, title in enumerate(header, start=1)])
    makers = [_ColumnCells(out.sheet, column, rag=title == rag_column,
                           number_format=formats.get(title), keep_empty=title in formats)
              for column, title in enumerate(header, start=1)]
    for values in rows:
        row = out.next_row
        out.append([make(row, value) for make, value in zip(makers, values, strict=True)])
    return {column: max(len(title), make.longest)
            for column, (title, make) in enumerate(zip(header, makers, strict=True), start=1)}


def _print_landscape(sheet: Sheet, *, pages_tall: int) -> None:
    """Print across one page's width, landscape."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = pages_tall
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _joined(values: Iterable[str]) -> str:
    return "; ".join(values)


def _reviews(sheet: Sheet, report: Report) -> None:
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


def _recommendations(sheet: Sheet, report: Report) -> None:
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


def _actions(sheet: Sheet, report: Report) -> None:
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
    _table(sheet, header, rows, rag_column="RAG")


def _themes(sheet: Sheet, report: Report) -> None:
    header = ["Theme", "Reviews", "Recommendations", "Recurs", "Where", "Recommendation ids"]
    rows: list[list[Value]] = [
        [t.theme, t.review_count, t.recommendation_count, "yes" if t.recurs else "no",
         _joined(dict.fromkeys(c.review_reference for c in t.carriers)),
         _joined(c.recommendation_id for c in t.carriers)]
        for t in report.themes
    ]
    _table(sheet, header, rows)


def _agencies(sheet: Sheet, report: Report) -> None:
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


def _measures(sheet: Sheet, report: Report) -> None:
    header = ["Measure", "Action", "Name", "Unit", "Baseline", "Baseline on", "Target",
              "Target by", "Better", "Latest", "Latest on", "Progress", "Target met",
              "Worsened", "Source"]
    rows: list[list[Value]] = [
        [m.id, m.action_id, m.name, m.unit, m.baseline, m.baseline_on, m.target, m.target_on,
         f"{m.want.value}", m.latest_value, m.latest_on, m.progress,
         "yes" if m.met else "no", "yes" if m.worsened else "no", m.source]
        for m in report.measures
    ]
    _table(sheet, header, rows, formats={"Progress": "0%"})


def _dashboard(sheet: Sheet, data: Sheet, report: Report) -> None:
    status_chart, rag_chart, trend_chart = _chart_tables(data, report)
    figures: list[tuple[str, int, str | None]] = [
        ("Actions", len(report.actions), None),
        ("Open", report.open_actions, None),
        ("Overdue", len(report.overdue), RAG_COLOURS[Rag.RED]),
        *((describe(c).capitalize(), n, RAG_COLOURS[c]) for c, n in report.by_rag.items()),
    ]
    for column in range(1, len(figures) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 11
    _print_landscape(sheet, pages_tall=1)

    bold = Font(bold=True)
    as_of = WriteOnlyCell(sheet)
    as_of.value = report.as_of
    as_of.number_format = DATE_FORMAT
    as_of.alignment = Alignment(horizontal="left")
    sheet.append([_text_cell(sheet, f"Progress report: {report.title}",
                             font=Font(bold=True, size=14))])
    sheet.append([_text_cell(sheet, "As of", font=bold), as_of])
    sheet.append([_text_cell(sheet, f"RAG is derived from each action's status and dates on"
                                    f" {long_date(report.as_of)}, never typed in.")])
    sheet.append([])
    centred = Alignment(horizontal="center")
    sheet.append([_text_cell(sheet, label, font=bold, alignment=centred)
                  for label, _, _ in figures])
    counts = []
    for _, count, colour in figures:
        cell = WriteOnlyCell(sheet, value=count)
        cell.font, cell.alignment = Font(bold=True, size=14), centred
        if colour:
            cell.fill = PatternFill("solid", fgColor=colour)
        counts.append(cell)
    sheet.append(counts)

    sheet.add_chart(status_chart, "A8")
    sheet.add_chart(rag_chart, "G8")
    sheet.add_chart(trend_chart, "A24")


def _text_cell(sheet: Sheet, text: str, *, font: Font | None = None,
               alignment: Alignment | None = None) -> Cell:
    """A cell holding ``text`` as text, with a font and alignment of its own."""
    cell = WriteOnlyCell(sheet, value=_text(text))
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _chart_tables(data: Sheet, report: Report) -> tuple[BarChart, BarChart, LineChart]:
    """Write the three charts' tables on ``data`` and return the charts drawn from them."""
    # Statuses nobody is in would only crowd the legend.
    statuses = [s for s, n in report.by_status.items() if n] or list(ActionStatus)
    agency_rows: list[list[Value]] = [
        [p.name, *(p.by_status[s] for s in statuses)] for p in report.agencies
    ] or [["No actions", *(0 for _ in statuses)]]
    review_rows: list[list[Value]] = [
        [s.reference, *s.by_rag.values()] for s in report.reviews
    ] or [["No reviews", *(0 for _ in Rag)]]
    trend_rows: list[list[Value]] = [[p.on, month_label(p.on), p.open_actions]
                                     for p in report.trend]
    # The three tables one under another, a blank row between them.
    tables = [(["Agency", *(describe(s) for s in statuses)], agency_rows),
              (["Review", *(c.value for c in Rag)], review_rows),
              (["At the end of", "Month", "Open actions"], trend_rows)]
    tops = []
    longest: dict[int, int] = {}
    with RowWriter(data) as out:
        for index, (header, rows) in enumerate(tables):
            if index:
                out.append([])
            top = out.rows + 1
            tops.append((top, top + len(rows)))
            for column, length in _write_rows(out, header, rows).items():
                longest[column] = max(longest.get(column, 0), length)
        _set_widths(data, longest)

    (top, last), (rag_top, rag_last), (trend_top, trend_last) = tops
    status_chart = _bar("Actions by status, per agency", data, top, last, len(statuses),
                        [_STATUS_COLOURS[s] for s in statuses], horizontal=True)
    rag_chart = _bar("RAG of actions, by review", data, rag_top, rag_last, len(Rag),
                     [RAG_COLOURS[c] for c in Rag], horizontal=False)
    trend_chart = LineChart()
    trend_chart.title = "Open actions at each month end"
    trend_chart.add_data(Reference(data, min_col=3, min_row=trend_top, max_row=trend_last),
                         titles_from_data=True)
    trend_chart.set_categories(Reference(data, min_col=2, min_row=trend_top + 1,
                                         max_row=trend_last))
    trend_chart.legend = None
    trend_chart.y_axis.scaling.min = 0
    trend_chart.y_axis.number_format = "0"
    trend_chart.series[0].smooth = False  # a curve would invent values between month ends
    trend_chart.series[0].graphicalProperties.line.solidFill = "2F5597"
    trend_chart.series[0].graphicalProperties.line.width = 28575  # 2.25 pt, in EMU
    _show_axes(trend_chart.x_axis, trend_chart.y_axis)
    trend_chart.width, trend_chart.height = 31, 7.5
    return status_chart, rag_chart, trend_chart


def _bar(title: str, data: Sheet, top: int, last: int, series: int,
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
