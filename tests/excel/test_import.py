"""Importing returned workbooks: what is applied, what conflicts, and what is refused.

Every workbook here is a real export of a real TinyDB store, edited with
openpyxl as a partner's Excel would and read back by python-calamine.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import attrs
import openpyxl
import pytest

from actiontrack import service
from actiontrack.domain.lifecycle import status_path
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    EvidenceKind,
    EvidenceTier,
    ProgressUpdate,
)
from actiontrack.errors import WorkbookError
from actiontrack.excel import layout
from actiontrack.store import Store, open_store
from actiontrack.store.protocol import Put

from .conftest import (
    EXPORTED_AT,
    IMPORTED_AT,
    MANAGER,
    PARTNER,
    cell_of,
    edit,
    export,
    first_blank_row,
    run_import,
    store_digest,
)
from .libreoffice import set_cells

IN_PROGRESS = "DEMO-SCP/A002"  # police, in progress, no evidence
AGREED = "DEMO-SCP/A005"  # children's services, agreed
HEALTH = "DEMO-SCP/A004"  # health, in progress


def test_an_untouched_workbook_changes_nothing(store: Store, tmp_path: Path) -> None:
    """Importing a workbook just as it was exported changes nothing and writes nothing."""
    path = export(store, tmp_path / "plan.xlsx")
    before = store_digest(tmp_path)
    result = run_import(store, path)
    assert (result.changes, result.problems, result.exit_code) == ((), (), 0)
    assert not result.applied
    assert store_digest(tmp_path) == before


def test_edits_are_applied_in_one_commit_and_a_second_import_changes_nothing(
    store: Store, tmp_path: Path
) -> None:
    """Edits are applied in one commit, signed by the partner; importing again changes nothing."""
    path = export(store, tmp_path / "plan.xlsx")
    new_date = date(2027, 2, 26)
    edit(path, {
        (IN_PROGRESS, "Target date"): new_date,
        (IN_PROGRESS, "Reason for new date"): "Waiting for the force-wide audit",
        (IN_PROGRESS, "Lead officer"): "DI Jones",
        (IN_PROGRESS, "New progress update"): "Briefings given to 3 of 5 teams",
        (AGREED, "Status"): "in_progress",
    })
    commits_before = {entry.commit for entry in store.history()}
    result = run_import(store, path)
    assert result.problems == ()
    assert result.applied
    assert result.exit_code == 0
    police = store.get(Action, IN_PROGRESS)
    assert (police.target_date, police.lead_officer) == (new_date, "DI Jones")
    assert police.target_revisions[-1].reason == "Waiting for the force-wide audit"
    assert police.original_target_date != new_date
    assert store.get(Action, AGREED).status == ActionStatus.IN_PROGRESS
    (update,) = [u for u in store.snapshot().updates_for(IN_PROGRESS)
                 if u.text == "Briefings given to 3 of 5 teams"]
    assert (update.by, update.on) == (PARTNER, IMPORTED_AT.date())
    new_commits = {entry.commit for entry in store.history()} - commits_before
    assert len(new_commits) == 1  # all of it in one unit of work
    assert {str(change) for change in result.changes} >= {
        f"{IN_PROGRESS}: lead_officer: 'Detective Inspector, public protection (demo)' ->"
        " 'DI Jones'",
        f"{AGREED}: status: 'agreed' -> 'in_progress'",
    }

    digest = store_digest(tmp_path)
    again = run_import(store, path)
    assert (again.changes, again.problems, again.applied) == ((), (), False)
    assert again.notices == ()  # the reason for the new date is not reported as unused
    assert store_digest(tmp_path) == digest


def test_dry_run_lists_old_and_new_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    """A dry run lists each change, old and new, and writes nothing."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Lead officer"): "DI Jones"})
    before = store_digest(tmp_path)
    result = run_import(store, path, dry_run=True)
    assert [str(change) for change in result.changes] == [
        f"{IN_PROGRESS}: lead_officer: 'Detective Inspector, public protection (demo)' ->"
        " 'DI Jones'"]
    assert not result.applied
    assert store_digest(tmp_path) == before


