"""The corpus of bad files, each imported with the real command into a real store.

Every one gets a clear one-line message and its exit code, and the store's
files are byte-identical afterwards. Files that are not workbooks, or are
unsafe, exit 2 before anything parses them; workbooks of ours with bad cells
exit 1 with the cell named.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result

from actiontrack.excel import layout

from . import corpus
from .conftest import EXPORTED, IMPORTED, cell_of, first_blank_row, run_cli, store_digest
from .libreoffice import set_cells

POLICE_ACTION = "DEMO-SCP/A002"
HEALTH_ACTION = "DEMO-SCP/A004"


def run(folder: Path, *args: str, now: str = IMPORTED) -> Result:
    return run_cli(folder, *args, now=now)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store and its police workbook, made once; each test works on a copy."""
    folder = tmp_path_factory.mktemp("demo")
    assert run(folder, "demo", now=EXPORTED).exit_code == 0
    assert run(folder, "export", str(folder / "police.xlsx"), "--agency", "DEMO-POL",
               now=EXPORTED).exit_code == 0
    return folder


@pytest.fixture
def folder(demo: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "work"
    shutil.copytree(demo, copy)
    return copy


def refused(folder: Path, workbook: Path, code: int) -> str:
    before = store_digest(folder)
    result = run(folder, "import", str(workbook), "--errors-to", str(folder / "marked.xlsx"))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert store_digest(folder) == before
    return result.output


_UNREADABLE_OR_UNSAFE: list[tuple[Callable[[Path], Path], str]] = [
    (corpus.random_bytes, "is not an Excel .xlsx workbook"),
    (corpus.empty_file, "is empty"),
    (corpus.csv_renamed, "looks like text"),
    (corpus.truncated_zip, "is damaged"),
    (corpus.bad_checksum, "is damaged"),
    (corpus.zip_bomb, "zip bomb"),
    (corpus.lying_small_sizes, "unpacks larger than its zip directory says"),
    (corpus.too_many_members, "more than the 1,000"),
    (corpus.billion_laughs_in_sheet, "XML entity declarations"),
    (corpus.billion_laughs_in_shared_strings, "XML entity declarations"),
    (corpus.external_entity, "XML entity declarations"),
    (corpus.old_xls, "old .xls workbook"),
    (corpus.encrypted, "is encrypted"),
    (corpus.macro_enabled, "macro-enabled"),
    (corpus.path_traversal, "points outside"),
    (corpus.plain_zip, "not an Excel workbook"),
    (corpus.valid_workbook, "not a workbook exported by actiontrack"),
]


@pytest.mark.parametrize(("build", "phrase"), _UNREADABLE_OR_UNSAFE,
                         ids=[build.__name__ for build, _ in _UNREADABLE_OR_UNSAFE])
def test_files_that_are_not_safe_workbooks_of_ours_exit_2(
    folder: Path, tmp_path: Path, build: Callable[[Path], Path], phrase: str
) -> None:
    """A file that is unreadable, unsafe or not our export exits 2 saying why, and is not marked."""
    bad = build(tmp_path)
    named = bad.with_name("returned.xlsx")
    bad.rename(named)
    output = refused(folder, named, 2)
    assert phrase in output
    assert not (folder / "marked.xlsx").exists()  # nothing to mark: the file was not opened


def test_a_renamed_sheet_exits_2(folder: Path) -> None:
    """A workbook whose Actions sheet was renamed exits 2, naming the sheet."""
    workbook = folder / "police.xlsx"
    book = openpyxl.load_workbook(workbook)
    book[layout.ACTIONS].title = "My actions"
    book.save(workbook)
    assert "has no sheet 'Actions'" in refused(folder, workbook, 2)


def test_a_renamed_heading_exits_2(folder: Path) -> None:
    """A renamed column heading exits 2, naming the column it lacks."""
    workbook = folder / "police.xlsx"
    set_cells(workbook, layout.ACTIONS, {"K1": "State"})
    assert "has no column 'Status'" in refused(folder, workbook, 2)


def test_a_formula_in_a_hidden_sheet_exits_2(folder: Path) -> None:
    """A formula in the hidden As exported sheet exits 2."""
    workbook = folder / "police.xlsx"
    set_cells(workbook, layout.AS_EXPORTED, {"C2": "=1+1"})
    assert "has formulas" in refused(folder, workbook, 2)


def test_wrong_types_are_errors_on_their_cells(folder: Path) -> None:
    """A word or a bare number in a date cell is an error naming the cell and what it holds."""
    workbook = folder / "police.xlsx"
    target = cell_of(workbook, POLICE_ACTION, "Target date")
    hold = cell_of(workbook, POLICE_ACTION, "On hold: review date")
    set_cells(workbook, layout.ACTIONS, {target: "soon", hold: 12.5})
    output = refused(folder, workbook, 1)
    forms = "31/03/2027, 31 March 2027, March 2027 or Q4 2026/27"
    assert (f"error: Actions!{target} ({POLICE_ACTION}): expected a date such as {forms},"
            " got 'soon'") in output
    assert (f"Actions!{hold} ({POLICE_ACTION}): expected a date such as {forms},"
            " got '12.5'") in output


def test_an_unknown_status_is_an_error_on_its_cell(folder: Path) -> None:
    """A status not on the list is an error on its cell, quoting what was typed."""
    workbook = folder / "police.xlsx"
    status = cell_of(workbook, POLICE_ACTION, "Status")
    set_cells(workbook, layout.ACTIONS, {status: "nearly done"})
    assert f"Actions!{status} ({POLICE_ACTION}): 'nearly done' is not a status" in refused(
        folder, workbook, 1)


def test_duplicate_ids_are_errors(folder: Path) -> None:
    """An action id typed on a second row is an error: it is on two rows."""
    workbook = folder / "police.xlsx"
    row = first_blank_row(workbook)
    set_cells(workbook, layout.ACTIONS, {f"A{row}": POLICE_ACTION})
    assert "is on two rows" in refused(folder, workbook, 1)


def test_formulas_typed_by_the_partner_are_errors_on_their_cells(folder: Path) -> None:
    """Formulas a partner types are errors on their cells; the marked copy asks for the value."""
    workbook = folder / "police.xlsx"
    officer = cell_of(workbook, POLICE_ACTION, "Lead officer")
    row = first_blank_row(workbook, layout.EVIDENCE)
    set_cells(workbook, layout.ACTIONS, {officer: "=B2&\" (acting)\""})
    set_cells(workbook, layout.EVIDENCE, {f"E{row}": "=HYPERLINK(\"http://x\")"})
    output = refused(folder, workbook, 1)
    assert f"Actions!{officer}: a formula" in output
    assert f"Evidence!E{row}: a formula" in output
    marked = openpyxl.load_workbook(folder / "marked.xlsx")
    comment = marked[layout.ACTIONS][officer].comment
    assert comment is not None
    assert "type the value itself" in comment.text


def test_ids_of_another_agency_are_refused(folder: Path) -> None:
    """A police workbook cannot touch a health action, on the Actions or the Evidence sheet."""
    workbook = folder / "police.xlsx"
    row = first_blank_row(workbook)
    set_cells(workbook, layout.ACTIONS, {f"A{row}": HEALTH_ACTION, f"N{row}": "Someone"})
    evidence_row = first_blank_row(workbook, layout.EVIDENCE)
    set_cells(workbook, layout.EVIDENCE, {
        f"B{evidence_row}": HEALTH_ACTION, f"C{evidence_row}": "completion",
        f"D{evidence_row}": "policy", f"E{evidence_row}": "Not ours",
        f"F{evidence_row}": date(2026, 11, 1)})
    output = refused(folder, workbook, 1)
    assert f"Actions!A{row} ({HEALTH_ACTION}): action {HEALTH_ACTION} is led by DEMO-CCG" in output
    assert f"Evidence!B{evidence_row}" in output


def test_a_changed_export_time_exits_2(folder: Path) -> None:
    """An unreadable export time on the hidden Export sheet exits 2."""
    workbook = folder / "police.xlsx"
    set_cells(workbook, layout.EXPORT, {"B3": "last Tuesday"})
    assert "the export time is unreadable" in refused(folder, workbook, 2)


def test_a_cell_showing_an_error_is_an_error_on_that_cell(folder: Path) -> None:
    """A cell showing #N/A is refused on its cell, not read as an emptied value."""
    workbook = folder / "police.xlsx"
    officer = cell_of(workbook, POLICE_ACTION, "Lead officer")
    set_cells(workbook, layout.ACTIONS, {officer: "#N/A"})  # openpyxl stores an error cell
    output = refused(folder, workbook, 1)
    assert f"Actions!{officer}: the cell shows the error #N/A; type the value itself" in output
