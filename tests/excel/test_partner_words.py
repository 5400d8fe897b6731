"""A returned workbook in the partner's words: labels, typed dates, recommendation entries,
every problem of a row at once, and file names.

Every workbook here is a real export of a real TinyDB store, typed into with
openpyxl as a partner's Excel would and read back by python-calamine.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from actiontrack.domain.models import Action, ActionStatus, EvidenceKind, EvidenceTier
from actiontrack.errors import WorkbookError
from actiontrack.excel import layout
from actiontrack.store import Store

from .conftest import cell_of, edit, export, first_blank_row, run_import, store_digest
from .libreoffice import set_cells

IN_PROGRESS = "DEMO-SCP/A002"  # police, in progress, no evidence
AGREED = "DEMO-SCP/A005"  # children's services, agreed
REASON = "The audit tool came late"


@pytest.mark.parametrize("typed", ["31 March 2027", "31-03-2027", "31/03/27", "31st Mar 2027"])
def test_a_target_date_typed_as_people_write_it_imports(
    store: Store, tmp_path: Path, typed: str
) -> None:
    """A target date typed as text in a UK form (31 March 2027, 31-03-2027, 31/03/27) imports."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Target date"): typed, (IN_PROGRESS, "Reason for new date"): REASON})
    result = run_import(store, path)
    assert result.problems == ()
    assert store.get(Action, IN_PROGRESS).target_date == date(2027, 3, 31)


def test_a_day_that_does_not_exist_says_how_long_the_month_is(
    store: Store, tmp_path: Path
) -> None:
    """30/02/2027 on a new row is a problem saying February 2027 has 28 days; nothing lands."""
    path = export(store, tmp_path / "plan.xlsx")
    recommendation = store.get(Action, IN_PROGRESS).recommendation_ids[0]
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"C{row}": recommendation, f"E{row}": "DEMO-POL",
                                      f"F{row}": "Brief custody staff", f"L{row}": "30/02/2027"})
    before = store_digest(tmp_path)
    (problem,) = run_import(store, path).problems
    assert problem.cell == f"L{row}"
    assert problem.message == "'30/02/2027' is not a real day: February 2027 has 28 days"
    assert store_digest(tmp_path) == before


@pytest.mark.parametrize("typed", ["On hold", "on hold", "ON_HOLD", "on-hold"])
def test_a_status_is_read_as_its_label_or_its_value_in_any_case(
    store: Store, tmp_path: Path, typed: str
) -> None:
    """A status reads as its label or its value, in any case, with spaces or underscores."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(AGREED, "Status"): typed, (AGREED, "On hold: reason"): "Waiting for funding",
                (AGREED, "On hold: review date"): date(2027, 3, 1)})
    result = run_import(store, path)
    assert result.problems == ()
    assert store.get(Action, AGREED).status == ActionStatus.ON_HOLD
    assert f"{AGREED}: status: 'agreed' -> 'on_hold'" in {str(c) for c in result.changes}


def test_evidence_is_read_by_its_labels(store: Store, tmp_path: Path) -> None:
    """A new evidence row with tier and kind as the lists show them (Training record) imports."""
    path = export(store, tmp_path / "plan.xlsx")
    row = first_blank_row(path, layout.EVIDENCE)
    set_cells(path, layout.EVIDENCE, {
        f"B{row}": IN_PROGRESS, f"C{row}": "Completion", f"D{row}": "Training record",
        f"E{row}": "Attendance list", f"F{row}": "20 November 2026"})
    edit(path, {(IN_PROGRESS, "Status"): "Completed"})
    result = run_import(store, path)
    assert result.problems == ()
    (item,) = store.snapshot().evidence_for(IN_PROGRESS)
    assert (item.tier, item.kind, item.about_date) == (
        EvidenceTier.COMPLETION, EvidenceKind.TRAINING_RECORD, date(2026, 11, 20))
    assert store.get(Action, IN_PROGRESS).status == ActionStatus.COMPLETED


def test_an_unknown_status_lists_the_labels(store: Store, tmp_path: Path) -> None:
    """A status not on the list is a problem listing the statuses as the partner reads them."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Status"): "Done"})
    (problem,) = run_import(store, path).problems
    assert problem.message.startswith("'Done' is not a status: pick one of Proposed, Agreed,"
                                      " In progress, Completed,")


def test_statuses_typed_as_values_read_as_their_labels(store: Store, tmp_path: Path) -> None:
    """Every status typed as its value (``in_progress``) reads as its label: no change."""
    # Workbooks exported before labels also held values in the hidden copy; those carry
    # no signature and are refused now (test_signed_workbooks.py): only typing is left.
    path = export(store, tmp_path / "plan.xlsx")
    workbook = openpyxl.load_workbook(path)
    status_column = [c.key for c in layout.ACTION_COLUMNS].index("status")
    for row in workbook[layout.ACTIONS].iter_rows(min_row=2):
        if row[status_column].value:
            row[status_column].value = str(row[status_column].value).lower().replace(" ", "_")
    workbook.save(path)
    untouched = run_import(store, path)
    assert (untouched.changes, untouched.problems) == ((), ())
    edit(path, {(AGREED, "Status"): "in_progress"})
    result = run_import(store, path)
    assert [str(change) for change in result.changes] == [
        f"{AGREED}: status: 'agreed' -> 'in_progress'"]


