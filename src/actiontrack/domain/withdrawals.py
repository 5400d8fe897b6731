"""Withdrawing what was added by mistake: what goes with it, and what keeps it on the plan.

A withdrawn record leaves the plan, not the history: its history ends with
a ``delete`` entry carrying the record and the reason, so the plan as it
stood before still shows it. Its id is never given to a new record.

What may be withdrawn:

- a progress update, evidence item, assurance decision, learning activity
  or measurement; a measure, with its measurements;
- an action not completed, with its updates, evidence, decisions and measures;
- a recommendation with no actions, a review with no recommendations, an
  agency that leads no actions.

What stops it (a :class:`~actiontrack.errors.RuleViolation` naming the
rule): a completed action (it is the record of what was done), a record
others link to (a successor, an earlier recommendation repeated, evidence
a decision relied on), and proof whose loss would leave an action's status
standing on a gate it no longer meets (the only completion evidence of a
completed action, the figure that met the target of an embedded action with
no impact evidence). A chase is never withdrawn: it records a reminder as it
was sent, and stays even when an action it listed is withdrawn.

One withdrawal moves a record as well: the decision that assured an action,
recorded by mistake, takes the action back to ``completed``, where it was
before that decision (an embedded action must be reopened first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from actiontrack.domain.edits import still_standing
from actiontrack.domain.impact import read, readings
from actiontrack.domain.lifecycle import COMPLETE_STATUSES, unmet_gates
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Agency,
    AssuranceDecision,
    Chase,
    Evidence,
    Measure,
    Measurement,
    Partnership,
    Recommendation,
    Review,
)
from actiontrack.domain.plan import RECORD_NOUNS, Plan, Record, kind_of
from actiontrack.errors import RuleViolation

__all__ = ["Withdrawal", "withdrawal"]


@attrs.frozen
class Withdrawal:
    """What a withdrawal takes off the plan (the record first), and what it moves back."""

    gone: tuple[Record, ...]
    moved: tuple[Record, ...] = ()


def _ids(records: Sequence[Record]) -> str:
    shown = [record.id for record in records[:5]]
    more = len(records) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def withdrawal(plan: Plan, record: Record) -> Withdrawal:
    """What withdrawing ``record`` takes off the plan and moves back; or raise."""
    if isinstance(record, AssuranceDecision):
        return _decision(plan, record)
    return Withdrawal(gone=_gone(plan, record))


def _decision(plan: Plan, decision: AssuranceDecision) -> Withdrawal:
    """A decision goes; the action it alone assured goes back to completed."""
    action = plan.actions[decision.action_id]
    evidence = plan.evidence_for(action.id)
    others = [d for d in plan.decisions_for(action.id) if d.id != decision.id]
    if action.status == ActionStatus.ASSURED and any(
            unmet.rule.startswith("gate.assured") for unmet in unmet_gates(
                action, evidence, others)):
        return Withdrawal(gone=(decision,),
                          moved=(attrs.evolve(action, status=ActionStatus.COMPLETED),))
    still_standing(plan, action, evidence=evidence, decisions=others)
    return Withdrawal(gone=(decision,))


def _gone(plan: Plan, record: Record) -> tuple[Record, ...]:
    """The records withdrawing ``record`` takes off the plan, ``record`` first; or raise."""
    noun = RECORD_NOUNS[kind_of(record)]

    def refuse(rule: str, why: str) -> RuleViolation:
        return RuleViolation(rule, f"this {noun} cannot be withdrawn: {why}",
                             record_id=record.id)

    if isinstance(record, Partnership):
        raise refuse("withdraw.partnership", "a partnership holds the whole plan; its name and"
                     " kind can be corrected with edit")
    if isinstance(record, Agency):
        led = sorted((a for a in plan.actions.values() if a.lead_agency_id == record.id),
                     key=lambda a: a.id)
        if led:
            raise refuse("withdraw.agency-leads-actions", f"it leads {_ids(led)}; give them"
                         " another lead agency with edit first")
        return (record,)
    if isinstance(record, Chase):
        raise refuse("withdraw.chase", "it records a reminder as it was sent, and stays on"
                     " the plan")
    if isinstance(record, Review):
        recommendations = plan.recommendations_for(record.id)
        if recommendations:
            raise refuse("withdraw.review-has-recommendations",
                         f"it has recommendations ({_ids(recommendations)}); withdraw them first")
        return (record,)
    if isinstance(record, Recommendation):
        return _recommendation(plan, record, refuse)
    if isinstance(record, Action):
        return _action(plan, record, refuse)
    if isinstance(record, Evidence):
        relied = [d for d in plan.decisions_for(record.action_id) if record.id in d.evidence_ids]
        if relied:
            raise refuse("withdraw.evidence-relied-on", f"the assurance decision"
                         f" {_ids(relied)} relied on it; withdraw that decision first")
        still_standing(plan, plan.actions[record.action_id],
                       evidence=[e for e in plan.evidence_for(record.action_id)
                                 if e.id != record.id],
                       decisions=plan.decisions_for(record.action_id))
        return (record,)
    if isinstance(record, Measure | Measurement):
        return _measured(plan, record)
    return (record,)  # a progress update or a learning activity: nothing depends on it


def _measured(plan: Plan, record: Measure | Measurement) -> tuple[Record, ...]:
    """A measure goes with its figures, a figure alone; neither may leave a gate unmet."""
    if isinstance(record, Measure):
        gone: tuple[Record, ...] = (record, *plan.measurements_for(record.id))
        measures = [r for r in readings(plan, record.action_id) if r.measure.id != record.id]
    else:
        gone = (record,)
        measures = [read(r.measure, (f for f in r.figures if f.id != record.id))
                    for r in readings(plan, record.action_id)]
    still_standing(plan, plan.actions[record.action_id],
                   evidence=plan.evidence_for(record.action_id),
                   decisions=plan.decisions_for(record.action_id), measures=measures)
    return gone


def _recommendation(plan: Plan, recommendation: Recommendation,
                    refuse: Callable[[str, str], RuleViolation]) -> tuple[Record, ...]:
    actions = plan.actions_for(recommendation.id)
    if actions:
        raise refuse("withdraw.recommendation-has-actions", f"actions answer it"
                     f" ({_ids(actions)}); withdraw them, or edit their recommendation_ids,"
                     " first")
    linked: list[Record] = [
        *plan.learning_for(recommendation.id),
        *sorted((r for r in plan.recommendations.values() if recommendation.id in r.repeats),
                key=lambda r: r.id),
    ]
    if linked:
        raise refuse("withdraw.recommendation-linked", f"{_ids(linked)} link to it; edit their"
                     " links first")
    return (recommendation,)


def _action(plan: Plan, action: Action,
            refuse: Callable[[str, str], RuleViolation]) -> tuple[Record, ...]:
    if action.status in COMPLETE_STATUSES:
        raise refuse("withdraw.action-complete", f"it is {action.status.value}, and a"
                     " completed action is the record of what was done; move it back first"
                     " (set-status ID in_progress, or reopened once assured) if it was"
                     " completed by mistake")
    replaced = sorted((a for a in plan.actions.values() if a.successor_id == action.id),
                      key=lambda a: a.id)
    if replaced:
        raise refuse("withdraw.action-is-successor", f"it replaces {_ids(replaced)}")
    measures = plan.measures_for(action.id)
    return (action, *plan.updates_for(action.id), *plan.evidence_for(action.id),
            *plan.decisions_for(action.id), *measures,
            *(figure for measure in measures for figure in plan.measurements_for(measure.id)))
