"""The Measures sheet: partner leads record new figures of their measures in the workbook.

Every workbook here is a real export of the demo plan in a real TinyDB store,
filled in with openpyxl as a partner's Excel would, or re-saved by LibreOffice,
and read back by python-calamine as import reads it.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from actiontrack.domain.models import Measurement
from actiontrack.errors import WorkbookError
from actiontrack.excel import layout
from actiontrack.store import Store

from .conftest import (
    IMPORTED_AT,
    PARTNER,
    edit,
    export,
    first_blank_row,
    run_import,
    store_digest,
)
from .libreoffice import requires_libreoffice, resave, set_cells

POLICE_MEASURE = "DEMO-SCP/A006/M1"  # police: notifications in 24 hours, %, baseline 11/12/2025
COUNCIL_MEASURE = "DEMO-SCP/A001/M1"  # children's services
HEALTH_MEASURE = "DEMO-SCP/A008/M1"  # health: days, lower is better
HEADERS = [column.header for column in layout.MEASURE_COLUMNS]


def measure_cell(path: Path, measure_id: str, header: str) -> str:
    """The reference (``P3``) of a measure's cell under a heading, found as a partner would."""
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name(layout.MEASURES).to_python()
    column = get_column_letter(rows[0].index(header) + 1)
    at = rows[0].index("Measure id")
    (number,) = [n for n, row in enumerate(rows, start=1) if row[at] == measure_id]
    return f"{column}{number}"


def type_figures(path: Path, figures: dict[tuple[str, str], object]) -> None:
    """Type into the Measures sheet by (measure id, heading) and save, as Excel would."""
    set_cells(path, layout.MEASURES, {measure_cell(path, measure_id, header): value
                                      for (measure_id, header), value in figures.items()})


def blank_figure_row(path: Path, measure_id: str, figure: object, taken_on: object = None,
                     note: str | None = None) -> int:
    """A further figure on an empty row, its measure picked from the list."""
    row = first_blank_row(path, layout.MEASURES)
    letters = {header: get_column_letter(HEADERS.index(header) + 1) for header in HEADERS}
    set_cells(path, layout.MEASURES, {
        f"{letters['Measure id']}{row}": measure_id, f"{letters['New figure']}{row}": figure,
        f"{letters['Taken on']}{row}": taken_on, f"{letters['Note']}{row}": note})
    return row


def figures(store: Store, measure_id: str) -> list[Measurement]:
    return store.snapshot().measurements_for(measure_id)


# -- export ----------------------------------------------------------------------------------


def test_the_measures_sheet_shows_each_measure_in_numbers_and_dates(
    store: Store, tmp_path: Path
) -> None:
    """Each measure is a row of real numbers and dates: grey and locked, but for the new figure."""
    path = export(store, tmp_path / "plan.xlsx")
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names.index(layout.MEASURES) == book.sheet_names.index(layout.EVIDENCE) + 1
    rows = book.get_sheet_by_name(layout.MEASURES).to_python()
    assert rows[0] == HEADERS
    assert [row[2] for row in rows[1:] if row[2]] == [COUNCIL_MEASURE, POLICE_MEASURE,
                                                      HEALTH_MEASURE]
    health = dict(zip(HEADERS, rows[3], strict=True))
    assert health == {
        "Action id": "DEMO-SCP/A008",
        "Action": "Health visitors record and engage fathers at every contact",
        "Measure id": HEALTH_MEASURE, "Measure": "Days from birth to father's details recorded",
        "Unit": "days", "Baseline": 30.0, "Baseline date": date(2026, 1, 30), "Target": 10.0,
        "Target date": date(2027, 6, 14), "Better if": "Lower",
        "Source": "Health visiting records system", "Latest figure": 18.0,
        "Latest taken on": date(2026, 11, 11), "Progress": 0.6, "Target met": "No",
        "New figure": "", "Taken on": "", "Note": ""}

    sheet = openpyxl.load_workbook(path)[layout.MEASURES]
    assert sheet.protection.sheet
    assert sheet.protection.password is None
    cells = {header: sheet.cell(row=4, column=index)
             for index, header in enumerate(HEADERS, start=1)}
    for header in ("Measure id", "Baseline", "Latest figure", "Progress", "Target met"):
        assert cells[header].protection.locked, header
        assert cells[header].fill.fgColor.rgb.endswith("EDEDED"), header  # grey: information
    assert cells["Baseline date"].number_format == "dd/mm/yyyy"
    assert cells["Progress"].number_format == "0%"
    for header in ("New figure", "Taken on", "Note"):  # open, on every row
        letter = get_column_letter(HEADERS.index(header) + 1)
        assert sheet.column_dimensions[letter].protection.locked is False, header

    validations = {str(v.sqref).split(":")[0][0]: v for v in sheet.data_validations.dataValidation}
    letter = {header: get_column_letter(HEADERS.index(header) + 1) for header in HEADERS}
    figure, taken, measure = (validations[letter["New figure"]], validations[letter["Taken on"]],
                              validations[letter["Measure id"]])
    assert (figure.type, figure.errorStyle) == ("decimal", "stop")
    # A date, not before the row's baseline and not after the day it is typed in.
    assert (taken.type, taken.formula1, taken.formula2) == (
        "date", f"{letter['Baseline date']}2", "TODAY()")
    assert measure.type == "list"
    assert measure.formula1.startswith("'Lists'!")


