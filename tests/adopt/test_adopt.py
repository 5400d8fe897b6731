"""Adopting a partnership's own tracker: real files in real layouts, into a real TinyDB store."""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from trackers import (
    ADOPTED_AT,
    LCSPR_HEADINGS,
    LCSPR_ROWS,
    MANAGER,
    REVIEW,
    as_csv,
    lcspr_tracker,
    police_tracker,
    sar_tracker,
    set_up,
)

from actiontrack.adopt import AdoptResult, TrackerMap, adopt_tracker, read_map
from actiontrack.cli import cli
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Evidence,
    EvidenceKind,
    EvidenceTier,
    ProgressUpdate,
    Recommendation,
)
from actiontrack.errors import UnsafeWorkbookError, WorkbookError
from actiontrack.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(str(tmp_path / "plan.json"), create=True)
    set_up(opened)
    yield opened
    opened.close()


def adopt(store: Store, path: Path, **options: Any) -> AdoptResult:
    return adopt_tracker(store, path, by=MANAGER, at=ADOPTED_AT, **options)


def digest(folder: Path) -> str:
    """Every byte of the store's files: a refused adoption leaves them as they were."""
    found = hashlib.sha256()
    for name in ("plan.json", "plan.history.jsonl"):
        path = folder / name
        found.update(name.encode() + (path.read_bytes() if path.exists() else b"-"))
    return found.hexdigest()


def cli_adopt(folder: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--store", str(folder / "plan.json"), "adopt", *args],
                              env={"ACTIONTRACK_NOW": ADOPTED_AT.isoformat(),
                                   "ACTIONTRACK_USER": MANAGER})


def actions_by_title(store: Store) -> dict[str, Action]:
    return {action.title: action for action in store.find(Action)}


def test_a_council_lcspr_tracker_is_adopted_as_the_tracker_tells_it(
    store: Store, tmp_path: Path,
) -> None:
    """Title rows skipped; rows under a blank Rec No join it; UK dates, agencies, RAG, closes."""
    result = adopt(store, lcspr_tracker(tmp_path / "tracker.xlsx"))
    assert result.problems == ()
    assert result.applied
    assert result.heading_row == 4
    recommendations = store.find(Recommendation)
    assert [(r.id, r.number) for r in recommendations] == [
        (f"{REVIEW}/R1", "1"), (f"{REVIEW}/R2", "2")]
    actions = actions_by_title(store)
    policy = actions["Refresh the escalation policy"]
    assert (policy.lead_agency_id, policy.lead_officer) == ("POL", "DI Jones")
    assert policy.recommendation_ids == (f"{REVIEW}/R1",)
    # A revised target keeps the original, with the revision and its reason.
    assert (policy.original_target_date, policy.target_date) == (date(2026, 3, 31),
                                                                 date(2026, 9, 30))
    assert policy.target_revisions[0].reason == "revised in the tracker tracker.xlsx"
    # Date Closed makes it completed through the gate, its evidence the completion evidence.
    assert policy.status == ActionStatus.COMPLETED
    (evidence,) = store.find(Evidence, action_id=policy.id)
    assert (evidence.tier, evidence.kind, evidence.title, evidence.about_date) == (
        EvidenceTier.COMPLETION, EvidenceKind.OTHER, "Escalation policy v2 on the website",
        date(2026, 6, 30))
    # Progress notes beginning with a date are dated on it.
    notes = store.find(ProgressUpdate, action_id=policy.id)
    assert [(u.on, u.text) for u in notes] == [
        (date(2026, 2, 12), "draft shared with partners"),
        (date(2026, 5, 15), "signed off by the board")]
    training = actions["Train staff on the escalation policy"]
    assert (training.lead_agency_id, training.target_date) == ("NSCP-CSC", date(2027, 3, 31))
    assert [(u.on, u.text) for u in store.find(ProgressUpdate, action_id=training.id)] == [
        (ADOPTED_AT.date(), "Sessions booked")]
    assert training.status == ActionStatus.AGREED
    assert actions["Update the health visiting guidance"].lead_agency_id == "ICB"
    assert actions["Audit seen-alone recording"].lead_agency_id == "ICB"  # "health", an alias
    assert actions["Audit seen-alone recording"].target_date == date(2027, 1, 31)


