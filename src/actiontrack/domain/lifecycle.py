"""The life of an action, and the gates real partnerships ask for.

::

    proposed -> agreed -> in_progress -> completed -> assured -> embedded
                              ^              |
                              +-- returned --+
    any open state -> on_hold (reason and review date) or superseded (successor)
    on_hold -> agreed | in_progress (resumed)
    assured | embedded -> reopened (an audit showed the change did not stick)
    reopened -> in_progress | completed | on_hold | superseded

Gates:

- ``completed`` needs at least one completion-tier evidence item;
- ``assured`` needs a named lead officer and an accepted assurance
  decision made by someone other than them;
- ``embedded`` needs impact-tier evidence;
- ``on_hold`` needs a reason and a review date; ``superseded`` a successor;
  ``reopened`` the day and a reason;
- after a reopen, only evidence recorded and decisions made on or after the
  day it was reopened count: the old proof is what the audit found wanting;
- moving a target date needs a reason, and the original date is never lost.

Every function here is pure: it takes the current record (and whatever the
gate must see) and returns the next record, or raises
:class:`~actiontrack.errors.RuleViolation` naming the rule. The version is
left as it was: the store raises it when it accepts the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from actiontrack.domain.models import (
    Action,
    ActionStatus,
    AssuranceDecision,
    AssuranceOutcome,
    Evidence,
    EvidenceTier,
    TargetRevision,
)
from actiontrack.errors import RuleViolation

__all__ = [
    "ALLOWED_TRANSITIONS",
    "COMPLETE_STATUSES",
    "OPEN_STATUSES",
    "change_status",
    "counting_decisions",
    "counting_evidence",
    "revise_target",
    "same_person",
]

S = ActionStatus

#: States in which the work is still to be done.
OPEN_STATUSES = frozenset({S.PROPOSED, S.AGREED, S.IN_PROGRESS, S.REOPENED, S.ON_HOLD})
#: States in which the owner says the work is done.
COMPLETE_STATUSES = frozenset({S.COMPLETED, S.ASSURED, S.EMBEDDED})

ALLOWED_TRANSITIONS: dict[ActionStatus, frozenset[ActionStatus]] = {
    S.PROPOSED: frozenset({S.AGREED, S.ON_HOLD, S.SUPERSEDED}),
    S.AGREED: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.SUPERSEDED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.ON_HOLD, S.SUPERSEDED}),
    S.COMPLETED: frozenset({S.ASSURED, S.IN_PROGRESS}),
    S.ASSURED: frozenset({S.EMBEDDED, S.REOPENED}),
    S.EMBEDDED: frozenset({S.REOPENED}),
    S.ON_HOLD: frozenset({S.AGREED, S.IN_PROGRESS, S.SUPERSEDED}),
    S.SUPERSEDED: frozenset(),
    S.REOPENED: frozenset({S.IN_PROGRESS, S.COMPLETED, S.ON_HOLD, S.SUPERSEDED}),
}


def change_status(
    action: Action,
    to: ActionStatus,
    *,
    evidence: Iterable[Evidence] = (),
    decisions: Iterable[AssuranceDecision] = (),
    hold_reason: str | None = None,
    hold_review_date: date | None = None,
    successor_id: str | None = None,
    on: date | None = None,
    reason: str | None = None,
) -> Action:
    """Return ``action`` moved to status ``to``, or raise :class:`RuleViolation`.

    ``evidence`` and ``decisions`` are the action's evidence items and
    assurance decisions: the gates look at them. Items for other actions, and
    after a reopen items older than the reopen, are ignored. ``on`` is the
    day of the change; reopening needs it, and a ``reason`` (what showed
    the change did not stick).
    """
    if to == action.status:
        raise RuleViolation(
            "lifecycle.no-change", f"the action is already {to.value}", record_id=action.id
        )
    allowed = ALLOWED_TRANSITIONS[action.status]
    if to not in allowed:
        choices = ", ".join(sorted(s.value for s in allowed)) or "none: it is final"
        raise RuleViolation(
            "lifecycle.transition",
            f"an action that is {action.status.value} cannot become {to.value}"
            f" (allowed next: {choices})",
            record_id=action.id,
        )
    _check_gate(action, to, counting_evidence(action, evidence),
                counting_decisions(action, decisions))
    changes: dict[str, object] = {"status": to}
    if to == S.REOPENED:
        if on is None:
            raise RuleViolation(
                "gate.reopened-needs-date",
                "reopening an action needs the day it is reopened",
                record_id=action.id,
            )
        if not (reason and reason.strip()):
            raise RuleViolation(
                "gate.reopened-needs-reason",
                "reopening an action needs a reason: what showed the change did not stick",
                record_id=action.id,
            )
        changes["reopened_on"] = on
    if to == S.ON_HOLD:
        if not (hold_reason and hold_reason.strip()):
            raise RuleViolation(
                "gate.on-hold-needs-reason", "putting an action on hold needs a reason",
                record_id=action.id,
            )
        if hold_review_date is None:
            raise RuleViolation(
                "gate.on-hold-needs-review-date",
                "putting an action on hold needs a date to review the hold",
                record_id=action.id,
            )
        changes |= {"hold_reason": hold_reason.strip(), "hold_review_date": hold_review_date}
    elif action.status == S.ON_HOLD:
        changes |= {"hold_reason": None, "hold_review_date": None}
    if to == S.SUPERSEDED:
        if not (successor_id and successor_id.strip()):
            raise RuleViolation(
                "gate.superseded-needs-successor",
                "a superseded action needs the id of the action that replaces it",
                record_id=action.id,
            )
        if successor_id == action.id:
            raise RuleViolation(
                "gate.superseded-needs-successor",
                "an action cannot supersede itself",
                record_id=action.id,
            )
        changes["successor_id"] = successor_id
    return attrs.evolve(action, **changes)  # type: ignore[arg-type]


def _check_gate(
    action: Action,
    to: ActionStatus,
    evidence: list[Evidence],
    decisions: list[AssuranceDecision],
) -> None:
    again = " recorded since it was reopened" if action.reopened_on else ""
    if to == S.COMPLETED and not any(e.tier == EvidenceTier.COMPLETION for e in evidence):
        raise RuleViolation(
            "gate.completed-needs-completion-evidence",
            "an action can be completed only with at least one completion-tier evidence item"
            + again,
            record_id=action.id,
        )
    if to == S.ASSURED:
        if not (action.lead_officer and action.lead_officer.strip()):
            raise RuleViolation(
                "gate.assured-needs-lead-officer",
                "an action needs a named lead officer before it can be assured, so that"
                " someone else can be seen to assure it",
                record_id=action.id,
            )
        lead_officer = action.lead_officer
        accepted = [
            d for d in decisions
            if d.outcome == AssuranceOutcome.ACCEPTED and d.decided_by.strip()
        ]
        if not accepted:
            raise RuleViolation(
                "gate.assured-needs-decision",
                "an action can be assured only after an assurance decision accepting it" + again,
                record_id=action.id,
            )
        if not any(not same_person(d.decided_by, lead_officer) for d in accepted):
            raise RuleViolation(
                "gate.assured-by-someone-else",
                "the assurance decision must be made by someone other than the lead officer"
                f" ({action.lead_officer})",
                record_id=action.id,
            )
    if to == S.EMBEDDED and not any(e.tier == EvidenceTier.IMPACT for e in evidence):
        raise RuleViolation(
            "gate.embedded-needs-impact-evidence",
            "an action can be embedded only with at least one impact-tier evidence item"
            + again,
            record_id=action.id,
        )


def counting_evidence(action: Action, evidence: Iterable[Evidence]) -> list[Evidence]:
    """The action's evidence that counts: after a reopen, only what was recorded since."""
    since = action.reopened_on or date.min
    return [e for e in evidence if e.action_id == action.id and e.recorded_on >= since]