def test_an_agency_workbook_lists_only_its_own_measures(store: Store, tmp_path: Path) -> None:
    """A workbook for the police lists the police measure only, and offers only it."""
    path = export(store, tmp_path / "police.xlsx", agency="DEMO-POL")
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name(layout.MEASURES).to_python()
    assert [row[2] for row in rows[1:] if any(row)] == [POLICE_MEASURE]
    lists = book.get_sheet_by_name(layout.LISTS).to_python()
    at = lists[0].index(layout.MEASURE_IDS)
    assert [row[at] for row in lists[1:] if row[at]] == [POLICE_MEASURE]


# -- import ----------------------------------------------------------------------------------


def test_new_figures_are_recorded_with_the_rest_in_one_commit(
    store: Store, tmp_path: Path
) -> None:
    """Each new figure becomes a measurement by the partner, committed with the other edits."""
    path = export(store, tmp_path / "police.xlsx", agency="DEMO-POL")
    type_figures(path, {(POLICE_MEASURE, "New figure"): 71,
                        (POLICE_MEASURE, "Taken on"): date(2026, 11, 20),
                        (POLICE_MEASURE, "Note"): "Notifications log, October"})
    blank_figure_row(path, POLICE_MEASURE, "74.5")  # typed as text; taken on the import day
    edit(path, {("DEMO-SCP/A006", "New progress update"): "Pilot extended county-wide"})
    commits = {entry.commit for entry in store.history()}

    result = run_import(store, path)
    assert (result.problems, result.exit_code, result.applied) == ((), 0, True)
    assert [str(change) for change in result.changes if "/M1/" in change.record_id] == [
        f"{POLICE_MEASURE}/V3: added figure 71% taken on 20/11/2026 for measure"
        f" {POLICE_MEASURE} ('Notifications sent within 24 hours')",
        f"{POLICE_MEASURE}/V4: added figure 74.5% taken on 03/12/2026 for measure"
        f" {POLICE_MEASURE} ('Notifications sent within 24 hours')"]
    new = figures(store, POLICE_MEASURE)[2:]
    assert [(f.value, f.on, f.by, f.note) for f in new] == [
        (71.0, date(2026, 11, 20), PARTNER, "Notifications log, October"),
        (74.5, IMPORTED_AT.date(), PARTNER, None)]
    assert len({entry.commit for entry in store.history()} - commits) == 1