def test_a_conflict_on_a_status_quotes_the_labels(store: Store, tmp_path: Path) -> None:
    """A status conflict quotes all three statuses as the partner reads and types them."""
    from datetime import timedelta

    from actiontrack import service

    from .conftest import EXPORTED_AT, MANAGER

    path = export(store, tmp_path / "plan.xlsx")
    service.set_status(store, AGREED, ActionStatus.IN_PROGRESS, by=MANAGER,
                       at=EXPORTED_AT + timedelta(days=1))
    edit(path, {(AGREED, "Status"): "Proposed"})
    (conflict,) = run_import(store, path).problems
    assert conflict.conflict
    assert conflict.message.startswith(
        "Status was 'Agreed' when exported, has since been changed to 'In progress' on the"
        " plan, and the workbook says 'Proposed'. To keep the plan's value, type"
        " 'In progress' here")


def _entries(path: Path) -> dict[str, str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(layout.LISTS).to_python()
    entries, ids = rows[0].index("recommendations"), rows[0].index(layout.RECOMMENDATION_IDS)
    return {str(row[entries]): str(row[ids]) for row in rows[1:] if row[entries]}


def test_a_recommendation_picked_from_the_list_is_its_id(store: Store, tmp_path: Path) -> None:
    """A new action's recommendation picked from the list (number and words) is stored by id."""
    path = export(store, tmp_path / "police.xlsx", agency="DEMO-POL")
    entries = _entries(path)
    entry, recommendation_id = next((e, r) for e, r in entries.items()
                                    if r == "DEMO-SCP/CSPR-CHARLIE/R5")
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"C{row}": entry, f"E{row}": "DEMO-POL",
                                      f"F{row}": "Ask about fathers at every visit",
                                      f"L{row}": date(2027, 6, 30)})
    result = run_import(store, path)
    assert result.problems == ()
    (added,) = [r for r in result.merge.records if isinstance(r, Action)]
    assert store.get(Action, added.id).recommendation_ids == (recommendation_id,)


@pytest.mark.parametrize("typed", ["R3", "r3", "DEMO-SCP/CSPR-ALEX/R3",
                                   "R3 \N{EN DASH} Professionals use the escalation policy when"
                                   " they disagree…"])
def test_a_recommendation_typed_as_its_number_or_id_is_found(
    store: Store, tmp_path: Path, typed: str
) -> None:
    """In a review's workbook, a recommendation typed as R3, its id or its entry is found."""
    path = export(store, tmp_path / "alex.xlsx", review="DEMO-SCP/CSPR-ALEX")
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"C{row}": typed, f"E{row}": "DEMO-POL",
                                      f"F{row}": "Escalation refresher",
                                      f"L{row}": date(2027, 6, 30)})
    result = run_import(store, path)
    assert result.problems == ()
    (added,) = [r for r in result.merge.records if isinstance(r, Action)]
    assert added.recommendation_ids == ("DEMO-SCP/CSPR-ALEX/R3",)


def test_every_problem_of_a_row_is_reported_at_once(store: Store, tmp_path: Path) -> None:
    """A bad date hides nothing: each problem of an existing row, a new row and an evidence row."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {
        (IN_PROGRESS, "Target date"): "next week",  # unreadable
        (IN_PROGRESS, "Status"): "Completed",  # no completion evidence
        (IN_PROGRESS, "Action"): "A new title",  # a read-only column
        (IN_PROGRESS, "Lead officer"): "DI Jones",  # fine, and kept out of the problems
    })
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"C{row}": "NO/SUCH/R9", f"E{row}": "Police",
                                      f"K{row}": "Completed", f"L{row}": "31/13/2027"})
    evidence_row = first_blank_row(path, layout.EVIDENCE)
    set_cells(path, layout.EVIDENCE, {f"B{evidence_row}": IN_PROGRESS,
                                       f"C{evidence_row}": "Completion",
                                       f"D{evidence_row}": "Minutes",
                                       f"F{evidence_row}": "soon"})
    before = store_digest(tmp_path)
    result = run_import(store, path)
    problems = {(p.sheet, p.cell): p.message for p in result.problems}

    def at(record_id: str, header: str) -> tuple[str, str]:
        return (layout.ACTIONS, cell_of(path, record_id, header))

    assert "next week" in problems.pop(at(IN_PROGRESS, "Target date"))
    assert "cannot be changed here" in problems.pop(at(IN_PROGRESS, "Action"))
    assert "completion" in problems.pop(at(IN_PROGRESS, "Status"))
    assert "NO/SUCH/R9" in problems.pop((layout.ACTIONS, f"C{row}"))
    assert "'Police'" in problems.pop((layout.ACTIONS, f"E{row}"))
    assert "needs Action" in problems.pop((layout.ACTIONS, f"F{row}"))
    assert "starts as proposed" in problems.pop((layout.ACTIONS, f"K{row}"))
    assert "no month 13" in problems.pop((layout.ACTIONS, f"L{row}"))
    assert "'Minutes' is not a kind of evidence" in problems.pop(
        (layout.EVIDENCE, f"D{evidence_row}"))
    assert "needs Title" in problems.pop((layout.EVIDENCE, f"E{evidence_row}"))
    assert "'soon'" in problems.pop((layout.EVIDENCE, f"F{evidence_row}"))
    assert problems == {}  # and nothing else: no problem said twice
    assert store_digest(tmp_path) == before


def test_a_status_is_not_judged_on_a_hold_date_that_cannot_be_read(
    store: Store, tmp_path: Path
) -> None:
    """On hold with an unreadable review date: one problem, on the date, none guessed on Status."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(AGREED, "Status"): "On hold", (AGREED, "On hold: reason"): "Funding",
                (AGREED, "On hold: review date"): "after Easter"})
    (problem,) = run_import(store, path).problems
    assert problem.cell == cell_of(path, AGREED, "On hold: review date")


