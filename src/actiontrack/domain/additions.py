"""New records built against a plan, with the checks a new record must pass.

Pure functions: each takes the plan as it stands (and the ids already taken
by other new records of the same unit of work), checks the references, and
returns the record at version 0 or raises. The service commits one such
record at a time; a workbook import commits many together.

New records get readable ids unless one is given: an action is
``<partnership>/A<nnn>``, and an action's updates and evidence are
``<action>/U<n>`` and ``/E<n>``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from datetime import date

from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Evidence,
    EvidenceKind,
    EvidenceTier,
    ProgressUpdate,
)
from actiontrack.domain.plan import Plan
from actiontrack.errors import ConversionError, NotFoundError, RuleViolation

__all__ = [
    "NEW_ACTION_STATUSES",
    "check_id",
    "new_action",
    "new_evidence",
    "new_progress_update",
    "next_id",
]

#: The statuses an action may start in; completing one needs evidence first.
NEW_ACTION_STATUSES = (ActionStatus.PROPOSED, ActionStatus.AGREED, ActionStatus.IN_PROGRESS)

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,119}")


def check_id(record_id: str, what: str) -> str:
    """An id people can read, type and put in a file name; anything else is bad input."""
    if not _ID.fullmatch(record_id):
        raise ConversionError([
            f"$.id: {what} id {record_id!r} must start with a letter or digit and use only"
            " letters, digits and . _ : / - (at most 120 characters)"
        ])
    return record_id


def next_id(prefix: str, existing: Iterable[str]) -> str:
    """``prefix`` followed by one more than the highest number any existing id has."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)$")
    numbers = [int(m.group(1)) for key in existing if (m := pattern.match(key))]
    return f"{prefix}{max(numbers, default=0) + 1}"


def new_action(
    plan: Plan,
    *,
    recommendation_ids: Sequence[str],
    lead_agency_id: str,
    title: str,
    target_date: date,
    lead_officer: str | None = None,
    deliverable: str | None = None,
    success_measure: str | None = None,
    status: ActionStatus = ActionStatus.PROPOSED,
    id: str | None = None,
    taken: Collection[str] = (),
) -> Action:
    """An action answering recommendations of one partnership, led by a known agency."""
    if not recommendation_ids:
        raise RuleViolation("action.needs-recommendation",
                            "an action must answer at least one recommendation")
    if status not in NEW_ACTION_STATUSES:
        raise RuleViolation(
            "action.new-status",
            "a new action starts as proposed, agreed or in_progress; record evidence"
            " before completing it",
        )
    if not title.strip():
        raise RuleViolation("action.needs-title", "an action needs a title saying what will"
                            " be done")
    if lead_agency_id not in plan.agencies:
        raise NotFoundError("agency", lead_agency_id)
    partnerships = set()
    for recommendation_id in recommendation_ids:
        recommendation = plan.recommendations.get(recommendation_id)
        if recommendation is None:
            raise NotFoundError("recommendation", recommendation_id)
        partnerships.add(plan.reviews[recommendation.review_id].partnership_id)
    if len(partnerships) > 1:
        raise RuleViolation(
            "action.one-partnership",
            "an action's recommendations must all belong to one partnership's reviews"
            f" (found {', '.join(sorted(partnerships))})",
        )
    (partnership_id,) = partnerships
    record_id = id
    if not record_id:  # generated numbers stay sortable: A001, A002, ...
        number = next_id(f"{partnership_id}/A", [*plan.actions, *taken]).rsplit("/A", 1)[1]
        record_id = f"{partnership_id}/A{int(number):03d}"
    return Action(
        id=check_id(record_id, "action"),
        partnership_id=partnership_id,
        recommendation_ids=tuple(dict.fromkeys(recommendation_ids)),
        lead_agency_id=lead_agency_id,
        title=title,
        original_target_date=target_date,
        target_date=target_date,
        lead_officer=lead_officer,
        deliverable=deliverable,
        success_measure=success_measure,
        status=status,
    )


def _next_child_id(prefix: str, existing: Iterable[str], taken: Collection[str]) -> str:
    """The next id of an action's updates or evidence, past those new in this unit too."""
    return next_id(prefix, [*existing, *(t for t in taken if t.startswith(prefix))])


def _action(plan: Plan, action_id: str, taken: Collection[str]) -> None:
    if action_id not in plan.actions and action_id not in taken:
        raise NotFoundError("action", action_id)


def new_progress_update(
    plan: Plan, action_id: str, text: str, *, on: date, by: str, taken: Collection[str] = ()
) -> ProgressUpdate:
    """A dated note on an action (``taken`` may hold the ids of actions new in this unit)."""
    _action(plan, action_id, taken)
    if not text.strip():
        raise RuleViolation("update.empty", "a progress update needs some text",
                            record_id=action_id)
    return ProgressUpdate(
        id=_next_child_id(f"{action_id}/U", (u.id for u in plan.updates_for(action_id)), taken),
        action_id=action_id,
        on=on,
        by=by,
        text=text.strip(),
    )


def new_evidence(
    plan: Plan,
    action_id: str,
    *,
    tier: EvidenceTier,
    kind: EvidenceKind,
    title: str,
    about_date: date,
    link: str | None = None,
    today: date,
    by: str,
    taken: Collection[str] = (),
) -> Evidence:
    """Evidence recorded ``today`` that an action was done or made a difference."""
    _action(plan, action_id, taken)
    if about_date > today:
        raise RuleViolation(
            "evidence.future-date",
            f"evidence cannot be about a day that has not happened ({about_date.isoformat()})",
            record_id=action_id,
        )
    if not title.strip():
        raise RuleViolation("evidence.needs-title", "evidence needs a title saying what it is",
                            record_id=action_id)
    return Evidence(
        id=_next_child_id(f"{action_id}/E", (e.id for e in plan.evidence_for(action_id)), taken),
        action_id=action_id,
        tier=tier,
        kind=kind,
        title=title.strip(),
        about_date=about_date,
        recorded_on=today,
        recorded_by=by,
        link=link,
    )
