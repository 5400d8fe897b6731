"""The `actiontrack audit` and `actiontrack rules` commands: exit codes, formats, --as-of,
--fail-on, --rules and the configuration file, on real TinyDB stores."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from audit_plans import action, background, put_all
from click.testing import CliRunner, Result

from actiontrack.auditing import registered_rules
from actiontrack.cli import cli
from actiontrack.domain.plan import Record
from actiontrack.store import TinyDBStore

NOW = "2026-11-26T09:00:00+00:00"

LISTING_RULES = '''\
from actiontrack.auditing import Flag, Severity, rule


@rule("test-cli.every-action", severity=Severity.INFO, description="Lists every action")
def every_action(context):
    for action_id in sorted(context.plan.actions):
        yield Flag(subject=action_id, message="is on the plan")
'''

FAILING_RULES = LISTING_RULES + '''

@rule("test-cli.fails", severity=Severity.ERROR, description="Always fails")
def fails(context):
    raise LookupError("no such agency")
'''


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty folder: no actiontrack.toml or pyproject.toml but the test's own."""
    monkeypatch.chdir(tmp_path)


def run(store: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--store", str(store), *args],
                              env={"ACTIONTRACK_NOW": NOW, "ACTIONTRACK_USER": "Tester"})


def make_store(tmp_path: Path, *records: Record, name: str = "plan.json") -> Path:
    """A TinyDB store file holding the small plan's background and ``records``."""
    path = tmp_path / name
    store = TinyDBStore(path, create=True)
    put_all(store, [*background(), *records])
    store.close()
    return path


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    """A plan that is clean on 1 February 2026."""
    return make_store(tmp_path, action(), name="clean.json")


@pytest.fixture
def warnings_only(tmp_path: Path) -> Path:
    """On 1 February 2026 the only finding is a warning: due in 14 days."""
    return make_store(tmp_path, action(target_date=date(2026, 2, 15)), name="warn.json")


@pytest.fixture
def overdue(tmp_path: Path) -> Path:
    """On 1 February 2026 the action is overdue: an error."""
    return make_store(tmp_path, action(target_date=date(2026, 1, 31)), name="overdue.json")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.json"
    assert run(path, "demo").exit_code == 0
    return path


# -- exit codes -------------------------------------------------------------------


def test_a_clean_plan_exits_0(clean: Path) -> None:
    """Nothing found: exit 0 and 'Nothing found.'"""
    result = run(clean, "audit", "--as-of", "2026-02-01")
    assert result.exit_code == 0, result.output
    assert "Nothing found." in result.stdout


def test_findings_exit_1(overdue: Path) -> None:
    """An error finding at the default fail_on (error): exit 1, the finding printed."""
    result = run(overdue, "audit", "--as-of", "2026-02-01")
    assert result.exit_code == 1, result.output
    assert "action-overdue (1)" in result.stdout


def test_findings_below_fail_on_exit_0(warnings_only: Path) -> None:
    """Only a warning: exit 0 by default, 1 with --fail-on warning or info."""
    assert run(warnings_only, "audit", "--as-of", "2026-02-01").exit_code == 0
    for level in ("warning", "info"):
        result = run(warnings_only, "audit", "--as-of", "2026-02-01", "--fail-on", level)
        assert result.exit_code == 1, result.output
    assert run(warnings_only, "audit", "--as-of", "2026-02-01",
               "--fail-on", "error").exit_code == 0


def test_fail_on_comes_from_the_configuration(warnings_only: Path, tmp_path: Path) -> None:
    """fail_on = "warning" in actiontrack.toml makes the warning fail; --fail-on overrides it."""
    (tmp_path / "actiontrack.toml").write_text("[audit]\nfail_on = 'warning'\n")
    result = run(warnings_only, "audit", "--as-of", "2026-02-01", "--format", "json")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["config"] == str(tmp_path / "actiontrack.toml")
    assert run(warnings_only, "audit", "--as-of", "2026-02-01",
               "--fail-on", "error").exit_code == 0


def test_the_configuration_in_pyproject_is_used(overdue: Path, tmp_path: Path) -> None:
    """[tool.actiontrack.audit] in pyproject.toml disables a rule: the audit passes."""
    (tmp_path / "pyproject.toml").write_text(
        "[tool.actiontrack.audit]\ndisabled = ['action-overdue']\n")
    result = run(overdue, "audit", "--as-of", "2026-02-01")
    assert result.exit_code == 0, result.output


