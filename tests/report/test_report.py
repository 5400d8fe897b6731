"""The committee progress report: its content from the demo plan, and its two file formats."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import attrs
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

import actiontrack as at
from actiontrack import convert
from actiontrack.demo import build_demo
from actiontrack.domain.clocks import ENGLAND
from actiontrack.domain.replay import replay
from actiontrack.report import (
    Report,
    TrendPoint,
    build_report,
    read_report,
    render_markdown,
    write_report,
)

TODAY = date(2026, 11, 26)
ALEX = "DEMO-SCP/CSPR-ALEX"
CHARLIE = "DEMO-SCP/CSPR-CHARLIE"
NATIONAL = "DEMO-SCP/NATIONAL-MEN-NAI"
THEMATIC = "DEMO-SCP/THEMATIC-NEGLECT"


@pytest.fixture(scope="module")
def demo() -> tuple[at.Plan, list[at.HistoryEntry]]:
    return build_demo(TODAY)


@pytest.fixture(scope="module")
def demo_store(demo: tuple[at.Plan, list[at.HistoryEntry]]) -> at.MemoryStore:
    store = at.MemoryStore()
    store.restore(*demo)
    return store


@pytest.fixture(scope="module")
def report(demo_store: at.MemoryStore) -> Report:
    return read_report(demo_store, as_of=TODAY)


@pytest.fixture(scope="module")
def workbook_path(report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "committee.xlsx"
    write_report(report, path)
    return path


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=ENGLAND)


def _with_action_title(plan: at.Plan, action_id: str, title: str) -> at.Plan:
    actions = dict(plan.actions)
    actions[action_id] = attrs.evolve(actions[action_id], title=title)
    return attrs.evolve(plan, actions=actions)


def _column(sheet: Worksheet, title: str) -> int:
    header = [cell.value for cell in sheet[1]]
    return header.index(title) + 1


# Content


def test_overdue_actions_are_those_past_their_target_with_days_over(report: Report) -> None:
    """The overdue actions are A002 (30 days over) and A006 (120 days over), nothing else."""
    assert [(a.id, a.days_overdue) for a in report.overdue] == [
        ("DEMO-SCP/A002", 30), ("DEMO-SCP/A006", 120)]
    assert all(a.rag is at.Rag.RED for a in report.overdue)
    on_time = [a for a in report.actions if a.id not in {"DEMO-SCP/A002", "DEMO-SCP/A006"}]
    assert all(a.days_overdue is None for a in on_time)


def test_overdue_action_says_why_it_slipped(report: Report) -> None:
    """An overdue action carries its original target, each move and reason, its latest update."""
    a006 = next(a for a in report.overdue if a.id == "DEMO-SCP/A006")
    assert a006.original_target_date < a006.target_date == date(2026, 7, 29)
    assert [r.reason for r in a006.target_revisions] == [
        "Partner systems not linked", "Staffing gap in the hub"]
    assert a006.latest_update is not None
    assert a006.latest_update.text == "Pilot live in the north of the county."


def test_each_review_lists_its_overdue_actions_only(report: Report) -> None:
    """Each review section shows only its own overdue actions."""
    overdue = {section.id: [a.id for a in section.overdue] for section in report.reviews}
    assert overdue == {ALEX: ["DEMO-SCP/A002"], CHARLIE: ["DEMO-SCP/A006"],
                       NATIONAL: [], THEMATIC: []}


def test_reviews_are_in_id_order_with_their_recommendations(report: Report) -> None:
    """Reviews come in id order; each lists its recommendations with their derived status."""
    assert [section.id for section in report.reviews] == [ALEX, CHARLIE, NATIONAL, THEMATIC]
    national = report.reviews[2]
    assert [(r.number, r.status) for r in national.recommendations] == [
        ("1", at.RecommendationStatus.OPEN),
        ("2", at.RecommendationStatus.OPEN),
        ("3", at.RecommendationStatus.NOT_ACCEPTED),
    ]
    assert national.recommendations[2].response is at.Response.NOT_ACCEPTED
    assert report.reviews[0].recommendations[0].status is at.RecommendationStatus.EMBEDDED
    assert report.reviews[3].recommendations == ()


def test_review_counts_its_actions_by_status_and_rag(report: Report) -> None:
    """A review counts the actions answering it, by status and by RAG on the day."""
    alex = report.reviews[0]
    assert [a.id for a in alex.actions] == [
        "DEMO-SCP/A001", "DEMO-SCP/A002", "DEMO-SCP/A003", "DEMO-SCP/A004", "DEMO-SCP/A007"]
    assert {k: n for k, n in alex.by_rag.items() if n} == {
        at.Rag.RED: 1, at.Rag.AMBER: 1, at.Rag.BLUE: 3}
    assert alex.by_status[at.ActionStatus.IN_PROGRESS] == 2
    assert sum(alex.by_status.values()) == 5


def test_review_shows_evidence_of_completion_and_impact(report: Report) -> None:
    """A review lists the completion and impact evidence of its actions, by title."""
    alex = report.reviews[0]
    assert len(alex.completion_evidence) == 3
    assert [e.title for e in alex.impact_evidence] == [
        "Multi-agency audit: 87% of referrals met the threshold"]
    assert report.reviews[1].impact_evidence == ()


def test_review_shows_linked_learning_and_its_total_reach(report: Report) -> None:
    """A review lists the learning activities linked to its recommendations and their reach."""
    alex, charlie = report.reviews[0], report.reviews[1]
    assert [activity.title for activity in alex.learning] == [
        "Twilight session: learning from Child Alex", "7-minute briefing: escalation"]
    assert alex.total_reach == 85 + 300
    assert charlie.total_reach == 140 + 420


def test_themes_that_recur_across_reviews_come_first(report: Report) -> None:
    """Themes are counted across reviews; the most recurrent lead."""
    counts = {t.theme: (t.review_count, t.recommendation_count) for t in report.themes}
    assert counts["fathers-and-male-carers"] == (3, 4)
    assert counts["information-sharing"] == (2, 3)
    assert counts["pre-birth-risk"] == (2, 2)
    assert counts["thresholds"] == (1, 1)
    assert [t.theme for t in report.themes[:3]] == [
        "fathers-and-male-carers", "information-sharing", "pre-birth-risk"]
    assert [t.theme for t in report.themes if t.recurs] == [
        "fathers-and-male-carers", "information-sharing", "pre-birth-risk"]
    fathers = report.themes[0]
    assert fathers.review_ids == (ALEX, CHARLIE, NATIONAL)


def test_agency_positions_use_current_names(report: Report) -> None:
    """Each agency's actions by RAG are listed under its current name."""
    positions = {p.agency_id: p for p in report.agencies}
    assert list(positions) == ["DEMO-CC", "DEMO-CCG", "DEMO-POL"]
    icb = positions["DEMO-CCG"]
    assert icb.name == "Demoshire Integrated Care Board"
    assert icb.former_names == ("Demoshire Clinical Commissioning Group",)
    rag_counts = {p.agency_id: {k.value: n for k, n in p.by_rag.items() if n}
                  for p in report.agencies}
    assert rag_counts == {
        "DEMO-CC": {"green": 1, "blue": 3},
        "DEMO-CCG": {"amber": 1, "green": 1, "blue": 1},
        "DEMO-POL": {"red": 2, "amber": 1},
    }
    assert positions["DEMO-POL"].by_status[at.ActionStatus.ON_HOLD] == 1