def test_every_record_names_its_source_in_history(store: Store, tmp_path: Path) -> None:
    """Each created record's history says the file, the sheet, the row, who; the RAG is kept."""
    adopt(store, lcspr_tracker(tmp_path / "tracker.xlsx"))
    policy = actions_by_title(store)["Refresh the escalation policy"]
    (entry,) = store.history(record_id=policy.id)
    assert entry.by == MANAGER
    assert entry.reason == (f"adopted from tracker.xlsx by {MANAGER}: sheet 'Action Plan',"
                            " row 5; the tracker's RAG: green")
    (recommendation,) = store.history(record_id=f"{REVIEW}/R2")
    assert recommendation.reason == (f"adopted from tracker.xlsx by {MANAGER}: sheet"
                                     " 'Action Plan', row 7")


def test_adopting_the_same_tracker_again_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = lcspr_tracker(tmp_path / "tracker.xlsx")
    adopt(store, path)
    before = digest(tmp_path)
    again = adopt(store, path)
    assert (again.exit_code, again.applied, again.adoption.records) == (0, False, ())
    assert again.adoption.already == 4
    assert digest(tmp_path) == before


def test_a_later_copy_of_the_tracker_adds_only_its_new_notes(store: Store, tmp_path: Path) -> None:
    """The tracker kept in use for a while: adopting it again adds the new progress only."""
    adopt(store, lcspr_tracker(tmp_path / "tracker.xlsx"))
    rows = [list(row) for row in LCSPR_ROWS]
    rows[1][7] = "Sessions booked\n20/11/2026 first session held"
    result = adopt(store, lcspr_tracker(tmp_path / "later.xlsx", rows))
    assert result.problems == ()
    assert result.applied
    assert [type(item.record) for item in result.adoption.records] == [ProgressUpdate]
    training = actions_by_title(store)["Train staff on the escalation policy"]
    assert [(u.id, u.on, u.text) for u in store.find(ProgressUpdate, action_id=training.id)] == [
        (f"{training.id}/U1", ADOPTED_AT.date(), "Sessions booked"),
        (f"{training.id}/U2", date(2026, 11, 20), "first session held")]


def test_an_adults_board_sar_template_with_merged_recommendations(
    store: Store, tmp_path: Path,
) -> None:
    """A merged recommendation, or the same text again, is one recommendation; RAG compared."""
    path = sar_tracker(tmp_path / "sar.xlsx")
    (problem,) = adopt(store, path).problems  # a column of dates and notes together: yours
    assert str(problem).startswith("'SAR Action Plan'!E3: no target for the column 'Timescale"
                                   " and progress'")
    result = adopt(store, path, tracker_map=TrackerMap(
        columns={"Timescale and progress": "update.text"}))
    assert result.problems == ()
    (recommendation,) = store.find(Recommendation)
    actions = actions_by_title(store)
    assert {a.recommendation_ids for a in actions.values()} == {(recommendation.id,)}
    assert actions["Write a self-neglect protocol"].target_date == date(2027, 3, 31)
    assert actions["Brief response officers"].target_date == date(2026, 12, 31)
    assert actions["Add self-neglect to GP training"].lead_agency_id == "ICB"
    protocol = actions["Write a self-neglect protocol"].id
    assert [(u.on, u.text) for u in store.find(ProgressUpdate, action_id=protocol)] == [
        (date(2026, 10, 1), "first draft")]
    # Blue (complete) in the tracker, but nothing says it was completed: a notice, not a guess.
    (notice,) = result.notices
    assert "'SAR Action Plan'!G5" in notice
    assert "says blue" in notice
    assert actions["Brief response officers"].status == ActionStatus.AGREED


def test_a_police_plan_with_a_map_file(store: Store, tmp_path: Path) -> None:
    """A plan with no agency column takes the map's default; its own references are kept."""
    (tmp_path / "map.toml").write_text(
        '[statuses]\n"On track" = "in_progress"\n'
        '[defaults]\n"action.lead_agency" = "POL"\n', encoding="utf-8")
    result = adopt(store, police_tracker(tmp_path / "police.xlsx"),
                   tracker_map=read_map(tmp_path / "map.toml"))
    assert result.problems == ()
    actions = actions_by_title(store)
    rota = actions["Set a duty rota for strategy discussions"]
    assert (rota.reference, rota.lead_agency_id, rota.lead_officer, rota.deliverable) == (
        "P1.1", "POL", "DS Khan", "Attendance data")
    assert (rota.status, rota.target_date) == (ActionStatus.IN_PROGRESS, date(2027, 1, 31))
    report = actions["Report attendance monthly"]
    assert (report.reference, report.status) == ("P1.2", ActionStatus.AGREED)
    assert len(store.find(Recommendation)) == 1  # the same requirement twice is one


