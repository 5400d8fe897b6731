"""Adopting a large spreadsheet tracker, against python-calamine reading the same sheet.

Target (to be added to docs/performance.md): ``adopt-tracker``: :func:`adopt_tracker` with
``dry_run=True`` on a 10,000-row tracker <= 3x python-calamine reading that
sheet's cell values (``CalamineWorkbook.from_path(p).get_sheet_by_name(name)
.to_python()``), the least any reader of the file does.

The subject is the dry run, because that is what a person waits for, and
waits for again: the business manager runs it after each correction of the
map file or the tracker until there is nothing left to put right, and the
one real adoption at the end repeats all of its work before it writes.
It runs against a :class:`MemoryStore` holding the partnership, its
agencies and the review, so the figure is adopt's own (the safety checks
on the file, reading it, finding the headings, every row turned into
records through the domain's gates), not the cost of loading a store.

The real adoption, the dry run's work plus one commit of every record into
a new TinyDB (JSON file) store, is measured for reference with no target:
the ratio table shows what the commit adds.

The tracker is realistic: a council LCSPR layout (title rows above the
headings; Rec No, Recommendation, Action(s), Lead Agency, Lead Officer,
Target Date, Revised Target Date, Progress Update, Evidence, RAG, Date
Closed, and a column of the partnership's own mapped to ``ignore``), each
recommendation merged over its four action rows, dates typed as text in
the UK forms, agencies by name or alias, multi-line dated progress notes,
and closed actions with their evidence. It is written once per session
with openpyxl.

The smoke run (``--benchmark-disable``) adopts 1,000 rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from actiontrack import MemoryStore, open_store
from actiontrack.adopt import AdoptResult, TrackerMap, adopt_tracker
from actiontrack.domain.models import (
    Action,
    Evidence,
    PartnershipKind,
    ProgressUpdate,
    Recommendation,
    ReviewKind,
)
from actiontrack.service import add_agency, add_partnership, add_review
from actiontrack.store import Store

ROWS = 10_000
SMOKE_ROWS = 1_000
ACTIONS_PER_RECOMMENDATION = 4
SUBJECT_ROUNDS = 5
BASELINE_ROUNDS = 10
COMMIT_ROUNDS = 3
TARGET = 3.0

SHEET = "Action Plan"
REVIEW = "NSCP/CSPR-BENCH"
MANAGER = "Business unit"
SET_UP_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ADOPTED_AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
#: (id, name, aliases); the tracker names them every way a tracker does.
AGENCIES = (
    ("NCC", "Northshire County Council (children's services)", ("CSC", "Children's Social Care")),
    ("NPOL", "Northshire Police", ("Police",)),
    ("NICB", "Northshire Integrated Care Board", ("ICB", "Health")),
    ("NEDU", "Northshire Education Safeguarding Team", ("Education",)),
    ("NPRO", "Northshire Probation Service", ("Probation",)),
    ("NHSFT", "Northshire Hospitals NHS Foundation Trust", ("Hospital Trust", "NHFT")),
)
WRITTEN_AS = ("CSC", "Northshire Police", "Health", "Education", "probation", "NHFT",
              "Children's Social Care", "ICB", "police",
              "Northshire Hospitals NHS Foundation Trust")
HEADINGS = ["Rec No", "Recommendation", "Action(s)", "Lead Agency", "Lead Officer",
            "Target Date", "Revised Target Date", "Progress Update", "Evidence", "RAG",
            "Date Closed", "Critical friend comments"]
MAP = TrackerMap(columns={"Critical friend comments": "ignore"})
MONTHS = ("Jan", "Feb", "March", "Apr", "May", "June", "July", "Aug", "Sept", "Oct", "Nov",
          "Dec")


def _target(row: int) -> str:
    """A target date in 2026-2028, typed in one of the UK forms trackers use."""
    day, month, year = 1 + row % 28, 1 + row % 12, 2026 + row % 3
    return (f"{day:02d}/{month:02d}/{year}", f"{day:02d}/{month:02d}/{year % 100:02d}",
            f"{day:02d}.{month:02d}.{year}", f"{day:02d}-{month:02d}-{year}",
            f"{day} {MONTHS[month - 1]} {year}", f"{day}th {MONTHS[month - 1]} {year}",
            f"{MONTHS[month - 1]} {year}", f"Q{1 + row % 4} {year}/{(year + 1) % 100:02d}",
            )[row % 8]


def tracker_rows(count: int) -> list[list[object]]:
    """``count`` action rows; a recommendation's number and text only on its first row."""
    rows: list[list[object]] = []
    for row in range(count):
        first = row % ACTIONS_PER_RECOMMENDATION == 0
        number = row // ACTIONS_PER_RECOMMENDATION + 1
        closed = row % 7 == 3
        notes = (f"{1 + row % 28:02d}/0{1 + row % 9}/2025: work started with partners\n"
                 f"{1 + row % 28} Oct 2025 - first review of progress, row {row}\n"
                 "Further work planned with the lead officer") if row % 5 else None
        rows.append([
            number if first else None,
            f"Recommendation {number}: partners should improve how they share information"
            " about children at risk" if first else None,
            f"Action {row + 1}: review and relaunch the procedure for area {row % 40}",
            WRITTEN_AS[row % len(WRITTEN_AS)],
            f"Lead officer {row % 60}",
            _target(row),
            f"31/03/{2027 + row % 2}" if row % 9 == 4 else None,
            notes,
            f"Procedure v{row % 5 + 1} published (row {row})" if closed or row % 11 == 0
            else None,
            ("Green", "Amber", "Red", "G", "A", "R", None)[row % 7] if not closed else "Blue",
            f"{1 + row % 28}/10/2025" if closed else None,
            "Check take-up at the next audit" if row % 13 == 0 else None,
        ])
    return rows