def test_completing_an_action_needs_evidence_which_the_same_workbook_may_add(
    store: Store, tmp_path: Path
) -> None:
    """Completing an action needs completion evidence, which the same workbook may add once."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Status"): "completed"})
    before = store_digest(tmp_path)
    refused = run_import(store, path)
    (problem,) = refused.problems
    assert problem.cell == cell_of(path, IN_PROGRESS, "Status")
    assert "completion" in problem.message
    assert "evidence" in problem.message
    assert store_digest(tmp_path) == before

    row = first_blank_row(path, layout.EVIDENCE)
    set_cells(path, layout.EVIDENCE, {
        f"B{row}": IN_PROGRESS, f"C{row}": "completion", f"D{row}": "training_record",
        f"E{row}": "Attendance list, strategy meeting training", f"F{row}": date(2026, 11, 20),
    })
    result = run_import(store, path)
    assert result.problems == ()
    assert store.get(Action, IN_PROGRESS).status == ActionStatus.COMPLETED
    (item,) = store.snapshot().evidence_for(IN_PROGRESS)
    assert (item.title, item.recorded_by) == ("Attendance list, strategy meeting training",
                                              PARTNER)
    assert run_import(store, path).changes == ()  # the evidence is not added twice


def test_a_status_several_steps_on_goes_through_each_gate(store: Store, tmp_path: Path) -> None:
    """A status several steps on passes each step's gate: agreed to completed needs evidence."""
    assert status_path(ActionStatus.PROPOSED, ActionStatus.COMPLETED) == [
        ActionStatus.AGREED, ActionStatus.IN_PROGRESS, ActionStatus.COMPLETED]
    assert status_path(ActionStatus.AGREED, ActionStatus.ASSURED) == [ActionStatus.ASSURED]
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(AGREED, "Status"): "completed"})
    (problem,) = run_import(store, path).problems
    assert "evidence" in problem.message  # in_progress was allowed; completed's gate refused


def test_the_same_cell_changed_in_store_and_workbook_is_a_conflict(
    store: Store, tmp_path: Path
) -> None:
    """A cell changed on the plan and in the workbook is a conflict quoting all three values."""
    path = export(store, tmp_path / "plan.xlsx")
    service.revise_target_date(store, IN_PROGRESS, date(2027, 1, 31), reason="Agreed at board",
                               by=MANAGER, at=EXPORTED_AT + timedelta(days=1))
    edit(path, {(IN_PROGRESS, "Target date"): date(2027, 3, 31),
                (IN_PROGRESS, "Reason for new date"): "Staff shortages"})
    before = store_digest(tmp_path)
    result = run_import(store, path)
    (conflict,) = result.problems
    assert conflict.conflict
    assert result.exit_code == 1
    assert conflict.cell == cell_of(path, IN_PROGRESS, "Target date")
    assert conflict.record_id == IN_PROGRESS
    assert "31/01/2027" in conflict.message
    assert "31/03/2027" in conflict.message
    assert "27/10/2026" in conflict.message  # as exported
    assert store_digest(tmp_path) == before


def test_different_cells_of_one_row_are_both_kept(store: Store, tmp_path: Path) -> None:
    """Different cells of one action, changed on the plan and in the workbook, are both kept."""
    path = export(store, tmp_path / "plan.xlsx")
    service.revise_target_date(store, IN_PROGRESS, date(2027, 1, 31), reason="Agreed at board",
                               by=MANAGER, at=EXPORTED_AT + timedelta(days=1))
    edit(path, {(IN_PROGRESS, "Lead officer"): "DI Jones"})
    result = run_import(store, path)
    assert result.problems == ()
    action = store.get(Action, IN_PROGRESS)
    assert (action.target_date, action.lead_officer) == (date(2027, 1, 31), "DI Jones")


def test_the_same_change_made_on_both_sides_is_not_a_conflict(
    store: Store, tmp_path: Path
) -> None:
    """The same change made on the plan and in the workbook is neither conflict nor change."""
    path = export(store, tmp_path / "plan.xlsx")
    service.set_status(store, AGREED, ActionStatus.IN_PROGRESS, by=MANAGER,
                       at=EXPORTED_AT + timedelta(days=1))
    edit(path, {(AGREED, "Status"): "in_progress"})
    result = run_import(store, path)
    assert (result.problems, result.changes) == ((), ())


def test_a_change_to_an_action_superseded_since_export_is_a_conflict(
    store: Store, tmp_path: Path
) -> None:
    """Editing an action superseded since export is a conflict naming its successor."""
    path = export(store, tmp_path / "plan.xlsx")
    service.set_status(store, IN_PROGRESS, ActionStatus.SUPERSEDED, successor_id=HEALTH,
                       by=MANAGER, at=EXPORTED_AT + timedelta(days=1))
    edit(path, {(IN_PROGRESS, "Lead officer"): "DI Jones"})
    (conflict,) = run_import(store, path).problems
    assert conflict.conflict
    assert f"superseded by {HEALTH}" in conflict.message


