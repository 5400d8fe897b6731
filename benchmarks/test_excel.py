"""The partner workbook at national size: export against openpyxl, import against calamine.

Targets (DESIGN.md, docs/performance.md), all over the national plan
(100,000 actions):

- ``excel-export``: :func:`write_workbook` of the whole plan <= 1.3x
  openpyxl's write-only mode writing the same cells (the same sheets and the
  same values: the Instructions text, the Actions rows from
  :func:`action_values`, the Evidence rows from :func:`evidence_values`, the
  Lists columns, the Export key/value rows and the "As exported" mirror
  rows) as plain values with ``ws.append``: no styles, comments, validation,
  formatting, row heights or protection.
  The baseline is handed its rows ready made; the subject builds its rows
  from the plan as it goes (a fresh :class:`Plan` each round, so it also
  builds the plan's look-up index, as an export of a new snapshot does). The
  baseline test checks, outside the timing, that both files hold the same
  cell values on every sheet, read back with python-calamine.
- ``excel-import``: the import pipeline's dry run on that exported file,
  :func:`check_workbook_file` + :func:`read_workbook` + :func:`merge_workbook`
  against a plan already in memory, <= 2x python-calamine reading every sheet
  of the same file (``to_python(skip_empty_area=False)``). The plan merged
  into is the exported one with every :data:`CHANGE_EVERY`-th action changed
  since the export (a new lead officer and version), so every row is
  compared; the workbook is untouched, so the merge must find no problems
  and no changes (what changed only in the store is kept).

pandas, the tool a user would otherwise reach for, is measured for reference
in each pair, with no target: ``DataFrame.to_excel`` of the same Actions cells
(engine openpyxl) and ``pandas.read_excel(sheet_name=None, engine="calamine")``
of the exported file. The ratio table shows it against the pair's baseline;
subject / pandas is the quotient of the two medians.

Each round takes seconds to tens of seconds, so few rounds are run. The
smoke run (``--benchmark-disable``, what CI runs once) uses the partnership
size: at national size one export alone takes about 40 s, and the smoke run
would take several minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import attrs
import pandas
import pytest
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from actiontrack.domain.plan import RECORD_KINDS, Plan
from actiontrack.domain.rag import RagPolicy
from actiontrack.excel import layout
from actiontrack.excel.export import drop_down_lists, write_workbook
from actiontrack.excel.layout import ExportInfo
from actiontrack.excel.merge import MergeResult, merge_workbook
from actiontrack.excel.reading import ReturnedWorkbook, read_workbook
from actiontrack.excel.rows import action_values, evidence_values, measure_values
from actiontrack.excel.safety import check_workbook_file
from test_audit import cached_plan, fresh

EXPORT_ROUNDS = 3
IMPORT_ROUNDS = 5
PANDAS_ROUNDS = 3
EXPORT_TARGET = 1.3
IMPORT_TARGET = 2.0
CHANGE_EVERY = 100
POLICY = RagPolicy()
EXPORTED_ON = date(2026, 11, 26)
IMPORTED_ON = date(2026, 12, 3)
PARTNER = "Police partner lead"
INFO = ExportInfo(
    export_id="00000000-0000-4000-8000-000000000000",
    exported_at=datetime(2026, 11, 26, 10, 0, tzinfo=UTC),
    exported_by="Business unit", store="benchmark", return_to="the business unit",
)
VALUE_SHEETS = (layout.ACTIONS, layout.EVIDENCE)

#: Sheet name -> its rows, as plain values.
Rows = dict[str, list[list[object]]]


# -- the subjects ------------------------------------------------------------------------


def export(plan: Plan, path: Path) -> tuple[int, int]:
    """The subject: the whole plan's partner workbook, built from the plan and saved."""
    return write_workbook(plan, path, INFO, today=EXPORTED_ON, policy=POLICY)


def import_dry_run(path: Path, plan: Plan) -> tuple[ReturnedWorkbook, MergeResult]:
    """The subject: what ``actiontrack import --dry-run`` does once it has the plan."""
    scan = check_workbook_file(path)
    book = read_workbook(path)
    merged = merge_workbook(
        plan, book, today=IMPORTED_ON, by=PARTNER,
        formula_cells={sheet: scan.formula_cells.get(sheet, ()) for sheet in VALUE_SHEETS},
    )
    return book, merged


# -- the baselines -----------------------------------------------------------------------


