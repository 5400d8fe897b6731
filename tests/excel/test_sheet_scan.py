"""The sheet scan finds rows, extent, formula and error cells as a whole parse of a sheet does."""

from __future__ import annotations

import ast
import inspect
import random
from pathlib import Path
from xml.etree import ElementTree

import pytest

from actiontrack.errors import UnsafeWorkbookError
from actiontrack.excel import safety, sheet_scan
from actiontrack.excel.safety import Limits, check_workbook_file
from actiontrack.excel.sheet_scan import SheetScanner, cell_reference

from . import corpus

# --- the scan against a whole parse of random sheets ------------------------------------------

_MAIN = "{" + corpus.MAIN_NAMESPACE.decode() + "}"


def _column(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _letters(column: int) -> str:
    name = ""
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(65 + rest) + name
    return name


def _parsed(sheet: bytes) -> tuple[int, tuple[int, int], tuple[str, ...],
                                   tuple[tuple[str, str], ...]]:
    """Rows, extent, formula cells and error cells of a sheet, parsed whole as FileScan says."""
    rows = last_row = last_column = number = 0
    formulas: list[str] = []
    errors: list[tuple[str, str]] = []
    for row in ElementTree.fromstring(sheet).iter(f"{_MAIN}row"):
        number = int(row.get("r") or number + 1)
        rows += 1
        last_row = max(last_row, number)
        column = 0
        for cell in row.iter(f"{_MAIN}c"):
            reference = cell.get("r")
            if reference:
                letters = reference.rstrip("0123456789")
                column, at = _column(letters), int(reference[len(letters):])
            else:
                column, at = column + 1, number
            last_row, last_column = max(last_row, at), max(last_column, column)
            if cell.find(f"{_MAIN}f") is not None:
                formulas.append(f"{_letters(column)}{at}")
            value = cell.find(f"{_MAIN}v")
            if cell.get("t") == "e" and value is not None and (value.text or "")[:1] == "#":
                errors.append((f"{_letters(column)}{at}", value.text or ""))
    return rows, (last_row, last_column), tuple(formulas), tuple(errors)


@pytest.mark.parametrize("seed", range(30))
def test_random_sheets_are_scanned_as_a_whole_parse_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Every way of writing rows and cells, cut into chunks anywhere, and limits exactly met."""
    rng = random.Random(seed)
    sheet = corpus.random_sheet(rng)
    rows, extent, formulas, errors = _parsed(sheet)
    path = corpus.with_sheet(tmp_path, "random.xlsx", sheet)
    exact = Limits(max_rows=max(extent[0], rows), max_columns=max(extent[1], 1))
    for chunk, searched in [(rng.randrange(1, 40), 1), (rng.randrange(40, 400), 4), (2**20, 4)]:
        monkeypatch.setattr(safety, "_CHUNK_BYTES", chunk)
        monkeypatch.setattr(sheet_scan, "_SEARCH_CHUNKS", searched)
        scan = check_workbook_file(path, exact)
        assert scan.rows["Actions"] == rows, chunk
        assert scan.extent["Actions"] == extent, chunk
        assert scan.formula_cells["Actions"] == formulas, chunk
        assert scan.error_cells["Actions"] == errors, chunk
    for limits in (Limits(max_rows=extent[0] - 1), Limits(max_columns=extent[1] - 1)):
        if limits.max_rows >= 1 and limits.max_columns >= 1:
            with pytest.raises(UnsafeWorkbookError):
                check_workbook_file(path, limits)


# --- the scanner on its own -------------------------------------------------------------------


def _fed(sheet: bytes, chunk: int, *, max_rows: int, max_columns: int) -> tuple[
    int, tuple[int, int], tuple[str, ...], tuple[tuple[str, str], ...]
]:
    """What a scanner finds in ``sheet`` fed to it ``chunk`` bytes at a time."""
    scanner = SheetScanner(max_rows=max_rows, max_columns=max_columns, chunk_bytes=chunk)
    for at in range(0, len(sheet), chunk):
        scanner.feed(sheet[at:at + chunk])
    scanner.finish()
    return (scanner.rows, (scanner.last_row, scanner.last_column),
            tuple(scanner.formula_cells), tuple(scanner.error_cells))


@pytest.mark.parametrize("seed", range(30))
def test_random_sheets_fed_straight_to_the_scanner_are_read_as_a_whole_parse_reads_them(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """In chunks of any size, with the limits exactly met or far exceeded: the limits only
    decide which cells are read in full, never what is found."""
    rng = random.Random(f"fed-{seed}")
    sheet = corpus.random_sheet(rng)
    parsed = _parsed(sheet)
    rows, extent = parsed[0], parsed[1]
    for chunk, searched in [(rng.randrange(1, 40), 1), (rng.randrange(40, 400), 4), (2**20, 2)]:
        monkeypatch.setattr(sheet_scan, "_SEARCH_CHUNKS", searched)
        for max_rows, max_columns in [(max(extent[0], rows), max(extent[1], 1)), (1, 1)]:
            found = _fed(sheet, chunk, max_rows=max_rows, max_columns=max_columns)
            assert found == parsed, (chunk, max_rows, max_columns)


@pytest.mark.parametrize(
    ("column", "row", "reference"),
    [(1, 1, "A1"), (2, 12, "B12"), (26, 5, "Z5"), (27, 5, "AA5"), (200, 300_000, "GR300000"),
     (16_384, 1_048_576, "XFD1048576")],
)
def test_cell_references_are_written_the_usual_way(column: int, row: int, reference: str) -> None:
    """Column and row numbers make references the usual way, from A1 to XFD1048576."""
    assert cell_reference(column, row) == reference


def test_the_scanner_imports_nothing_of_the_package() -> None:
    """The safety check uses the scanner, never the other way round."""
    tree = ast.parse(inspect.getsource(sheet_scan))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"__future__", "functools", "re"}