def test_a_change_to_an_action_deleted_since_export_is_a_conflict(tmp_path: Path) -> None:
    """Editing an action deleted since export is a conflict; its untouched row is left out."""
    # Deleting is not a service operation; a store commit stands in for an administrator.
    from actiontrack.demo import load_demo
    from actiontrack.store.protocol import Delete

    store = open_store(str(tmp_path / "plan.json"), create=True)
    load_demo(store, now=EXPORTED_AT)
    path = export(store, tmp_path / "plan.xlsx")
    version = store.get(Action, IN_PROGRESS).version
    store.commit([Delete("actions", IN_PROGRESS, version)], by=MANAGER,
                 at=EXPORTED_AT + timedelta(days=1))
    edit(path, {(IN_PROGRESS, "Lead officer"): "DI Jones"})
    (conflict,) = run_import(store, path).problems
    assert conflict.conflict
    assert "deleted" in conflict.message
    # An untouched row of a deleted action is simply left out.
    clean = export(store, tmp_path / "clean.xlsx")
    assert run_import(store, clean).problems == ()


def test_a_new_row_adds_an_action_and_its_first_update(store: Store, tmp_path: Path) -> None:
    """A new row adds an action and its first update; importing again notes it is already there."""
    path = export(store, tmp_path / "plan.xlsx")
    recommendation = store.get(Action, IN_PROGRESS).recommendation_ids[0]
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {
        f"C{row}": recommendation, f"E{row}": "DEMO-POL",
        f"F{row}": "Audit strategy discussions for fathers' involvement",
        f"L{row}": date(2027, 5, 31), f"K{row}": "agreed", f"S{row}": "Audit tool drafted",
    })
    result = run_import(store, path)
    assert result.problems == ()
    (added,) = [record for record in result.merge.records if isinstance(record, Action)]
    stored = store.get(Action, added.id)
    assert stored.title == "Audit strategy discussions for fathers' involvement"
    assert (stored.status, stored.original_target_date) == (ActionStatus.AGREED,
                                                            date(2027, 5, 31))
    assert [u.text for u in store.snapshot().updates_for(added.id)] == ["Audit tool drafted"]
    again = run_import(store, path)
    assert (again.changes, again.problems) == ((), ())
    assert "already on the plan" in str(again.notices[0])


def test_a_new_row_with_unknown_references_points_at_each_cell(
    store: Store, tmp_path: Path
) -> None:
    """A new row with a bad date or an unknown recommendation is refused on that cell."""
    path = export(store, tmp_path / "plan.xlsx")
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"C{row}": "NO/SUCH/R1", f"E{row}": "DEMO-POL",
                                      f"F{row}": "Something", f"L{row}": "next week"})
    problems = {problem.cell: problem.message for problem in run_import(store, path).problems}
    assert "31/03/2027" in problems[f"L{row}"]  # what a date looks like
    set_cells(path, layout.ACTIONS, {f"L{row}": date(2027, 1, 1)})
    problems = {problem.cell: problem.message for problem in run_import(store, path).problems}
    assert "NO/SUCH/R1" in problems[f"C{row}"]


def test_a_reason_without_a_new_date_is_noted_and_ignored(store: Store, tmp_path: Path) -> None:
    """A reason for a new date given without a new date is noted on its cell and ignored."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Reason for new date"): "Might slip"})
    result = run_import(store, path)
    assert (result.changes, result.problems) == ((), ())
    (notice,) = result.notices
    assert notice.cell == cell_of(path, IN_PROGRESS, "Reason for new date")
    assert "ignored" in notice.message


def test_a_target_date_moved_without_a_reason_is_refused_on_its_cell(
    store: Store, tmp_path: Path
) -> None:
    """Moving a target date without a reason is refused on the Target date cell."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Target date"): date(2027, 3, 31)})
    (problem,) = run_import(store, path).problems
    assert problem.cell == cell_of(path, IN_PROGRESS, "Target date")
    assert "reason" in problem.message


def test_a_target_date_that_does_not_exist_is_named_on_its_cell(
    store: Store, tmp_path: Path
) -> None:
    """A new target typed as 30/02/2027 is refused on its cell as a day that does not exist."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Target date"): "30/02/2027",
                (IN_PROGRESS, "Reason for new date"): "Staff moved to the hub"})
    (problem,) = run_import(store, path).problems
    assert problem.cell == cell_of(path, IN_PROGRESS, "Target date")
    assert "'30/02/2027' is not a real day: February 2027 has 28 days" in problem.message


def test_a_read_only_column_changed_is_refused(store: Store, tmp_path: Path) -> None:
    """A change to a read-only column, such as the action's title, is refused on its cell."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Action"): "A quieter title"})
    (problem,) = run_import(store, path).problems
    assert problem.cell == cell_of(path, IN_PROGRESS, "Action")
    assert "cannot be changed here" in problem.message


