"""The statutory clocks: a warning as a deadline nears, an error once it has passed."""

from __future__ import annotations

from collections.abc import Iterator

from actiontrack.auditing.context import AuditContext, Flag
from actiontrack.auditing.findings import Severity
from actiontrack.auditing.registry import rule
from actiontrack.domain.clocks import ClockState, Deadline, StatutoryClock, review_deadlines
from actiontrack.formatting import long_date

_WHAT = {
    StatutoryClock.NOTIFICATION: "the serious incident notification to the Panel"
    " (5 working days)",
    StatutoryClock.RAPID_REVIEW: "the rapid review to the Panel (15 working days)",
    StatutoryClock.CSPR_PUBLICATION: "publication of the local CSPR (6 months)",
}


def _deadlines(context: AuditContext, clock: StatutoryClock) -> Iterator[Deadline]:
    for review_id in sorted(context.plan.reviews):
        for deadline in review_deadlines(context.plan.reviews[review_id], context.working_days):
            if deadline.clock == clock:
                yield deadline


def _check(context: AuditContext, clock: StatutoryClock) -> Iterator[Flag]:
    warn_days = context.threshold("clock_warning_days")
    for deadline in _deadlines(context, clock):
        state = deadline.state(context.as_of)
        facts = {"clock": clock, "starts_on": deadline.starts_on, "due_on": deadline.due_on,
                 "met_on": deadline.met_on if state in (ClockState.MET, ClockState.MET_LATE)
                 else None, "day_one": context.working_days.day_one}
        what, due = _WHAT[clock], f"{long_date(deadline.due_on)}"
        if state == ClockState.OVERDUE:
            yield Flag(subject=deadline.review_id, severity=Severity.ERROR,
                       message=f"{what} was due on {due} and has not happened", facts=facts)
        elif state == ClockState.MET_LATE:
            late = (deadline.met_on - deadline.due_on).days if deadline.met_on else 0
            yield Flag(subject=deadline.review_id, severity=Severity.ERROR,
                       message=f"{what} was due on {due} and happened {late} days late",
                       facts=facts)
        elif state == ClockState.RUNNING and deadline.days_left(context.as_of) <= warn_days:
            yield Flag(subject=deadline.review_id, severity=Severity.WARNING,
                       message=f"{what} is due on {due}, in"
                       f" {deadline.days_left(context.as_of)} days", facts=facts)


_THRESHOLDS = {"clock_warning_days": 5}


@rule("notification-clock", severity=Severity.ERROR, thresholds=_THRESHOLDS,
      description="Serious incident notification due within 5 working days of awareness")
def notification_clock(context: AuditContext) -> Iterator[Flag]:
    return _check(context, StatutoryClock.NOTIFICATION)


@rule("rapid-review-clock", severity=Severity.ERROR, thresholds=_THRESHOLDS,
      description="Rapid review due with the Panel within 15 working days of notification")
def rapid_review_clock(context: AuditContext) -> Iterator[Flag]:
    return _check(context, StatutoryClock.RAPID_REVIEW)


@rule("publication-clock", severity=Severity.ERROR, thresholds=_THRESHOLDS,
      description="Local CSPR published within 6 months of the decision to hold it")
def publication_clock(context: AuditContext) -> Iterator[Flag]:
    return _check(context, StatutoryClock.CSPR_PUBLICATION)
