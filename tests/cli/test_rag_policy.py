"""One RAG policy from the configuration: list, show, export, report and audit agree.

The demo is loaded on 26 November 2026 and looked at on 1 March 2027, when
DEMO-SCP/A005 (agreed, due 25 April 2027, never moved) is 55 days from its
target: green under the default 28 days, amber under a policy of 60.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from python_calamine import CalamineWorkbook

from actiontrack.cli import cli
from actiontrack.excel import layout

LOADED = "2026-11-26T09:00:00+00:00"
NOW = "2027-03-01T09:00:00+00:00"
ACTION = "DEMO-SCP/A005"
SIXTY_DAYS = "[rag]\ndue_soon_days = 60\n"


def run(folder: Path, *args: str, now: str = NOW) -> Result:
    return CliRunner().invoke(cli, ["--store", str(folder / "plan.json"), *args],
                              env={"ACTIONTRACK_NOW": now, "ACTIONTRACK_USER": "Tester"})


def digest(folder: Path) -> str:
    """Every byte of the store's files, to show that nothing was written."""
    return hashlib.sha256(b"".join(
        path.name.encode() + path.read_bytes() for path in sorted(folder.glob("plan*"))
        if not path.name.endswith(".lock"))).hexdigest()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo in plan.json, in the current folder (with no configuration file yet)."""
    monkeypatch.chdir(tmp_path)
    assert run(tmp_path, "demo", now=LOADED).exit_code == 0
    return tmp_path


def rag_everywhere(folder: Path, *config: str) -> dict[str, object]:
    """ACTION's RAG as list, show, the workbook and the report give it, and the audit's view."""
    listed = run(folder, "list", "--format", "json", *config)
    shown = run(folder, "show", ACTION, "--format", "json", *config)
    exported = run(folder, "export", "plan.xlsx", *config)
    reported = run(folder, "report", "committee.md", *config)
    audited = run(folder, "audit", "--format", "json", *config)
    for result in (listed, shown, exported, reported):
        assert result.exit_code == 0, result.output
    assert audited.exit_code == 1, audited.output  # the demo has overdue actions
    rows = CalamineWorkbook.from_path(str(folder / "plan.xlsx")).get_sheet_by_name(
        layout.ACTIONS).to_python()
    column = rows[0].index("RAG")
    [row] = [r for r in rows if r[0] == ACTION]
    [line] = [line for line in (folder / "committee.md").read_text().splitlines()
              if line.startswith(f"| {ACTION} |")]
    return {
        "list": next(r["rag"] for r in json.loads(listed.stdout) if r["id"] == ACTION),
        "show": json.loads(shown.stdout)["record"]["rag"],
        "workbook": str(row[column]).lower(),  # the workbook shows its label: Amber
        "report": line.split(" | ")[4],
        "flagged due soon": any(f["rule"] == "action-due-soon" and f["subject"] == ACTION
                                for f in json.loads(audited.stdout)["findings"]),
    }


@pytest.mark.parametrize("where", ["actiontrack.toml", "pyproject.toml", "--config"])
def test_a_60_day_policy_makes_the_action_amber_everywhere(folder: Path, where: str) -> None:
    """[rag] due_soon_days = 60: amber in list, show, workbook and report, and flagged."""
    config: tuple[str, ...] = ()
    if where == "actiontrack.toml":
        (folder / where).write_text(SIXTY_DAYS)
    elif where == "pyproject.toml":
        (folder / where).write_text("[project]\nname = 'x'\n\n"
                                    + SIXTY_DAYS.replace("[rag]", "[tool.actiontrack.rag]"))
    else:
        elsewhere = folder / "settings" / "partnership.toml"
        elsewhere.parent.mkdir()
        elsewhere.write_text(SIXTY_DAYS)
        config = ("--config", str(elsewhere))
    assert rag_everywhere(folder, *config) == {
        "list": "amber", "show": "amber", "workbook": "amber", "report": "amber",
        "flagged due soon": True,
    }
    header = openpyxl.load_workbook(folder / "plan.xlsx")[layout.ACTIONS][1]
    [note] = [cell.comment.text for cell in header if cell.value == "RAG"]
    assert "Amber: due within 60 days" in note


def test_without_a_configuration_the_action_is_green_everywhere(folder: Path) -> None:
    """No configuration: the default 28 days, so green everywhere and not flagged."""
    assert rag_everywhere(folder) == {
        "list": "green", "show": "green", "workbook": "green", "report": "green",
        "flagged due soon": False,
    }


def test_list_due_soon_days_overrides_the_configuration(folder: Path) -> None:
    """--due-soon-days 28 under a 60-day policy: green again, for that listing only."""
    (folder / "actiontrack.toml").write_text(SIXTY_DAYS)
    result = run(folder, "list", "--format", "json", "--due-soon-days", "28")
    assert result.exit_code == 0, result.output
    assert next(r["rag"] for r in json.loads(result.stdout) if r["id"] == ACTION) == "green"


@pytest.mark.parametrize("value", ["4000", "-1"])
def test_a_bad_value_gets_the_same_words_from_the_file_and_the_option(folder: Path,
                                                                     value: str) -> None:
    """A bad [rag] due_soon_days and a bad --due-soon-days: the same check, exit 2, no write."""
    before = digest(folder)
    problem = f"must be a whole number from 0 to 3650, not {value}"
    from_option = run(folder, "list", "--due-soon-days", value)
    assert from_option.exit_code == 2
    assert from_option.stderr == f"actiontrack: --due-soon-days: {problem}\n"
    path = folder / "actiontrack.toml"
    path.write_text(f"[rag]\ndue_soon_days = {value}\n")
    from_file = run(folder, "list")
    assert from_file.exit_code == 2
    assert from_file.stderr == f"actiontrack: {path}: $.rag.due_soon_days: {problem}\n"
    assert digest(folder) == before


@pytest.mark.parametrize("command", [
    ("demo",), ("list",), ("show", ACTION), ("export", "plan.xlsx"),
    ("report", "committee.md"), ("audit",),
])
def test_every_command_refuses_a_bad_policy_and_writes_nothing(folder: Path,
                                                               command: tuple[str, ...]) -> None:
    """demo, list, show, export, report and audit all check [rag]: exit 2, no file written."""
    path = folder / "actiontrack.toml"
    path.write_text("[rag]\ndue_soon_days = 4000\n")
    before = digest(folder)
    result = run(folder, *command)
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"actiontrack: {path}: $.rag.due_soon_days: must be a whole"
                             " number from 0 to 3650, not 4000\n")
    assert digest(folder) == before
    assert not (folder / "plan.xlsx").exists()
    assert not (folder / "committee.md").exists()


def test_due_soon_days_under_audit_thresholds_is_refused(folder: Path) -> None:
    """The old [audit.thresholds] due_soon_days stops audit and list, pointing at [rag]."""
    path = folder / "actiontrack.toml"
    path.write_text("[audit.thresholds]\ndue_soon_days = 60\n")
    for command in (("audit",), ("list",)):
        result = run(folder, *command)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"actiontrack: {path}: $.audit.thresholds.due_soon_days:"
                                        " not an audit threshold any more: set due_soon_days"
                                        " under [rag]")
