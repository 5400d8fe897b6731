"""The signed hidden part: each hidden cell changed is refused; a re-saved workbook is not.

The tamper corpus changes one hidden cell at a time (every cell of the Export
sheet, every column of an action's row on the As exported sheet, every column
of the Lists sheet), with openpyxl as a partner's tool would, and imports the
result with the real command into a real store: exit 2, the message, and the
store's bytes unchanged. The same corpus runs through the API on the
in-memory store; SQLite and PostgreSQL run a few cases of it. An untouched
export re-saved by LibreOffice imports cleanly, and a partner's edits to the
visible cells still import.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pytest
from click.testing import CliRunner, Result
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from actiontrack import convert
from actiontrack.cli import cli
from actiontrack.demo import load_demo
from actiontrack.domain.models import Action
from actiontrack.domain.rag import RagPolicy
from actiontrack.errors import WorkbookError
from actiontrack.excel import layout
from actiontrack.excel.export import write_workbook
from actiontrack.excel.layout import ExportInfo
from actiontrack.excel.signing import as_read, hidden_part
from actiontrack.store import MemoryStore, Store, open_store
from store.sql_servers import new_store_url  # tests/store/sql_servers.py

from .conftest import EXPORTED, EXPORTED_AT, IMPORTED, MANAGER, PARTNER, edit, export
from .conftest import run_import as import_into
from .libreoffice import requires_libreoffice, resave, set_cells

POLICE_ACTION = "DEMO-SCP/A002"  # police, in progress, target date set
HEALTH_ACTION = "DEMO-SCP/A004"  # led by DEMO-CCG
CHANGED = "the hidden part of this workbook was changed; export a new one"
UNSIGNED = "carries no signature"
NOT_OURS = "is not a workbook exported by actiontrack"
OTHER_PLAN = "was exported from another plan"
UNREADABLE_TIME = "the export time is unreadable"

EXPORT_KEYS = (*(key for key, _ in ExportInfo(
    export_id="", exported_at=EXPORTED_AT, exported_by="", store="").rows()), layout.SIGNATURE)
#: The Export sheet's keys whose change is refused before the signature is looked at.
REFUSED_FIRST = {"format": NOT_OURS, "store": OTHER_PLAN, "exported_at": UNREADABLE_TIME,
                 layout.SIGNATURE: UNSIGNED}
MIRROR_HEADINGS = ("Action id", "Version", *(c.header for c in layout.ACTION_COLUMNS[1:]))
LIST_COLUMNS = ("statuses", "agencies", "tiers", "kinds", "recommendations",
                layout.RECOMMENDATION_IDS, "actions", layout.MEASURE_IDS)


# -- the corpus ----------------------------------------------------------------------------


def _forged(value: object) -> object:
    """A different value of the same sort: what a partner would type over ``value``."""
    if isinstance(value, bool) or value is None:
        return "DEMO-CCG"
    if isinstance(value, int):
        return value + 1
    if isinstance(value, datetime | date):
        return value + timedelta(days=1)
    return f"{value} (changed)"


def _row_of(sheet: Worksheet, first_cell: str) -> int:
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1):
        if cell.value == first_cell:
            return int(cell.row)
    raise LookupError(f"no row {first_cell!r} on sheet {sheet.title}")


def _column_of(sheet: Worksheet, heading: str) -> int:
    for (cell,) in sheet.iter_cols(min_row=1, max_row=1):
        if cell.value == heading:
            return int(cell.column)
    raise LookupError(f"no column {heading!r} on sheet {sheet.title}")


def _change(sheet: Worksheet, row: int, column: int, value: object = None) -> None:
    cell = sheet.cell(row=row, column=column)
    cell.value = _forged(cell.value) if value is None else value  # type: ignore[assignment]


@attrs.frozen
class Tamper:
    """One change to a workbook's hidden part, and what the import then says."""

    name: str
    change: Callable[[Workbook], None]
    message: str = CHANGED

    def apply(self, path: Path) -> None:
        workbook = openpyxl.load_workbook(path)
        try:
            self.change(workbook)
            workbook.save(path)
        finally:
            workbook.close()