@pytest.mark.parametrize("suffix", [".csv", ".ods"])
def test_csv_and_opendocument_trackers(store: Store, tmp_path: Path, suffix: str) -> None:
    """The same tracker saved as CSV or by LibreOffice as .ods adopts to the same plan."""
    rows: list[list[object]] = [["Northshire LCSPR action plan"], [], LCSPR_HEADINGS,
                                *LCSPR_ROWS]
    if suffix == ".csv":
        path = as_csv(rows, tmp_path / "tracker.csv")
    else:
        if shutil.which("soffice") is None:
            pytest.skip("LibreOffice is not installed (.ci/run installs it)")
        source = lcspr_tracker(tmp_path / "tracker.xlsx")
        subprocess.run(["soffice", "--headless", "--convert-to", "ods", "--outdir",
                        str(tmp_path / "ods"), str(source)], check=True, capture_output=True,
                       timeout=120)
        path = tmp_path / "ods" / "tracker.ods"
    result = adopt(store, path)
    assert result.problems == ()
    assert sorted(actions_by_title(store)) == sorted(str(row[2]) for row in LCSPR_ROWS)
    assert actions_by_title(store)["Refresh the escalation policy"].status == \
        ActionStatus.COMPLETED


def _refused(store: Store, tmp_path: Path, rows: list[list[object]],
             headings: list[str] = LCSPR_HEADINGS, **options: Any) -> list[str]:
    before = digest(tmp_path)
    result = adopt(store, lcspr_tracker(tmp_path / "bad.xlsx", rows, headings), **options)
    assert result.exit_code == 1
    assert not result.applied
    assert digest(tmp_path) == before
    return [str(problem) for problem in result.problems]


def test_every_problem_is_reported_at_once_on_its_cell(store: Store, tmp_path: Path) -> None:
    """Unknown agency, unreadable date, gate refused: all found, each on its cell; nothing kept."""
    rows = [list(row) for row in LCSPR_ROWS]
    rows[0][10] = "30/02/2026"  # Date Closed: no such day
    rows[1][3] = "Childrens Socail Care"  # a typo: no agency is called that
    rows[2][5] = "Ongoing"  # no date
    rows[3][10] = "01/12/2026"  # closed, with no evidence: the completion gate refuses
    problems = _refused(store, tmp_path, rows)
    assert len(problems) == 4
    assert problems[0].startswith("'Action Plan'!K5: '30/02/2026' is not a real day:"
                                  " February 2026 has 28 days")
    assert problems[1].startswith("'Action Plan'!D6: no agency is called 'Childrens Socail"
                                  " Care'; the closest are NSCP-CSC (Children's Social Care)")
    assert problems[2].startswith("'Action Plan'!F7: expected a date such as 31/03/2027")
    assert problems[3].startswith("'Action Plan'!K8 (NSCP/A")
    assert "completion" in problems[3]
    assert "evidence" in problems[3]


def test_an_unmapped_column_is_reported_never_dropped(store: Store, tmp_path: Path) -> None:
    headings = [*LCSPR_HEADINGS, "Critical friend comments"]
    rows = [[*row, "Challenge at the March meeting"] for row in LCSPR_ROWS]
    problems = _refused(store, tmp_path, rows, headings)
    assert problems == ["'Action Plan'!L4: no target for the column 'Critical friend comments':"
                        ' map it in [columns] to a target, or to "ignore"']
    result = adopt(store, lcspr_tracker(tmp_path / "ok.xlsx", rows, headings),
                   tracker_map=TrackerMap(columns={"Critical friend comments": "ignore"}))
    assert result.problems == ()
    assert result.applied


