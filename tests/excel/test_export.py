"""The exported workbook, as Excel and the real readers see it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from actiontrack import service
from actiontrack.domain.models import Action, EvidenceKind, EvidenceTier
from actiontrack.errors import NotFoundError, WorkbookError
from actiontrack.excel import export_workbook, layout
from actiontrack.store import Store, open_store

from .conftest import EXPORTED_AT, MANAGER, cell_of, export

POLICE_ACTION = "DEMO-SCP/A002"


@pytest.fixture
def workbook_path(store: Store, tmp_path: Path) -> Path:
    return export(store, tmp_path / "plan.xlsx")


def test_sheets_and_who_sees_them(workbook_path: Path) -> None:
    """Partners see four sheets; the Lists sheet is hidden and the export's own very hidden."""
    book = CalamineWorkbook.from_path(str(workbook_path))
    visibility = {sheet.name: sheet.visible for sheet in book.sheets_metadata}
    assert visibility == {
        layout.INSTRUCTIONS: SheetVisibleEnum.Visible,
        layout.ACTIONS: SheetVisibleEnum.Visible,
        layout.EVIDENCE: SheetVisibleEnum.Visible,
        layout.MEASURES: SheetVisibleEnum.Visible,
        layout.LISTS: SheetVisibleEnum.Hidden,
        layout.EXPORT: SheetVisibleEnum.VeryHidden,
        layout.AS_EXPORTED: SheetVisibleEnum.VeryHidden,
    }


def test_the_actions_sheet_is_made_for_a_partner_lead(store: Store, workbook_path: Path) -> None:
    """The Actions sheet locks what a partner must not change and guides what they may."""
    sheet = openpyxl.load_workbook(workbook_path)[layout.ACTIONS]
    assert [cell.value for cell in sheet[1]] == [c.header for c in layout.ACTION_COLUMNS]
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref is not None
    assert sheet.auto_filter.ref.startswith("A1:S")
    assert sheet.protection.sheet  # protected, with no password
    assert sheet.protection.password is None
    assert not sheet.protection.autoFilter  # filtering and sorting stay allowed
    assert not sheet.protection.sort
    assert sheet.column_dimensions["D"].width == 40

    action = store.get(Action, POLICE_ACTION)
    title = sheet[cell_of(workbook_path, POLICE_ACTION, "Action")]
    status = sheet[cell_of(workbook_path, POLICE_ACTION, "Status")]
    target = sheet[cell_of(workbook_path, POLICE_ACTION, "Target date")]
    identifier = sheet[cell_of(workbook_path, POLICE_ACTION, "Action id")]
    assert (title.value, title.protection.locked, title.alignment.wrap_text) == (
        action.title, True, True)
    assert title.fill.fgColor.rgb.endswith("EDEDED")  # read-only cells are shaded
    assert (status.value, status.protection.locked) == ("In progress", False)  # its label
    assert isinstance(target.value, datetime)  # a real Excel date
    assert target.value.date() == action.target_date
    assert target.is_date
    assert (identifier.value, identifier.data_type) == (POLICE_ACTION, "s")

    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    status_list = next(v for v in validations.values() if v.sqref and "K2" in str(v.sqref))
    assert status_list.type == "list"
    assert status_list.formula1.startswith("'Lists'!$A$2")
    assert status_list.showErrorMessage
    assert any(v.type == "date" and "L2" in str(v.sqref) for v in validations.values())
    rag_rules = [rule for rng in sheet.conditional_formatting for rule in rng.rules]
    assert {rule.formula[0] for rule in rag_rules} == {
        '"Red"', '"Amber"', '"Green"', '"Blue"', '"Grey"'}
    rag = sheet[cell_of(workbook_path, POLICE_ACTION, "RAG")]
    assert rag.value in {"Red", "Amber", "Green", "Blue", "Grey"}


