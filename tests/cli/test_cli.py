"""The actiontrack command: output, exit codes, and the store left untouched on refusal."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from actiontrack.cli import cli
from actiontrack.formatting import safe_url
from store.sql_servers import postgres_schemas, postgres_url  # tests/store/sql_servers.py

NOW = "2026-11-26T09:00:00+00:00"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "plan.json"


def run(store_path: Path, *args: str) -> Result:
    runner = CliRunner()
    return runner.invoke(
        cli, ["--store", str(store_path), *args],
        env={"ACTIONTRACK_NOW": NOW, "ACTIONTRACK_USER": "Business manager"},
    )


def digest(path: Path) -> str:
    """A fingerprint of every file of the store (data and history)."""
    parts = []
    for file in sorted(path.parent.glob(path.stem + "*")):
        if not file.name.endswith(".lock"):
            parts.append(file.name.encode() + file.read_bytes())
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


@pytest.fixture
def demo_store(store_path: Path) -> Path:
    result = run(store_path, "demo")
    assert result.exit_code == 0, result.output
    return store_path


def test_demo_loads_once_and_is_idempotent(store_path: Path) -> None:
    """Running demo twice loads the data once and then changes nothing."""
    first = run(store_path, "demo")
    assert first.exit_code == 0, first.output
    assert "Loaded 57 illustrative demo records" in first.output
    before = digest(store_path)
    second = run(store_path, "demo")
    assert second.exit_code == 0
    assert "already" in second.output
    assert digest(store_path) == before


def test_list_overdue_shows_only_red_actions(demo_store: Path) -> None:
    """list --overdue --format json gives the actions past their target, with RAG red."""
    result = run(demo_store, "list", "--overdue", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["id"] for row in rows] == ["DEMO-SCP/A002", "DEMO-SCP/A006"]
    assert {row["rag"] for row in rows} == {"red"}


def test_list_filters_by_agency_and_status(demo_store: Path) -> None:
    """--agency and --status narrow the list."""
    result = run(demo_store, "list", "--agency", "DEMO-CCG", "--status", "in_progress",
                 "--format", "json")
    rows = json.loads(result.output)
    assert rows
    assert all(r["lead_agency_id"] == "DEMO-CCG" and r["status"] == "in_progress" for r in rows)


def test_list_by_review_includes_actions_answering_it(demo_store: Path) -> None:
    """--review lists the actions answering any recommendation of that review."""
    result = run(demo_store, "list", "--review", "DEMO-SCP/NATIONAL-MEN-NAI", "--format", "json")
    ids = {row["id"] for row in json.loads(result.output)}
    assert ids == {"DEMO-SCP/A004", "DEMO-SCP/A008", "DEMO-SCP/A009"}


def test_list_unknown_agency_is_bad_usage(demo_store: Path) -> None:
    """An unknown agency id is exit 2 with a message naming it."""
    result = run(demo_store, "list", "--agency", "NOPE")
    assert result.exit_code == 2
    assert "no agency with id 'NOPE'" in result.output


def test_list_as_of_shows_the_plan_as_it_stood(demo_store: Path) -> None:
    """list --as-of a past day shows the actions that existed then, in their statuses then."""
    # The demo is dated back from NOW (2026-11-26): actions A001-A004 were added 470 days
    # before (2025-08-13) and A009 520 days before; the rest 360 days before (2025-12-01).
    before_charlie = json.loads(
        run(demo_store, "list", "--as-of", "2025-11-30", "--format", "json").output)
    assert [r["id"] for r in before_charlie] == [
        "DEMO-SCP/A001", "DEMO-SCP/A002", "DEMO-SCP/A003", "DEMO-SCP/A004", "DEMO-SCP/A009"]
    # A001 was assured 300 days before NOW (2026-01-30) and embedded 110 days before.
    mid_year = json.loads(
        run(demo_store, "list", "--as-of", "2026-06-01", "--format", "json").output)
    assert {r["id"]: r["status"] for r in mid_year}["DEMO-SCP/A001"] == "assured"
    now = json.loads(run(demo_store, "list", "--format", "json").output)
    assert {r["id"]: r["status"] for r in now}["DEMO-SCP/A001"] == "embedded"


def test_show_prints_record_and_history(demo_store: Path) -> None:
    """show ID prints the record's fields and every history entry."""
    result = run(demo_store, "show", "DEMO-SCP/A006", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["record"]["status"] == "in_progress"
    fields = [entry["field"] for entry in data["history"]]
    assert fields.count("target_date") == 2
    text = run(demo_store, "show", "DEMO-SCP/A006")
    assert "Staffing gap in the hub" in text.output


def test_show_unknown_id_exits_2(demo_store: Path) -> None:
    """show of an id that no record has exits 2 with a message."""
    result = run(demo_store, "show", "DEMO-SCP/A999")
    assert result.exit_code == 2
    assert "DEMO-SCP/A999" in result.output


def test_a_plan_built_from_the_command_line(store_path: Path) -> None:
    """Every change command works in sequence on a fresh store, through to assured."""
    steps = [
        ("init", "--partnership", "NSCP", "--name", "North SCP", "--kind", "children"),
        ("add-agency", "POL", "--name", "North Police"),
        ("add-review", "--partnership", "NSCP", "--reference", "RR-1", "--kind",
         "rapid_review", "--title", "Rapid review 1", "--subject", "Child Bo",
         "--became-aware-on", "2026-11-02", "--notified-on", "2026-11-05"),
        ("add-recommendation", "--review", "NSCP/RR-1", "--text", "Share information",
         "--theme", "information-sharing", "--response", "accepted"),
        ("add-action", "--recommendation", "NSCP/RR-1/R1", "--agency", "POL", "--title",
         "Brief officers", "--target", "2027-01-31", "--lead-officer", "DI Lead"),
        ("set-status", "NSCP/A001", "agreed"),
        ("set-status", "NSCP/A001", "in_progress"),
        ("revise-target", "NSCP/A001", "2027-02-28", "--reason", "Briefing slots full"),
        ("add-update", "NSCP/A001", "Half the teams briefed."),
        ("add-evidence", "NSCP/A001", "--tier", "completion", "--kind", "briefing",
         "--title", "Briefing register", "--about", "2026-11-20"),
        ("set-status", "NSCP/A001", "completed"),
        ("assure", "NSCP/A001", "--outcome", "accepted", "--decided-by", "Subgroup chair",
         "--body", "Case review subgroup", "--seen", "Register", "--evidence", "NSCP/A001/E1"),
    ]
    for step in steps:
        result = run(store_path, *step)
        assert result.exit_code == 0, (step, result.output)
    shown = json.loads(run(store_path, "show", "NSCP/A001", "--format", "json").output)
    assert shown["record"]["status"] == "assured"
    assert shown["record"]["original_target_date"] == "2027-01-31"
    assert shown["record"]["target_date"] == "2027-02-28"
    assert {entry["by"] for entry in shown["history"]} == {"Business manager"}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("set-status", "DEMO-SCP/A005", "assured"), 1, "lifecycle.transition"),
        (("set-status", "DEMO-SCP/A005", "completed"), 1,
         "gate.completed-needs-completion-evidence"),
        (("set-status", "DEMO-SCP/A008", "completed"), 1,
         "gate.completed-needs-completion-evidence"),
        (("set-status", "DEMO-SCP/A003", "assured"), 1, "gate.assured-needs-decision"),
        (("set-status", "DEMO-SCP/A008", "on_hold"), 1, "gate.on-hold-needs-reason"),
        (("set-status", "DEMO-SCP/A008", "superseded", "--successor", "DEMO-SCP/A404"), 2,
         "no action with id 'DEMO-SCP/A404'"),
        (("revise-target", "DEMO-SCP/A008", "2027-12-01", "--reason", " "), 1,
         "needs a reason"),
        (("assure", "DEMO-SCP/A003", "--outcome", "accepted", "--decided-by",
          "Head of Safeguarding, children's services (demo)", "--body", "Subgroup", "--seen",
          "x"), 1, "someone other than the lead officer"),
        (("set-status", "DEMO-SCP/A008", "agreed", "--expect-version", "1"), 1, "conflict"),
        (("add-action", "--recommendation", "DEMO-SCP/CSPR-ALEX/R1", "--agency", "NOPE",
          "--title", "x", "--target", "2027-01-01"), 2, "no agency with id 'NOPE'"),
        (("add-action", "--recommendation", "DEMO-SCP/CSPR-ALEX/R1", "--agency", "DEMO-CC",
          "--title", "x", "--target", "31/01/2027"), 2, "not a date as YYYY-MM-DD"),
        (("add-action", "--recommendation", "DEMO-SCP/CSPR-ALEX/R1", "--agency", "DEMO-CC",
          "--title", "x", "--target", "2027-02-29"), 2,
         "'2027-02-29' is not a real day: February 2027 has 28 days"),
        (("set-status", "DEMO-SCP/A008", "finished"), 2, "Invalid value"),
        (("add-agency", "DEMO-CC", "--name", "Again"), 1, "already exists"),
        (("add-agency", "bad id!", "--name", "x"), 2, "must start with a letter or digit"),
        (("set-status", "DEMO-SCP/A008", "agreed", "--expect-version", "0"), 2,
         "Invalid value"),
        (("assure", "DEMO-SCP/A003", "--outcome", "accepted", "--decided-by", " ",
          "--body", "Subgroup", "--seen", "x"), 1, "decision.needs-who-body-seen"),
        (("assure", "DEMO-SCP/A003", "--outcome", "accepted", "--decided-by", "Chair",
          "--body", "Subgroup", "--seen", "x", "--on", "2026-12-25"), 1,
         "decision.future-date"),
        (("set-status", "DEMO-SCP/A001", "reopened"), 1, "gate.reopened-needs-reason"),
        (("rename-agency", "DEMO-CC", "--name", " ", "--reason", "x"), 1, "agency.rename"),
    ],
)
def test_refusals_give_exit_code_and_message_and_change_nothing(
    demo_store: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    """A refused or malformed change exits 1 or 2 with a message and leaves the store as it was."""
    before = digest(demo_store)
    result = run(demo_store, *args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert digest(demo_store) == before


def test_corrupt_store_is_exit_2_with_message(store_path: Path) -> None:
    """A truncated store file gives exit 2 and a message naming the file, not a traceback."""
    store_path.write_text('{"_meta": {"store": {"schema_version": 1,')
    result = run(store_path, "list")
    assert result.exit_code == 2
    assert "plan.json is not valid JSON" in result.output
    assert store_path.read_text() == '{"_meta": {"store": {"schema_version": 1,'


def test_an_sqlite_store_works_from_the_command_line(tmp_path: Path) -> None:
    """--store sqlite:///plan.db: the demo loads and lists as it does on the file store."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    runner = CliRunner()
    env = {"ACTIONTRACK_NOW": NOW, "ACTIONTRACK_USER": "Business manager"}
    assert runner.invoke(cli, ["--store", url, "demo"], env=env).exit_code == 0
    listed = runner.invoke(cli, ["--store", url, "list", "--overdue", "--format", "json"],
                           env=env)
    assert [row["id"] for row in json.loads(listed.output)] == [
        "DEMO-SCP/A002", "DEMO-SCP/A006"]


def test_an_unknown_store_url_is_exit_2() -> None:
    """A URL no backend knows is a clear exit-2 message."""
    result = CliRunner().invoke(cli, ["--store", "ftp://host/plan", "list"])
    assert result.exit_code == 2
    assert "cannot tell which store" in result.output


def test_installed_command_runs_in_a_real_process(tmp_path: Path) -> None:
    """The console script runs as a process: demo then list, with real exit codes."""
    store = tmp_path / "plan.json"
    command = [sys.executable, "-m", "actiontrack", "--store", str(store)]
    demo = subprocess.run([*command, "demo"], capture_output=True, text=True, check=False)
    assert demo.returncode == 0, demo.stderr
    refused = subprocess.run([*command, "set-status", "DEMO-SCP/A005", "embedded"],
                             capture_output=True, text=True, check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith("actiontrack: refused:")


def test_blank_by_is_bad_usage(demo_store: Path) -> None:
    """A blank --by is exit 2 with a message, not a traceback, and nothing is written."""
    before = digest(demo_store)
    result = run(demo_store, "add-agency", "NEW", "--name", "New agency", "--by", "  ")
    assert result.exit_code == 2
    assert "say who is making the change" in result.output
    assert digest(demo_store) == before


def test_show_asks_which_kind_when_two_kinds_share_an_id(store_path: Path) -> None:
    """An id used by a partnership and an agency needs --kind; with it, show finds the one."""
    assert run(store_path, "init", "--partnership", "NSCP", "--name", "North SCP", "--kind",
               "children").exit_code == 0
    assert run(store_path, "add-agency", "NSCP", "--name", "North SCP office").exit_code == 0
    ambiguous = run(store_path, "show", "NSCP")
    assert ambiguous.exit_code == 2
    assert "--kind" in ambiguous.output
    agency = run(store_path, "show", "NSCP", "--kind", "agencies", "--format", "json")
    assert json.loads(agency.output)["kind"] == "agencies"


def test_as_of_ends_the_day_in_uk_time(store_path: Path) -> None:
    """A change at 00:30 UK summer time (23:30 UTC the day before) belongs to its UK day."""
    runner = CliRunner()
    env = {"ACTIONTRACK_USER": "Business manager"}
    steps = [
        ("2026-07-01T09:00:00+00:00", ["init", "--partnership", "NSCP", "--name", "North",
                                       "--kind", "children"]),
        ("2026-07-01T09:00:00+00:00", ["add-agency", "POL", "--name", "Police"]),
        ("2026-07-01T09:00:00+00:00", ["add-review", "--partnership", "NSCP", "--reference",
                                       "R", "--kind", "lcspr", "--title", "T"]),
        ("2026-07-01T09:00:00+00:00", ["add-recommendation", "--review", "NSCP/R", "--text",
                                       "x", "--response", "accepted"]),
        ("2026-07-01T09:00:00+00:00", ["add-action", "--recommendation", "NSCP/R/R1",
                                       "--agency", "POL", "--title", "A", "--target",
                                       "2026-12-31"]),
        ("2026-07-14T23:30:00+00:00", ["set-status", "NSCP/A001", "agreed"]),
    ]
    for now, args in steps:
        result = runner.invoke(cli, ["--store", str(store_path), *args],
                               env=env | {"ACTIONTRACK_NOW": now})
        assert result.exit_code == 0, result.output

    def status_on(day: str) -> str:
        result = run(store_path, "list", "--as-of", day, "--format", "json")
        return str(json.loads(result.output)[0]["status"])

    assert status_on("2026-07-14") == "proposed"
    assert status_on("2026-07-15") == "agreed"


def test_locked_store_is_refused_with_exit_1(store_path: Path) -> None:
    """While another process holds the lock past the timeout, a change exits 1, nothing written."""
    assert run(store_path, "init", "--partnership", "NSCP", "--name", "North", "--kind",
               "children").exit_code == 0
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\n"
         "fd = os.open(sys.argv[1], os.O_RDWR)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\n"
         "print('locked', flush=True)\n"
         "time.sleep(30)\n",
         str(store_path) + ".lock"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        before = digest(store_path)
        result = subprocess.run(
            [sys.executable, "-m", "actiontrack", "--store", str(store_path),
             "--lock-timeout", "0.2", "add-agency", "ICB", "--name", "ICB"],
            capture_output=True, text=True, check=False,
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1, result.stderr
    assert "locked by another process" in result.stderr
    assert digest(store_path) == before


def test_reading_a_missing_store_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    """list and show on a path with no store exit 2 with advice, and leave no file behind."""
    missing = tmp_path / "typo.json"
    for args in (("list",), ("show", "X")):
        result = run(missing, *args)
        assert result.exit_code == 2
        assert f"no store at {missing}; create one with `actiontrack init`" in result.output
        assert "actiontrack demo" in result.output
    assert list(tmp_path.iterdir()) == []


def test_show_json_gives_an_action_its_rag(demo_store: Path) -> None:
    """show --format json includes the derived RAG of an action, as list does."""
    result = run(demo_store, "show", "DEMO-SCP/A004", "--format", "json")
    assert json.loads(result.output)["record"]["rag"] == "amber"


def test_a_lost_plan_json_points_to_the_backup_not_to_a_new_store(demo_store: Path) -> None:
    """With plan.json gone but its history there, list says to restore it, and demo refuses."""
    demo_store.unlink()
    listed = run(demo_store, "list")
    assert listed.exit_code == 2
    assert "from a backup" in listed.output
    assert "actiontrack demo" not in listed.output
    assert run(demo_store, "demo").exit_code == 2
    assert not demo_store.exists()


def test_report_writes_markdown_and_a_workbook(demo_store: Path, tmp_path: Path) -> None:
    """report FILE.md and FILE.xlsx write the committee report as of the day asked."""
    markdown, workbook = tmp_path / "committee.md", tmp_path / "committee.xlsx"
    first = run(demo_store, "report", str(markdown), "--as-of", "2026-03-31")
    assert first.exit_code == 0, first.output
    assert "**As of 31 March 2026.**" in markdown.read_text()
    second = run(demo_store, "report", str(workbook), "--review", "DEMO-SCP/CSPR-ALEX")
    assert second.exit_code == 0, second.output
    from openpyxl import load_workbook

    assert "Dashboard" in load_workbook(workbook).sheetnames


def test_report_lists_only_recurring_themes_as_recurring(demo_store: Path,
                                                          tmp_path: Path) -> None:
    """The report's recurring themes are those of several reviews; the others are apart."""
    markdown, workbook = tmp_path / "committee.md", tmp_path / "committee.xlsx"
    for path in (markdown, workbook):
        assert run(demo_store, "report", str(path)).exit_code == 0
    text = markdown.read_text(encoding="utf-8")
    section = text.split("## Themes across reviews\n")[1].split("\n## ")[0]
    recurring, _, single = section.partition("### Themes of one review only")

    def themes(part: str) -> dict[str, str]:
        """Each table row's theme and its second cell (reviews, or recommendations)."""
        rows = [line.split(" | ") for line in part.splitlines()
                if line.startswith("| ") and not line.startswith("| Theme |")]
        return {row[0].removeprefix("| "): row[1] for row in rows}

    assert themes(recurring) == {"fathers-and-male-carers": "3", "information-sharing": "2",
                                 "pre-birth-risk": "2"}
    assert "thresholds" in themes(single)
    assert not set(themes(single)) & set(themes(recurring))
    sheet = load_workbook(workbook)["Themes"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    recurs = {row[0]: row[header.index("Recurs")] for row in rows[1:]}
    assert {theme for theme, says in recurs.items() if says == "yes"} == set(themes(recurring))
    assert set(recurs) == set(themes(recurring)) | set(themes(single))


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_first_and_last_days_of_the_calendar_are_answered(
    demo_store: Path, tmp_path: Path, day: str
) -> None:
    """list, audit and report --as-of 0001-01-01 or 9999-12-31 answer, never an unexpected error."""
    for args in (["list"], ["audit"], ["report", str(tmp_path / "committee.md")],
                 ["report", str(tmp_path / "committee.xlsx")]):
        result = run(demo_store, *args, "--as-of", day)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args, result.exception)
        assert result.exit_code in (0, 1), (args, result.output)  # audit: 1 with findings
    markdown = (tmp_path / "committee.md").read_text(encoding="utf-8")
    trend = markdown.split("| At the end of | Open actions |")[1]
    expected = "| 1 January 1 | 0 |" if day == "0001-01-01" else "| 31 December 9999 | 6 |"
    assert expected in trend


@pytest.mark.parametrize(
    ("name", "extra", "message"),
    [("committee.odt", (), "a .md (Markdown), .xlsx (Excel), .docx (Word paper) or .pdf"),
     ("committee.md", ("--review", "DEMO-SCP/NOPE"), "no review with id 'DEMO-SCP/NOPE'")],
)
def test_report_refuses_bad_input_and_writes_nothing(
    demo_store: Path, tmp_path: Path, name: str, extra: tuple[str, ...], message: str
) -> None:
    """A file ending report cannot write, or an unknown review, exits 2 and writes no file."""
    target = tmp_path / name
    result = run(demo_store, "report", str(target), *extra)
    assert result.exit_code == 2
    assert message in result.output
    assert not target.exists()


def test_audit_and_report_are_the_same_bytes_in_separate_processes(
    demo_store: Path, tmp_path: Path
) -> None:
    """Two processes with different hash seeds print the same audit JSON and report Markdown."""
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "ACTIONTRACK_NOW": NOW}
        command = [sys.executable, "-m", "actiontrack", "--store", str(demo_store)]
        audit = subprocess.run([*command, "audit", "--format", "json", "--as-of", "2026-06-30"],
                               capture_output=True, check=False, env=env, cwd=tmp_path)
        report_path = tmp_path / f"report-{seed}.md"
        made = subprocess.run([*command, "report", str(report_path)], capture_output=True,
                              check=False, env=env, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        outputs.append((audit.returncode, audit.stdout, report_path.read_bytes()))
    assert outputs[0][0] == 1  # the demo has findings on 30 June 2026
    assert outputs[0] == outputs[1]


def test_migrate_opens_current_stores_and_refuses_newer_ones(tmp_path: Path) -> None:
    """migrate exits 0 on a store of this layout, 2 with a message on a newer one."""
    import sqlalchemy as sa

    from actiontrack.store.sql import SCHEMA_VERSION as SQL_LAYOUT

    url = f"sqlite:///{tmp_path / 'plan.db'}"
    runner = CliRunner()
    env = {"ACTIONTRACK_NOW": NOW, "ACTIONTRACK_USER": "Business manager"}
    assert runner.invoke(cli, ["--store", url, "demo"], env=env).exit_code == 0
    assert runner.invoke(cli, ["--store", url, "migrate"], env=env).exit_code == 0
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE store_meta SET value = '{SQL_LAYOUT + 1}' WHERE key = 'schema_version'")
    engine.dispose()
    newer = runner.invoke(cli, ["--store", url, "migrate"], env=env)
    assert newer.exit_code == 2
    assert "newer actiontrack" in newer.output


def test_copy_moves_a_plan_between_stores_and_refuses_a_full_one(
    demo_store: Path, tmp_path: Path
) -> None:
    """copy JSON -> SQLite verifies and reports; copying again into the full store exits 2."""
    target = f"sqlite:///{tmp_path / 'plan.db'}"
    first = CliRunner().invoke(cli, ["copy", str(demo_store), target])
    assert first.exit_code == 0, first.output
    assert "Copied 57 records and 93 history entries" in first.output
    again = CliRunner().invoke(cli, ["copy", str(demo_store), target])
    assert again.exit_code == 2
    assert "already holds a plan" in again.output
    replaced = CliRunner().invoke(cli, ["copy", str(demo_store), target, "--replace"])
    assert replaced.exit_code == 0, replaced.output


def test_store_urls_are_printed_without_their_password(demo_store: Path) -> None:
    """copy, migrate, demo and the errors about a PostgreSQL store show its password as ***."""
    runner = CliRunner()
    env = {"ACTIONTRACK_NOW": NOW, "ACTIONTRACK_USER": "Business manager"}
    with postgres_schemas(postgres_url()) as new_schema_url:
        url = new_schema_url()
        password = urlsplit(url).password
        if not password:
            pytest.skip("the test server's URL has no password to hide")
        results = [
            runner.invoke(cli, ["--store", url, "list"], env=env),  # no store there yet
            runner.invoke(cli, ["copy", str(demo_store), url]),
            runner.invoke(cli, ["copy", str(demo_store), url]),  # now it holds a plan
            runner.invoke(cli, ["--store", url, "migrate"]),
            runner.invoke(cli, ["--store", url, "demo"], env=env),
        ]
    assert [result.exit_code for result in results] == [2, 0, 2, 0, 0]
    for result in results:
        assert safe_url(url) in result.output
        assert f":{password}@" not in result.output


def test_an_agency_scoped_command_changes_only_that_agency_s_actions(tmp_path: Path) -> None:
    """--agency DEMO-POL: its own action moves; another agency's is refused with exit 1."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    runner = CliRunner()
    env = {"ACTIONTRACK_NOW": NOW, "ACTIONTRACK_USER": "Police lead"}
    assert runner.invoke(cli, ["--store", url, "demo"], env=env).exit_code == 0
    own = runner.invoke(cli, ["--store", url, "--agency", "DEMO-POL", "add-update",
                              "DEMO-SCP/A002", "Audit finished."], env=env)
    assert own.exit_code == 0, own.output
    other = runner.invoke(cli, ["--store", url, "--agency", "DEMO-POL", "add-update",
                                "DEMO-SCP/A005", "Not ours."], env=env)
    assert other.exit_code == 1
    assert "scoped to agency 'DEMO-POL'" in other.output


def test_the_audit_options_offer_what_the_audit_knows() -> None:
    """The command line names the audit's formats and severities without loading the audit."""
    from actiontrack.auditing import Severity
    from actiontrack.auditing.output import FORMATS
    from actiontrack.cli import AUDIT_FORMATS, SEVERITIES

    assert tuple(AUDIT_FORMATS) == FORMATS
    mildest_first = sorted(Severity, key=lambda severity: -severity.rank)
    assert [severity.value for severity in mildest_first] == SEVERITIES
