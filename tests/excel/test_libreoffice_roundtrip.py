"""A workbook re-saved by a real spreadsheet program (LibreOffice) imports cleanly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from actiontrack.domain.models import Action, ActionStatus, EvidenceKind, EvidenceTier
from actiontrack.excel import layout
from actiontrack.store import Store

from .conftest import (
    IMPORTED_AT,
    PARTNER,
    cell_of,
    edit,
    export,
    first_blank_row,
    run_import,
    store_digest,
)
from .libreoffice import requires_libreoffice, resave, set_cells

POLICE_ACTION = "DEMO-SCP/A002"  # police, in progress, no evidence
AGREED = "DEMO-SCP/A005"  # children's services, agreed
ON_HOLD = "DEMO-SCP/A010"  # police, on hold


@requires_libreoffice
def test_a_libreoffice_resave_imports_as_no_change_then_exactly_the_edits(
    store: Store, tmp_path: Path
) -> None:
    """A LibreOffice re-save imports as no change; edits saved again in Calc import exactly."""
    exported = export(store, tmp_path / "plan.xlsx")
    resaved = resave(exported, tmp_path / "libreoffice")
    assert resaved.read_bytes() != exported.read_bytes()  # really rewritten by LibreOffice

    untouched = run_import(store, resaved)
    assert (untouched.changes, untouched.problems, untouched.notices) == ((), (), ())

    recommendation = store.get(Action, POLICE_ACTION).recommendation_ids[0]
    row = first_blank_row(resaved)
    set_cells(resaved, layout.ACTIONS, {
        cell_of(resaved, AGREED, "Status"): "in_progress",
        cell_of(resaved, POLICE_ACTION, "Lead officer"): "DI Jones",
        cell_of(resaved, POLICE_ACTION, "Target date"): date(2027, 2, 26),
        cell_of(resaved, POLICE_ACTION, "Reason for new date"): "Audit moved by the force",
        f"C{row}": recommendation, f"E{row}": "DEMO-POL", f"F{row}": "Brief all custody staff",
        f"L{row}": date(2027, 4, 30),
    })
    resaved_again = resave(resaved, tmp_path / "libreoffice-again")  # the partner saves in Calc
    result = run_import(store, resaved_again)
    assert result.problems == ()
    fields = sorted((change.record_id, change.field) for change in result.changes
                    if change.field != "added")
    assert fields == [(POLICE_ACTION, "lead_officer"), (POLICE_ACTION, "target_date"),
                      (AGREED, "status")]
    (added,) = [change for change in result.changes if change.field == "added"]
    assert "Brief all custody staff" in added.new
    assert store.get(Action, AGREED).status == ActionStatus.IN_PROGRESS
    police = store.get(Action, POLICE_ACTION)
    assert (police.lead_officer, police.target_date) == ("DI Jones", date(2027, 2, 26))
    assert run_import(store, resaved_again).changes == ()


@requires_libreoffice
def test_a_progress_update_new_evidence_and_a_hold_come_through_libreoffice_exactly_once(
    store: Store, tmp_path: Path
) -> None:
    """An update, an evidence row and a hold typed in Calc are imported once, and only they."""
    update = "Audit of 40 discussions complete; report due in January"
    evidence = "Strategy discussion attendance audit report"
    hold_reason = "Waiting for the neighbouring councils to name a contact"
    resaved = resave(export(store, tmp_path / "plan.xlsx"), tmp_path / "libreoffice")
    already_on_hold = store.get(Action, ON_HOLD)

    edit(resaved, {
        (POLICE_ACTION, "New progress update"): update,
        (AGREED, "Status"): "on_hold",
        (AGREED, "On hold: reason"): hold_reason,
        (AGREED, "On hold: review date"): date(2027, 3, 1),
    })
    row = first_blank_row(resaved, layout.EVIDENCE)
    set_cells(resaved, layout.EVIDENCE, {
        f"B{row}": POLICE_ACTION, f"C{row}": "completion", f"D{row}": "audit",
        f"E{row}": evidence, f"F{row}": date(2026, 11, 20),
    })
    resaved_again = resave(resaved, tmp_path / "libreoffice-again")  # the partner saves in Calc
    result = run_import(store, resaved_again)

    assert (result.problems, result.notices) == ((), ())
    fields = sorted((change.record_id, change.field, change.new) for change in result.changes
                    if change.field != "added")
    assert fields == [(AGREED, "hold_reason", repr(hold_reason)),
                      (AGREED, "hold_review_date", "01/03/2027"),
                      (AGREED, "status", "'on_hold'")]  # nothing on the action already on hold
    added = sorted(change.new for change in result.changes if change.field == "added")
    assert added == [f"completion evidence {evidence!r} for {POLICE_ACTION}",
                     f"progress update {update!r} on {POLICE_ACTION}"]

    plan = store.snapshot()
    (stored_update,) = [u for u in plan.updates_for(POLICE_ACTION) if u.text == update]
    assert (stored_update.by, stored_update.on) == (PARTNER, IMPORTED_AT.date())
    (item,) = plan.evidence_for(POLICE_ACTION)
    assert (item.tier, item.kind, item.title, item.about_date, item.recorded_by) == (
        EvidenceTier.COMPLETION, EvidenceKind.AUDIT, evidence, date(2026, 11, 20), PARTNER)
    held = store.get(Action, AGREED)
    assert (held.status, held.hold_reason, held.hold_review_date) == (
        ActionStatus.ON_HOLD, hold_reason, date(2027, 3, 1))
    assert store.get(Action, ON_HOLD) == already_on_hold

    digest = store_digest(tmp_path)
    again = run_import(store, resaved_again)
    assert (again.changes, again.problems, again.applied) == ((), (), False)
    assert store_digest(tmp_path) == digest