def test_trend_has_twelve_month_ends_ending_with_today(report: Report) -> None:
    """The trend has 12 points, month ends then the report's day, ending with today's open count."""
    assert len(report.trend) == 12
    assert report.trend[0].on == date(2025, 12, 31)
    assert report.trend[-2].on == date(2026, 10, 31)
    assert report.trend[-1].on == TODAY
    assert report.trend[-1].open_actions == report.open_actions == 6


def test_trend_starts_no_earlier_than_the_calendar(demo_store: at.MemoryStore) -> None:
    """A report as of 15 March of year 1 has a trend of three points: none before January 1."""
    early = read_report(demo_store, as_of=date(1, 3, 15))
    assert [point.on for point in early.trend] == [date(1, 1, 31), date(1, 2, 28), date(1, 3, 15)]


@pytest.mark.parametrize("backend", ["memory", "json", "sqlite"])
@pytest.mark.parametrize("review_id", [None, CHARLIE])
def test_trend_matches_the_history_replayed_to_each_month_end(
    demo: tuple[at.Plan, list[at.HistoryEntry]], tmp_path: Path, backend: str,
    review_id: str | None,
) -> None:
    """Each trend point counts the open actions (of the review) in the history replayed then."""
    url = {"memory": "memory:", "json": str(tmp_path / "plan.json"),
           "sqlite": f"sqlite:///{tmp_path / 'plan.db'}"}[backend]
    store = at.open_store(url, create=True)
    store.restore(*demo)
    entries = [convert.unstructure(entry) for entry in demo[1]]
    report = read_report(store, as_of=TODAY, review_id=review_id)
    assert len(report.trend) == 12
    for point in report.trend:
        then = replay(entries, _end_of(point.on))
        answering = {rid for rid, r in then["recommendations"].items()
                     if review_id is None or r["review_id"] == review_id}
        assert point.open_actions == sum(
            1 for a in then["actions"].values()
            if a["status"] in at.OPEN_STATUSES and answering & set(a["recommendation_ids"])
        ), point.on


