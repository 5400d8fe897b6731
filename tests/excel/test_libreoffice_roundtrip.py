"""A workbook re-saved by a real spreadsheet program (LibreOffice) imports cleanly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from actiontrack.domain.models import Action, ActionStatus
from actiontrack.excel import layout
from actiontrack.store import Store

from .conftest import cell_of, export, first_blank_row, run_import
from .libreoffice import requires_libreoffice, resave, set_cells

POLICE_ACTION = "DEMO-SCP/A002"
AGREED = "DEMO-SCP/A005"


@requires_libreoffice
def test_a_libreoffice_resave_imports_as_no_change_then_exactly_the_edits(
    store: Store, tmp_path: Path
) -> None:
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