def test_a_dry_run_lists_the_figures_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    """A dry run shows each figure it would add, and the store's bytes do not change."""
    path = export(store, tmp_path / "plan.xlsx")
    type_figures(path, {(HEALTH_MEASURE, "New figure"): 15,
                        (HEALTH_MEASURE, "Taken on"): "01/12/2026"})
    before = store_digest(tmp_path)
    result = run_import(store, path, dry_run=True)
    assert [str(change) for change in result.changes] == [
        f"{HEALTH_MEASURE}/V3: added figure 15 days taken on 01/12/2026 for measure"
        f" {HEALTH_MEASURE} (\"Days from birth to father's details recorded\")"]
    assert (result.problems, result.applied) == ((), False)
    assert store_digest(tmp_path) == before
    assert len(figures(store, HEALTH_MEASURE)) == 2


def test_importing_the_workbook_again_adds_no_figure_twice(store: Store, tmp_path: Path) -> None:
    """A workbook imported twice, even days later, records each figure once."""
    path = export(store, tmp_path / "plan.xlsx")
    type_figures(path, {(COUNCIL_MEASURE, "New figure"): 88,
                        (COUNCIL_MEASURE, "Taken on"): date(2026, 11, 30),
                        (HEALTH_MEASURE, "New figure"): 16})  # Taken on empty: the import day
    assert run_import(store, path).applied
    digest = store_digest(tmp_path)

    for later in (IMPORTED_AT, datetime(2026, 12, 10, 9, 0, tzinfo=IMPORTED_AT.tzinfo)):
        again = run_import(store, path, at=later)
        assert (again.changes, again.problems, again.notices, again.applied) == (
            (), (), (), False)
    assert store_digest(tmp_path) == digest
    assert [f.value for f in figures(store, COUNCIL_MEASURE)][-1] == 88.0
    assert [f.value for f in figures(store, HEALTH_MEASURE)] == [24.0, 18.0, 16.0]


def test_the_same_figure_on_two_rows_is_recorded_once(store: Store, tmp_path: Path) -> None:
    """A figure typed on its measure's row and again on an empty row is recorded once."""
    path = export(store, tmp_path / "plan.xlsx")
    type_figures(path, {(POLICE_MEASURE, "New figure"): 70,
                        (POLICE_MEASURE, "Taken on"): date(2026, 12, 1)})
    row = blank_figure_row(path, POLICE_MEASURE, 70, date(2026, 12, 1))
    result = run_import(store, path)
    assert len(result.changes) == 1
    assert [str(notice) for notice in result.notices] == [
        f"Measures!P{row}: the same figure as row 3; it is recorded once"]


def test_bad_figures_are_all_reported_on_their_cells_and_nothing_is_written(
    store: Store, tmp_path: Path
) -> None:
    """Text, a day to come, before the baseline, another measure: each on its cell, at once."""
    path = export(store, tmp_path / "police.xlsx", agency="DEMO-POL")
    type_figures(path, {(POLICE_MEASURE, "New figure"): "about 70",
                        (POLICE_MEASURE, "Taken on"): date(2027, 1, 20)})
    before_baseline = blank_figure_row(path, POLICE_MEASURE, 60, date(2025, 1, 1))
    other_agency = blank_figure_row(path, COUNCIL_MEASURE, 90)
    no_figure = blank_figure_row(path, POLICE_MEASURE, None, note="log not run yet")
    no_measure = blank_figure_row(path, "", 12)
    edit(path, {("DEMO-SCP/A006", "New progress update"): "Pilot extended county-wide"})
    before = store_digest(tmp_path)

    result = run_import(store, path, errors_to=tmp_path / "marked.xlsx")
    assert (result.exit_code, result.applied) == (1, False)
    assert [(p.sheet, p.cell, p.message.split(";")[0].split(" (")[0])
            for p in result.problems] == [
        (layout.MEASURES, "P2", "expected a number such as 62 or 3.5"),
        (layout.MEASURES, "Q2", "a figure cannot be taken on a day that has not happened"),
        (layout.MEASURES, f"Q{before_baseline}",
         "a figure taken on 2025-01-01 comes before the measure's baseline"),
        (layout.MEASURES, f"C{other_agency}",
         f"measure {COUNCIL_MEASURE} was not in this workbook when it was exported"),
        (layout.MEASURES, f"P{no_figure}", "type the new figure here, or clear 'Taken on' and"
         " 'Note' on this row"),
        (layout.MEASURES, f"C{no_measure}", "a new figure needs its measure: pick it from the"
         " list"),
    ]
    assert store_digest(tmp_path) == before  # not even the progress update
    marked = openpyxl.load_workbook(tmp_path / "marked.xlsx")[layout.MEASURES]
    assert marked["P2"].comment is not None
    assert "about 70" in marked["P2"].comment.text