def counting_decisions(
    action: Action, decisions: Iterable[AssuranceDecision]
) -> list[AssuranceDecision]:
    """The action's decisions that count: after a reopen, only those made since."""
    since = action.reopened_on or date.min
    return [d for d in decisions if d.action_id == action.id and d.decided_on >= since]


def same_person(a: str, b: str) -> bool:
    """Whether two names are the same person's, ignoring capitals and extra spaces."""
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def revise_target(action: Action, to: date, *, reason: str, by: str, on: date) -> Action:
    """Return ``action`` with a new current target date, keeping the original and the reason.

    ``on`` is the day the revision is made (the clock passed in).
    """
    if not reason or not reason.strip():
        raise RuleViolation(
            "target.revision-needs-reason",
            "moving a target date needs a reason",
            record_id=action.id,
        )
    if to == action.target_date:
        raise RuleViolation(
            "target.no-change",
            f"the target date is already {to.isoformat()}",
            record_id=action.id,
        )
    if action.status in COMPLETE_STATUSES or action.status == S.SUPERSEDED:
        raise RuleViolation(
            "target.closed-action",
            f"an action that is {action.status.value} has no target date to move",
            record_id=action.id,
        )
    revision = TargetRevision(
        from_date=action.target_date, to_date=to, reason=reason.strip(), by=by, on=on
    )
    return attrs.evolve(
        action, target_date=to, target_revisions=(*action.target_revisions, revision)
    )