def test_a_returned_workbook_not_named_xlsx_is_refused(store: Store, tmp_path: Path) -> None:
    """A real returned workbook named other than .xlsx is refused, telling the name to use."""
    path = export(store, tmp_path / "plan.xlsx")
    for name in ("plan.xls", "plan", "plan.xlsx.bak"):
        renamed = tmp_path / name
        shutil.copy(path, renamed)
        with pytest.raises(WorkbookError, match=r"is an \.xlsx file; name it"):
            run_import(store, renamed)
    shutil.copy(path, tmp_path / "PLAN.XLSX")
    assert run_import(store, tmp_path / "PLAN.XLSX").problems == ()


def test_the_marked_copy_cannot_be_the_workbook_under_another_name(
    store: Store, tmp_path: Path
) -> None:
    """--errors-to naming the imported workbook itself, through a hard link, is refused."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Status"): "Done"})
    link = tmp_path / "link.xlsx"
    os.link(path, link)
    original = path.read_bytes()
    with pytest.raises(WorkbookError, match="a name of its own"):
        run_import(store, path, errors_to=link)
    assert path.read_bytes() == original


def test_an_entry_whose_recommendation_was_reworded_since_is_a_problem(
    store: Store, tmp_path: Path
) -> None:
    """The list showed R3's words at export; R3 reworded since: the partner must choose again."""
    from actiontrack.service import edit as edit_record

    path = export(store, tmp_path / "alex.xlsx", review="DEMO-SCP/CSPR-ALEX")
    entry = next(e for e, r in _entries(path).items() if r == "DEMO-SCP/CSPR-ALEX/R3")
    edit_record(store, "DEMO-SCP/CSPR-ALEX/R3",
                {"text": "Managers review every escalation within ten days."},
                reason="Reworded at the board", by="Business unit",
                at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"C{row}": entry, f"E{row}": "DEMO-POL",
                                      f"F{row}": "Escalation refresher",
                                      f"L{row}": date(2027, 6, 30)})
    (problem,) = run_import(store, path).problems
    assert problem.cell == f"C{row}"
    assert problem.message.startswith("recommendation DEMO-SCP/CSPR-ALEX/R3 now reads"
                                      " 'Managers review every escalation within ten days.'")


@pytest.mark.parametrize(("typed", "message"), [
    (",", "a new action needs Recommendations: pick the recommendation from the list"),
    ("CSPR-ALEX R9 \N{EN DASH} Something nobody wrote",
     "no recommendation with id 'CSPR-ALEX R9 \N{EN DASH} Something nobody wrote'"),
])
def test_a_recommendation_cell_that_names_none_says_so_once(
    store: Store, tmp_path: Path, typed: str, message: str
) -> None:
    path = export(store, tmp_path / "alex.xlsx", review="DEMO-SCP/CSPR-ALEX")
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"C{row}": typed, f"E{row}": "DEMO-POL",
                                      f"F{row}": "Escalation refresher",
                                      f"L{row}": date(2027, 6, 30)})
    (problem,) = run_import(store, path).problems
    assert problem.cell == f"C{row}"
    assert problem.message.startswith(message)


def test_an_exported_row_with_its_id_cleared_is_not_added_again(
    store: Store, tmp_path: Path
) -> None:
    """Clearing an action's id is not a way to copy it: a problem, and no 'deleted' note."""
    path = export(store, tmp_path / "police.xlsx", agency="DEMO-POL")
    cell = cell_of(path, "DEMO-SCP/A006", "Action id")
    set_cells(path, layout.ACTIONS, {cell: None})
    result = run_import(store, path)
    (problem,) = result.problems
    assert problem.message.startswith("this row is action DEMO-SCP/A006 with its Action id"
                                      " cleared: put the id back")
    assert not any("DEMO-SCP/A006" in notice.message for notice in result.notices)
