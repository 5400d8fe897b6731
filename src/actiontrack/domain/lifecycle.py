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
- ``embedded`` needs impact-tier evidence, or a measure whose latest figure
  met its target (:mod:`actiontrack.domain.impact`);
- ``on_hold`` needs a reason and a review date; ``superseded`` a successor;
  ``reopened`` the day and a reason;
- after a reopen, only evidence recorded and decisions made on or after the
  day it was reopened count: the old proof is what the audit found wanting;
- moving a target date needs a reason, and the original date is never lost.

:func:`change_status` makes one move. :func:`move_to` is what a person's
request for a status means (the command line's ``set-status`` and the
partner workbook both call it): it passes through ``agreed`` and
``in_progress`` on the way where it must, each step through its gate, and
asked for ``on_hold`` or ``superseded`` again with new details it revises
the hold or corrects the successor, the only way those fields change. A
status stands on its gates: :func:`unmet_gates` says which no longer hold
after a correction or a withdrawal took proof away.

Every function here is pure: it takes the current record (and whatever the
gate must see) and returns the next record, or raises
:class:`~actiontrack.errors.RuleViolation` naming the rule. The version is
left as it was: the store raises it when it accepts the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from actiontrack.domain.impact import Reading
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
    "move_to",
    "revise_hold",
    "revise_target",
    "same_person",
    "shows_impact",
    "status_path",
    "unmet_gates",
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
    measures: Iterable[Reading] = (),
    hold_reason: str | None = None,
    hold_review_date: date | None = None,
    successor_id: str | None = None,
    on: date | None = None,
    reason: str | None = None,
) -> Action:
    """Return ``action`` moved to status ``to``, or raise :class:`RuleViolation`.

    ``evidence``, ``decisions`` and ``measures`` are the action's evidence
    items, assurance decisions and measures' readings: the gates look at
    them. Items for other actions, and after a reopen items older than the
    reopen, are ignored. ``on`` is the
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
    unmet = _unmet_gate(action, to, counting_evidence(action, evidence),
                        counting_decisions(action, decisions), measures)
    if unmet is not None:
        raise unmet
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


def _unmet_gate(
    action: Action,
    to: ActionStatus,
    evidence: list[Evidence],
    decisions: list[AssuranceDecision],
    measures: Iterable[Reading],
) -> RuleViolation | None:
    """The gate into ``to`` that the counted evidence and decisions do not meet, if any."""
    again = " recorded since it was reopened" if action.reopened_on else ""
    if to == S.COMPLETED and not any(e.tier == EvidenceTier.COMPLETION for e in evidence):
        return RuleViolation(
            "gate.completed-needs-completion-evidence",
            "an action can be completed only with at least one completion-tier evidence item"
            + again,
            record_id=action.id,
        )
    if to == S.ASSURED:
        if not (action.lead_officer and action.lead_officer.strip()):
            return RuleViolation(
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
            return RuleViolation(
                "gate.assured-needs-decision",
                "an action can be assured only after an assurance decision accepting it" + again,
                record_id=action.id,
            )
        if not any(not same_person(d.decided_by, lead_officer) for d in accepted):
            return RuleViolation(
                "gate.assured-by-someone-else",
                "the assurance decision must be made by someone other than the lead officer"
                f" ({action.lead_officer})",
                record_id=action.id,
            )
    if to == S.EMBEDDED and not shows_impact(action, evidence, measures):
        return RuleViolation(
            "gate.embedded-needs-impact-evidence",
            "an action can be embedded only with at least one impact-tier evidence item or a"
            " measure whose latest figure met its target" + again,
            record_id=action.id,
        )
    return None


#: The gates a status stands on: its own, and those of the states it was reached through.
_STANDS_ON: dict[ActionStatus, tuple[ActionStatus, ...]] = {
    S.COMPLETED: (S.COMPLETED,),
    S.ASSURED: (S.COMPLETED, S.ASSURED),
    S.EMBEDDED: (S.COMPLETED, S.ASSURED, S.EMBEDDED),
}


def shows_impact(action: Action, evidence: Iterable[Evidence],
                 measures: Iterable[Reading]) -> bool:
    """Impact shown: counted impact-tier evidence, or a measure met on a counted figure."""
    since = action.reopened_on or date.min
    return (any(e.tier == EvidenceTier.IMPACT for e in counting_evidence(action, evidence))
            or any(r.measure.action_id == action.id and r.met_since(since) for r in measures))


def unmet_gates(
    action: Action,
    evidence: Iterable[Evidence],
    decisions: Iterable[AssuranceDecision],
    measures: Iterable[Reading] = (),
) -> list[RuleViolation]:
    """The gates the action's present status stands on that its proof does not meet.

    A correction or a withdrawal that would add to these (the only
    completion evidence of a completed action withdrawn, an assured action's
    decision now by its lead officer) is refused with the first one.
    """
    counted_evidence = counting_evidence(action, evidence)
    counted_decisions = counting_decisions(action, decisions)
    measures = list(measures)
    return [unmet for status in _STANDS_ON.get(action.status, ())
            if (unmet := _unmet_gate(action, status, counted_evidence, counted_decisions,
                                     measures))]


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


#: Statuses a move may pass through on its way to the one asked for.
_WAYPOINTS = frozenset({S.AGREED, S.IN_PROGRESS})


def status_path(start: ActionStatus, goal: ActionStatus) -> list[ActionStatus]:
    """The statuses to move through from ``start`` to ``goal``, ``goal`` last.

    Someone who marks an agreed action completed means it went through in
    progress; each step still passes its own gate. A goal the lifecycle
    cannot reach through agreed and in progress gives ``[goal]``, so the
    gate's own message explains why.
    """
    paths: dict[ActionStatus, list[ActionStatus]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for status in frontier:
            for step in sorted(ALLOWED_TRANSITIONS[status]):
                if step in paths:
                    continue
                paths[step] = [*paths[status], step]
                if step == goal:
                    return paths[step]
                if step in _WAYPOINTS:
                    following.append(step)
        frontier = following
    return [goal]


def move_to(
    action: Action,
    goal: ActionStatus,
    *,
    evidence: Iterable[Evidence] = (),
    decisions: Iterable[AssuranceDecision] = (),
    measures: Iterable[Reading] = (),
    hold_reason: str | None = None,
    hold_review_date: date | None = None,
    successor_id: str | None = None,
    on: date | None = None,
    reason: str | None = None,
) -> Action:
    """Return ``action`` moved to ``goal`` as a person asked, or raise :class:`RuleViolation`.

    The move follows :func:`status_path`, each step through its gate. The
    hold's reason and review date go with ``on_hold`` and the successor
    with ``superseded``: given with another status they are refused. Asked
    for the status it already has, an action on hold takes a new reason or
    review date (the one not given is kept) and a superseded action a
    corrected successor; with nothing new that is ``lifecycle.no-change``.
    """
    if goal != S.ON_HOLD and (hold_reason is not None or hold_review_date is not None):
        raise RuleViolation(
            "lifecycle.hold-needs-on-hold",
            "only an action on hold has a hold reason and review date; set its status to"
            " on_hold as well",
            record_id=action.id,
        )
    if goal != S.SUPERSEDED and successor_id is not None:
        raise RuleViolation(
            "lifecycle.successor-needs-superseded",
            "the action that replaces this one is set only when it is superseded"
            + ("" if action.status == S.SUPERSEDED else "; set its status to superseded as well"),
            record_id=action.id,
        )
    if goal == action.status:
        revised = _revised(action, hold_reason, hold_review_date, successor_id)
        if revised is not None:
            return revised
    evidence, decisions, measures = list(evidence), list(decisions), list(measures)
    *waypoints, last = status_path(action.status, goal)
    for step in waypoints:
        action = change_status(action, step, evidence=evidence, decisions=decisions,
                               measures=measures, on=on)
    return change_status(action, last, evidence=evidence, decisions=decisions, measures=measures,
                         hold_reason=hold_reason, hold_review_date=hold_review_date,
                         successor_id=successor_id, on=on, reason=reason)


def revise_hold(action: Action, *, reason: str | None, review_date: date | None) -> Action:
    """An action on hold with the hold's reason and review date as given (both are needed)."""
    if action.status != S.ON_HOLD:
        raise RuleViolation(
            "lifecycle.hold-needs-on-hold",
            "only an action on hold has a hold reason and review date; set its status to"
            " on_hold as well",
            record_id=action.id,
        )
    if not (reason and reason.strip()):
        raise RuleViolation("gate.on-hold-needs-reason", "an action on hold needs a reason",
                            record_id=action.id)
    if review_date is None:
        raise RuleViolation("gate.on-hold-needs-review-date",
                            "an action on hold needs a date to review the hold",
                            record_id=action.id)
    return attrs.evolve(action, hold_reason=reason.strip(), hold_review_date=review_date)


def _revised(action: Action, hold_reason: str | None, hold_review_date: date | None,
             successor_id: str | None) -> Action | None:
    """The hold or the successor of an action already in that status, revised; None: no change."""
    if action.status == S.ON_HOLD:
        revised = revise_hold(
            action, reason=action.hold_reason if hold_reason is None else hold_reason,
            review_date=hold_review_date or action.hold_review_date)
        return revised if revised != action else None
    if action.status == S.SUPERSEDED and successor_id and successor_id.strip():
        if successor_id == action.id:
            raise RuleViolation(
                "gate.superseded-needs-successor", "an action cannot supersede itself",
                record_id=action.id,
            )
        return None if successor_id == action.successor_id else attrs.evolve(
            action, successor_id=successor_id)
    return None