def test_rows_sorted_filtered_and_deleted_change_nothing(store: Store, tmp_path: Path) -> None:
    """Rows sorted, filtered or deleted change nothing; a column of one's own is noted."""
    path = export(store, tmp_path / "plan.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[layout.ACTIONS]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2, max_row=11)]
    rows.reverse()
    rows_before = list(rows)
    rows.pop()  # a deleted row
    for number in range(2, 12):
        for column in range(1, len(layout.ACTION_COLUMNS) + 1):
            sheet.cell(number, column).value = None
    for number, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            sheet.cell(number, column).value = value
    sheet.row_dimensions[3].hidden = True  # filtered out
    sheet["X1"] = "My notes"
    sheet["X2"] = "call back Tuesday"
    workbook.save(path)
    deleted = store.get(Action, str(rows_before[-1][0]))
    result = run_import(store, path)
    assert (result.changes, result.problems) == ((), ())
    assert [str(notice) for notice in result.notices] == [
        "Actions!X1: column 'My notes' is not one of the workbook's columns; it is ignored",
        f"Actions: the row of action {deleted.id} ({deleted.title[:39] + '…'!r}) is not in the"
        " workbook (it was row 2 when exported); the action stays on the plan as it is:"
        " deleting a row deletes nothing"]


def test_the_same_action_on_two_rows_is_refused(store: Store, tmp_path: Path) -> None:
    """An action id on two rows is refused on the second row's id cell."""
    path = export(store, tmp_path / "plan.xlsx")
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"A{row}": IN_PROGRESS})
    problems = run_import(store, path).problems
    assert any("two rows" in problem.message and problem.cell == f"A{row}"
               for problem in problems)


def test_a_workbook_for_one_agency_cannot_change_another_agencys_actions(
    store: Store, tmp_path: Path
) -> None:
    """A workbook exported for one agency cannot change another agency's actions."""
    path = export(store, tmp_path / "police.xlsx", agency="DEMO-POL")
    ids = {row[0] for row in openpyxl.load_workbook(path)[layout.ACTIONS].iter_rows(
        min_row=2, values_only=True) if row[0]}
    assert ids == {a.id for a in store.snapshot().actions.values()
                   if a.lead_agency_id == "DEMO-POL"}
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"A{row}": HEALTH, f"N{row}": "Someone else"})
    before = store_digest(tmp_path)
    (problem,) = run_import(store, path).problems
    assert "led by DEMO-CCG" in problem.message
    assert "DEMO-POL" in problem.message
    assert store_digest(tmp_path) == before


def test_a_workbook_for_one_agency_cannot_add_another_agencys_action(
    store: Store, tmp_path: Path
) -> None:
    """A workbook exported for one agency cannot add an action led by another agency."""
    path = export(store, tmp_path / "police.xlsx", agency="DEMO-POL")
    recommendation = store.get(Action, HEALTH).recommendation_ids[0]
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"C{row}": recommendation, f"E{row}": "DEMO-CCG",
                                      f"F{row}": "Not ours", f"L{row}": date(2027, 1, 1)})
    (problem,) = run_import(store, path).problems
    assert problem.cell == f"E{row}"
    assert "DEMO-POL" in problem.message


def test_the_hidden_copy_changed_is_refused(store: Store, tmp_path: Path) -> None:
    """A workbook whose hidden copy of the export was changed is refused as a whole."""
    path = export(store, tmp_path / "plan.xlsx")
    workbook = openpyxl.load_workbook(path)
    hidden = workbook[layout.AS_EXPORTED]
    for row in hidden.iter_rows(min_row=2):
        if row[0].value == IN_PROGRESS:
            row[14].value = "Someone else"  # the lead officer as exported
    workbook.save(path)
    edit(path, {(IN_PROGRESS, "Lead officer"): "DI Jones"})
    before = store_digest(tmp_path)
    with pytest.raises(WorkbookError, match="the hidden part of this workbook was changed"):
        run_import(store, path)
    assert store_digest(tmp_path) == before