def test_the_map_is_checked_against_the_tracker_and_the_plan(
    store: Store, tmp_path: Path,
) -> None:
    """An unknown heading, target, agency id or status in the map is a problem of the map."""
    tracker_map = TrackerMap(columns={"Rec Number": "recommendation.number",
                                      "RAG": "reported_rag_status"},
                             agencies={"CSC": "NOPE"}, statuses={"Done": "finished"},
                             defaults={"action.target_date": "soon"})
    problems = _refused(store, tmp_path, [list(row) for row in LCSPR_ROWS],
                        tracker_map=tracker_map, map_name="map.toml")
    assert problems == [
        "map.toml [columns]: 'RAG' = 'reported_rag_status': 'reported_rag_status' is not a"
        " target; the targets are recommendation.number, recommendation.text,"
        " recommendation.themes, action.reference, action.title, action.lead_agency,"
        " action.lead_officer, action.deliverable, action.success_measure,"
        " action.target_date, action.revised_target_date, action.status, action.closed_on,"
        " update.text, evidence.title, reported_rag, ignore",
        "map.toml [columns]: 'Rec Number': no column of sheet 'Action Plan' has this heading",
        "map.toml [agencies]: 'CSC' = 'NOPE': no agency has this id (add it with add-agency"
        " first)",
        "map.toml [statuses]: 'Done' = 'finished': not a status (one of proposed, agreed,"
        " in_progress, completed, assured, embedded, on_hold, superseded, reopened)",
        "map.toml [defaults]: 'action.target_date': expected a date such as 31/03/2027,"
        " 31 March 2027, March 2027 or Q4 2026/27, got 'soon'",
    ]


def test_a_default_stands_in_for_an_unreadable_date(store: Store, tmp_path: Path) -> None:
    rows = [list(row) for row in LCSPR_ROWS]
    rows[2][5] = "TBC"
    result = adopt(store, lcspr_tracker(tmp_path / "tracker.xlsx", rows),
                   tracker_map=TrackerMap(defaults={"action.target_date": "Q4 2026/27"}))
    assert result.problems == ()
    assert actions_by_title(store)["Update the health visiting guidance"].target_date == \
        date(2027, 3, 31)


def test_write_map_then_map_gives_the_same_plan(store: Store, tmp_path: Path) -> None:
    """The map adopt writes names every column and agency as read; used again, it agrees."""
    path = lcspr_tracker(tmp_path / "tracker.xlsx")
    first = adopt(store, path, dry_run=True, write_map=tmp_path / "map.toml")
    written = read_map(tmp_path / "map.toml")
    assert written.columns["Rec No"] == "recommendation.number"
    assert written.agencies["Northshire Police"] == "POL"
    again = adopt(store, path, dry_run=True, tracker_map=written)
    assert [item.record for item in again.adoption.records] == [
        item.record for item in first.adoption.records]
    assert not any(column.guessed for column in again.columns)


def test_errors_to_marks_each_problem_on_the_trackers_own_cell(
    store: Store, tmp_path: Path,
) -> None:
    rows = [list(row) for row in LCSPR_ROWS]
    rows[1][3] = "Social Services"
    adopt(store, lcspr_tracker(tmp_path / "tracker.xlsx", rows),
          errors_to=tmp_path / "marked.xlsx")
    marked = openpyxl.load_workbook(tmp_path / "marked.xlsx")["Action Plan"]
    comment = marked["D6"].comment
    assert comment is not None
    assert "no agency is called 'Social Services'" in comment.text
    assert marked["A1"].value == "Northshire LCSPR action plan: Child Sam"  # the rest as it was


def test_a_tracker_with_no_heading_row_is_refused(store: Store, tmp_path: Path) -> None:
    path = lcspr_tracker(tmp_path / "tracker.xlsx", [["a", "b"]], ["Colour", "Size"])
    with pytest.raises(WorkbookError, match="no heading row that adopt recognises"):
        adopt(store, path)