def test_report_as_of_a_past_date_uses_that_day(
    demo: tuple[at.Plan, list[at.HistoryEntry]],
) -> None:
    """A report on the plan as of a past day shows what was overdue then, and its trend."""
    plan, history = demo
    store = at.MemoryStore()
    store.restore(plan, history)
    day = date(2026, 2, 28)  # A006 was past its first target; its dates moved in March
    past = read_report(store, as_of=day)
    assert past.as_of == day
    assert past.trend[-1] == TrendPoint(on=day, open_actions=past.open_actions)
    assert [(a.id, a.days_overdue) for a in past.overdue] == [("DEMO-SCP/A006", 29)]
    assert past.overdue[0].target_revisions == ()


def test_review_filter_reports_one_review(demo_store: at.MemoryStore) -> None:
    """With review_id, the report covers that review's actions, themes, agencies and trend."""
    charlie = read_report(demo_store, as_of=TODAY, review_id=CHARLIE)
    assert [section.id for section in charlie.reviews] == [CHARLIE]
    assert [a.id for a in charlie.actions] == [
        "DEMO-SCP/A005", "DEMO-SCP/A006", "DEMO-SCP/A007", "DEMO-SCP/A008", "DEMO-SCP/A010"]
    assert [a.id for a in charlie.overdue] == ["DEMO-SCP/A006"]
    themes = {t.theme: t.review_count for t in charlie.themes}
    assert themes == {"information-sharing": 2, "fathers-and-male-carers": 3,
                      "case-transfer": 1, "child-focus": 1, "domestic-abuse": 1}
    assert [p.agency_id for p in charlie.agencies] == ["DEMO-CC", "DEMO-CCG", "DEMO-POL"]
    assert charlie.trend[-1].open_actions == charlie.open_actions == 4
    assert charlie.trend[0].open_actions <= 5



def test_unknown_review_is_not_found(
    demo: tuple[at.Plan, list[at.HistoryEntry]], demo_store: at.MemoryStore,
) -> None:
    """Asking for a review the plan does not hold raises NotFoundError, a LookupError."""
    with pytest.raises(LookupError, match="NO-SUCH"):
        build_report(demo[0], as_of=TODAY, trend=(), review_id="DEMO-SCP/NO-SUCH")
    with pytest.raises(LookupError, match="NO-SUCH"):
        read_report(demo_store, as_of=TODAY, review_id="DEMO-SCP/NO-SUCH")


def test_policy_changes_rag(demo_store: at.MemoryStore) -> None:
    """The partnership's RAG policy is used: a shorter due-soon threshold leaves fewer ambers."""
    relaxed = read_report(demo_store, as_of=TODAY, policy=at.RagPolicy(due_soon_days=7))
    assert relaxed.by_rag[at.Rag.AMBER] == 1  # A010, on hold; A004 is due in 14 days


