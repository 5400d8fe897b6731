"""A demo plan in a real TinyDB file, and helpers to export, edit and import real workbooks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from actiontrack.cli import cli
from actiontrack.demo import load_demo
from actiontrack.excel import ImportResult, export_workbook, import_workbook, layout
from actiontrack.store import Store, open_store

from .libreoffice import set_cells

#: When the business manager exports, and when the workbook comes back.
EXPORTED_AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
IMPORTED_AT = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
EXPORTED = EXPORTED_AT.isoformat()
IMPORTED = IMPORTED_AT.isoformat()
MANAGER = "Business unit"
PARTNER = "Police partner lead"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(str(tmp_path / "plan.json"), create=True)
    load_demo(opened, now=EXPORTED_AT)
    yield opened
    opened.close()


def run_cli(folder: Path, *args: str, now: str) -> Result:
    """``actiontrack --store FOLDER/plan.json ARGS`` with the clock at ``now``."""
    return CliRunner().invoke(
        cli, ["--store", str(folder / "plan.json"), *args],
        env={"ACTIONTRACK_NOW": now, "ACTIONTRACK_USER": MANAGER},
    )


def store_digest(folder: Path) -> str:
    """Every byte of the TinyDB store's files, so a test can show nothing was written."""
    digest = hashlib.sha256()
    for name in ("plan.json", "plan.history.jsonl"):
        path = folder / name
        digest.update(name.encode() + (path.read_bytes() if path.exists() else b"-"))
    return digest.hexdigest()


def export(store: Store, path: Path, **options: Any) -> Path:
    export_workbook(store, path, by=MANAGER, at=EXPORTED_AT, **options)
    return path


def run_import(store: Store, path: Path, **options: Any) -> ImportResult:
    options.setdefault("at", IMPORTED_AT)
    return import_workbook(store, path, by=PARTNER, **options)


def cell_of(path: Path, record_id: str, header: str, sheet: str = layout.ACTIONS) -> str:
    """The reference (``K5``) of a record's cell under a heading, found as a partner would."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(workbook[sheet].iter_rows(values_only=True))
    finally:
        workbook.close()
    column = rows[0].index(header)
    for number, row in enumerate(rows, start=1):
        if row[0] == record_id:
            return f"{openpyxl.utils.get_column_letter(column + 1)}{number}"
    raise LookupError(f"{record_id} is not on sheet {sheet}")


def first_blank_row(path: Path, sheet: str = layout.ACTIONS) -> int:
    """The first row under the existing records, where a partner types a new one."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(workbook[sheet].iter_rows(values_only=True))
    finally:
        workbook.close()
    return next(number for number, row in enumerate(rows, start=1)
                if number > 1 and all(value is None for value in row))


def edit(path: Path, changes: dict[tuple[str, str], object], sheet: str = layout.ACTIONS,
         ) -> None:
    """Type values into a workbook by (record id, heading), and save it, as Excel would."""
    references = {cell_of(path, record_id, header, sheet): value
                  for (record_id, header), value in changes.items()}
    set_cells(path, sheet, references)