def test_a_tracker_gets_the_workbook_safety_checks(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(UnsafeWorkbookError, match=r"old \.xls workbook"):
        adopt(store, path)
    bomb = tmp_path / "bomb.ods"
    import zipfile

    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", '<?xml version="1.0" encoding="UTF-8"?>'
                         '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    with pytest.raises(UnsafeWorkbookError):
        adopt(store, bomb)


def test_the_command_line_prints_the_mapping_and_exits_as_import_does(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "plan.json"), create=True)
    set_up(store)
    store.close()
    path = lcspr_tracker(tmp_path / "tracker.xlsx")
    dry = cli_adopt(tmp_path, str(path), "--dry-run", "--write-map", str(tmp_path / "m.toml"))
    assert dry.exit_code == 0, dry.output
    assert "recommendation.number (guessed)" in dry.output
    assert "Dry run: would adopt 2 recommendations, 4 actions, 3 progress updates, 1" \
           " evidence item into NSCP/CSPR-SAM; nothing was written." in dry.output
    done = cli_adopt(tmp_path, str(path), "--map", str(tmp_path / "m.toml"))
    assert done.exit_code == 0, done.output
    assert "Adopted 2 recommendations, 4 actions" in done.output
    again = cli_adopt(tmp_path, str(path))
    assert "Nothing new to adopt" in again.output
    assert again.exit_code == 0
    rows = [list(row) for row in LCSPR_ROWS]
    rows[0][2:4] = ["A new action", "Nobody"]  # a row the plan has not got yet
    bad = cli_adopt(tmp_path, str(lcspr_tracker(tmp_path / "bad.xlsx", rows)))
    assert bad.exit_code == 1
    assert "error: 'Action Plan'!D5: no agency is called 'Nobody'" in bad.output
    missing = cli_adopt(tmp_path, str(tmp_path / "nowhere.xlsx"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.output


def test_adopting_again_on_a_later_day_adds_no_undated_note_twice(
    store: Store, tmp_path: Path,
) -> None:
    """An undated note was dated on the day it was adopted; a week later it is still known."""
    path = lcspr_tracker(tmp_path / "tracker.xlsx")
    adopt(store, path)
    later = adopt_tracker(store, path, by=MANAGER, at=ADOPTED_AT + timedelta(days=7))
    assert later.adoption.records == ()
    assert later.problems == ()


def test_a_number_used_twice_for_different_recommendations_is_a_problem(
    store: Store, tmp_path: Path,
) -> None:
    rows = [list(row) for row in LCSPR_ROWS]
    rows[2][0] = 1  # recommendation 2 numbered 1 by mistake
    problems = _refused(store, tmp_path, rows)
    assert problems == ["'Action Plan'!B7: recommendation 1 appears twice with different text"
                        " (row 5 and here): number them apart"]


def test_a_default_status_gives_way_to_a_date_closed(store: Store, tmp_path: Path) -> None:
    """[defaults] action.status is for rows that say nothing; a Date Closed still completes."""
    result = adopt(store, lcspr_tracker(tmp_path / "tracker.xlsx"),
                   tracker_map=TrackerMap(defaults={"action.status": "in_progress"}))
    assert result.problems == ()
    actions = actions_by_title(store)
    assert actions["Refresh the escalation policy"].status == ActionStatus.COMPLETED
    assert actions["Train staff on the escalation policy"].status == ActionStatus.IN_PROGRESS


def test_placeholders_in_optional_dates_are_empty_and_defaults_are_noted(
    store: Store, tmp_path: Path,
) -> None:
    """N/A under Revised Target Date is no revision; a default standing in says so."""
    rows = [list(row) for row in LCSPR_ROWS]
    rows[1][6] = "N/A"
    rows[2][5] = "Ongoing"  # words: the default stands in, and says so
    defaults = TrackerMap(defaults={"action.target_date": "31/03/2027"})
    result = adopt(store, lcspr_tracker(tmp_path / "tracker.xlsx", rows), tracker_map=defaults)
    assert result.problems == ()
    assert result.notices == ("'Action Plan'!F7: 'Ongoing' is not a date; the map's default"
                              " 31/03/2027 is used",)
    assert actions_by_title(store)["Train staff on the escalation policy"].target_revisions == ()
    rows[3][5] = "03/31/2027"  # a date written month first is never replaced unseen
    assert _refused(store, tmp_path, rows, tracker_map=defaults) == [
        "'Action Plan'!F8: '03/31/2027' is not a date: dates are read day first, as in"
        " 31/03/2027, and there is no month 31"]


def test_a_written_map_leaves_a_column_nothing_maps_to_be_chosen(
    store: Store, tmp_path: Path,
) -> None:
    headings = [*LCSPR_HEADINGS, "Critical friend comments"]
    rows = [[*row, "Challenge"] for row in LCSPR_ROWS]
    path = lcspr_tracker(tmp_path / "tracker.xlsx", rows, headings)
    adopt(store, path, dry_run=True, write_map=tmp_path / "map.toml")
    assert '"Critical friend comments" = ""  # choose a target, or "ignore"' in (
        tmp_path / "map.toml").read_text()
    again = adopt(store, path, tracker_map=read_map(tmp_path / "map.toml"))
    assert [str(p) for p in again.problems] == [
        "'Action Plan'!L4: no target for the column 'Critical friend comments': map it in"
        ' [columns] to a target, or to "ignore"']


def test_importing_a_tracker_as_a_partner_workbook_points_to_adopt(
    store: Store, tmp_path: Path,
) -> None:
    from actiontrack.excel import import_workbook

    with pytest.raises(WorkbookError, match="use `actiontrack adopt FILE`"):
        import_workbook(store, lcspr_tracker(tmp_path / "tracker.xlsx"), by=MANAGER,
                        at=ADOPTED_AT)


def test_two_actions_with_one_title_stay_two_when_adopted_again(
    store: Store, tmp_path: Path,
) -> None:
    """The same words for two agencies' actions are two actions; a week later, nothing new."""
    rows = [[1, "Share the learning", "Deliver training", "Police", None, "31/03/2027",
             None, "01/11/2026: police trained 40 staff", None, None, None],
            [None, None, "Deliver training", "CSC", None, "31/03/2027", None,
             "02/11/2026: social workers booked", None, None, None]]
    path = lcspr_tracker(tmp_path / "tracker.xlsx", rows)
    first = adopt(store, path)
    assert first.problems == ()
    later = adopt_tracker(store, path, by=MANAGER, at=ADOPTED_AT + timedelta(days=7))
    assert later.adoption.records == ()
    assert later.adoption.already == 2
    police = next(a for a in store.find(Action) if a.lead_agency_id == "POL")
    assert [u.text for u in store.find(ProgressUpdate, action_id=police.id)] == [
        "police trained 40 staff"]


def test_the_same_row_twice_is_a_problem(store: Store, tmp_path: Path) -> None:
    rows = [list(LCSPR_ROWS[0]), [None, None, *LCSPR_ROWS[0][2:]]]
    problems = _refused(store, tmp_path, rows)
    assert problems == ["'Action Plan'!C6: this row repeats the action of row 5 (the same"
                        " recommendation, action and agency, or reference): give each action"
                        " its own words, or delete the copy"]


def test_formulas_are_read_as_their_values_or_refused_without_one(
    store: Store, tmp_path: Path,
) -> None:
    """A formula saved with its value is read as it (noted); one saved without, refused."""
    rows = [list(row) for row in LCSPR_ROWS]
    rows[0][4] = "=Lookup!A1"  # openpyxl saves formulas without a value
    problems = _refused(store, tmp_path, rows)
    assert problems == ["'Action Plan'!E5: a formula with no value saved: replace it with its"
                        " value (Copy, then Paste Values)"]
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed (.ci/run installs it)")
    rows[0][4] = '="DI "&"Jones"'
    source = lcspr_tracker(tmp_path / "formula.xlsx", rows)
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir",
                    str(tmp_path / "saved"), str(source)], check=True, capture_output=True,
                   timeout=120)  # LibreOffice calculates and saves each formula's value
    result = adopt(store, tmp_path / "saved" / "formula.xlsx")
    assert result.problems == ()
    assert result.notices[0] == ("'Action Plan'!E5: column E (Lead Officer) holds formulas;"
                                 " their values as last calculated are used")
    assert actions_by_title(store)["Refresh the escalation policy"].lead_officer == "DI Jones"


