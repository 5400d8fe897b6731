"""Audit findings: data, not exceptions.

A finding says which rule found what about which record, how serious it is,
and the facts it rests on, so a reader (or a script) can check it without
running the rule again.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

__all__ = ["Finding", "Severity"]


class Severity(enum.StrEnum):
    """How serious a finding is; ``--fail-on`` compares against this order."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for error, 1 for warning, 2 for info: sorts the most serious first."""
        return _RANK[self]

    def at_least(self, threshold: Severity) -> bool:
        """Whether this severity is as serious as ``threshold`` or more."""
        return self.rank <= threshold.rank


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _plain_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value if type(value) in _PLAIN else _plain(value)
            for key, value in sorted(facts.items())}


def _plain(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in sorted(value.items())}
    raise TypeError(
        f"a fact must be text, a number, a date, true/false or a list of them;"
        f" got {type(value).__name__}"
    )


@attrs.frozen(kw_only=True)
class Finding:
    """One thing an audit rule found.

    ``facts`` holds plain, JSON-ready values (dates as ``YYYY-MM-DD``), keyed
    in sorted order, so the same finding always prints the same way.
    """

    rule: str
    severity: Severity
    subject: str
    message: str
    facts: Mapping[str, Any] = attrs.field(factory=dict, converter=_plain_facts)

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (self.severity.rank, self.rule, self.subject, self.message)
