"""Derived status: an action's RAG and a recommendation's status.

Neither is ever typed in: both are computed from the records and the day
passed in, so a plan rebuilt as of a past date shows the RAG it had then.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from actiontrack.domain.lifecycle import COMPLETE_STATUSES
from actiontrack.domain.models import Action, ActionStatus, Recommendation, Response
from actiontrack.errors import ConfigError

__all__ = ["Rag", "RagPolicy", "RecommendationStatus", "rag", "recommendation_status",
           "whole_days"]


class Rag(enum.StrEnum):
    RED = "red"  # past its current target date and not complete
    AMBER = "amber"  # due soon, slipped from its original date, or on hold
    GREEN = "green"  # on track
    BLUE = "blue"  # complete (completed, assured or embedded)
    GREY = "grey"  # superseded: no longer tracked itself


#: The longest due-soon period that makes sense: ten years.
_MOST_DAYS = 3650


def whole_days(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: a number of days, 0 to ten years, never true or false."""
    if type(value) is not int or not 0 <= value <= _MOST_DAYS:
        raise ConfigError(f"must be a whole number from 0 to {_MOST_DAYS}, not {value!r}",
                          setting=attribute.name)


def _true_or_false(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not bool:
        raise ConfigError(f"must be true or false, not {value!r}", setting=attribute.name)


@attrs.frozen(kw_only=True)
class RagPolicy:
    """The thresholds a partnership chooses for its RAG.

    Read from the ``[rag]`` table of the configuration (see
    :mod:`actiontrack.settings`). A value that makes no sense raises
    :class:`~actiontrack.errors.ConfigError` (a ``ValueError``) naming the
    setting: this is the one place the thresholds are checked.
    """

    #: An open action turns amber when its target is this many days away or fewer.
    due_soon_days: int = attrs.field(default=28, validator=whole_days)
    #: Whether an action whose current target is later than its original one
    #: (it has slipped) is amber even when on track.
    slipped_is_amber: bool = attrs.field(default=True, validator=_true_or_false)

    def is_due_soon(self, target_date: date, today: date) -> bool:
        """Whether ``target_date`` is today or within the next ``due_soon_days`` days."""
        return 0 <= (target_date - today).days <= self.due_soon_days


def rag(action: Action, today: date, policy: RagPolicy = RagPolicy()) -> Rag:
    """Return the RAG of ``action`` on ``today``."""
    if action.status in COMPLETE_STATUSES:
        return Rag.BLUE
    if action.status == ActionStatus.SUPERSEDED:
        return Rag.GREY
    if today > action.target_date:
        return Rag.RED
    if policy.is_due_soon(action.target_date, today):
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