def test_write_map_never_overwrites_the_tracker(store: Store, tmp_path: Path) -> None:
    path = as_csv([LCSPR_HEADINGS, *LCSPR_ROWS], tmp_path / "mine.csv")
    before = path.read_bytes()
    with pytest.raises(WorkbookError, match="is the tracker itself"):
        adopt(store, path, dry_run=True, write_map=path)
    assert path.read_bytes() == before
    result = cli_adopt(tmp_path, str(path), "--write-map", str(tmp_path / "no" / "map.toml"))
    assert result.exit_code == 2
    assert "cannot write" in result.output


def test_rag_grey_and_a_future_date_closed(store: Store, tmp_path: Path) -> None:
    """Grey is a RAG a tracker may say; a Date Closed after today is a problem on its cell."""
    rows = [list(row) for row in LCSPR_ROWS]
    rows[1][9] = "Grey"
    rows[0][10] = "31/12/2026"  # after the adoption day
    problems = _refused(store, tmp_path, rows)
    assert problems == ["'Action Plan'!K5: the action cannot have been closed on 31/12/2026,"
                        " after today (01/12/2026)"]


def test_text_defaults_fill_empty_cells_and_others_are_refused(
    store: Store, tmp_path: Path,
) -> None:
    rows = [list(row) for row in LCSPR_ROWS]
    rows[2][4] = None
    result = adopt(store, lcspr_tracker(tmp_path / "tracker.xlsx", rows), tracker_map=TrackerMap(
        defaults={"action.lead_officer": "Business manager", "recommendation.themes": "Neglect"}))
    assert result.problems == ()
    assert actions_by_title(store)["Update the health visiting guidance"].lead_officer == \
        "Business manager"
    assert {r.themes for r in store.find(Recommendation)} == {("neglect",)}
    refused = _refused(store, tmp_path, rows,
                       tracker_map=TrackerMap(defaults={"action.title": "Something"}),
                       map_name="map.toml")
    assert refused[0].startswith("map.toml [defaults]: 'action.title': not a target a default"
                                 " can be given for")