def write_plain(path: Path, sheets: Rows) -> None:
    """The export baseline: openpyxl write-only, every row appended as plain values."""
    workbook = Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


def read_with_calamine(path: Path) -> dict[str, list[list[Any]]]:
    """The import baseline: every sheet's cell values, read by python-calamine."""
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in book.sheet_names}


def plain_rows(plan: Plan, instructions: list[list[object]]) -> Rows:
    """The cells the export writes, sheet by sheet, as plain values (built before timing)."""
    actions = [plan.actions[key] for key in sorted(plan.actions)]
    action_rows: list[list[object]] = [[c.header for c in layout.ACTION_COLUMNS]]
    mirror: list[list[object]] = [
        ["Action id", "Version", *(c.header for c in layout.ACTION_COLUMNS[1:])]]
    evidence_rows: list[list[object]] = [[c.header for c in layout.EVIDENCE_COLUMNS]]
    for action in actions:
        values = action_values(plan, action, EXPORTED_ON, POLICY)
        action_rows.append(values)
        mirror.append([action.id, action.version, *values[1:]])
    for action in actions:
        for item in plan.evidence_for(action.id):
            evidence_rows.append(evidence_values(item))
    measure_rows: list[list[object]] = [[c.header for c in layout.MEASURE_COLUMNS]]
    for action in actions:
        for measure in plan.measures_for(action.id):
            measure_rows.append(measure_values(plan, measure))
    lists = drop_down_lists(plan, actions)
    longest = max(len(values) for values in lists.values())
    list_rows: list[list[object]] = [list(lists)]
    list_rows += [[values[index] if index < len(values) else None for values in lists.values()]
                  for index in range(longest)]
    sheets: Rows = {
        layout.INSTRUCTIONS: instructions,
        layout.ACTIONS: action_rows,
        layout.EVIDENCE: evidence_rows,
        layout.MEASURES: measure_rows,
        layout.LISTS: list_rows,
        layout.EXPORT: [list(pair) for pair in INFO.rows()],
        layout.AS_EXPORTED: mirror,
    }
    # openpyxl takes appended text starting with "=" as a formula; the export never does.
    assert not any(type(value) is str and value.startswith("=")
                   for rows in sheets.values() for row in rows for value in row)
    return sheets


def _trimmed(rows: list[list[Any]]) -> list[list[Any]]:
    """A sheet's rows without the empty ones at the end (the export's blank rows)."""
    end = len(rows)
    while end and all(value == "" for value in rows[end - 1]):
        end -= 1
    return rows[:end]


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def excel_plan(request: pytest.FixtureRequest) -> Plan:
    # The smoke run (--benchmark-disable, what CI runs once) uses the partnership size,
    # as test_audit.py does: at national size it would take several minutes.
    disabled = request.config.getoption("benchmark_disable", default=False)
    return cached_plan("partnership" if disabled else "national")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("excel")


@pytest.fixture(scope="module")
def exported(excel_plan: Plan, folder: Path) -> Path:
    """The plan's workbook, exported once: what the import benchmarks read."""
    path = folder / "exported.xlsx"
    assert export(fresh(excel_plan), path) == (len(excel_plan.actions),
                                                len(excel_plan.evidence))
    return path


@pytest.fixture(scope="module")
def given_rows(excel_plan: Plan, exported: Path) -> Rows:
    # The Instructions sheet (about 30 cells of text) is taken as exported.
    instructions = read_with_calamine(exported)[layout.INSTRUCTIONS]
    return plain_rows(excel_plan, [[value or None for value in row] for row in instructions])


@pytest.fixture(scope="module")
def changed_plan(excel_plan: Plan) -> Plan:
    """The exported plan with every CHANGE_EVERY-th action changed since the export."""
    actions = dict(excel_plan.actions)
    for action_id in sorted(actions)[::CHANGE_EVERY]:
        action = actions[action_id]
        actions[action_id] = attrs.evolve(action, lead_officer="Changed since export",
                                          version=action.version + 1)
    tables: dict[str, Any] = {kind: excel_plan.of_kind(kind) for kind in RECORD_KINDS}
    return Plan(**(tables | {"actions": actions}))


def _fresh_plan_args(plan: Plan, path: Path) -> Callable[[], tuple[tuple[Any, ...], dict]]:
    """pedantic's setup: each round exports a new Plan over the same records."""
    return lambda: ((fresh(plan), path), {})


