"""Read a returned workbook's cells with python-calamine, and find our columns by their headers.

Only values are read here; :mod:`.safety` has already looked at the file's
structure (size, zip, entities, formulas) before any parser saw it. The
hidden sheets are read as they are, and their cells made into the form
the store signs (:attr:`ReturnedWorkbook.hidden`), so that import can check
them against the signature export wrote (:mod:`.signing`) before trusting them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
from openpyxl.utils import get_column_letter
from python_calamine import CalamineError, CalamineWorkbook

from actiontrack.errors import WorkbookError
from actiontrack.excel import layout
from actiontrack.excel.cells import CellValue, cell_text
from actiontrack.excel.layout import Column, ExportInfo
from actiontrack.excel.signing import hidden_part

__all__ = ["ExportedRow", "ReturnedWorkbook", "Table", "read_workbook"]


@attrs.frozen(kw_only=True)
class Table:
    """A sheet's rows, with where each known column is.

    ``rows`` holds (sheet row number, values); ``index`` the position of each
    column key in those values and ``letters`` its column letter.
    """

    sheet: str
    index: Mapping[str, int]
    letters: Mapping[str, str]
    rows: Sequence[tuple[int, Sequence[CellValue]]]
    extra_headers: Sequence[tuple[str, str]] = ()  # (letter, header) of columns not ours
    #: References of cells holding a value in a column with no heading (the first few).
    unheaded_cells: Sequence[str] = ()

    def cell(self, row_number: int, key: str) -> str:
        """The cell reference, ``F14``, of a column in a row."""
        return f"{self.letters[key]}{row_number}"


@attrs.frozen(kw_only=True)
class ExportedRow:
    """An Actions row as it was exported: its version and each column's value."""

    version: int
    values: Sequence[CellValue]  # in layout.ACTION_COLUMNS order; the id is values[0]


@attrs.frozen(kw_only=True)
class ReturnedWorkbook:
    info: ExportInfo
    actions: Table
    evidence: Table
    exported: Mapping[str, ExportedRow]
    #: The recommendation drop-down's entries and the id each stands for, from the Lists
    #: sheet (empty for a workbook exported before the drop-down showed words).
    recommendation_entries: Mapping[str, str] = attrs.field(factory=dict)
    #: Where each exported action's row was on the Actions sheet as exported.
    exported_rows: Mapping[str, int] = attrs.field(factory=dict)
    #: The Measures sheet, and the ids of the measures exported, from the signed Lists
    #: sheet (both ``None`` for a workbook exported before workbooks listed measures).
    measures: Table | None = None
    exported_measures: frozenset[str] | None = None
    #: The hidden sheets' cells as read, in the form the store signs
    #: (:func:`~actiontrack.excel.signing.hidden_part`), and the signature export
    #: wrote over them (``None``: the workbook has none).
    hidden: bytes = b""
    signature: str | None = None


#: How many cells in columns without a heading import names, at most.
_STRAY_CELLS_SHOWN = 5


def _not_ours(path: Path, why: str) -> WorkbookError:
    return WorkbookError(
        f"{path.name} is not a workbook exported by actiontrack ({why}); to bring in a"
        " tracker of your own, use `actiontrack adopt FILE`"
    )


def _table(path: Path, sheet: str, rows: Sequence[Sequence[CellValue]],
           columns: Sequence[Column]) -> Table:
    if not rows:
        raise WorkbookError(f"{path.name}: sheet {sheet!r} is empty; its heading row is missing")
    known = {column.header.casefold(): column.key for column in columns}
    index: dict[str, int] = {}
    letters: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for position, value in enumerate(rows[0]):
        header = cell_text(value)
        if header is None:
            continue
        letter = get_column_letter(position + 1)
        key = known.get(" ".join(header.split()).casefold())
        if key is None:
            extra.append((letter, header))
        elif key in index:
            raise WorkbookError(
                f"{path.name}: sheet {sheet!r} has the heading {header!r} twice"
                f" ({letters[key]}1 and {letter}1); keep one"
            )
        else:
            index[key] = position
            letters[key] = letter
    missing = [column.header for column in columns if column.key not in index]
    if missing:
        raise WorkbookError(
            f"{path.name}: sheet {sheet!r} has no column {missing[0]!r}: put the heading back"
            " as it was exported (headings are how import finds the columns)"
        )
    width = max((len(row) for row in rows), default=0)
    body = [
        (number, row if len(row) >= width else [*row, *([""] * (width - len(row)))])
        for number, row in enumerate(rows[1:], start=2)
        if any(value != "" and value is not None for value in row)
    ]
    headed = {position for position, value in enumerate(rows[0]) if cell_text(value)}
    unheaded = [position for position in range(width) if position not in headed]
    stray = [f"{get_column_letter(position + 1)}{number}"
             for number, row in body for position in unheaded
             if row[position] != "" and row[position] is not None][:_STRAY_CELLS_SHOWN]
    return Table(sheet=sheet, index=index, letters=letters, rows=body, extra_headers=extra,
                 unheaded_cells=stray)


