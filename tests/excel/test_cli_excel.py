"""``actiontrack export`` and ``import``: messages and exit codes, as a script sees them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result

from actiontrack.excel import layout

from .conftest import EXPORTED, IMPORTED, cell_of, edit, run_cli, store_digest

POLICE_ACTION = "DEMO-SCP/A002"


def run(folder: Path, *args: str, now: str = EXPORTED) -> Result:
    return run_cli(folder, *args, now=now)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    assert run(tmp_path, "demo").exit_code == 0
    return tmp_path


def test_export_then_import_with_a_change(folder: Path) -> None:
    """An edited export is listed by --dry-run, imported once, and then has nothing to import."""
    workbook = folder / "police.xlsx"
    exported = run(folder, "export", str(workbook), "--agency", "DEMO-POL",
                   "--return-to", "Sam, business unit")
    assert exported.exit_code == 0, exported.output
    assert "3 actions" in exported.output
    instructions = openpyxl.load_workbook(workbook)[layout.INSTRUCTIONS]
    assert any("Sam, business unit" in str(row[0].value)
               for row in instructions.iter_rows() if row[0].value)

    edit(workbook, {(POLICE_ACTION, "Lead officer"): "DI Jones"})
    before = store_digest(folder)
    dry = run(folder, "import", str(workbook), "--dry-run", "--by", "Police lead", now=IMPORTED)
    assert dry.exit_code == 0, dry.output
    assert (f"{POLICE_ACTION}: lead_officer: 'Detective Inspector, public protection (demo)'"
            " -> 'DI Jones'") in dry.output
    assert "nothing was written" in dry.output
    assert store_digest(folder) == before

    applied = run(folder, "import", str(workbook), "--by", "Police lead", now=IMPORTED)
    assert applied.exit_code == 0, applied.output
    assert "Imported 1 change from" in applied.output
    shown = run(folder, "show", POLICE_ACTION)
    assert "DI Jones" in shown.output

    again = run(folder, "import", str(workbook), "--by", "Police lead", now=IMPORTED)
    assert again.exit_code == 0
    assert "Nothing to import" in again.output


def test_problems_exit_1_write_nothing_and_can_be_marked_in_a_copy(folder: Path) -> None:
    """A workbook with problems exits 1, writes nothing, and --errors-to marks them in a copy."""
    workbook = folder / "plan.xlsx"
    assert run(folder, "export", str(workbook)).exit_code == 0
    edit(workbook, {(POLICE_ACTION, "Status"): "completed",
                    (POLICE_ACTION, "Target date"): date(2027, 5, 1)})
    before = store_digest(folder)
    marked = folder / "plan-marked.xlsx"
    result = run(folder, "import", str(workbook), "--errors-to", str(marked), now=IMPORTED)
    assert result.exit_code == 1
    status_cell = cell_of(workbook, POLICE_ACTION, "Status")
    assert f"error: Actions!{status_cell} ({POLICE_ACTION}):" in result.output
    assert "Nothing was imported: 2 problems" in result.output
    assert marked.exists()
    assert store_digest(folder) == before


@pytest.mark.parametrize(("content", "message"), [
    (b"not a workbook at all", "not an Excel .xlsx workbook"),
    (b"", "empty"),
])
def test_unreadable_files_exit_2_and_write_nothing(folder: Path, content: bytes,
                                                   message: str) -> None:
    """A file that is not a workbook, or is empty, exits 2 saying so and writes nothing."""
    bad = folder / "returned.xlsx"
    bad.write_bytes(content)
    before = store_digest(folder)
    result = run(folder, "import", str(bad), now=IMPORTED)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert store_digest(folder) == before


def test_a_workbook_from_another_program_exits_2(folder: Path) -> None:
    """A workbook that actiontrack did not export exits 2."""
    other = folder / "tracker.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["Action", "Owner"])  # type: ignore[union-attr]
    workbook.save(other)
    result = run(folder, "import", str(other), now=IMPORTED)
    assert result.exit_code == 2
    assert "not a workbook exported by actiontrack" in result.output


def test_export_of_an_unknown_agency_exits_2_and_writes_no_file(folder: Path) -> None:
    """Exporting for an unknown agency exits 2 naming it, and leaves no file behind."""
    result = run(folder, "export", str(folder / "x.xlsx"), "--agency", "NOPE")
    assert result.exit_code == 2
    assert "NOPE" in result.output
    assert not (folder / "x.xlsx").exists()
    assert list(folder.glob("*.tmp")) == []


def test_export_never_creates_a_store(tmp_path: Path) -> None:
    """Exporting from a store that does not exist exits 2 and creates none."""
    result = run(tmp_path, "export", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 2
    assert not (tmp_path / "plan.json").exists()


def test_an_import_into_a_store_locked_by_another_writer_exits_1(folder: Path) -> None:
    """Importing while another process holds the store's lock exits 1 and writes nothing."""
    import fcntl

    workbook = folder / "plan.xlsx"
    assert run(folder, "export", str(workbook)).exit_code == 0
    edit(workbook, {(POLICE_ACTION, "Lead officer"): "DI Jones"})
    before = store_digest(folder)
    with (folder / "plan.json.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process is writing
        result = run(folder, "--lock-timeout", "0.2", "import", str(workbook), now=IMPORTED)
    assert result.exit_code == 1, result.output
    assert "nothing written" in result.output
    assert "cannot write" not in result.output
    assert store_digest(folder) == before


def test_an_old_xls_is_judged_by_its_content_not_its_name(folder: Path) -> None:
    """An old .xls file, known by its content, exits 2 saying to save it as .xlsx."""
    old = folder / "plan.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
    result = run(folder, "import", str(old), now=IMPORTED)
    assert result.exit_code == 2
    assert "is an old .xls workbook: save it as .xlsx" in result.output