# -- export --------------------------------------------------------------------------------


def test_excel_export_baseline_openpyxl(benchmark: Any, given_rows: Rows, exported: Path,
                                        folder: Path) -> None:
    benchmark.group = "excel-export"
    benchmark.extra_info["role"] = "baseline"
    path = folder / "baseline.xlsx"
    benchmark.pedantic(write_plain, args=(path, given_rows), rounds=EXPORT_ROUNDS,
                       iterations=1)
    # Outside the timing: the baseline wrote the very cells the export holds.
    written, ours = read_with_calamine(path), read_with_calamine(exported)
    assert list(written) == list(ours) == list(given_rows)
    assert len(written[layout.ACTIONS]) == len(given_rows[layout.ACTIONS])
    for sheet in written:
        assert _trimmed(written[sheet]) == _trimmed(ours[sheet]), sheet


def test_excel_export(benchmark: Any, excel_plan: Plan, folder: Path) -> None:
    benchmark.group = "excel-export"
    benchmark.extra_info |= {"role": "subject", "target": EXPORT_TARGET}
    path = folder / "subject.xlsx"
    counts = benchmark.pedantic(export, setup=_fresh_plan_args(excel_plan, path),
                                rounds=EXPORT_ROUNDS)
    assert counts == (len(excel_plan.actions), len(excel_plan.evidence))


def test_excel_export_pandas_to_excel(benchmark: Any, given_rows: Rows, folder: Path) -> None:
    """For reference (no target): pandas writing the same Actions cells with openpyxl."""
    benchmark.group = "excel-export"
    benchmark.extra_info |= {"role": "subject", "reference": "pandas"}
    header, *rows = given_rows[layout.ACTIONS]
    frame = pandas.DataFrame(rows, columns=header, dtype=object)
    path = folder / "pandas.xlsx"
    benchmark.pedantic(frame.to_excel, args=(path,),
                       kwargs={"sheet_name": layout.ACTIONS, "index": False,
                               "engine": "openpyxl"},
                       rounds=PANDAS_ROUNDS, iterations=1)
    written = read_with_calamine(path)[layout.ACTIONS]
    assert written[0] == header
    assert len(written) == len(given_rows[layout.ACTIONS])


# -- import --------------------------------------------------------------------------------


def test_excel_import_baseline_calamine(benchmark: Any, exported: Path) -> None:
    benchmark.group = "excel-import"
    benchmark.extra_info["role"] = "baseline"
    sheets = benchmark.pedantic(read_with_calamine, args=(exported,), rounds=IMPORT_ROUNDS,
                                iterations=1)
    assert set(sheets) == {layout.INSTRUCTIONS, *VALUE_SHEETS, layout.MEASURES, layout.LISTS,
                           layout.EXPORT, layout.AS_EXPORTED}


def test_excel_import_dry_run(benchmark: Any, changed_plan: Plan, exported: Path) -> None:
    benchmark.group = "excel-import"
    benchmark.extra_info |= {"role": "subject", "target": IMPORT_TARGET}
    book, merged = benchmark.pedantic(import_dry_run, args=(exported, changed_plan),
                                      rounds=IMPORT_ROUNDS, iterations=1)
    # Outside the timing: every row was read, and an untouched workbook changes nothing,
    # while the actions changed since the export keep their stored values.
    actions = len(changed_plan.actions)
    assert len(book.actions.rows) == len(book.exported) == actions
    assert len(book.evidence.rows) == len(changed_plan.evidence)
    assert merged.problems == ()
    assert merged.changes == ()
    assert merged.records == ()
    changed = [a for a in changed_plan.actions.values() if a.lead_officer == "Changed since export"]
    assert len(changed) == -(-actions // CHANGE_EVERY)
    assert all(book.exported[a.id].version == a.version - 1 for a in changed)


def test_excel_import_pandas_read_excel(benchmark: Any, excel_plan: Plan,
                                        exported: Path) -> None:
    """For reference (no target): pandas reading every sheet of the file with calamine."""
    benchmark.group = "excel-import"
    benchmark.extra_info |= {"role": "subject", "reference": "pandas"}
    frames = benchmark.pedantic(pandas.read_excel, args=(exported,),
                                kwargs={"sheet_name": None, "engine": "calamine"},
                                rounds=PANDAS_ROUNDS, iterations=1)
    assert len(frames[layout.AS_EXPORTED]) == len(excel_plan.actions)