# Markdown


def test_markdown_has_the_key_lines(report: Report, tmp_path: Path) -> None:
    """The Markdown file states its date, that RAG is derived, and the key findings."""
    path = tmp_path / "committee.md"
    write_report(report, path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        "# Progress report: Demoshire Safeguarding Children Partnership (illustrative data)\n")
    assert "**As of 26 November 2026.**" in text
    assert "RAG is derived" in text
    assert "- Overdue: 2 actions (DEMO-SCP/A002, DEMO-SCP/A006)." in text
    assert ("due 27 October 2026, 30 days overdue; originally due 30 April 2026." in text)
    assert "Target moved on 11 March 2026 from 30 January 2026 to 10 May 2026:" in text
    assert "| fathers-and-male-carers | 3 | 4 |" in text
    assert "| Demoshire Police | 3 | 3 | 2 | 1 | 0 | 0 | 0 |" in text
    assert "| 26 November 2026 | 6 |" in text
    assert "2 learning activities, reaching 385 people in all." in text
    assert "<" not in text  # no HTML


def test_markdown_escapes_user_text(demo: tuple[at.Plan, list[at.HistoryEntry]]) -> None:
    """A title with | or <tag> cannot break a table or become HTML."""
    plan = _with_action_title(demo[0], "DEMO-SCP/A001", "Audit | <b>bold</b>\nnext line")
    text = render_markdown(build_report(plan, as_of=TODAY, trend=()))
    row = next(line for line in text.splitlines() if line.startswith("| DEMO-SCP/A001 |"))
    assert r"Audit \| \<b\>bold\</b\> next line" in row
    assert row.replace(r"\|", "").count("|") == 7  # six cells


def test_markdown_twice_gives_identical_bytes(
    demo: tuple[at.Plan, list[at.HistoryEntry]], tmp_path: Path,
) -> None:
    """Writing the same report twice, even from another store, gives the same bytes."""
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    for path in (first, second):
        store = at.MemoryStore()
        store.restore(*demo)
        write_report(read_report(store, as_of=TODAY), path)
    assert first.read_bytes() == second.read_bytes()
    assert b"\r\n" not in first.read_bytes()


def test_other_file_endings_are_refused(report: Report, tmp_path: Path) -> None:
    """A file name that is not .md, .xlsx, .docx or .pdf is refused and nothing is written."""
    path = tmp_path / "committee.odt"
    with pytest.raises(ValueError, match=r"\.md .*\.xlsx.* or \.pdf"):
        write_report(report, path)
    assert not path.exists()


# Excel workbook


def test_workbook_has_its_sheets_and_three_dashboard_charts(workbook_path: Path) -> None:
    """The workbook opens, starts with a Dashboard holding three charts, and has the tables."""
    workbook = load_workbook(workbook_path)
    assert workbook.sheetnames[0] == "Dashboard"
    assert {"Reviews", "Actions", "Themes", "Agencies"} <= set(workbook.sheetnames)
    charts = workbook["Dashboard"]._charts
    assert [type(chart).__name__ for chart in charts] == ["BarChart", "BarChart", "LineChart"]


def test_workbook_has_one_action_per_row(workbook_path: Path, report: Report) -> None:
    """The Actions sheet has one row per action, with its RAG and days overdue."""
    sheet = load_workbook(workbook_path)["Actions"]
    assert sheet.max_row == 1 + len(report.actions)
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    a002 = rows["DEMO-SCP/A002"]
    assert a002[_column(sheet, "RAG") - 1] == "red"
    assert a002[_column(sheet, "Days overdue") - 1] == 30
    assert a002[_column(sheet, "Lead agency") - 1] == "Demoshire Police"
    assert rows["DEMO-SCP/A005"][_column(sheet, "Days overdue") - 1] is None


