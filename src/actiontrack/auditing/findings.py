"""Audit findings: data, not exceptions.

A finding says which rule found what about which record, how serious it is,
and the facts it rests on, so a reader (or a script) can check it without
running the rule again.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from functools import cached_property
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
#: Types checked to have a plain form (dates, enumerations), so not checked again.
_CONVERTIBLE: set[type] = set()


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


def _check(value: Any) -> None:
    """Raise the TypeError :func:`_plain` would raise for ``value``, without converting it."""
    kind = type(value)
    if kind in _PLAIN or kind in _CONVERTIBLE:
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            _check(item)
    else:
        _plain(value)  # a date or an enumeration (or the TypeError)
        _CONVERTIBLE.add(kind)


def _plain_form(_: object, __: object, facts: Mapping[str, Any]) -> None:
    for value in facts.values():
        if type(value) not in _PLAIN:
            _check(value)


@attrs.frozen(kw_only=True, repr=False)
class Finding:
    """One thing an audit rule found.

    ``facts`` holds plain, JSON-ready values (dates as ``YYYY-MM-DD``), keyed
    in sorted order, so the same finding always prints the same way. Facts
    that have no plain form are refused when the finding is made; they are
    made plain when first read (most findings' facts never are: the text
    output shows none), so the mapping given must not change afterwards.
    """

    rule: str
    severity: Severity
    subject: str
    message: str
    # Compared and shown in their plain form, as ``facts``.
    given_facts: Mapping[str, Any] = attrs.field(
        alias="facts", factory=dict, validator=_plain_form, eq=_plain_facts)

    @cached_property
    def facts(self) -> Mapping[str, Any]:
        return _plain_facts(self.given_facts)

    def __repr__(self) -> str:
        return (f"Finding(rule={self.rule!r}, severity={self.severity!r},"
                f" subject={self.subject!r}, message={self.message!r}, facts={self.facts!r})")

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (_RANK[self.severity], self.rule, self.subject, self.message)