def write_tracker(path: Path, count: int) -> Path:
    """The tracker: a title, a 'last updated' line, a blank row, the headings, the rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(["Northshire Safeguarding Children Partnership: LCSPR action plan"])
    sheet.append(["Last updated 13/11/2026"])
    sheet.append([])
    sheet.append(HEADINGS)
    for row in tracker_rows(count):
        sheet.append(row)
    first_data_row = 5
    for top in range(first_data_row, first_data_row + count, ACTIONS_PER_RECOMMENDATION):
        bottom = min(top + ACTIONS_PER_RECOMMENDATION - 1, first_data_row + count - 1)
        if bottom > top:
            sheet.merge_cells(f"A{top}:A{bottom}")
            sheet.merge_cells(f"B{top}:B{bottom}")
    book.save(path)
    return path


def set_up(store: Store) -> None:
    """The partnership, its agencies with their aliases, and the review."""
    add_partnership(store, id="NSCP", name="Northshire Safeguarding Children Partnership",
                    kind=PartnershipKind.CHILDREN, by=MANAGER, at=SET_UP_AT)
    for agency_id, name, aliases in AGENCIES:
        add_agency(store, id=agency_id, name=name, aliases=aliases, by=MANAGER, at=SET_UP_AT)
    add_review(store, partnership_id="NSCP", reference="CSPR-BENCH", kind=ReviewKind.LCSPR,
               title="Child Bench", by=MANAGER, at=SET_UP_AT)


# -- the subjects and the baseline -----------------------------------------------------------


def adopt(store: Store, path: Path, *, dry_run: bool) -> AdoptResult:
    """The subject: ``actiontrack adopt TRACKER --review ... --map ...`` once it has a store."""
    return adopt_tracker(store, path, review=REVIEW, tracker_map=MAP, by=MANAGER,
                         at=ADOPTED_AT, dry_run=dry_run)


def read_with_calamine(path: Path) -> list[list[Any]]:
    """The baseline: the sheet's cell values, read by python-calamine."""
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python()


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rows(request: pytest.FixtureRequest) -> int:
    disabled = request.config.getoption("benchmark_disable", default=False)
    return SMOKE_ROWS if disabled else ROWS


@pytest.fixture(scope="module")
def tracker(rows: int, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tracker(tmp_path_factory.mktemp("adopt") / "tracker.xlsx", rows)


@pytest.fixture(scope="module")
def memory_store() -> Store:
    store = MemoryStore()
    set_up(store)
    return store


def _check(result: AdoptResult, rows: int) -> None:
    """Outside the timing: every row became an action, with nothing to put right."""
    assert result.problems == (), result.problems[:5]
    adoption = result.adoption
    assert adoption.count(Action) == rows
    assert adoption.count(Recommendation) == -(-rows // ACTIONS_PER_RECOMMENDATION)
    assert adoption.count(ProgressUpdate) > rows
    assert adoption.count(Evidence) > rows // 10


# -- the pair ----------------------------------------------------------------------------------


def test_adopt_baseline_calamine(benchmark: Any, tracker: Path, rows: int) -> None:
    benchmark.group = "adopt-tracker"
    benchmark.extra_info["role"] = "baseline"
    cells = benchmark.pedantic(read_with_calamine, args=(tracker,), rounds=BASELINE_ROUNDS,
                               iterations=1)
    assert len(cells) == 4 + rows
    assert cells[3] == HEADINGS


def test_adopt_dry_run(benchmark: Any, memory_store: Store, tracker: Path, rows: int) -> None:
    benchmark.group = "adopt-tracker"
    benchmark.extra_info |= {"role": "subject", "target": TARGET}
    result = benchmark.pedantic(adopt, args=(memory_store, tracker),
                                kwargs={"dry_run": True}, rounds=SUBJECT_ROUNDS, iterations=1)
    _check(result, rows)
    assert not result.applied
    assert memory_store.find(Action) == []


def test_adopt_commit_into_json_store(benchmark: Any, tracker: Path, rows: int,
                                      tmp_path: Path) -> None:
    """For reference (no target): the real adoption, committed into a new JSON store."""
    benchmark.group = "adopt-tracker"
    benchmark.extra_info |= {"role": "subject", "reference": "commit"}
    stores: list[Store] = []

    def setup() -> tuple[tuple[Store, Path], dict[str, bool]]:
        """Each round adopts into a new store, set up as the partnership sets one up."""
        store = open_store(str(tmp_path / f"plan{len(stores)}.json"), create=True)
        set_up(store)
        stores.append(store)
        return (store, tracker), {"dry_run": False}

    result = benchmark.pedantic(adopt, setup=setup, rounds=COMMIT_ROUNDS)
    try:
        _check(result, rows)
        assert result.applied
        assert len(stores[-1].find(Action)) == rows
    finally:
        for store in stores:
            store.close()