def _export_value(key: str, value: object) -> Tamper:
    def change(workbook: Workbook) -> None:
        sheet = workbook[layout.EXPORT]
        _change(sheet, _row_of(sheet, key), 2, value)

    message = {"format": NOT_OURS, "store": OTHER_PLAN}.get(key, CHANGED)
    return Tamper(f"Export {key} value", change, message)


def _export_key(key: str) -> Tamper:
    def change(workbook: Workbook) -> None:
        sheet = workbook[layout.EXPORT]
        sheet.cell(row=_row_of(sheet, key), column=1).value = key.upper()

    return Tamper(f"Export {key} key", change, REFUSED_FIRST.get(key, CHANGED))


#: Plausible forgeries of the Export sheet's values: a wider scope, an earlier time.
_EXPORT_VALUES: dict[str, object] = {
    "format": "actiontrack-workbook/2", "export_id": str(uuid.uuid4()),
    "exported_at": "2026-11-01T10:00:00+00:00", "agency": "", "review": "DEMO-SCP/CSPR-ALEX",
    layout.SIGNATURE: "0" * 64}


def _mirror_cell(heading: str) -> Tamper:
    def change(workbook: Workbook) -> None:
        sheet = workbook[layout.AS_EXPORTED]
        _change(sheet, _row_of(sheet, POLICE_ACTION), _column_of(sheet, heading))

    return Tamper(f"As exported {heading}", change)


def _list_cell(column: str) -> Tamper:
    def change(workbook: Workbook) -> None:
        sheet = workbook[layout.LISTS]
        _change(sheet, 2, _column_of(sheet, column))

    return Tamper(f"Lists {column}", change)


def _mirror_row_added(workbook: Workbook) -> None:
    """The police row copied as the health action's: a base for an action never exported."""
    sheet = workbook[layout.AS_EXPORTED]
    values = [cell.value for cell in sheet[_row_of(sheet, POLICE_ACTION)]]
    sheet.append([HEALTH_ACTION, *values[1:]])


def _mirror_row_deleted(workbook: Workbook) -> None:
    sheet = workbook[layout.AS_EXPORTED]
    sheet.delete_rows(_row_of(sheet, POLICE_ACTION))


def _export_row_added(workbook: Workbook) -> None:
    """A second agency row after the first: the one a reader keeping the last would take."""
    workbook[layout.EXPORT].append(["agency", "DEMO-CCG"])


def _export_cell_beside(workbook: Workbook) -> None:
    """A third cell on a row: import reads two, but the whole sheet is signed."""
    sheet = workbook[layout.EXPORT]
    sheet.cell(row=_row_of(sheet, "agency"), column=3).value = "DEMO-CCG"


def _signature_row_added(workbook: Workbook) -> None:
    sheet = workbook[layout.EXPORT]
    sheet.append([layout.SIGNATURE, sheet.cell(row=_row_of(sheet, layout.SIGNATURE),
                                                column=2).value])


def _lists_deleted(workbook: Workbook) -> None:
    del workbook[layout.LISTS]


CORPUS: tuple[Tamper, ...] = (
    *(_export_value(key, _EXPORT_VALUES.get(key)) for key in EXPORT_KEYS),
    *(_export_key(key) for key in EXPORT_KEYS),
    Tamper("Export agency row added", _export_row_added),
    Tamper("Export cell beside the agency", _export_cell_beside),
    Tamper("Export signature row repeated", _signature_row_added),
    *(_mirror_cell(heading) for heading in MIRROR_HEADINGS),
    Tamper("As exported heading", lambda workbook: _change(workbook[layout.AS_EXPORTED], 1, 1)),
    Tamper("As exported row added", _mirror_row_added),
    Tamper("As exported row deleted", _mirror_row_deleted),
    *(_list_cell(column) for column in LIST_COLUMNS),
    Tamper("Lists heading", lambda workbook: _change(workbook[layout.LISTS], 1, 1)),
    Tamper("Lists deleted", _lists_deleted),
)
#: The cases run on every backend: the scope, a base value, a version, the signature.
ON_EVERY_BACKEND = ("Export agency value", "As exported Target date", "As exported Version",
                    "Export signature value")


