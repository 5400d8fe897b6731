"""Running rules: every rule runs, its flags become findings, waivers apply.

A rule that raises does not stop the others: it is reported as a
:class:`RuleFailure` and the audit's exit code becomes 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from operator import attrgetter

import attrs

from actiontrack.auditing.config import AuditConfig, Waiver
from actiontrack.auditing.context import AuditContext, Flag
from actiontrack.auditing.findings import Finding, Severity
from actiontrack.auditing.registry import RuleSpec
from actiontrack.domain.clocks import WorkingDays
from actiontrack.domain.plan import Plan
from actiontrack.domain.rag import RagPolicy
from actiontrack.formatting import long_date

__all__ = ["AuditResult", "RuleFailure", "WaivedFinding", "run_rules"]


@attrs.frozen(kw_only=True)
class RuleFailure:
    """A rule that raised instead of yielding findings."""

    rule: str
    error: str


@attrs.frozen(kw_only=True)
class WaivedFinding:
    finding: Finding
    waiver: Waiver


@attrs.frozen(kw_only=True)
class AuditResult:
    """What an audit found, as of one day. The same inputs give the same result."""

    as_of: date
    rules: tuple[RuleSpec, ...]
    findings: tuple[Finding, ...]
    waived: tuple[WaivedFinding, ...] = ()
    failures: tuple[RuleFailure, ...] = ()
    config_source: str = "defaults"

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def at_least(self, threshold: Severity) -> list[Finding]:
        """The findings as serious as ``threshold`` or more."""
        return [f for f in self.findings if f.severity.at_least(threshold)]

    def exit_code(self, fail_on: Severity) -> int:
        """2 if a rule failed; 1 if any finding is at or above ``fail_on``; else 0."""
        if self.failures:
            return 2
        return 1 if self.at_least(fail_on) else 0


def run_rules(
    plan: Plan,
    *,
    as_of: date,
    rules: Sequence[RuleSpec],
    config: AuditConfig | None = None,
    created_on: Mapping[str, date] | None = None,
    rag: RagPolicy | None = None,
) -> AuditResult:
    """Run ``rules`` (those the configuration does not switch off) over ``plan``.

    ``rag`` is the partnership's RAG policy (default: :class:`RagPolicy`'s
    defaults); ``action-due-soon`` reads its due-soon period from it.
    """
    config = config or AuditConfig()
    thresholds = config.check_against(rules)
    context = AuditContext(
        plan=plan, as_of=as_of, thresholds=thresholds, rag=rag or RagPolicy(),
        working_days=WorkingDays(day_one=config.day_one), created_on=created_on or {},
    )
    enabled = [spec for spec in rules if spec.id not in config.disabled]
    findings, failures = _run(enabled, context, config)
    shown, waived = _apply_waivers(findings, config, as_of)
    return AuditResult(
        as_of=as_of,
        rules=tuple(enabled),
        findings=_in_order(shown),
        waived=tuple(sorted(waived, key=lambda w: w.finding.sort_key)),
        failures=tuple(sorted(failures, key=attrgetter("rule"))),
        config_source=config.source,
    )


def _run(
    enabled: Sequence[RuleSpec], context: AuditContext, config: AuditConfig
) -> tuple[list[Finding], list[RuleFailure]]:
    findings: list[Finding] = []
    failures: list[RuleFailure] = []
    for spec in enabled:
        override = config.severity.get(spec.id)
        try:
            made = [_finding(flag, spec, override) for flag in spec.check(context)]
        except Exception as exc:  # one broken rule must not hide the others' findings
            failures.append(RuleFailure(rule=spec.id, error=f"{type(exc).__name__}: {exc}"))
            continue
        findings += made
    return findings, failures


def _finding(flag: object, spec: RuleSpec, override: Severity | None) -> Finding:
    """A rule's flag as a finding, or TypeError saying how the rule got it wrong."""
    if not isinstance(flag, Flag):
        raise TypeError(f"yielded {type(flag).__name__}, not a Flag")
    if not isinstance(flag.subject, str) or not isinstance(flag.message, str):
        raise TypeError("a Flag's subject and message must be text")
    if flag.severity is not None and not isinstance(flag.severity, Severity):
        raise TypeError(f"a Flag's severity must be a Severity, not {flag.severity!r}")
    return Finding(
        rule=spec.id,
        severity=override or flag.severity or spec.severity,
        subject=flag.subject,
        message=flag.message,
        facts=flag.facts,
    )


_SUBJECT_AND_MESSAGE = attrgetter("subject", "message")


def _in_order(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """``findings`` sorted by their ``sort_key``: severity, rule, subject, message.

    Sorted a severity and rule at a time: a rule's findings mostly come in
    subject order already, which a sort by subject and message goes through
    in one pass.
    """
    by_rule: dict[tuple[int, str], list[Finding]] = {}
    for finding in findings:
        key = (finding.severity.rank, finding.rule)
        group = by_rule.get(key)
        if group is None:
            group = by_rule[key] = []
        group.append(finding)
    ordered: list[Finding] = []
    for key in sorted(by_rule):
        ordered += sorted(by_rule[key], key=_SUBJECT_AND_MESSAGE)
    return tuple(ordered)


def _apply_waivers(
    findings: Iterable[Finding], config: AuditConfig, as_of: date
) -> tuple[list[Finding], list[WaivedFinding]]:
    findings = list(findings)
    if not config.waivers:
        return findings, []
    found = {(finding.rule, finding.subject) for finding in findings}
    active = {(w.rule, w.subject): w for w in config.waivers if w.active(as_of)}
    shown: list[Finding] = []
    waived: list[WaivedFinding] = []
    used: set[tuple[str, str]] = set()
    for finding in findings:
        waiver = active.get((finding.rule, finding.subject))
        if waiver is None:
            shown.append(finding)
        else:
            used.add((finding.rule, finding.subject))
            waived.append(WaivedFinding(finding=finding, waiver=waiver))
    for waiver in config.waivers:
        facts = {"rule": waiver.rule, "expires": waiver.expires, "by": waiver.by,
                 "reason": waiver.reason}
        key = (waiver.rule, waiver.subject)
        if not waiver.active(as_of) and "waiver-expired" not in config.disabled:
            if key in used:
                outcome = "another waiver that is still active hides its finding"
            elif key in found:
                outcome = "its finding shows again"
            else:
                outcome = "the finding has gone too, so the waiver can go"
            shown.append(Finding(
                rule="waiver-expired",
                severity=config.severity.get("waiver-expired", Severity.WARNING),
                subject=waiver.subject,
                message=f"the waiver of {waiver.rule} (by {waiver.by}) expired on"
                f" {long_date(waiver.expires)}: {outcome}",
                facts=facts,
            ))
        elif (waiver.active(as_of) and (waiver.rule, waiver.subject) not in used
              and "waiver-unused" not in config.disabled
              and waiver.rule not in config.disabled):  # its rule did not run
            shown.append(Finding(
                rule="waiver-unused",
                severity=config.severity.get("waiver-unused", Severity.INFO),
                subject=waiver.subject,
                message=f"the waiver of {waiver.rule} (by {waiver.by}) hides nothing:"
                " the finding has gone, so the waiver can go too",
                facts=facts,
            ))
    return shown, waived
