"""Rules: plain functions registered by id, with a default severity and a description.

A rule takes an :class:`~actiontrack.auditing.context.AuditContext` and yields
:class:`~actiontrack.auditing.context.Flag` values::

    from actiontrack.auditing import rule, Flag, Severity

    @rule("no-lead-agency-email", severity=Severity.INFO,
          description="An action whose lead agency has no contact email")
    def no_lead_agency_email(context):
        ...
        yield Flag(subject=action.id, message="...")

Built-in rules live in :mod:`actiontrack.auditing.rules`. Extra rules come from
a Python file (``--rules path/to/rules.py``) or from installed packages that
declare the entry-point group ``actiontrack.rules``; either way they register
themselves with :func:`rule` when imported.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from pathlib import Path

import attrs

from actiontrack.auditing.context import AuditContext, Flag
from actiontrack.auditing.findings import Severity
from actiontrack.errors import ActiontrackError

__all__ = [
    "ENTRY_POINT_GROUP",
    "RuleError",
    "RuleSpec",
    "load_entry_point_rules",
    "load_rules_file",
    "registered_rules",
    "rule",
]

ENTRY_POINT_GROUP = "actiontrack.rules"

Check = Callable[[AuditContext], Iterable[Flag]]

_RULE_ID = re.compile(r"[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*")


class RuleError(ActiontrackError, ValueError):
    """A rule cannot be registered or loaded (a bad id, a clash, a file that fails)."""


@attrs.frozen(kw_only=True)
class RuleSpec:
    """A registered rule: its id, default severity, one-line description and check."""

    id: str
    severity: Severity
    description: str
    check: Check = attrs.field(eq=False, repr=False)
    #: The thresholds the rule reads, with their defaults (configurable by name).
    thresholds: Mapping[str, int] = attrs.field(factory=dict)
    origin: str = "built-in"


_REGISTRY: dict[str, RuleSpec] = {}
#: Module names given to rules files, and the file each came from.
_FILE_ORIGINS: dict[str, str] = {}


def rule(
    id: str,
    *,
    severity: Severity,
    description: str,
    thresholds: Mapping[str, int] | None = None,
) -> Callable[[Check], Check]:
    """Register the decorated function as the rule ``id``.

    ``thresholds`` names the numbers the rule reads with
    ``context.threshold(name)`` and their defaults; a configuration may
    change them by name.
    """
    if not _RULE_ID.fullmatch(id):
        raise RuleError(f"rule id {id!r} must be lower-case words joined by - or .")

    def register(check: Check) -> Check:
        existing = _REGISTRY.get(id)
        module = getattr(check, "__module__", "?")
        origin = _FILE_ORIGINS.get(module, module)
        # The same function loaded again (a rules file read twice) simply replaces itself.
        same = existing is not None and (existing.origin, existing.check.__qualname__) == (
            origin, check.__qualname__)
        if existing is not None and not same:
            raise RuleError(f"two rules share the id {id!r} ({existing.origin}, {origin})")
        _REGISTRY[id] = RuleSpec(
            id=id, severity=severity, description=description, check=check,
            thresholds=dict(thresholds or {}), origin=origin,
        )
        return check

    return register


def registered_rules() -> list[RuleSpec]:
    """Every registered rule, built-in ones included, sorted by id."""
    import actiontrack.auditing.rules  # noqa: F401 - registers the built-in rules

    return [_REGISTRY[rule_id] for rule_id in sorted(_REGISTRY)]


def load_rules_file(path: str | Path) -> list[str]:
    """Import a Python file of rules; return the ids it registered."""
    path = Path(path).resolve()  # the same file named two ways is one file
    if not path.is_file():
        raise RuleError(f"{path}: no such rules file")
    before = set(_REGISTRY)
    name = f"actiontrack_user_rules_{abs(hash(path.resolve()))}"
    _FILE_ORIGINS[name] = str(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RuleError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except RuleError:
        raise
    except Exception as exc:
        raise RuleError(
            f"{path}: the rules file failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    return sorted(set(_REGISTRY) - before)


def load_entry_point_rules() -> list[str]:
    """Import the rules that installed packages declare in ``actiontrack.rules``."""
    before = set(_REGISTRY)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            point.load()
        except Exception as exc:
            raise RuleError(
                f"the rules of entry point {point.name!r} ({point.value}) failed to load:"
                f" {type(exc).__name__}: {exc}"
            ) from exc
    return sorted(set(_REGISTRY) - before)