def _lists(path: Path) -> dict[str, list[str]]:
    """The hidden Lists sheet, column by column, as the real reader sees it."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(layout.LISTS).to_python()
    return {str(heading): [str(row[index]) for row in rows[1:] if row[index] != ""]
            for index, heading in enumerate(rows[0])}


def test_drop_down_lists_offer_labels_a_person_reads(workbook_path: Path) -> None:
    """Statuses, tiers and kinds are offered, and shown, as words: In progress, Training record."""
    lists = _lists(workbook_path)
    assert lists["statuses"] == ["Proposed", "Agreed", "In progress", "Completed", "On hold",
                                 "Superseded"]
    assert lists["tiers"] == ["Completion", "Impact"]
    assert "Training record" in lists["kinds"]
    assert "Other" in lists["kinds"]
    assert not any("_" in value for value in lists["statuses"] + lists["kinds"])
    sheet = openpyxl.load_workbook(workbook_path)[layout.EVIDENCE]
    (row,) = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]][:1]
    assert row[2] in lists["tiers"]
    assert row[3] in lists["kinds"]


def test_the_recommendation_list_shows_numbers_and_opening_words(
    store: Store, tmp_path: Path
) -> None:
    """Each recommendation is offered by review, number and opening words, its id beside it."""
    plan = store.snapshot()
    path = export(store, tmp_path / "plan.xlsx")
    lists = _lists(path)
    entries = dict(zip(lists["recommendations"], lists[layout.RECOMMENDATION_IDS],
                       strict=True))
    assert sorted(entries.values()) == sorted(plan.recommendations)
    assert len(entries) == len(plan.recommendations)  # no two entries alike
    recommendation = plan.recommendations["DEMO-SCP/CSPR-ALEX/R3"]
    (entry,) = [e for e, rid in entries.items() if rid == recommendation.id]
    assert entry == ("CSPR-ALEX R3 \N{EN DASH} Professionals use the escalation policy when"
                     " they disagree…")
    assert recommendation.text.startswith("Professionals use the escalation policy when they"
                                          " disagree about")

    review = export(store, tmp_path / "review.xlsx", review="DEMO-SCP/CSPR-ALEX")
    lists = _lists(review)
    assert lists["recommendations"][2].startswith("R3 \N{EN DASH} Professionals")  # one review
    assert lists[layout.RECOMMENDATION_IDS] == sorted(
        r.id for r in plan.recommendations.values() if r.review_id == "DEMO-SCP/CSPR-ALEX")


def test_blank_rows_are_open_for_new_actions(workbook_path: Path) -> None:
    """Rows under the actions are empty, their title open and their id and RAG locked."""
    sheet = openpyxl.load_workbook(workbook_path)[layout.ACTIONS]
    row = 2 + 10  # under the ten demo actions
    assert sheet.cell(row, 1).value is None
    by_key = {column.key: index for index, column in enumerate(layout.ACTION_COLUMNS, start=1)}
    assert not sheet.cell(row, by_key["title"]).protection.locked
    assert sheet.cell(row, by_key["rag"]).protection.locked
    assert sheet.cell(row, by_key["id"]).protection.locked


def test_an_agency_slice_holds_only_its_actions_and_their_evidence(
    store: Store, tmp_path: Path
) -> None:
    """An agency's workbook holds only its actions and their evidence, and names the agency."""
    path = export(store, tmp_path / "health.xlsx", agency="DEMO-CCG")
    book = CalamineWorkbook.from_path(str(path))
    ids = [row[0] for row in book.get_sheet_by_name(layout.ACTIONS).to_python()[1:] if row[0]]
    plan = store.snapshot()
    assert ids == sorted(a.id for a in plan.actions.values() if a.lead_agency_id == "DEMO-CCG")
    evidence = [row[1] for row in book.get_sheet_by_name(layout.EVIDENCE).to_python()[1:]
                if row[0]]
    assert evidence
    assert set(evidence) <= set(ids)
    export_rows = dict(book.get_sheet_by_name(layout.EXPORT).to_python())
    assert export_rows["agency"] == "DEMO-CCG"
    assert export_rows["store"] == store.identity


def test_a_review_slice(store: Store, tmp_path: Path) -> None:
    """A review's workbook holds exactly the actions answering that review."""
    plan = store.snapshot()
    review_id = sorted(plan.reviews)[0]
    path = export(store, tmp_path / "review.xlsx", review=review_id)
    ids = {row[0] for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_name(
        layout.ACTIONS).to_python()[1:] if row[0]}
    assert ids == {a.id for a in plan.actions.values()
                   if any(r.id == review_id for r in plan.reviews_of(a))}


def test_an_empty_plan_gives_the_blank_template(tmp_path: Path) -> None:
    """Exporting an empty plan gives the blank template: the headings and no rows."""
    store = open_store(str(tmp_path / "plan.json"), create=True)
    path = tmp_path / "template.xlsx"
    result = export_workbook(store, path, by=MANAGER, at=EXPORTED_AT)
    assert (result.actions, result.evidence) == (0, 0)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(layout.ACTIONS).to_python()
    assert rows[0] == [c.header for c in layout.ACTION_COLUMNS]


def test_text_is_text_and_characters_a_cell_cannot_hold_are_dropped(
    store: Store, tmp_path: Path
) -> None:
    """Text starting with + or = is written as text; characters a cell cannot hold are dropped."""
    service.add_evidence(store, POLICE_ACTION, tier=EvidenceTier.COMPLETION,
                         kind=EvidenceKind.POLICY, title="+44 line\x07 and =SUM(A1)",
                         about_date=date(2026, 11, 1), by=MANAGER, at=EXPORTED_AT)
    path = export(store, tmp_path / "plan.xlsx")
    sheet = openpyxl.load_workbook(path)[layout.EVIDENCE]
    (cell,) = [row[4] for row in sheet.iter_rows(min_row=2) if row[1].value == POLICE_ACTION]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (
        "+44 line and =SUM(A1)", "s", True)


def test_bad_requests_write_no_file(store: Store, tmp_path: Path) -> None:
    """An unknown agency or review, or a file not named .xlsx, is refused and writes no file."""
    with pytest.raises(NotFoundError):
        export(store, tmp_path / "x.xlsx", agency="NOPE")
    with pytest.raises(NotFoundError):
        export(store, tmp_path / "x.xlsx", review="NOPE")
    with pytest.raises(WorkbookError, match="xlsx"):
        export(store, tmp_path / "x.xls")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "plan.history.jsonl", "plan.json", "plan.json.digest", "plan.json.lock"]


def test_export_reports_progress(store: Store, tmp_path: Path) -> None:
    """Export reports its progress, the last step saving the workbook with every step done."""
    seen: list[tuple[str, int, int]] = []
    export(store, tmp_path / "plan.xlsx", progress=lambda *args: seen.append(args))
    assert seen[-1][0] == "Saving the workbook"
    assert seen[-1][1] == seen[-1][2]