def read_workbook(path: Path) -> ReturnedWorkbook:
    """Read the cells import needs; raise :class:`WorkbookError` for a workbook not ours."""
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = set(book.sheet_names)
        if layout.EXPORT not in names:
            raise _not_ours(path, f"it has no hidden {layout.EXPORT!r} sheet")
        export_rows = book.get_sheet_by_name(layout.EXPORT).to_python(skip_empty_area=False)
        signature, signed_export_rows = _signature(export_rows)
        export = {cell_text(row[0]) or "": cell_text(row[1]) or ""
                  for row in signed_export_rows if len(row) >= 2}
        if export.get("format") != layout.FORMAT:
            raise _not_ours(path, f"its format is {export.get('format')!r}, not"
                            f" {layout.FORMAT!r}")
        try:
            info = ExportInfo.from_rows(export)
        except ValueError:
            raise WorkbookError(f"{path.name}: its hidden {layout.EXPORT!r} sheet was changed"
                                " (the export time is unreadable); export a fresh workbook"
                                ) from None
        for sheet in (layout.ACTIONS, layout.EVIDENCE, layout.AS_EXPORTED):
            if sheet not in names:
                raise WorkbookError(
                    f"{path.name} has no sheet {sheet!r}: it may have been renamed or deleted;"
                    " export a fresh workbook"
                )
        actions = _table(path, layout.ACTIONS,
                         book.get_sheet_by_name(layout.ACTIONS).to_python(skip_empty_area=False),
                         layout.ACTION_COLUMNS)
        evidence = _table(
            path, layout.EVIDENCE,
            book.get_sheet_by_name(layout.EVIDENCE).to_python(skip_empty_area=False),
            layout.EVIDENCE_COLUMNS,
        )
        mirror = book.get_sheet_by_name(layout.AS_EXPORTED).to_python(skip_empty_area=False)
        lists = (book.get_sheet_by_name(layout.LISTS).to_python(skip_empty_area=False)
                 if layout.LISTS in names else [])
        exported_measures = _list_column(lists, layout.MEASURE_IDS)
        measures = None
        if exported_measures is not None:
            if layout.MEASURES not in names:
                raise WorkbookError(
                    f"{path.name} has no sheet {layout.MEASURES!r}: it may have been renamed or"
                    " deleted; export a fresh workbook"
                )
            measures = _table(
                path, layout.MEASURES,
                book.get_sheet_by_name(layout.MEASURES).to_python(skip_empty_area=False),
                layout.MEASURE_COLUMNS)
    except CalamineError as exc:
        raise WorkbookError(f"{path.name} cannot be read as a workbook: {exc}") from exc
    exported = _exported(path, mirror)
    hidden = hidden_part([(layout.LISTS, lists), (layout.EXPORT, signed_export_rows),
                          (layout.AS_EXPORTED, mirror)])
    return ReturnedWorkbook(info=info, actions=actions, evidence=evidence,
                            exported=exported, recommendation_entries=_entries(lists),
                            exported_rows={record_id: number for number, record_id
                                           in enumerate(exported, start=2)},
                            measures=measures,
                            exported_measures=None if exported_measures is None
                            else frozenset(exported_measures),
                            hidden=hidden, signature=signature)


def _signature(rows: Sequence[Sequence[CellValue]]
               ) -> tuple[str | None, list[Sequence[CellValue]]]:
    """The Export sheet's signature, and its other rows (what is signed).

    A second ``signature`` row is not the signature: it stays with the signed
    rows, where it makes the signature fail.
    """
    for number, row in enumerate(rows):
        if row and cell_text(row[0]) == layout.SIGNATURE:
            value = cell_text(row[1]) if len(row) > 1 else None
            return value, [*rows[:number], *rows[number + 1:]]
    return None, list(rows)


def _list_column(rows: Sequence[Sequence[CellValue]], name: str) -> list[str] | None:
    """The values of one Lists sheet column; ``None`` if the sheet has no such column."""
    headers = [cell_text(value) for value in rows[0]] if rows else []
    if name not in headers:
        return None
    at = headers.index(name)
    return [text for row in rows[1:] if len(row) > at and (text := cell_text(row[at]))]


def _entries(rows: Sequence[Sequence[CellValue]]) -> dict[str, str]:
    """The Lists sheet's recommendation entries, each mapped to its id."""
    if not rows:
        return {}
    headers = [cell_text(value) for value in rows[0]]
    if "recommendations" not in headers or layout.RECOMMENDATION_IDS not in headers:
        return {}
    entry_at = headers.index("recommendations")
    id_at = headers.index(layout.RECOMMENDATION_IDS)
    entries: dict[str, str] = {}
    for row in rows[1:]:
        entry = cell_text(row[entry_at]) if len(row) > entry_at else None
        recommendation_id = cell_text(row[id_at]) if len(row) > id_at else None
        if entry and recommendation_id:
            entries.setdefault(entry, recommendation_id)
    return entries


def _exported(path: Path, rows: Sequence[Sequence[CellValue]]) -> dict[str, ExportedRow]:
    width = len(layout.ACTION_COLUMNS) + 1
    exported: dict[str, ExportedRow] = {}
    for number, row in enumerate(rows[1:], start=2):
        record_id = cell_text(row[0]) if row else None
        if record_id is None:
            continue
        version = row[1] if len(row) > 1 else None
        if isinstance(version, bool) or not isinstance(version, int | float) or len(row) < width:
            raise WorkbookError(
                f"{path.name}: the hidden {layout.AS_EXPORTED!r} sheet was changed (row"
                f" {number}); export a fresh workbook"
            )
        exported[record_id] = ExportedRow(version=int(version), values=[row[0], *row[2:width]])
    return exported
