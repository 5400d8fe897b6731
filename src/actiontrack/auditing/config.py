"""Audit configuration: severities, rules switched off, thresholds, and waivers.

The ``[audit]`` table of ``actiontrack.toml`` (or ``[tool.actiontrack.audit]``
in ``pyproject.toml``), read with the rest of the file by
:mod:`actiontrack.settings`::

    [audit]
    fail_on = "error"                 # the default for --fail-on
    disabled = ["recurring-theme"]    # rules not to run
    day_one = "next_working_day"      # or "start_day": which day counts as day 1

    [audit.severity]                  # a rule's severity, changed
    action-due-soon = "info"

    [audit.thresholds]                # numbers the rules read, by name
    update_stale_days = 60

    [[audit.waivers]]                 # a finding accepted for now
    rule = "action-overdue"
    subject = "DEMO-SCP/A002"
    reason = "New date agreed by the executive on 3 March"
    by = "Partnership business manager"
    expires = 2027-01-31

The due-soon period is not an audit threshold: ``action-due-soon`` takes it
from the RAG policy (``[rag] due_soon_days``), as every other command does.

A waiver hides its finding until it expires; an expired waiver stops hiding
it and is itself reported (``waiver-expired``), and so is a waiver that no
longer matches anything (``waiver-unused``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import attrs

from actiontrack.auditing.findings import Severity
from actiontrack.auditing.registry import RuleSpec
from actiontrack.domain.clocks import DayOne
from actiontrack.errors import ConfigError

__all__ = [
    "MOVED_THRESHOLDS",
    "WAIVER_RULES",
    "AuditConfig",
    "ConfigError",
    "Waiver",
    "find_config",
    "load_config",
]


#: The findings the runner itself makes about waivers, and what they mean.
WAIVER_RULES = {
    "waiver-expired": "A waiver whose expiry date has passed",
    "waiver-unused": "A waiver that hides nothing any more",
}


#: Thresholds the audit no longer reads, and the table that holds each now.
MOVED_THRESHOLDS = {"due_soon_days": "rag"}

#: No threshold (days, months, years, counts) makes sense above this.
_MOST = 3650


@attrs.frozen(kw_only=True)
class Waiver:
    """A finding the partnership accepts until ``expires``, with who said so and why."""

    rule: str
    subject: str
    reason: str
    by: str
    expires: date

    def active(self, on: date) -> bool:
        return on <= self.expires


@attrs.frozen(kw_only=True)
class AuditConfig:
    fail_on: Severity = Severity.ERROR
    disabled: tuple[str, ...] = ()
    day_one: DayOne = DayOne.NEXT_WORKING_DAY
    severity: Mapping[str, Severity] = attrs.field(factory=dict)
    thresholds: Mapping[str, int] = attrs.field(factory=dict)
    waivers: tuple[Waiver, ...] = ()
    #: Where it was read from, for messages ("defaults" when from nowhere).
    source: str = "defaults"

    def check_against(self, rules: Iterable[RuleSpec]) -> dict[str, int]:
        """Refuse names no rule knows (typos hide findings); return the merged thresholds."""
        rules = list(rules)
        known_rules = {spec.id for spec in rules} | set(WAIVER_RULES)
        defaults: dict[str, int] = {}
        owners: dict[str, str] = {}
        clashes = []
        for spec in rules:
            for name, value in spec.thresholds.items():
                if name in defaults and defaults[name] != value:
                    clashes.append(f"rules {owners[name]} and {spec.id} both read a threshold"
                                   f" called {name!r} with different defaults; rename one")
                defaults.setdefault(name, value)
                owners.setdefault(name, spec.id)
        if clashes:
            raise ConfigError("; ".join(clashes))
        problems = [
            f"{where}: no rule has the id {rule_id!r}"
            for where, ids in (
                ("disabled", self.disabled),
                ("severity", self.severity),
                ("waivers", [w.rule for w in self.waivers]),
            )
            for rule_id in ids
            if rule_id not in known_rules
        ]
        problems += [
            f"thresholds: {name} is no longer an audit threshold; set it in the RAG policy"
            f" ([{MOVED_THRESHOLDS[name]}] in the configuration)"
            if name in MOVED_THRESHOLDS else
            f"thresholds: no rule reads a threshold called {name!r}"
            f" (known: {', '.join(sorted(defaults))})"
            for name in self.thresholds
            if name not in defaults
        ]
        problems += [
            f"waivers: the waiver of {w.rule} for {w.subject} needs a {field}"
            for w in self.waivers
            for field, value in (("reason", w.reason), ("by", w.by), ("subject", w.subject))
            if not value.strip()
        ]
        problems += [
            f"thresholds: {name} must be from 0 to {_MOST}, not {value}"
            for name, value in self.thresholds.items()
            if not 0 <= value <= _MOST
        ]
        if problems:
            raise ConfigError(f"{self.source}: " + "; ".join(problems))
        return defaults | dict(self.thresholds)


def find_config(folder: Path) -> Path | None:
    """``actiontrack.toml`` in ``folder``, else a ``pyproject.toml`` there with our tables.

    Kept for callers of the audit alone; :func:`actiontrack.settings.find_settings`.
    """
    from actiontrack.settings import find_settings  # it imports this module: import on use

    return find_settings(folder)


def load_config(path: Path | None) -> AuditConfig:
    """The audit part of the configuration in ``path`` (``None``: the defaults).

    Kept for callers of the audit alone; the whole file, RAG policy included,
    is :func:`actiontrack.settings.load_settings`.
    """
    from actiontrack.settings import load_settings  # it imports this module: import on use

    return load_settings(path).audit