def test_a_workbook_from_another_store_is_refused(store: Store, tmp_path: Path) -> None:
    """A workbook exported from another plan is refused."""
    path = export(store, tmp_path / "plan.xlsx")
    (tmp_path / "other").mkdir()
    other = open_store(str(tmp_path / "other" / "plan.json"), create=True)
    with pytest.raises(WorkbookError, match="another plan"):
        run_import(other, path)


def test_errors_go_to_an_annotated_copy_of_the_partners_workbook(
    store: Store, tmp_path: Path
) -> None:
    """Problems are marked in a copy of the workbook; the partner's file and values are kept."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Status"): "completed", (IN_PROGRESS, "Lead officer"): "DI Jones"})
    original = path.read_bytes()
    marked = tmp_path / "plan-problems.xlsx"
    result = run_import(store, path, errors_to=marked)
    assert result.errors_to == marked
    assert path.read_bytes() == original
    sheet = openpyxl.load_workbook(marked)[layout.ACTIONS]
    status = sheet[cell_of(path, IN_PROGRESS, "Status")]
    assert status.comment is not None
    assert "evidence" in status.comment.text
    assert status.fill.fgColor.rgb.endswith("FF9999")
    assert sheet[cell_of(path, IN_PROGRESS, "Lead officer")].value == "DI Jones"  # theirs, kept


def test_text_that_looks_like_a_formula_goes_out_and_back_as_text(
    store: Store, tmp_path: Path
) -> None:
    """Text that looks like a formula is exported as text and imported as text, never run."""
    action = store.get(Action, IN_PROGRESS)
    service.add_progress_update(store, IN_PROGRESS, "=HYPERLINK(\"http://x\")", by=MANAGER,
                                at=EXPORTED_AT)
    path = export(store, tmp_path / "plan.xlsx")
    sheet = openpyxl.load_workbook(path)[layout.ACTIONS]
    cell = sheet[cell_of(path, IN_PROGRESS, "Latest update")]
    assert cell.data_type == "s"
    assert "=HYPERLINK" in str(cell.value)
    workbook = openpyxl.load_workbook(path)
    typed = workbook[layout.ACTIONS][cell_of(path, IN_PROGRESS, "Lead officer")]
    typed.value = "=cmd|' /C calc'!A0"
    typed.data_type = "s"  # typed as text, as Excel keeps it after a leading apostrophe
    workbook.save(path)
    result = run_import(store, path)
    assert result.problems == ()
    assert store.get(Action, IN_PROGRESS).lead_officer == "=cmd|' /C calc'!A0"
    assert action.version < store.get(Action, IN_PROGRESS).version


def test_a_formula_typed_into_a_cell_is_refused_on_that_cell(
    store: Store, tmp_path: Path
) -> None:
    """A formula typed into a cell is refused on that cell."""
    path = export(store, tmp_path / "plan.xlsx")
    reference = cell_of(path, IN_PROGRESS, "Lead officer")
    set_cells(path, layout.ACTIONS, {reference: "=A1"})  # openpyxl writes it as a formula
    (problem,) = run_import(store, path).problems
    assert (problem.cell, problem.sheet) == (reference, layout.ACTIONS)
    assert "formula" in problem.message


def test_records_of_the_import_are_dated_and_signed(store: Store, tmp_path: Path) -> None:
    """What an import records is dated, signed by the partner, and names the workbook."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "New progress update"): "Done the first audit"})
    run_import(store, path)
    (entry,) = [e for e in store.history(kind="progress_updates")
                if e.new and isinstance(e.new, dict) and e.new.get("text") ==
                "Done the first audit"]
    assert (entry.by, entry.at) == (PARTNER, IMPORTED_AT)
    assert entry.reason is not None
    assert "plan.xlsx" in entry.reason
    assert store.get(ProgressUpdate, entry.record_id).by == PARTNER


def test_evidence_already_on_the_plan_cannot_be_changed_in_the_workbook(
    store: Store, tmp_path: Path
) -> None:
    """Evidence already on the plan cannot be changed in the workbook; the problem quotes it."""
    path = export(store, tmp_path / "plan.xlsx")
    plan = store.snapshot()
    item = next(e for e in plan.evidence.values())
    title = cell_of(path, item.id, "Title", layout.EVIDENCE)
    set_cells(path, layout.EVIDENCE, {title: "A better title"})
    (problem,) = run_import(store, path).problems
    assert (problem.sheet, problem.cell, problem.record_id) == (layout.EVIDENCE, title, item.id)
    assert repr(item.title) in problem.message