def test_a_bad_configuration_exits_2_naming_file_and_key(overdue: Path, tmp_path: Path) -> None:
    """An unknown rule id in actiontrack.toml: exit 2, one line naming the file and the key."""
    (tmp_path / "actiontrack.toml").write_text("[audit]\ndisabled = ['action-overdeu']\n")
    result = run(overdue, "audit", "--as-of", "2026-02-01")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"actiontrack: {tmp_path / 'actiontrack.toml'}: disabled: no rule"
                             " has the id 'action-overdeu'\n")


def test_a_configuration_given_with_config_is_used(overdue: Path, tmp_path: Path) -> None:
    """--config names the file; bad TOML there is exit 2 naming it."""
    good = tmp_path / "audit.toml"
    good.write_text("[audit.severity]\naction-overdue = 'warning'\n")
    assert run(overdue, "audit", "--as-of", "2026-02-01", "--config", str(good)).exit_code == 0
    bad = tmp_path / "broken.toml"
    bad.write_text("[audit\n")
    result = run(overdue, "audit", "--as-of", "2026-02-01", "--config", str(bad))
    assert result.exit_code == 2
    assert f"{bad}: not valid TOML" in result.stderr


def test_a_failing_rule_exits_2_and_the_others_still_report(overdue: Path,
                                                             tmp_path: Path) -> None:
    """A rule that raises: its error on stderr, the other findings on stdout, exit 2."""
    rules = tmp_path / "rules.py"
    rules.write_text(FAILING_RULES)
    result = run(overdue, "audit", "--as-of", "2026-02-01", "--rules", str(rules),
                 "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert {f["rule"] for f in data["findings"]} == {"action-overdue", "test-cli.every-action"}
    assert data["rule_failures"] == [{"rule": "test-cli.fails",
                                      "error": "LookupError: no such agency"}]
    assert result.stderr == "actiontrack: rule test-cli.fails failed: LookupError: no such agency\n"


def test_a_bad_rules_file_exits_2(clean: Path, tmp_path: Path) -> None:
    """A rules file that fails to import: exit 2, naming the file."""
    rules = tmp_path / "rules.py"
    rules.write_text("import actiontrack_no_such_module\n")
    result = run(clean, "audit", "--rules", str(rules))
    assert result.exit_code == 2
    assert f"{rules}: the rules file failed to load" in result.stderr


def test_a_missing_store_exits_2_and_creates_nothing(tmp_path: Path) -> None:
    """Auditing a store that does not exist is exit 2, and no store file appears."""
    missing = tmp_path / "missing.json"
    result = run(missing, "audit")
    assert result.exit_code == 2
    assert "check --store" in result.stderr
    assert not missing.exists()


def test_xlsx_without_output_exits_2(clean: Path) -> None:
    """--format xlsx needs --output: a usage error, exit 2."""
    result = run(clean, "audit", "--format", "xlsx")
    assert result.exit_code == 2
    assert "--format xlsx needs --output" in result.output


# -- formats and files ------------------------------------------------------------


def test_json_output_to_a_file(overdue: Path, tmp_path: Path) -> None:
    """--format json --output writes the file and prints nothing; exit code as usual."""
    out = tmp_path / "audit.json"
    result = run(overdue, "audit", "--as-of", "2026-02-01", "--format", "json",
                 "--output", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["as_of"] == "2026-02-01"
    assert [f["rule"] for f in data["findings"]] == ["action-overdue"]


def test_junit_output_to_a_file(overdue: Path, tmp_path: Path) -> None:
    """--format junit --output writes parseable XML; --fail-on decides what fails."""
    out = tmp_path / "audit.xml"
    result = run(overdue, "audit", "--as-of", "2026-02-01", "--format", "junit",
                 "--output", str(out))
    assert result.exit_code == 1
    suite = ElementTree.parse(out).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "1"
    assert len(suite.findall("testcase")) == len(registered_rules())


def test_xlsx_output_to_a_file(overdue: Path, tmp_path: Path) -> None:
    """--format xlsx --output writes a workbook with the findings."""
    out = tmp_path / "audit.xlsx"
    result = run(overdue, "audit", "--as-of", "2026-02-01", "--format", "xlsx",
                 "--output", str(out))
    assert result.exit_code == 1, result.output
    rows = list(openpyxl.load_workbook(out)["Findings"].iter_rows(values_only=True))
    assert [row[:3] for row in rows[1:]] == [("error", "action-overdue", "TEST-SCP/A001")]


def test_two_runs_print_the_same_bytes(demo: Path) -> None:
    """The same store and day give byte-identical JSON from two separate runs."""
    first = run(demo, "audit", "--format", "json")
    second = run(demo, "audit", "--format", "json")
    assert first.stdout_bytes == second.stdout_bytes
    assert first.stdout_bytes


# -- the demo, today and as of a past day -----------------------------------------


def test_the_demo_audit_today(demo: Path) -> None:
    """The demo as of $ACTIONTRACK_NOW (26 November 2026): the findings it is built to show."""
    result = run(demo, "audit", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["as_of"] == "2026-11-26"
    assert [(f["severity"], f["rule"], f["subject"]) for f in data["findings"]] == [
        ("error", "action-overdue", "DEMO-SCP/A002"),
        ("error", "action-overdue", "DEMO-SCP/A006"),
        ("error", "publication-clock", "DEMO-SCP/CSPR-CHARLIE"),
        ("warning", "action-due-soon", "DEMO-SCP/A004"),
        ("warning", "measure-not-measured", "DEMO-SCP/A006/M1"),
        ("warning", "measure-wrong-way", "DEMO-SCP/A001/M1"),
        ("warning", "measure-wrong-way", "DEMO-SCP/A006/M1"),
        ("warning", "no-recent-update", "DEMO-SCP/A005"),
        ("warning", "no-recent-update", "DEMO-SCP/A006"),
        ("warning", "recurring-theme", "DEMO-SCP/CSPR-CHARLIE/R5"),
        ("warning", "target-drift", "DEMO-SCP/A002"),
        ("warning", "target-drift", "DEMO-SCP/A006"),
    ]


def test_as_of_audits_the_plan_as_it_stood(demo: Path) -> None:
    """--as-of 2025-11-30: only what existed then, judged on that day."""
    result = run(demo, "audit", "--as-of", "2025-11-30", "--format", "json")
    data = json.loads(result.stdout)
    assert data["as_of"] == "2025-11-30"
    subjects = {f["subject"] for f in data["findings"]}
    # Actions A005-A008 and A010 were added on 1 December 2025: not there yet, so Child
    # Charlie's accepted recommendations had no action answering them.
    assert not subjects & {"DEMO-SCP/A005", "DEMO-SCP/A006", "DEMO-SCP/A007",
                           "DEMO-SCP/A008", "DEMO-SCP/A010"}
    unanswered = [f["subject"] for f in data["findings"]
                  if f["rule"] == "accepted-without-actions"]
    assert unanswered == [f"DEMO-SCP/CSPR-CHARLIE/R{n}" for n in range(1, 6)]
    assert data != json.loads(run(demo, "audit", "--format", "json").stdout)


def test_rules_file_findings_appear_in_the_audit(clean: Path, tmp_path: Path) -> None:
    """--rules FILE adds the file's rules to the audit."""
    rules = tmp_path / "rules.py"
    rules.write_text(LISTING_RULES)
    result = run(clean, "audit", "--as-of", "2026-02-01", "--rules", str(rules))
    assert result.exit_code == 0, result.output
    assert "test-cli.every-action (1): Lists every action" in result.stdout
    assert "TEST-SCP/A001: is on the plan" in result.stdout


# -- actiontrack rules ------------------------------------------------------------


def test_rules_lists_every_rule_id(tmp_path: Path) -> None:
    """`actiontrack rules` shows each registered rule's id, severity and description."""
    result = run(tmp_path / "unused.json", "rules")
    assert result.exit_code == 0, result.output
    for spec in registered_rules():
        assert spec.id in result.stdout
    assert "update_stale_days=90" in result.stdout
    assert not (tmp_path / "unused.json").exists()


def test_rules_lists_the_rules_of_a_rules_file(tmp_path: Path) -> None:
    """`actiontrack rules --rules FILE` adds the file's rules to the list."""
    rules = tmp_path / "rules.py"
    rules.write_text(FAILING_RULES)
    result = run(tmp_path / "unused.json", "rules", "--rules", str(rules))
    assert result.exit_code == 0, result.output
    assert "test-cli.fails" in result.stdout
    assert "test-cli.every-action" in result.stdout
