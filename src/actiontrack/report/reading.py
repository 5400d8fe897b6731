"""What the report reads from a store: the plan on its day, and the open actions before it.

:func:`read_report` is the report as ``actiontrack report`` makes it. The
trend asks the store for the open actions at each month end, newest first,
so a store that rewinds views of the past from the records now undoes each
history entry once for all twelve (see ``docs/storage.md``).
"""

from __future__ import annotations

from datetime import date

from actiontrack.domain.clocks import end_of_day
from actiontrack.domain.lifecycle import OPEN_STATUSES
from actiontrack.domain.models import Action, Recommendation
from actiontrack.domain.rag import RagPolicy
from actiontrack.errors import NotFoundError
from actiontrack.report.content import Report, TrendPoint, build_report, trend_days
from actiontrack.store.protocol import Store

__all__ = ["open_actions_trend", "read_report"]


def read_report(
    store: Store,
    *,
    as_of: date,
    review_id: str | None = None,
    policy: RagPolicy = RagPolicy(),  # noqa: B008  (frozen: one shared default is safe)
) -> Report:
    """The committee report on the plan in ``store`` as it stood at the end of ``as_of``.

    Raises :class:`~actiontrack.errors.NotFoundError` when ``review_id``
    names no review in that plan, before the trend is read.
    """
    plan = store.snapshot(as_of=end_of_day(as_of))
    if review_id is not None and review_id not in plan.reviews:
        raise NotFoundError("review", review_id)
    return build_report(plan, as_of=as_of, trend=open_actions_trend(store, as_of, review_id),
                        review_id=review_id, policy=policy)


def open_actions_trend(
    store: Store, as_of: date, review_id: str | None = None
) -> tuple[TrendPoint, ...]:
    """The open actions at the end of each of the twelve months up to ``as_of`` (England time).

    With ``review_id``, only the actions answering one of that review's
    recommendations as they stood then.
    """
    open_statuses = frozenset(OPEN_STATUSES)
    points = []
    for day in reversed(trend_days(as_of)):
        moment = end_of_day(day)
        if review_id is None:
            actions = store.find(Action, as_of=moment, status=open_statuses)
        else:
            answering = frozenset(r.id for r in store.find(Recommendation, as_of=moment,
                                                           review_id=review_id))
            actions = store.find(Action, as_of=moment, status=open_statuses,
                                 recommendation_ids=answering)
        points.append(TrendPoint(on=day, open_actions=len(actions)))
    return tuple(reversed(points))