def _cases(names: tuple[str, ...] | None = None) -> list[Any]:
    return [pytest.param(tamper, id=tamper.name) for tamper in CORPUS
            if names is None or tamper.name in names]


# -- stores, through the real command ------------------------------------------------------


@attrs.frozen
class Backend:
    """A store the command opens by URL, and a fingerprint of everything it holds."""

    url: str
    fingerprint: Callable[[], str]


def _file_bytes(folder: Path) -> Callable[[], str]:
    def fingerprint() -> str:
        digest = hashlib.sha256()
        for path in sorted(folder.glob("plan*")):
            if path.is_file() and not path.name.endswith(".lock"):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    return fingerprint


def _through_the_port(url: str) -> Callable[[], str]:
    """Every history entry and record, read through the store (for a database)."""
    def fingerprint() -> str:
        store = open_store(url)
        try:
            held = {"history": [convert.unstructure(entry) for entry in store.history()],
                    "actions": [convert.unstructure(action) for action
                                in sorted(store.snapshot().actions.values(),
                                          key=lambda action: action.id)]}
        finally:
            store.close()
        return hashlib.sha256(json.dumps(held, sort_keys=True, default=str).encode()).hexdigest()

    return fingerprint


def run(url: str, *args: str, now: str = IMPORTED) -> Result:
    return CliRunner().invoke(cli, ["--store", url, *args],
                              env={"ACTIONTRACK_NOW": now, "ACTIONTRACK_USER": MANAGER})


@attrs.frozen
class Exported:
    backend: Backend
    workbook: Path

    def copy(self, folder: Path) -> Path:
        path = folder / self.workbook.name
        shutil.copy(self.workbook, path)
        return path

    def refused(self, path: Path, message: str) -> str:
        """Import ``path``: exit 2 with ``message``, nothing written."""
        before = self.backend.fingerprint()
        result = run(self.backend.url, "import", str(path), "--by", PARTNER)
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output
        assert self.backend.fingerprint() == before
        return result.output


def _exported(backend: Backend, folder: Path) -> Exported:
    assert run(backend.url, "demo", now=EXPORTED).exit_code == 0
    workbook = folder / "police.xlsx"
    exported = run(backend.url, "export", str(workbook), "--agency", "DEMO-POL",
                   "--return-to", "Sam, business unit", now=EXPORTED)
    assert exported.exit_code == 0, exported.output
    return Exported(backend, workbook)