def test_problems_are_listed_in_reading_order(store: Store, tmp_path: Path) -> None:
    """Problems are listed sheet by sheet and row by row, as a partner reads the workbook."""
    path = export(store, tmp_path / "plan.xlsx")
    row = first_blank_row(path, layout.EVIDENCE)
    set_cells(path, layout.EVIDENCE, {f"B{row}": "NO-SUCH-ACTION", f"C{row}": "completion",
                                       f"D{row}": "policy", f"E{row}": "x",
                                       f"F{row}": date(2026, 1, 1)})
    edit(path, {(AGREED, "Status"): "nonsense", (IN_PROGRESS, "Status"): "nonsense"})
    problems = run_import(store, path).problems
    assert [(p.sheet, p.record_id) for p in problems] == [
        (layout.ACTIONS, IN_PROGRESS), (layout.ACTIONS, AGREED), (layout.EVIDENCE, None)]


def test_putting_an_action_on_hold_needs_a_reason_and_a_review_date(
    store: Store, tmp_path: Path
) -> None:
    """Putting an action on hold needs a reason and a review date, and then stores both."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Status"): "on_hold"})
    (problem,) = run_import(store, path).problems
    assert problem.cell == cell_of(path, IN_PROGRESS, "Status")
    assert "reason" in problem.message
    edit(path, {(IN_PROGRESS, "On hold: reason"): "Awaiting the national review",
                (IN_PROGRESS, "On hold: review date"): date(2027, 3, 1)})
    assert run_import(store, path).problems == ()
    action = store.get(Action, IN_PROGRESS)
    assert (action.status, action.hold_reason, action.hold_review_date) == (
        ActionStatus.ON_HOLD, "Awaiting the national review", date(2027, 3, 1))


def test_superseding_an_action_names_the_one_that_replaces_it(
    store: Store, tmp_path: Path
) -> None:
    """Superseding an action needs an existing action to replace it, which is stored."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(IN_PROGRESS, "Status"): "superseded",
                (IN_PROGRESS, "Replaced by action"): "DEMO-SCP/A999"})
    (problem,) = run_import(store, path).problems
    assert problem.cell == cell_of(path, IN_PROGRESS, "Replaced by action")
    edit(path, {(IN_PROGRESS, "Replaced by action"): HEALTH})
    assert run_import(store, path).problems == ()
    action = store.get(Action, IN_PROGRESS)
    assert (action.status, action.successor_id) == (ActionStatus.SUPERSEDED, HEALTH)


ON_HOLD = "DEMO-SCP/A010"  # police, on hold
ASSURED = "DEMO-SCP/A007"  # health, assured


def test_a_hold_field_left_alone_keeps_the_value_changed_on_the_plan_since_export(
    store: Store, tmp_path: Path
) -> None:
    """A hold reason changed on the plan since export survives an edit to the review date."""
    path = export(store, tmp_path / "plan.xlsx")
    action = store.get(Action, ON_HOLD)
    changed = attrs.evolve(action, hold_reason="Budget confirmed; waiting for the trainer")
    store.commit([Put(changed)], by=MANAGER, at=EXPORTED_AT + timedelta(days=1))
    edit(path, {(ON_HOLD, "On hold: review date"): date(2027, 2, 15)})
    result = run_import(store, path)
    assert result.problems == ()
    assert [str(change) for change in result.changes] == [
        f"{ON_HOLD}: hold_review_date: {action.hold_review_date:%d/%m/%Y} -> 15/02/2027"]
    stored = store.get(Action, ON_HOLD)
    assert (stored.hold_reason, stored.hold_review_date) == (
        "Budget confirmed; waiting for the trainer", date(2027, 2, 15))


def test_a_dry_run_lists_exactly_what_changes(store: Store, tmp_path: Path) -> None:
    """A dry run lists exactly what the import then changes, cleared hold fields included."""
    path = export(store, tmp_path / "plan.xlsx")
    before = store.get(Action, ON_HOLD)
    edit(path, {(ON_HOLD, "Status"): "in_progress"})
    listed = {str(change) for change in run_import(store, path, dry_run=True).changes}
    run_import(store, path)
    after = store.get(Action, ON_HOLD)
    assert listed == {
        f"{ON_HOLD}: status: 'on_hold' -> 'in_progress'",
        f"{ON_HOLD}: hold_reason: {before.hold_reason!r} -> (empty)",
        f"{ON_HOLD}: hold_review_date: {before.hold_review_date:%d/%m/%Y} -> (empty)",
    }
    assert (after.hold_reason, after.hold_review_date) == (None, None)


