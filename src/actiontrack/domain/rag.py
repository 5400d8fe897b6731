"""Derived status: an action's RAG and a recommendation's status.

Neither is ever typed in: both are computed from the records and the day
passed in, so a plan rebuilt as of a past date shows the RAG it had then.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, timedelta

import attrs

from actiontrack.domain.lifecycle import COMPLETE_STATUSES
from actiontrack.domain.models import Action, ActionStatus, Recommendation, Response

__all__ = ["Rag", "RagPolicy", "RecommendationStatus", "rag", "recommendation_status"]


class Rag(enum.StrEnum):
    RED = "red"  # past its current target date and not complete
    AMBER = "amber"  # due soon, slipped from its original date, or on hold
    GREEN = "green"  # on track
    BLUE = "blue"  # complete (completed, assured or embedded)
    GREY = "grey"  # superseded: no longer tracked itself


@attrs.frozen(kw_only=True)
class RagPolicy:
    """The thresholds a partnership chooses for its RAG."""

    due_soon_days: int = 28
    #: Whether an action whose current target is later than its original one
    #: (it has slipped) is amber even when on track.
    slipped_is_amber: bool = True


def rag(action: Action, today: date, policy: RagPolicy = RagPolicy()) -> Rag:
    """Return the RAG of ``action`` on ``today``."""
    if action.status in COMPLETE_STATUSES:
        return Rag.BLUE
    if action.status == ActionStatus.SUPERSEDED:
        return Rag.GREY
    if today > action.target_date:
        return Rag.RED
    if action.target_date - today <= timedelta(days=policy.due_soon_days):
        return Rag.AMBER
    if action.status == ActionStatus.ON_HOLD:
        return Rag.AMBER
    if policy.slipped_is_amber and action.target_date > action.original_target_date:
        return Rag.AMBER
    return Rag.GREEN


class RecommendationStatus(enum.StrEnum):
    NOT_ACCEPTED = "not_accepted"
    AWAITING_RESPONSE = "awaiting_response"
    NO_ACTIONS = "no_actions"  # accepted, but nothing planned yet
    OPEN = "open"  # at least one action still to do
    COMPLETED = "completed"  # every action completed or better
    ASSURED = "assured"  # every action assured or better
    EMBEDDED = "embedded"  # every action embedded


_RANK = {ActionStatus.COMPLETED: 1, ActionStatus.ASSURED: 2, ActionStatus.EMBEDDED: 3}


def recommendation_status(
    recommendation: Recommendation, actions: Iterable[Action]
) -> RecommendationStatus:
    """Derive a recommendation's status from the actions that answer it.

    Superseded actions are left out: their successors carry the work.
    """
    if recommendation.response == Response.NOT_ACCEPTED:
        return RecommendationStatus.NOT_ACCEPTED
    if recommendation.response == Response.PENDING:
        return RecommendationStatus.AWAITING_RESPONSE
    live = [
        a
        for a in actions
        if recommendation.id in a.recommendation_ids and a.status != ActionStatus.SUPERSEDED
    ]
    if not live:
        return RecommendationStatus.NO_ACTIONS
    if any(a.status not in COMPLETE_STATUSES for a in live):
        return RecommendationStatus.OPEN
    lowest = min(_RANK[a.status] for a in live)
    return {
        1: RecommendationStatus.COMPLETED,
        2: RecommendationStatus.ASSURED,
        3: RecommendationStatus.EMBEDDED,
    }[lowest]
