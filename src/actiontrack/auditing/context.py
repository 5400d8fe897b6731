"""What a rule sees: the plan as of the audit date, the configuration, the RAG policy, the clock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cached_property
from typing import Any

import attrs

from actiontrack.auditing.findings import Severity
from actiontrack.domain.clocks import WorkingDays
from actiontrack.domain.impact import Reading, readings
from actiontrack.domain.lifecycle import COMPLETE_STATUSES, OPEN_STATUSES
from actiontrack.domain.models import Action
from actiontrack.domain.plan import Plan
from actiontrack.domain.rag import RagPolicy

__all__ = ["AuditContext", "Flag"]


@attrs.frozen(kw_only=True)
class Flag:
    """What a rule yields: a subject and a message; the runner adds the rule and severity.

    ``severity`` is set only by a rule whose findings differ in seriousness
    (a statutory clock warns before its deadline and errs after it).
    ``facts`` are made plain only when a finding's facts are first read, so a
    rule must not change a mapping it has yielded.
    """

    subject: str
    message: str
    facts: Mapping[str, Any] = attrs.field(factory=dict)
    severity: Severity | None = None


@attrs.frozen(kw_only=True)
class AuditContext:
    """Everything a rule may look at. Rules never read the clock or the store."""

    plan: Plan
    #: The day the audit is as of: "today" for every rule.
    as_of: date
    #: Thresholds from the configuration, by name (see ``AuditConfig.thresholds``).
    thresholds: Mapping[str, Any]
    #: The partnership's RAG policy: what "due soon" means, as everywhere else.
    rag: RagPolicy = attrs.field(factory=RagPolicy)
    working_days: WorkingDays = attrs.field(factory=WorkingDays)
    #: The day each record was first stored, from history (absent for restored data).
    created_on: Mapping[str, date] = attrs.field(factory=dict)

    @cached_property
    def actions(self) -> list[Action]:
        """Every action, sorted by id (worked out once, shared by the rules)."""
        return [self.plan.actions[action_id] for action_id in sorted(self.plan.actions)]

    @cached_property
    def open_actions(self) -> list[Action]:
        """The actions still to be done, sorted by id."""
        return [action for action in self.actions if action.status in OPEN_STATUSES]

    @cached_property
    def closed_actions(self) -> list[Action]:
        """The actions completed, assured or embedded, sorted by id."""
        return [action for action in self.actions if action.status in COMPLETE_STATUSES]

    @cached_property
    def measured_actions(self) -> frozenset[str]:
        """The ids of the actions that have measures."""
        return frozenset(measure.action_id for measure in self.plan.measures.values())

    @cached_property
    def _readings(self) -> dict[str, tuple[Reading, ...]]:
        return {}

    def readings(self, action_id: str) -> tuple[Reading, ...]:
        """The readings of an action's measures (worked out once, shared by the rules)."""
        found = self._readings.get(action_id)
        if found is None:
            found = self._readings[action_id] = tuple(readings(self.plan, action_id))
        return found

    def threshold(self, name: str) -> Any:
        """A configured threshold; every built-in one has a default."""
        return self.thresholds[name]
