"""Audit results as text (people at a terminal), JSON (scripts), JUnit XML (schedulers
and CI dashboards) and xlsx (people with a spreadsheet).

Text, JSON and JUnit are deterministic: the same result gives the same
bytes. (An xlsx file also records when it was written.)

JSON schema (``"schema": "actiontrack-audit/1"``)::

    {
      "schema": "actiontrack-audit/1",
      "as_of": "YYYY-MM-DD",
      "config": "<where the configuration came from, or 'defaults'>",
      "rules": ["<rule id>", ...],                  # the rules that ran, sorted
      "summary": {"error": n, "warning": n, "info": n, "waived": n, "rule_failures": n},
      "findings": [{"rule", "severity", "subject", "message", "facts": {...}}, ...],
      "waived": [{"finding": {...}, "waiver": {"rule", "subject", "reason", "by",
                                              "expires"}}, ...],
      "rule_failures": [{"rule", "error"}, ...]
    }

Findings are sorted by severity (error first), rule, subject and message.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path
from typing import Any

from actiontrack import convert
from actiontrack.auditing.config import WAIVER_RULES
from actiontrack.auditing.findings import Finding, Severity
from actiontrack.auditing.runner import AuditResult
from actiontrack.formatting import long_date

__all__ = ["FORMATS", "to_json", "to_junit", "to_text", "write_xlsx"]

SCHEMA = "actiontrack-audit/1"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMATS = ("text", "json", "junit", "xlsx")


def _finding(finding: Finding) -> dict[str, Any]:
    return {"rule": finding.rule, "severity": finding.severity.value,
            "subject": finding.subject, "message": finding.message,
            "facts": dict(finding.facts)}


def to_json(result: AuditResult) -> str:
    data = {
        "schema": SCHEMA,
        "as_of": result.as_of.isoformat(),
        "config": result.config_source,
        "rules": sorted(spec.id for spec in result.rules),
        "summary": {
            **{severity.value: result.count(severity) for severity in Severity},
            "waived": len(result.waived),
            "rule_failures": len(result.failures),
        },
        "findings": [_finding(f) for f in result.findings],
        "waived": [{"finding": _finding(w.finding), "waiver": convert.unstructure(w.waiver)}
                   for w in result.waived],
        "rule_failures": [{"rule": f.rule, "error": f.error} for f in result.failures],
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _summary(result: AuditResult) -> str:
    parts = [f"{result.count(s)} {s.value}{'s' if result.count(s) != 1 and s != s.INFO else ''}"
             for s in Severity]
    extra = f", {len(result.waived)} waived" if result.waived else ""
    return f"{', '.join(parts)}{extra}"


def to_text(result: AuditResult) -> str:
    """Grouped by severity, then rule; readable in a terminal."""
    descriptions = {spec.id: spec.description for spec in result.rules} | WAIVER_RULES
    lines = [f"actiontrack audit as of {long_date(result.as_of)}: {_summary(result)}"]
    by_severity: dict[Severity, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in result.findings:
        by_severity[finding.severity][finding.rule].append(finding)
    for severity in Severity:
        if severity not in by_severity:
            continue
        lines += ["", severity.value.upper()]
        for rule_id in sorted(by_severity[severity]):
            found = by_severity[severity][rule_id]
            lines.append(f"  {rule_id} ({len(found)}): {descriptions.get(rule_id, '')}".rstrip())
            lines += [f"    {f.subject}: {f.message}" for f in found]
    if result.failures:
        lines += ["", "RULES THAT FAILED (their findings are missing)"]
        lines += [f"  {f.rule}: {f.error}" for f in result.failures]
    if not result.findings and not result.failures:
        lines += ["", "Nothing found."]
    return "\n".join(lines) + "\n"


def to_junit(result: AuditResult, fail_on: Severity = Severity.ERROR) -> str:
    """One test case per rule: failed when it found anything at or above ``fail_on``."""
    found: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        found[finding.rule].append(finding)
    failed_rules = {f.rule: f for f in result.failures}
    rule_ids = sorted({spec.id for spec in result.rules} | set(found))
    failures = sum(1 for r in rule_ids if any(f.severity.at_least(fail_on) for f in found[r]))
    suites = ElementTree.Element("testsuites", name="actiontrack audit")
    suite = ElementTree.SubElement(
        suites, "testsuite", name=f"actiontrack audit as of {result.as_of.isoformat()}",
        tests=str(len(rule_ids)), failures=str(failures), errors=str(len(failed_rules)),
        skipped="0",
    )
    for rule_id in rule_ids:
        case = ElementTree.SubElement(suite, "testcase", classname="actiontrack.audit",
                                      name=rule_id)
        if rule_id in failed_rules:
            ElementTree.SubElement(case, "error", message=failed_rules[rule_id].error)
            continue
        serious = [f for f in found[rule_id] if f.severity.at_least(fail_on)]
        if serious:
            failure = ElementTree.SubElement(
                case, "failure", type=serious[0].severity.value,
                message=f"{len(serious)} finding(s) at or above {fail_on.value}",
            )
            failure.text = "\n".join(f"{f.subject}: {f.message}" for f in serious)
        lesser = [f for f in found[rule_id] if not f.severity.at_least(fail_on)]
        if lesser:
            ElementTree.SubElement(case, "system-out").text = "\n".join(
                f"[{f.severity.value}] {f.subject}: {f.message}" for f in lesser)
    ElementTree.indent(suites)
    xml = ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
    return _XML_ILLEGAL.sub("", xml)  # control characters pasted into plan text


def write_xlsx(result: AuditResult, path: Path) -> None:
    """Findings, waived findings and failed rules on sheets, with filters and frozen headers.

    Control characters, which a workbook cannot hold, are dropped from the text.
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        ("Findings", ["severity", "rule", "subject", "message", "facts"],
         [[f.severity.value, f.rule, f.subject, f.message, _facts(f)] for f in result.findings]),
        ("Waived", ["rule", "subject", "message", "waived by", "reason", "expires"],
         [[w.finding.rule, w.finding.subject, w.finding.message, w.waiver.by, w.waiver.reason,
           w.waiver.expires] for w in result.waived]),
        ("Rules that failed", ["rule", "error"],
         [[f.rule, f.error] for f in result.failures]),
    ]
    widths = {"severity": 10, "rule": 26, "subject": 28, "message": 80, "facts": 60,
              "waived by": 24, "reason": 50, "expires": 12, "error": 80}
    for index, (title, header, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        assert sheet is not None
        sheet.title = title
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row_number, row in enumerate(rows, start=2):
            for column, value in enumerate(row, start=1):
                if isinstance(value, str):
                    # A workbook cannot hold control characters (a line break pasted
                    # from Word is \x0b): drop them rather than fail to write the file.
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell = sheet.cell(row=row_number, column=column, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text stays text, even if it starts with "="
                else:
                    cell.number_format = "yyyy-mm-dd"
        for column, name in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = widths.get(name, 20)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    workbook.properties.creator = "actiontrack"
    workbook.save(path)


def _facts(finding: Finding) -> str:
    return json.dumps(dict(finding.facts), sort_keys=True, ensure_ascii=False)