def test_hold_fields_with_a_status_other_than_on_hold_are_refused(
    store: Store, tmp_path: Path
) -> None:
    """A hold reason given with a status other than on hold is refused on its cell."""
    path = export(store, tmp_path / "plan.xlsx")
    edit(path, {(AGREED, "Status"): "in_progress", (AGREED, "On hold: reason"): "Waiting"})
    (problem,) = run_import(store, path).problems
    assert problem.cell == cell_of(path, AGREED, "On hold: reason")


def test_a_new_row_like_an_existing_action_but_different_is_added(
    store: Store, tmp_path: Path
) -> None:
    """A new row like an existing action but with another target date is added as a new action."""
    path = export(store, tmp_path / "plan.xlsx")
    existing = store.get(Action, IN_PROGRESS)
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {
        f"C{row}": ", ".join(existing.recommendation_ids), f"E{row}": "DEMO-POL",
        f"F{row}": existing.title, f"L{row}": date(2027, 9, 30)})
    result = run_import(store, path)
    assert result.problems == ()
    assert result.notices == ()
    assert [change.field for change in result.changes] == ["added"]


def test_the_lead_officer_of_an_assured_action_cannot_change(
    store: Store, tmp_path: Path
) -> None:
    """An assured action's lead officer cannot change: the refusal cites the assurance record."""
    path = export(store, tmp_path / "plan.xlsx")
    decision = store.snapshot().decisions_for(ASSURED)[-1]
    edit(path, {(ASSURED, "Lead officer"): decision.decided_by})
    (problem,) = run_import(store, path).problems
    assert problem.cell == cell_of(path, ASSURED, "Lead officer")
    assert "assurance record" in problem.message


def test_text_that_looks_escaped_goes_out_and_back_unchanged(
    store: Store, tmp_path: Path
) -> None:
    """Text holding _x0020_ goes out and back unchanged; typed in Excel, it reads as Excel shows."""
    link = "https://scp.sharepoint.com/sites/SCP/Shared_x0020_Documents/audit.pdf"
    service.add_evidence(store, IN_PROGRESS, tier=EvidenceTier.COMPLETION,
                         kind=EvidenceKind.AUDIT, title="Audit_x0041_",
                         about_date=date(2026, 11, 1), link=link, by=MANAGER, at=EXPORTED_AT)
    path = export(store, tmp_path / "plan.xlsx")
    result = run_import(store, path)
    assert (result.changes, result.problems) == ((), ())
    edit(path, {(IN_PROGRESS, "Lead officer"): "DI_x0020_Jones"})
    assert run_import(store, path).problems == ()
    assert store.get(Action, IN_PROGRESS).lead_officer == "DI Jones"  # as Excel shows it


def test_a_date_column_formatted_as_numbers_still_reads_as_dates(
    store: Store, tmp_path: Path
) -> None:
    """Date cells re-formatted as plain numbers still read as the same dates."""
    path = export(store, tmp_path / "plan.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[layout.ACTIONS]
    for row in sheet.iter_rows(min_row=2, max_row=11):
        for cell in row:
            if cell.is_date:
                cell.number_format = "General"
    workbook.save(path)
    result = run_import(store, path)
    assert (result.changes, result.problems) == ((), ())


def test_values_outside_the_workbooks_columns_are_noted_and_ignored(
    store: Store, tmp_path: Path
) -> None:
    """Values outside the workbook's columns are noted and ignored; an extra sheet is ignored."""
    path = export(store, tmp_path / "plan.xlsx")
    set_cells(path, layout.ACTIONS, {"U3": "Please move this to 2027, DI Jones agreed",
                                      "V1": "Days left", "V2": "=L2-TODAY()"})
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("My workings")["A1"] = "=1+1"
    workbook.save(path)
    result = run_import(store, path)
    assert (result.changes, result.problems) == ((), ())
    assert [(notice.cell, "heading" in notice.message) for notice in result.notices] == [
        ("V1", False), ("U3", True)]


def test_an_import_limited_to_an_agency_holds_a_whole_plan_workbook_to_it(
    store: Store, tmp_path: Path
) -> None:
    """An import limited to an agency holds a workbook exported for every agency to it."""
    path = export(store, tmp_path / "plan.xlsx")
    recommendation = store.get(Action, HEALTH).recommendation_ids[0]
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"C{row}": recommendation, f"E{row}": "DEMO-CCG",
                                      f"F{row}": "Not ours", f"L{row}": date(2027, 1, 1)})
    (problem,) = run_import(store, path, agency="DEMO-POL").problems
    assert problem.cell == f"E{row}"
    with pytest.raises(WorkbookError, match="exported for agency DEMO-POL, not DEMO-CCG"):
        run_import(store, export(store, tmp_path / "again.xlsx", agency="DEMO-POL"),
                   agency="DEMO-CCG")


