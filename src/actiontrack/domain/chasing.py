"""Chasing owners: which agency leads to remind, about which actions, and what to ask.

Worked out from the plan and the day alone, so a chase and its dry run
list the same. An action is listed for each
reason that applies to it (:class:`ChaseReason`); each reason asks for
something the owner can give: an update, a new date and its reason, the
evidence, a decision on a hold.

A chase that was sent is kept as a :class:`~actiontrack.domain.models.Chase`
record: the same day's chase is not sent twice (:func:`chased_already`),
and :func:`unanswered_chases` counts the reminders an action's owner has
not answered with an update.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import attrs

from actiontrack.domain.lifecycle import OPEN_STATUSES, counting_evidence
from actiontrack.domain.models import Action, ActionStatus, Agency, Chase, EvidenceTier
from actiontrack.domain.plan import Plan
from actiontrack.domain.rag import whole_days
from actiontrack.errors import ConfigError

__all__ = [
    "AgencyChase",
    "ChaseItem",
    "ChasePolicy",
    "ChaseReason",
    "chase_list",
    "chased_already",
    "last_heard",
    "unanswered_chases",
]


class ChaseReason(enum.StrEnum):
    """Why an action is in a reminder."""

    DUE_SOON = "due_soon"  # open, its target date within the policy's days
    OVERDUE = "overdue"  # open, its target date past
    NO_RECENT_UPDATE = "no_recent_update"  # open, no progress update for too long
    NO_COMPLETION_EVIDENCE = "no_completion_evidence"  # completed, no evidence that counts
    HOLD_REVIEW_PASSED = "hold_review_passed"  # on hold past the day it was to be reviewed


def _reasons(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple) or not value:
        raise ConfigError("name at least one reason to chase", setting=attribute.name)


@attrs.frozen(kw_only=True)
class ChasePolicy:
    """What the partnership chases for (``[chase]`` in the configuration)."""

    #: An open action is chased when its target date is this many days away or fewer.
    due_within_days: int = attrs.field(default=28, validator=whole_days)
    #: An open action is chased when its owner has given no update for more days than this.
    no_update_days: int = attrs.field(default=60, validator=whole_days)
    #: The reasons chased for; leave one out to stop chasing for it.
    reasons: tuple[ChaseReason, ...] = attrs.field(
        default=tuple(ChaseReason), converter=tuple, validator=_reasons)


@attrs.frozen(kw_only=True)
class ChaseItem:
    """One action in a reminder, each reason it is there, and when its owner was last heard."""

    action: Action
    reasons: tuple[ChaseReason, ...]
    #: The day of its latest progress update (``None``: none yet, see ``added_on``).
    last_update_on: date | None
    #: The day it was put on the plan, where the store knows it.
    added_on: date | None


@attrs.frozen(kw_only=True)
class AgencyChase:
    """What one agency's lead is asked about: the actions it leads that need something."""

    agency: Agency
    items: tuple[ChaseItem, ...]

    @property
    def action_ids(self) -> tuple[str, ...]:
        return tuple(item.action.id for item in self.items)


def last_heard(plan: Plan, action: Action, today: date,
               created_on: Mapping[str, date]) -> tuple[date | None, date | None]:
    """The day of the action's latest update up to ``today``, and the day it was added."""
    return _latest_update_on(plan, action, today), created_on.get(action.id)


def _latest_update_on(plan: Plan, action: Action, today: date) -> date | None:
    # Updates come oldest first: the latest up to today is the first from the end.
    return next((update.on for update in reversed(plan.updates_for(action.id))
                 if update.on <= today), None)


def _reasons_for(plan: Plan, action: Action, today: date, policy: ChasePolicy,
                 heard: tuple[date | None, date | None]) -> list[ChaseReason]:
    reasons: list[ChaseReason] = []
    if action.status == ActionStatus.ON_HOLD:
        # A hold is chased for its review date only: the rest waits until it resumes.
        review = action.hold_review_date
        if review is not None and review < today:
            reasons.append(ChaseReason.HOLD_REVIEW_PASSED)
    elif action.status in OPEN_STATUSES:
        days_left = (action.target_date - today).days
        if days_left < 0:
            reasons.append(ChaseReason.OVERDUE)
        elif days_left <= policy.due_within_days:
            reasons.append(ChaseReason.DUE_SOON)
        since = heard[0] or heard[1]
        if since is not None and (today - since).days > policy.no_update_days:
            reasons.append(ChaseReason.NO_RECENT_UPDATE)
    elif action.status == ActionStatus.COMPLETED:
        evidence = counting_evidence(action, plan.evidence_for(action.id))
        if not any(item.tier == EvidenceTier.COMPLETION for item in evidence):
            reasons.append(ChaseReason.NO_COMPLETION_EVIDENCE)
    return [reason for reason in reasons if reason in policy.reasons]


def chase_list(plan: Plan, *, today: date, policy: ChasePolicy,
               created_on: Mapping[str, date], agency_id: str | None = None
               ) -> list[AgencyChase]:
    """Each agency with actions to chase on ``today``, by agency id, actions by id."""
    by_agency: dict[str, list[ChaseItem]] = {}
    for action_id in sorted(plan.actions):
        action = plan.actions[action_id]
        if agency_id is not None and action.lead_agency_id != agency_id:
            continue
        heard = last_heard(plan, action, today, created_on)
        reasons = _reasons_for(plan, action, today, policy, heard)
        if reasons:
            by_agency.setdefault(action.lead_agency_id, []).append(ChaseItem(
                action=action, reasons=tuple(reasons), last_update_on=heard[0],
                added_on=heard[1]))
    return [AgencyChase(agency=plan.agencies[key], items=tuple(by_agency[key]))
            for key in sorted(by_agency) if key in plan.agencies]


def chased_already(plan: Plan, agency_id: str, on: date, action_ids: Iterable[str]) -> bool:
    """Whether reminders sent to ``agency_id`` on ``on`` already listed every one of the actions."""
    listed = {action_id for chase in plan.chases.values()
              if chase.agency_id == agency_id and chase.sent_on == on
              for action_id in chase.action_ids}
    return set(action_ids) <= listed


def unanswered_chases(plan: Plan, action: Action, today: date) -> list[Chase]:
    """The reminders listing the action, up to ``today``, sent after its latest update."""
    chases = [chase for chase in plan.chases_for(action.id) if chase.sent_on <= today]
    if not chases:  # most actions: no need to look at their updates
        return chases
    since = _latest_update_on(plan, action, today) or date.min
    return [chase for chase in chases if since < chase.sent_on]

