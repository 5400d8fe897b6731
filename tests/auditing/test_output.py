"""Audit output: JSON follows its schema, text groups by severity then rule, JUnit XML
has a test case per rule, and the xlsx keeps formula-like text as text."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from audit_plans import ACTION, RECOMMENDATION, action, plan_store, recommendation, run_audit

from actiontrack.auditing import (
    AuditConfig,
    AuditContext,
    AuditResult,
    Flag,
    Severity,
    Waiver,
    rule,
)
from actiontrack.auditing.output import to_json, to_junit, to_text, write_xlsx

AS_OF = date(2026, 4, 3)
FORMULA = '=HYPERLINK("http://example.org","click me")'


@pytest.fixture
def result() -> AuditResult:
    """Errors, warnings, an info note, a waived finding and a rule that failed."""
    @rule("test-formula", severity=Severity.INFO, description="A message like a formula")
    def formula(context: AuditContext) -> Iterator[Flag]:
        yield Flag(subject=ACTION, message=FORMULA, facts={"on": context.as_of})

    @rule("test-broken", severity=Severity.ERROR, description="Fails")
    def broken(context: AuditContext) -> Iterator[Flag]:
        raise RuntimeError("cannot read the plan")

    store = plan_store(
        action(lead_officer=None),  # overdue (error) and not SMART (warning)
        action(id="TEST-SCP/A002", title="Second", target_date=date(2026, 4, 20),
               original_target_date=date(2026, 4, 20)),  # due soon (warning)
        recommendation(id=f"{RECOMMENDATION}0", number="R10", text="No action yet"),
    )
    config = AuditConfig(waivers=(
        Waiver(rule="accepted-without-actions", subject=f"{RECOMMENDATION}0",
               reason="=SUM(A1:A9) actions to follow", by="Business manager",
               expires=date(2026, 6, 30)),
        Waiver(rule="action-overdue", subject="TEST-SCP/A009", reason="Gone",
               by="Business manager", expires=date(2026, 6, 30)),
    ), source="actiontrack.toml")
    return run_audit(store, AS_OF, config)


def test_the_example_result_has_every_part(result: AuditResult) -> None:
    """The fixture really has each severity, a waived finding and a failure."""
    assert [(f.severity.value, f.rule) for f in result.findings] == [
        ("error", "action-overdue"),
        ("warning", "action-due-soon"),
        ("warning", "not-smart"),
        ("info", "test-formula"),
        ("info", "waiver-unused"),
    ]
    assert [w.finding.rule for w in result.waived] == ["accepted-without-actions"]
    assert [f.rule for f in result.failures] == ["test-broken"]


# -- JSON -------------------------------------------------------------------------


def test_json_follows_the_schema(result: AuditResult) -> None:
    """Every documented key, in the documented shape, and nothing else."""
    data = json.loads(to_json(result))
    assert set(data) == {"schema", "as_of", "config", "rules", "summary", "findings",
                         "waived", "rule_failures"}
    assert data["schema"] == "actiontrack-audit/1"
    assert data["as_of"] == "2026-04-03"
    assert data["config"] == "actiontrack.toml"
    assert data["rules"] == sorted(data["rules"])
    assert {"action-overdue", "test-formula", "test-broken"} <= set(data["rules"])
    assert data["summary"] == {"error": 1, "warning": 2, "info": 2, "waived": 1,
                               "rule_failures": 1}
    for finding in data["findings"]:
        assert set(finding) == {"rule", "severity", "subject", "message", "facts"}
        assert finding["severity"] in {"error", "warning", "info"}
        assert isinstance(finding["facts"], dict)
    [waived] = data["waived"]
    assert set(waived) == {"finding", "waiver"}
    assert waived["waiver"] == {"rule": "accepted-without-actions",
                                "subject": f"{RECOMMENDATION}0",
                                "reason": "=SUM(A1:A9) actions to follow",
                                "by": "Business manager", "expires": "2026-06-30"}
    assert waived["finding"]["rule"] == "accepted-without-actions"
    assert data["rule_failures"] == [{"rule": "test-broken",
                                      "error": "RuntimeError: cannot read the plan"}]


def test_json_findings_are_sorted_and_facts_are_plain(result: AuditResult) -> None:
    """Findings by severity (error first), rule, subject; dates as YYYY-MM-DD."""
    findings = json.loads(to_json(result))["findings"]
    rank = {"error": 0, "warning": 1, "info": 2}
    keys = [(rank[f["severity"]], f["rule"], f["subject"], f["message"]) for f in findings]
    assert keys == sorted(keys)
    overdue = findings[0]
    assert overdue["facts"] == {"days_overdue": 3, "lead_agency_id": "TEST-CC",
                                "status": "in_progress", "target_date": "2026-03-31"}
    [formula] = [f for f in findings if f["rule"] == "test-formula"]
    assert formula["facts"] == {"on": "2026-04-03"}
    assert formula["message"] == FORMULA


# -- text -------------------------------------------------------------------------


def test_text_groups_by_severity_then_rule(result: AuditResult) -> None:
    """A summary line, then ERROR, WARNING and INFO sections, each listing rules in order."""
    lines = to_text(result).splitlines()
    assert lines[0] == ("actiontrack audit as of 3 April 2026: 1 error, 2 warnings, 2 info,"
                        " 1 waived")
    headings = [line for line in lines if line and not line.startswith(" ")]
    assert headings[1:] == ["ERROR", "WARNING", "INFO",
                            "RULES THAT FAILED (their findings are missing)"]
    rule_lines = [line.strip() for line in lines if line.startswith("  ")
                  and not line.startswith("    ")]
    assert rule_lines == [
        "action-overdue (1): An action past its current target date and not complete",
        "action-due-soon (1): An open action whose target date is near",
        "not-smart (1): An action without a named lead officer, a deliverable or a"
        " success measure",
        "test-formula (1): A message like a formula",
        "waiver-unused (1): A waiver that hides nothing any more",
        "test-broken: RuntimeError: cannot read the plan",
    ]
    overdue_at = lines.index("  action-overdue (1): An action past its current target date"
                             " and not complete")
    assert lines[overdue_at + 1].startswith(f"    {ACTION}: 3 days past its target date")


def test_text_of_a_clean_audit_says_nothing_was_found() -> None:
    """No findings and no failures: 'Nothing found.'"""
    text = to_text(run_audit(plan_store(action()), date(2026, 2, 1)))
    assert text == ("actiontrack audit as of 1 February 2026: 0 errors, 0 warnings, 0 info\n"
                    "\nNothing found.\n")


# -- JUnit XML --------------------------------------------------------------------


def _cases(xml: str) -> tuple[ElementTree.Element, dict[str, ElementTree.Element]]:
    root = ElementTree.fromstring(xml)
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    cases = {case.get("name", ""): case for case in suite.findall("testcase")}
    assert len(cases) == len(suite.findall("testcase"))  # one per rule, no repeats
    return suite, cases


def test_junit_has_one_test_case_per_rule(result: AuditResult) -> None:
    """Every rule that ran, and the waiver rules that found something, is one test case."""
    suite, cases = _cases(to_junit(result))
    expected = {spec.id for spec in result.rules} | {"waiver-unused"}
    assert set(cases) == expected
    assert suite.get("tests") == str(len(expected))
    assert suite.get("name") == "actiontrack audit as of 2026-04-03"


def test_junit_fails_rules_with_findings_at_or_above_fail_on(result: AuditResult) -> None:
    """With fail_on error only action-overdue fails; lesser findings go to system-out."""
    suite, cases = _cases(to_junit(result, Severity.ERROR))
    failed = {name for name, case in cases.items() if case.find("failure") is not None}
    assert failed == {"action-overdue"}
    assert suite.get("failures") == "1"
    failure = cases["action-overdue"].find("failure")
    assert failure is not None
    assert failure.get("type") == "error"
    assert failure.get("message") == "1 finding(s) at or above error"
    assert (failure.text or "").startswith(f"{ACTION}: 3 days past its target date")
    out = cases["not-smart"].find("system-out")
    assert out is not None
    assert out.text == f"[warning] {ACTION}: has no named lead officer"
    assert cases["recurring-theme"].find("failure") is None
    assert cases["recurring-theme"].find("system-out") is None


def test_junit_fail_on_warning_fails_more_rules(result: AuditResult) -> None:
    """With fail_on warning, the warning rules fail too; info ones still pass."""
    suite, cases = _cases(to_junit(result, Severity.WARNING))
    failed = {name for name, case in cases.items() if case.find("failure") is not None}
    assert failed == {"action-overdue", "action-due-soon", "not-smart"}
    assert suite.get("failures") == "3"


def test_junit_reports_a_failed_rule_as_an_error(result: AuditResult) -> None:
    """A rule that raised is a test case with an error element naming the error."""
    suite, cases = _cases(to_junit(result))
    error = cases["test-broken"].find("error")
    assert error is not None
    assert error.get("message") == "RuntimeError: cannot read the plan"
    assert suite.get("errors") == "1"


# -- xlsx -------------------------------------------------------------------------


def test_xlsx_has_the_findings_sheet_with_every_finding(result: AuditResult,
                                                        tmp_path: Path) -> None:
    """The workbook opens; Findings lists each finding in order; the other sheets follow."""
    path = tmp_path / "audit.xlsx"
    write_xlsx(result, path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Findings", "Waived", "Rules that failed"]
    rows = list(workbook["Findings"].iter_rows(values_only=True))
    assert rows[0] == ("severity", "rule", "subject", "message", "facts")
    assert rows[1:] == [
        (f.severity.value, f.rule, f.subject, f.message,
         json.dumps(dict(f.facts), sort_keys=True, ensure_ascii=False))
        for f in result.findings]
    waived = list(workbook["Waived"].iter_rows(values_only=True))
    assert waived[0] == ("rule", "subject", "message", "waived by", "reason", "expires")
    assert waived[1][:5] == ("accepted-without-actions", f"{RECOMMENDATION}0",
                             "is accepted but no action answers it", "Business manager",
                             "=SUM(A1:A9) actions to follow")
    assert waived[1][5] == datetime(2026, 6, 30)
    failed = list(workbook["Rules that failed"].iter_rows(values_only=True))
    assert failed == [("rule", "error"), ("test-broken", "RuntimeError: cannot read the plan")]


def test_xlsx_text_starting_with_equals_stays_text(result: AuditResult,
                                                   tmp_path: Path) -> None:
    """A message or reason starting with '=' is stored as a string, never a formula."""
    path = tmp_path / "audit.xlsx"
    write_xlsx(result, path)
    workbook = openpyxl.load_workbook(path)
    findings = workbook["Findings"]
    [cell] = [row[3] for row in findings.iter_rows(min_row=2) if row[1].value == "test-formula"]
    assert cell.value == FORMULA
    assert cell.data_type == "s"
    reason = workbook["Waived"]["E2"]
    assert reason.value == "=SUM(A1:A9) actions to follow"
    assert reason.data_type == "s"


def test_xlsx_of_a_clean_audit_has_headers_only(tmp_path: Path) -> None:
    """No findings: each sheet has its header row and nothing else."""
    path = tmp_path / "clean.xlsx"
    write_xlsx(run_audit(plan_store(action()), date(2026, 2, 1)), path)
    workbook = openpyxl.load_workbook(path)
    assert [workbook[name].max_row for name in workbook.sheetnames] == [1, 1, 1]


def test_xlsx_drops_control_characters_a_workbook_cannot_hold(tmp_path: Path) -> None:
    """A message with a pasted vertical tab, and an error with a NUL, still make a workbook."""
    @rule("test-control-characters", severity=Severity.WARNING, description="Pasted text")
    def pasted(context: AuditContext) -> Iterator[Flag]:
        yield Flag(subject=ACTION, message="line one\x0bline two")

    @rule("test-nul", severity=Severity.ERROR, description="Fails with a NUL")
    def nul(context: AuditContext) -> Iterator[Flag]:
        raise ValueError("bad\x00byte")

    path = tmp_path / "audit.xlsx"
    write_xlsx(run_audit(plan_store(action()), date(2026, 2, 1)), path)
    workbook = openpyxl.load_workbook(path)
    assert workbook["Findings"]["D2"].value == "line oneline two"
    assert workbook["Rules that failed"]["B2"].value == "ValueError: badbyte"