def test_merged_cells_are_marked_on_their_first_cell(store: Store, tmp_path: Path) -> None:
    """Merged cells are a problem on each cell, marked with a comment on the first."""
    path = export(store, tmp_path / "plan.xlsx")
    target = cell_of(path, IN_PROGRESS, "Target date")
    below = target[0] + str(int(target[1:]) + 1)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[layout.ACTIONS]
    sheet[target] = date(2027, 6, 1)
    sheet.merge_cells(f"{target}:{below}")
    workbook.save(path)
    marked = tmp_path / "marked.xlsx"
    result = run_import(store, path, errors_to=marked)
    assert {problem.cell for problem in result.problems} >= {target, below}
    comment = openpyxl.load_workbook(marked)[layout.ACTIONS][target].comment
    assert comment is not None
    assert comment.text.count("•") == len(result.problems)  # every problem, none overwritten


def test_the_hidden_copy_changed_after_the_plan_moved_on_is_refused(
    store: Store, tmp_path: Path
) -> None:
    """A hidden copy edited to hide a conflict is refused outright; the plan keeps its date."""
    path = export(store, tmp_path / "plan.xlsx")
    service.revise_target_date(store, IN_PROGRESS, date(2027, 1, 31), reason="Agreed at board",
                               by=MANAGER, at=EXPORTED_AT + timedelta(days=1))
    workbook = openpyxl.load_workbook(path)
    for row in workbook[layout.AS_EXPORTED].iter_rows(min_row=2):
        if row[0].value == IN_PROGRESS:
            row[12].value = date(2027, 1, 31)  # the target date as exported: hides the conflict
    workbook.save(path)
    edit(path, {(IN_PROGRESS, "Target date"): date(2027, 3, 31),
                (IN_PROGRESS, "Reason for new date"): "Staff shortages"})
    with pytest.raises(WorkbookError, match="the hidden part of this workbook was changed"):
        run_import(store, path)
    assert store.get(Action, IN_PROGRESS).target_date == date(2027, 1, 31)


def test_a_workbook_for_one_review_changes_and_adds_only_that_reviews_actions(
    store: Store, tmp_path: Path
) -> None:
    """A review's workbook refuses other reviews' actions, evidence and recommendations."""
    plan = store.snapshot()
    review_id = plan.reviews_of(plan.actions[IN_PROGRESS])[0].id
    other = next(r for r in plan.recommendations.values() if r.review_id != review_id)
    path = export(store, tmp_path / "review.xlsx", review=review_id)
    outside = next(a for a in plan.actions.values()
                   if all(r.id != review_id for r in plan.reviews_of(a)))
    row = first_blank_row(path)
    set_cells(path, layout.ACTIONS, {f"C{row}": other.id, f"E{row}": "DEMO-POL",
                                      f"F{row}": "Another review's work",
                                      f"L{row}": date(2027, 1, 1)})
    evidence_row = first_blank_row(path, layout.EVIDENCE)
    set_cells(path, layout.EVIDENCE, {
        f"B{evidence_row}": outside.id, f"C{evidence_row}": "completion",
        f"D{evidence_row}": "policy", f"E{evidence_row}": "Not this review's",
        f"F{evidence_row}": date(2026, 11, 1)})
    problems = {(problem.sheet, problem.cell) for problem in run_import(store, path).problems}
    assert problems == {(layout.ACTIONS, f"C{row}"), (layout.EVIDENCE, f"B{evidence_row}")}


def test_an_update_imported_after_a_withdrawal_gets_a_new_id(store: Store, tmp_path: Path) -> None:
    """A progress update added by import never takes the id of one withdrawn from the plan."""
    path = export(store, tmp_path / "plan.xlsx")
    (update,) = store.snapshot().updates_for(IN_PROGRESS)
    service.withdraw(store, update.id, reason="Added to the wrong action", by=MANAGER,
                     at=EXPORTED_AT + timedelta(hours=1))
    edit(path, {(IN_PROGRESS, "New progress update"): "Done the first audit"})
    result = run_import(store, path)
    assert result.problems == ()
    (added,) = store.snapshot().updates_for(IN_PROGRESS)
    assert added.text == "Done the first audit"
    assert added.id == f"{IN_PROGRESS}/U2"  # U1 was the withdrawn one's