def test_a_name_two_agencies_share_is_never_guessed(store: Store, tmp_path: Path) -> None:
    """A former name now an alias of another agency says nothing on its own: a problem."""
    from actiontrack.service import edit

    edit(store, "EDU", {"former_names": "Police"}, reason="Renamed", by=MANAGER,
         at=ADOPTED_AT)
    rows = [list(row) for row in LCSPR_ROWS]
    rows[0][3] = "police"
    problems = _refused(store, tmp_path, rows)
    assert problems == ["'Action Plan'!D5: 'police' is a name of more than one agency (POL,"
                        ' EDU): write the agency\'s id, or map it in [agencies] ("police" ='
                        ' "ID")']


def test_progress_notes_are_dated_by_the_one_date_reader(store: Store, tmp_path: Path) -> None:
    rows = [list(row) for row in LCSPR_ROWS]
    rows[1][7] = "2026-10-12: planned\n31-Oct-26 first session\nQ2 2026/27 - more"
    rows[3][7] = "31/02/2026: started"
    problems = _refused(store, tmp_path, rows)
    assert len(problems) == 1
    assert problems[0].startswith("'Action Plan'!H8 (NSCP/A004): the note '31/02/2026:"
                                  " started' starts with a date that cannot be right:")
    rows[3][7] = None
    rows[2][7] = "12/01/2030: far ahead"
    assert _refused(store, tmp_path, rows)[0].startswith(
        "'Action Plan'!H7 (NSCP/A003): the note 'far ahead' is dated 12/01/2030, after today")
    rows[2][7] = None
    adopt(store, lcspr_tracker(tmp_path / "ok.xlsx", rows))
    training = actions_by_title(store)["Train staff on the escalation policy"]
    assert [(u.on, u.text) for u in store.find(ProgressUpdate, action_id=training.id)] == [
        (date(2026, 10, 12), "planned"), (date(2026, 10, 31), "first session"),
        (date(2026, 9, 30), "more")]


def test_a_hidden_sheet_is_not_taken_for_the_tracker(store: Store, tmp_path: Path) -> None:
    path = lcspr_tracker(tmp_path / "tracker.xlsx")
    book = openpyxl.load_workbook(path)
    old = book.create_sheet("Old plan 2019", 0)
    for row in [LCSPR_HEADINGS, ["9", "An old one", "Old action", "Police", None, "31/03/2019"]]:
        old.append(row)
    old.sheet_state = "hidden"
    book.save(path)
    result = adopt(store, path)
    assert result.sheet == "Action Plan"
    assert result.problems == ()


def test_a_csv_with_semicolons(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "tracker.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file, delimiter=";").writerows([LCSPR_HEADINGS, *LCSPR_ROWS])
    result = adopt(store, path)
    assert result.problems == ()
    assert len(store.find(Action)) == 4


def test_an_opendocument_file_that_repeats_a_row_a_million_times_is_refused(
    store: Store, tmp_path: Path,
) -> None:
    """A few bytes can ask a reader for millions of cells: refused before it reads them."""
    import zipfile

    row = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell'
           ' table:number-columns-repeated="40" office:value-type="string"><text:p>x</text:p>'
           '</table:table-cell></table:table-row>')
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content'
               ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
               ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
               ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
               f'<office:spreadsheet><table:table table:name="S">{row}</table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    bomb = tmp_path / "bomb.ods"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    with pytest.raises(UnsafeWorkbookError, match="as far as row 1,000,000, column 40"):
        adopt(store, bomb)


