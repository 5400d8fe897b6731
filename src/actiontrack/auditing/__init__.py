"""Scripted assurance audits: rules as plain functions, findings as data.

``actiontrack.audit(store, as_of=...)`` runs every rule over the plan as it
stood at the end of that day and returns an :class:`AuditResult`; the
``actiontrack audit`` command prints it as text, JSON, JUnit XML or xlsx.
Write a rule with :func:`rule`; see docs/audit.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from actiontrack.auditing.config import AuditConfig, Waiver, find_config, load_config
from actiontrack.auditing.context import AuditContext, Flag
from actiontrack.auditing.findings import Finding, Severity
from actiontrack.auditing.registry import (
    RuleError,
    RuleSpec,
    load_entry_point_rules,
    load_rules_file,
    registered_rules,
    rule,
)
from actiontrack.auditing.runner import AuditResult, RuleFailure, WaivedFinding, run_rules
from actiontrack.domain.clocks import end_of_day, local_date
from actiontrack.domain.rag import RagPolicy
from actiontrack.errors import ConfigError
from actiontrack.store.protocol import Store

__all__ = [
    "AuditConfig",
    "AuditContext",
    "AuditResult",
    "ConfigError",
    "Finding",
    "Flag",
    "RuleError",
    "RuleFailure",
    "RuleSpec",
    "Severity",
    "WaivedFinding",
    "Waiver",
    "audit",
    "find_config",
    "load_config",
    "load_entry_point_rules",
    "load_rules_file",
    "registered_rules",
    "rule",
    "run_rules",
]


def audit(
    store: Store,
    *,
    as_of: date,
    config: AuditConfig | None = None,
    rules_files: Iterable[str | Path] = (),
    entry_point_rules: bool = True,
    rag: RagPolicy | None = None,
) -> AuditResult:
    """Audit the plan in ``store`` as it stood at the end of ``as_of`` (a day in England).

    Runs the built-in rules, the rules of installed packages (unless
    ``entry_point_rules`` is false) and those in ``rules_files``. Auditing the
    same store as of the same past day always gives the same result.
    ``rag`` is the partnership's RAG policy (``Settings.rag``): an action is
    due soon for the audit exactly when it is amber for being due soon.
    """
    for path in rules_files:
        load_rules_file(path)
    if entry_point_rules:
        load_entry_point_rules()
    last_moment = end_of_day(as_of)
    plan = store.snapshot(as_of=last_moment)
    created_on = {action_id: local_date(at)
                  for action_id, at in store.created("actions").items() if at <= last_moment}
    return run_rules(
        plan, as_of=as_of, rules=registered_rules(), config=config or AuditConfig(),
        created_on=created_on, rag=rag,
    )