def test_workbook_dates_are_dates(workbook_path: Path) -> None:
    """Target dates are real dates with a date number format, not text."""
    sheet = load_workbook(workbook_path)["Actions"]
    cell = sheet.cell(row=3, column=_column(sheet, "Current target"))  # DEMO-SCP/A002
    assert cell.is_date
    assert cell.value.date() == date(2026, 10, 27)
    assert "yy" in cell.number_format


def test_workbook_tables_have_frozen_filtered_headers(workbook_path: Path) -> None:
    """Each table sheet freezes its header row and has a filter over its table."""
    workbook = load_workbook(workbook_path)
    for name in ("Reviews", "Actions", "Themes", "Agencies"):
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        assert str(sheet.auto_filter.ref).startswith("A1:"), name


def test_workbook_rag_cells_are_coloured(workbook_path: Path) -> None:
    """RAG cells on the Actions sheet are filled in their colour."""
    sheet = load_workbook(workbook_path)["Actions"]
    column = _column(sheet, "RAG")
    fills = {sheet.cell(row=row, column=column).value:
             sheet.cell(row=row, column=column).fill.fgColor.rgb
             for row in range(2, sheet.max_row + 1)}
    assert fills["red"].endswith("FF7C80")
    assert fills["amber"].endswith("FFC000")
    assert len(set(fills.values())) == len(fills) == 4  # red, amber, green, blue


def test_workbook_is_laid_out_for_reading_and_printing(workbook_path: Path) -> None:
    """Columns fit their text, long text wraps, progress is a percentage, tables print landscape."""
    workbook = load_workbook(workbook_path)
    actions = workbook["Actions"]
    title = _column(actions, "Title")
    titles = [actions.cell(row=row, column=title) for row in range(2, actions.max_row + 1)]
    longest = max(len(cell.value) for cell in titles)
    assert actions.column_dimensions["B"].width == min(longest, 45) + 2
    assert {cell.alignment.wrap_text or False for cell in titles} == {True, False}
    assert all(cell.alignment.wrap_text for cell in titles if len(cell.value) > 45)
    measures = workbook["Measures"]
    progress = _column(measures, "Progress")
    assert measures.max_row > 1
    assert {measures.cell(row=row, column=progress).number_format
            for row in range(2, measures.max_row + 1)} == {"0%"}
    for name in ("Dashboard", "Reviews", "Actions", "Measures"):
        setup = workbook[name].page_setup
        assert (setup.orientation, setup.fitToWidth) == ("landscape", 1), name
        assert workbook[name].sheet_properties.pageSetUpPr.fitToPage, name
    assert workbook["Actions"].print_title_rows == "$1:$1"  # the header prints on every page


@pytest.mark.parametrize("title", ["=HYPERLINK(\"http://x\")", "+44 1234", "-5", "@SUM(A1)"])
def test_workbook_keeps_formula_like_text_as_text(
    demo: tuple[at.Plan, list[at.HistoryEntry]], tmp_path: Path, title: str,
) -> None:
    """A user title starting with =, +, - or @ is stored as a text value, never a formula."""
    plan = _with_action_title(demo[0], "DEMO-SCP/A001", title)
    path = tmp_path / "committee.xlsx"
    write_report(build_report(plan, as_of=TODAY, trend=()), path)
    sheet = load_workbook(path)["Actions"]
    cell = sheet.cell(row=2, column=_column(sheet, "Title"))
    assert cell.value == title
    assert cell.data_type == "s"
    assert all(c.data_type in {"s", "n", "d"} for row in sheet.iter_rows() for c in row)


def test_an_empty_plan_still_gives_both_forms(tmp_path: Path) -> None:
    """A plan with nothing in it gives a Markdown report and a workbook with its charts."""
    empty = read_report(at.MemoryStore(), as_of=TODAY)
    assert [point.open_actions for point in empty.trend] == [0] * 12
    write_report(empty, tmp_path / "empty.md")
    write_report(empty, tmp_path / "empty.xlsx")
    assert "Overdue: nothing." in (tmp_path / "empty.md").read_text(encoding="utf-8")
    assert len(load_workbook(tmp_path / "empty.xlsx")["Dashboard"]._charts) == 3
