"""Working days and the statutory clocks of Working Together (England).

| clock                         | starts at                       | limit                 |
|-------------------------------|---------------------------------|-----------------------|
| serious incident notification | the council becomes aware       | 5 working days        |
| rapid review sent to Panel    | the notification                | 15 working days       |
| local CSPR published          | the decision to hold it         | 6 calendar months     |
| published report kept online  | publication                     | at least 1 year       |
| partnership's yearly report   | the previous one                | at most 12 months     |

Working days are Monday to Friday less the bank holidays of England and
Wales (from the ``holidays`` package). Partnerships count day 1 differently,
so the convention is explicit: :attr:`DayOne.NEXT_WORKING_DAY` (the usual
legal reading: the day after the trigger is day 1) or
:attr:`DayOne.START_DAY` (the trigger day itself is day 1 when it is a
working day).

Nothing here reads the system clock: every function takes the dates it needs.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import attrs

from actiontrack.domain.models import Review, ReviewKind

__all__ = [
    "ENGLAND",
    "ClockState",
    "DayOne",
    "Deadline",
    "StatutoryClock",
    "WorkingDays",
    "add_months",
    "end_of_day",
    "local_date",
    "review_deadlines",
    "yearly_report_due",
]


#: Partnerships keep English days: a change at 00:30 in July belongs to that day.
ENGLAND = ZoneInfo("Europe/London")


def local_date(moment: datetime) -> date:
    """The day in England at ``moment`` (a timezone-aware datetime)."""
    return moment.astimezone(ENGLAND).date()


def end_of_day(day: date) -> datetime:
    """The last moment of ``day`` in England: what "as of that day" means."""
    return datetime.combine(day, time.max, tzinfo=ENGLAND)


class DayOne(enum.StrEnum):
    """Which day counts as day 1 of a working-day clock."""

    NEXT_WORKING_DAY = "next_working_day"
    START_DAY = "start_day"


@lru_cache(maxsize=256)
def _england_and_wales_bank_holidays(year: int) -> frozenset[date]:
    import holidays  # loaded when a clock is first counted, not by every command

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


@attrs.frozen
class WorkingDays:
    """Counts working days: Monday to Friday, less bank holidays.

    ``extra_closures`` adds days the partnership treats as closed (for
    example a one-off bank holiday not yet in the ``holidays`` package).
    """

    day_one: DayOne = DayOne.NEXT_WORKING_DAY
    extra_closures: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self.extra_closures:
            return False
        return day not in _england_and_wales_bank_holidays(day.year)

    def add(self, start: date, count: int) -> date:
        """The date of working day number ``count`` counted from ``start``."""
        if count < 1:
            raise ValueError("count working days from 1")
        day = start
        # A trigger on a closed day is counted from the next working day either way.
        if self.day_one == DayOne.START_DAY and self.is_working_day(start):
            remaining = count - 1
        else:
            remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """How many working days after ``start`` up to and including ``end``.

        Under :attr:`DayOne.START_DAY` a working ``start`` counts too, so
        ``between(d, add(d, n)) == n`` under either convention.
        """
        if end < start:
            return -self.between(end, start)
        days = sum(
            1 for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=offset))
        )
        if self.day_one == DayOne.START_DAY and self.is_working_day(start):
            days += 1
        return days


def add_months(start: date, months: int) -> date:
    """``start`` plus calendar months, clipped to the month's end (31 Aug + 6 = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


class StatutoryClock(enum.StrEnum):
    NOTIFICATION = "notification"  # 5 working days to notify the national Panel
    RAPID_REVIEW = "rapid_review"  # 15 working days to send the rapid review
    CSPR_PUBLICATION = "cspr_publication"  # 6 months to publish a local CSPR


class ClockState(enum.StrEnum):
    RUNNING = "running"  # not met, deadline not passed
    OVERDUE = "overdue"  # not met, deadline passed
    MET = "met"  # met on or before the deadline
    MET_LATE = "met_late"  # met after the deadline


@attrs.frozen(kw_only=True)
class Deadline:
    """One statutory clock of one review."""

    clock: StatutoryClock
    review_id: str
    starts_on: date
    due_on: date
    met_on: date | None

    def state(self, today: date) -> ClockState:
        if self.met_on is not None and self.met_on <= today:
            return ClockState.MET if self.met_on <= self.due_on else ClockState.MET_LATE
        return ClockState.OVERDUE if today > self.due_on else ClockState.RUNNING

    def days_left(self, today: date) -> int:
        """Calendar days until the deadline (negative once it has passed)."""
        return (self.due_on - today).days


_PUBLISHED_KINDS = frozenset({ReviewKind.LCSPR, ReviewKind.LOCAL_THEMATIC})
#: Child reviews, whose serious incidents the national Panel is told about.
_PANEL_KINDS = frozenset({ReviewKind.RAPID_REVIEW, ReviewKind.LCSPR, ReviewKind.LOCAL_THEMATIC})


def review_deadlines(review: Review, working_days: WorkingDays) -> tuple[Deadline, ...]:
    """The statutory clocks that have started for ``review``, in the order they run.

    The Panel's clocks (notification, rapid review) run for child reviews
    only: not for a SAR, a DHR or a national report adopted locally.
    """
    deadlines: list[Deadline] = []
    panel = review.kind in _PANEL_KINDS
    if panel and review.became_aware_on is not None:
        deadlines.append(
            Deadline(
                clock=StatutoryClock.NOTIFICATION,
                review_id=review.id,
                starts_on=review.became_aware_on,
                due_on=working_days.add(review.became_aware_on, 5),
                met_on=review.notified_on,
            )
        )
    if panel and review.notified_on is not None:
        deadlines.append(
            Deadline(
                clock=StatutoryClock.RAPID_REVIEW,
                review_id=review.id,
                starts_on=review.notified_on,
                due_on=working_days.add(review.notified_on, 15),
                met_on=review.rapid_review_sent_on,
            )
        )
    if review.decided_on is not None and review.kind in _PUBLISHED_KINDS:
        deadlines.append(
            Deadline(
                clock=StatutoryClock.CSPR_PUBLICATION,
                review_id=review.id,
                starts_on=review.decided_on,
                due_on=add_months(review.decided_on, 6),
                met_on=review.published_on,
            )
        )
    return tuple(deadlines)


def yearly_report_due(previous_reports: Iterable[date]) -> date | None:
    """When the next yearly report is due: 12 months after the latest one."""
    latest = max(previous_reports, default=None)
    return None if latest is None else add_months(latest, 12)