def test_the_marked_copy_of_a_csv_keeps_text_as_text(store: Store, tmp_path: Path) -> None:
    rows = [list(row) for row in LCSPR_ROWS]
    rows[0][8] = '=HYPERLINK("http://example.org","click")'
    rows[1][3] = "Nobody"
    path = as_csv([LCSPR_HEADINGS, *rows], tmp_path / "tracker.csv")
    adopt(store, path, errors_to=tmp_path / "marked.xlsx")
    marked = openpyxl.load_workbook(tmp_path / "marked.xlsx").active
    assert marked is not None
    assert marked["I2"].data_type == "s"
    assert marked["I2"].value == '=HYPERLINK("http://example.org","click")'


def test_a_later_copy_that_says_otherwise_is_noted_not_duplicated(
    store: Store, tmp_path: Path,
) -> None:
    """A new agency or date in a later copy: one action still, and a note of each difference."""
    adopt(store, lcspr_tracker(tmp_path / "tracker.xlsx"))
    rows = [list(row) for row in LCSPR_ROWS]
    rows[3][3] = "Police"  # was Health (ICB)
    rows[2][5] = "30/04/2027"  # was 31st March 2027
    later = adopt(store, lcspr_tracker(tmp_path / "later.xlsx", rows))
    assert later.problems == ()
    assert later.adoption.records == ()
    audit_id = actions_by_title(store)["Audit seen-alone recording"].id
    guidance_id = actions_by_title(store)["Update the health visiting guidance"].id
    assert later.notices == (
        f"'Action Plan'!F7 ({guidance_id}): the tracker says the target date 30/04/2027, the"
        " plan 31/03/2027 (change it with revise-target); the plan is left as it is",
        f"'Action Plan'!D8 ({audit_id}): the tracker says the lead agency POL, the plan ICB"
        " (change it with edit); the plan is left as it is")
    assert len(store.find(Action)) == 4


def test_undated_notes_and_evidence_take_the_maps_dates(store: Store, tmp_path: Path) -> None:
    """[defaults] update.on and evidence.about_date: the tracker's own 'last updated' day."""
    rows = [list(row) for row in LCSPR_ROWS]
    rows[0][10] = None  # no Date Closed: the evidence is about the day the map gives
    rows[0][7] = "30.09.2026\nPolicy signed off"  # a date alone on its line dates the next
    result = adopt(store, lcspr_tracker(tmp_path / "tracker.xlsx", rows), tracker_map=TrackerMap(
        defaults={"update.on": "01/11/2026", "evidence.about_date": "Oct 2026"}))
    assert result.problems == ()
    actions = actions_by_title(store)
    training = actions["Train staff on the escalation policy"].id
    assert [u.on for u in store.find(ProgressUpdate, action_id=training)] == [date(2026, 11, 1)]
    policy = actions["Refresh the escalation policy"].id
    assert [(u.on, u.text) for u in store.find(ProgressUpdate, action_id=policy)] == [
        (date(2026, 9, 30), "Policy signed off")]
    assert [e.about_date for e in store.find(Evidence, action_id=policy)] == [
        date(2026, 10, 31)]


def test_a_column_every_action_needs_is_missed_once_not_on_every_row(
    store: Store, tmp_path: Path,
) -> None:
    headings = [h for h in LCSPR_HEADINGS if h != "Target Date"]
    rows = [[value for index, value in enumerate(row) if index != 5] for row in LCSPR_ROWS]
    rows.append(["RAG key: R = off track, G = on track"])
    assert _refused(store, tmp_path, rows, headings) == [
        "'Action Plan'!4:4: no column holds action.target_date: map one in [columns], or give"
        " a default for it in [defaults]",
        "'Action Plan'!B9: 'RAG key: R = off track, G = on track' is under 'Rec No' with no"
        " recommendation beside it: if the row is not part of the table (a key, a note),"
        " delete it from a copy of the tracker"]