def test_a_formula_in_new_figure_is_refused_on_its_cell(store: Store, tmp_path: Path) -> None:
    """A formula typed as the figure is a problem on its cell: import takes values only."""
    path = export(store, tmp_path / "plan.xlsx")
    cell = measure_cell(path, POLICE_MEASURE, "New figure")
    set_cells(path, layout.MEASURES, {cell: "=60+10"})
    result = run_import(store, path)
    assert [(p.sheet, p.cell) for p in result.problems] == [(layout.MEASURES, cell)]
    assert "formula" in result.problems[0].message


def test_an_import_held_to_one_agency_refuses_another_agencys_figure(
    store: Store, tmp_path: Path
) -> None:
    """A whole-plan workbook imported with agency= records no figure for another agency."""
    path = export(store, tmp_path / "plan.xlsx")
    type_figures(path, {(COUNCIL_MEASURE, "New figure"): 90})
    result = run_import(store, path, agency="DEMO-POL")
    (problem,) = result.problems
    assert problem.cell == measure_cell(path, COUNCIL_MEASURE, "Measure id")
    assert "is led by DEMO-CC" in problem.message


def test_the_measures_offered_are_signed(store: Store, tmp_path: Path) -> None:
    """Adding another agency's measure to the hidden list of measures refuses the workbook."""
    path = export(store, tmp_path / "police.xlsx", agency="DEMO-POL")
    workbook = openpyxl.load_workbook(path)
    lists = workbook[layout.LISTS]
    column = [cell.value for cell in lists[1]].index(layout.MEASURE_IDS) + 1
    lists.cell(row=3, column=column).value = COUNCIL_MEASURE
    workbook.save(path)
    blank_figure_row(path, COUNCIL_MEASURE, 90)
    before = store_digest(tmp_path)
    with pytest.raises(WorkbookError, match="hidden part of this workbook was changed"):
        run_import(store, path)
    assert store_digest(tmp_path) == before


def test_a_deleted_measures_sheet_refuses_the_workbook(store: Store, tmp_path: Path) -> None:
    """Without its Measures sheet a workbook that listed measures cannot be imported."""
    path = export(store, tmp_path / "plan.xlsx")
    workbook = openpyxl.load_workbook(path)
    del workbook[layout.MEASURES]
    workbook.save(path)
    with pytest.raises(WorkbookError, match="has no sheet 'Measures'"):
        run_import(store, path)


@requires_libreoffice
def test_a_figure_typed_in_libreoffice_is_imported_once(store: Store, tmp_path: Path) -> None:
    """Re-saved by LibreOffice, untouched it imports nothing; with a figure, that figure once."""
    resaved = resave(export(store, tmp_path / "police.xlsx", agency="DEMO-POL"),
                     tmp_path / "libreoffice")
    assert run_import(store, resaved).changes == ()

    type_figures(resaved, {(POLICE_MEASURE, "New figure"): 72.5,
                           (POLICE_MEASURE, "Taken on"): date(2026, 11, 30),
                           (POLICE_MEASURE, "Note"): "November log"})
    resaved_again = resave(resaved, tmp_path / "libreoffice-again")  # the partner saves in Calc
    result = run_import(store, resaved_again)
    assert (result.problems, result.notices) == ((), ())
    assert [change.record_id for change in result.changes] == [f"{POLICE_MEASURE}/V3"]
    latest = figures(store, POLICE_MEASURE)[-1]
    assert (latest.value, latest.on, latest.by, latest.note) == (
        72.5, date(2026, 11, 30), PARTNER, "November log")
    assert run_import(store, resaved_again).changes == ()