@pytest.fixture(scope="module")
def on_file(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    """The default store (a TinyDB file) and its police workbook, made once."""
    folder = tmp_path_factory.mktemp("signed")
    return _exported(Backend(str(folder / "plan.json"), _file_bytes(folder)), folder)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def on_sql(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exported]:
    """A SQL store (SQLite file, PostgreSQL schema) and its police workbook, made once."""
    folder = tmp_path_factory.mktemp(f"signed-{request.param}")
    with new_store_url(request.param, folder) as url:
        # Through the store: a SQLite reader's -shm index changes, its data does not.
        yield _exported(Backend(url, _through_the_port(url)), folder)


@pytest.mark.parametrize("tamper", _cases())
def test_each_hidden_cell_changed_is_refused_exit_2_writing_nothing(
    on_file: Exported, tamper: Tamper, tmp_path: Path
) -> None:
    """Each change to the hidden part exits 2 with its message; the store's bytes stay."""
    path = on_file.copy(tmp_path)
    tamper.apply(path)
    on_file.refused(path, tamper.message)


@pytest.mark.parametrize("tamper", _cases(ON_EVERY_BACKEND))
def test_a_changed_hidden_cell_is_refused_on_sql_stores(
    on_sql: Exported, tamper: Tamper, tmp_path: Path
) -> None:
    """On SQLite and PostgreSQL, a changed scope, base value, version or signature exits 2."""
    path = on_sql.copy(tmp_path)
    tamper.apply(path)
    on_sql.refused(path, tamper.message)


def test_the_untouched_workbook_imports_on_sql_stores(on_sql: Exported, tmp_path: Path) -> None:
    """An untouched export from a SQL store verifies: nothing to import."""
    result = run(on_sql.backend.url, "import", str(on_sql.copy(tmp_path)), "--by", PARTNER)
    assert result.exit_code == 0, result.output
    assert "Nothing to import" in result.output


def test_the_refusal_is_one_line_naming_the_workbook(on_file: Exported, tmp_path: Path) -> None:
    """The refusal is one line: the workbook's name, the hidden part changed, export anew."""
    path = on_file.copy(tmp_path)
    _export_value("agency", "").apply(path)
    output = on_file.refused(path, CHANGED)
    assert output == f"actiontrack: police.xlsx: {CHANGED}\n"


@pytest.fixture
def police_role(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A PostgreSQL demo store with agency scope on: its owner's URL and the police role's."""
    import sqlalchemy as sa

    from actiontrack.store.sql_scope import apply_agency_scope, grant_agency_role

    with new_store_url("postgresql", tmp_path) as url:
        assert run(url, "demo", now=EXPORTED).exit_code == 0
        apply_agency_scope(url)
        role, password = f"at_test_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
        grant_agency_role(url, role, "DEMO-POL", password)
        try:
            yield url, url.replace("actiontrack:actiontrack@", f"{role}:{password}@")
        finally:
            admin = sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1],
                                     isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                connection.exec_driver_sql(f'DROP ROLE "{role}"')
            admin.dispose()


def test_an_agency_role_verifies_and_signs_without_the_secret(
    police_role: tuple[str, str], tmp_path: Path
) -> None:
    """On PostgreSQL the police role imports its signed workbook, is refused a widened one,
    and exports one the owner verifies: it signs through the database, never reading the key."""
    owner, police = police_role
    workbook = tmp_path / "police.xlsx"
    assert run(owner, "export", str(workbook), "--agency", "DEMO-POL", now=EXPORTED).exit_code \
        == 0
    widened = tmp_path / "widened.xlsx"
    shutil.copy(workbook, widened)
    _export_value("agency", "").apply(widened)
    edit(workbook, {(POLICE_ACTION, "Lead officer"): "DI Jones"})
    as_police = ("--agency", "DEMO-POL")
    refused = run(police, *as_police, "import", str(widened), "--by", PARTNER)
    assert refused.exit_code == 2, refused.output
    assert CHANGED in refused.output
    imported = run(police, *as_police, "import", str(workbook), "--by", PARTNER)
    assert imported.exit_code == 0, imported.output
    assert "Imported 1 change" in imported.output

    by_police = tmp_path / "by-police.xlsx"
    assert run(police, *as_police, "export", str(by_police), "--agency", "DEMO-POL").exit_code \
        == 0
    checked = run(owner, "import", str(by_police), "--dry-run", "--by", MANAGER)
    assert checked.exit_code == 0, checked.output


# -- the in-memory store, through the API --------------------------------------------------


@pytest.fixture(scope="module")
def memory() -> Iterator[Store]:
    store = MemoryStore()
    load_demo(store, now=EXPORTED_AT)
    yield store
    store.close()


@pytest.fixture(scope="module")
def memory_workbook(memory: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(memory, tmp_path_factory.mktemp("memory") / "police.xlsx", agency="DEMO-POL",
                  return_to="Sam, business unit")


def test_the_corpus_changes_every_hidden_row_and_column_export_writes(
    memory_workbook: Path,
) -> None:
    """The corpus names every Export row, every As exported column and every Lists column."""
    assert len({tamper.name for tamper in CORPUS}) == len(CORPUS)
    assert set(ON_EVERY_BACKEND) <= {tamper.name for tamper in CORPUS}
    book = CalamineWorkbook.from_path(str(memory_workbook))
    assert tuple(row[0] for row in book.get_sheet_by_name(layout.EXPORT).to_python()) \
        == EXPORT_KEYS
    assert tuple(book.get_sheet_by_name(layout.AS_EXPORTED).to_python()[0]) == MIRROR_HEADINGS
    assert tuple(book.get_sheet_by_name(layout.LISTS).to_python()[0]) == LIST_COLUMNS


def _held(store: Store) -> tuple[int, object]:
    return len(list(store.history())), store.snapshot().actions


@pytest.mark.parametrize("tamper", _cases())
def test_each_hidden_cell_changed_is_refused_on_the_memory_store(
    memory: Store, memory_workbook: Path, tamper: Tamper, tmp_path: Path
) -> None:
    """Through the API, each change to the hidden part is a WorkbookError; nothing changes."""
    path = tmp_path / memory_workbook.name
    shutil.copy(memory_workbook, path)
    tamper.apply(path)
    before = _held(memory)
    with pytest.raises(WorkbookError) as refused:
        import_into(memory, path)
    assert tamper.message in str(refused.value)
    assert _held(memory) == before


def test_an_untouched_workbook_saved_by_openpyxl_imports(
    memory: Store, memory_workbook: Path, tmp_path: Path
) -> None:
    """A workbook loaded and saved again by openpyxl, untouched, still verifies."""
    path = tmp_path / memory_workbook.name
    shutil.copy(memory_workbook, path)
    Tamper("nothing", lambda workbook: None).apply(path)
    result = import_into(memory, path)
    assert (result.changes, result.problems) == ((), ())


def test_a_workbook_signed_by_another_store_is_refused_even_with_this_stores_identity(
    memory: Store, tmp_path: Path
) -> None:
    """A copy of the plan exports a workbook; naming this store in it is still refused."""
    other = MemoryStore()
    load_demo(other, now=EXPORTED_AT)
    path = export(other, tmp_path / "police.xlsx", agency="DEMO-POL")
    _export_value("store", memory.identity).apply(path)
    with pytest.raises(WorkbookError, match=CHANGED):
        import_into(memory, path)


def test_an_unsigned_workbook_is_refused_as_old(memory: Store, tmp_path: Path) -> None:
    """A workbook without a signature (exported before this release) is refused: export anew."""
    path = tmp_path / "old.xlsx"
    info = ExportInfo(export_id=str(uuid.uuid4()), exported_at=EXPORTED_AT,
                      exported_by=MANAGER, store=memory.identity, agency="DEMO-POL")
    write_workbook(memory.snapshot(), path, info, today=EXPORTED_AT.date(), policy=RagPolicy())
    with pytest.raises(WorkbookError) as refused:
        import_into(memory, path)
    assert str(refused.value) == (
        "old.xlsx carries no signature: it was exported before actiontrack signed its"
        " workbooks, or its hidden part was changed; export a new one")


# -- what still imports --------------------------------------------------------------------


@requires_libreoffice
def test_an_untouched_libreoffice_resave_imports_cleanly_and_a_changed_one_does_not(
    on_file: Exported, tmp_path: Path
) -> None:
    """Re-saved by LibreOffice, the workbook imports as no change; with its scope unhidden and
    changed in Calc (then saved again), it is refused."""
    resaved = resave(on_file.copy(tmp_path), tmp_path / "libreoffice")
    assert resaved.read_bytes() != on_file.workbook.read_bytes()
    result = run(on_file.backend.url, "import", str(resaved), "--dry-run", "--by", PARTNER)
    assert result.exit_code == 0, result.output
    assert "Dry run: 0 changes would be made" in result.output

    _export_value("agency", "").apply(resaved)  # after a Calc save the sheet is only hidden
    widened = resave(resaved, tmp_path / "libreoffice-again")
    on_file.refused(widened, CHANGED)


@requires_libreoffice
def test_a_libreoffice_resave_from_the_memory_store_imports_cleanly(
    memory: Store, memory_workbook: Path, tmp_path: Path
) -> None:
    """The same on the in-memory store: a LibreOffice re-save verifies and imports nothing."""
    resaved = resave(memory_workbook, tmp_path / "libreoffice")
    result = import_into(memory, resaved, dry_run=True)
    assert (result.changes, result.problems, result.notices) == ((), (), ())


def test_a_partners_edits_to_the_visible_cells_still_import(
    on_file: Exported, tmp_path: Path
) -> None:
    """Visible edits (a status, an officer, a new row, a sheet of notes) import as before."""
    path = on_file.copy(tmp_path)
    workbook = openpyxl.load_workbook(path)
    actions = workbook[layout.ACTIONS]
    row = _row_of(actions, POLICE_ACTION)
    actions.cell(row=row, column=_column_of(actions, "Lead officer")).value = "DI Jones"
    actions.cell(row=row, column=_column_of(actions, "New progress update")).value = (
        "Audit booked")
    workbook.create_sheet("My notes")["A1"] = "call Sam"
    workbook.save(path)
    set_cells(path, layout.ACTIONS, {})  # saved once more, as a second sitting would
    folder = tmp_path / "store"
    shutil.copytree(Path(on_file.backend.url).parent, folder,
                    ignore=shutil.ignore_patterns("*.xlsx", "*.lock"))
    url = str(folder / "plan.json")
    result = run(url, "import", str(path), "--by", PARTNER)
    assert result.exit_code == 0, result.output
    assert "Imported 2 changes" in result.output
    store = open_store(url)
    try:
        assert store.get(Action, POLICE_ACTION).lead_officer == "DI Jones"
    finally:
        store.close()


# -- the signed form of a cell -------------------------------------------------------------


def test_one_stored_value_signs_the_same_however_it_is_read() -> None:
    """A date, its midnight date-time and its serial number sign alike; so do 3 and 3.0."""
    def signed(*cells: object) -> bytes:
        return hidden_part([(layout.AS_EXPORTED, [as_read(["A1", *cells])])])

    assert signed(date(2027, 3, 31)) == signed(datetime(2027, 3, 31)) == signed(46477.0) \
        == signed(46477)
    assert signed(3) == signed(3.0) != signed("3")
    assert signed(None, "x") == signed("", "x") != signed("x")
    assert signed(datetime(2027, 3, 31, 12)) == signed(46477.5)


def test_the_hidden_part_changes_with_any_cell_and_not_with_trailing_blanks() -> None:
    """Trailing empty cells and rows sign alike; a cell moved or changed does not."""
    rows: list[list[object]] = [["agency", "DEMO-POL"], ["review", ""]]
    same = hidden_part([(layout.EXPORT, rows)])
    assert hidden_part([(layout.EXPORT, [["agency", "DEMO-POL", ""], ["review"], [""]])]) == same
    assert hidden_part([(layout.EXPORT, [["agency", "DEMO-CCG"], ["review"]])]) != same
    assert hidden_part([(layout.EXPORT, [["review"], ["agency", "DEMO-POL"]])]) != same
    assert hidden_part([(layout.EXPORT, [["agency", "DEMO-", "POL"], ["review"]])]) != same
    assert hidden_part([(layout.AS_EXPORTED, rows)]) != same
