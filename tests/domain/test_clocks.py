"""Working days in England and Wales, calendar months, and the statutory clocks of a review.

Every expected date below is counted by hand from a calendar; the comment
next to it shows the count. Bank holidays used (England and Wales):
2025: Fri 18 Apr Good Friday, Mon 21 Apr Easter Monday, Thu 25 Dec, Fri 26 Dec;
2026: Thu 1 Jan, Fri 25 Dec, Mon 28 Dec (Boxing Day, Sat 26, moved).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actiontrack.domain.clocks import (
    ClockState,
    DayOne,
    Deadline,
    StatutoryClock,
    WorkingDays,
    add_months,
    review_deadlines,
    yearly_report_due,
)
from actiontrack.domain.models import Review, ReviewKind

NEXT = WorkingDays(day_one=DayOne.NEXT_WORKING_DAY)
START = WorkingDays(day_one=DayOne.START_DAY)


# Which days are working days


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 4, 18),  # Good Friday
        date(2025, 4, 21),  # Easter Monday
        date(2025, 12, 25),  # Christmas Day, a Thursday
        date(2025, 12, 26),  # Boxing Day, a Friday
        date(2026, 1, 1),  # New Year's Day, a Thursday
        date(2026, 12, 28),  # Monday: Boxing Day (Saturday 26th) moved to it
        date(2025, 12, 27),  # Saturday
        date(2025, 12, 28),  # Sunday
    ],
)
def test_bank_holidays_and_weekends_are_not_working_days(day: date) -> None:
    """England and Wales bank holidays (substitute days too) and weekends are closed."""
    assert not NEXT.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 12, 24),  # Christmas Eve, a Wednesday: not a bank holiday
        date(2025, 12, 31),  # New Year's Eve, a Wednesday
        date(2025, 4, 17),  # Maundy Thursday
        date(2025, 3, 17),  # St Patrick's Day: a bank holiday in Northern Ireland only
        date(2025, 12, 1),  # St Andrew's Day substitute: Scotland only
    ],
)
def test_ordinary_weekdays_are_working_days(day: date) -> None:
    """Weekdays that are not England and Wales bank holidays are working days."""
    assert NEXT.is_working_day(day)


def test_extra_closures_are_not_working_days() -> None:
    """A day the partnership adds as closed is skipped like a bank holiday."""
    closed = WorkingDays(extra_closures=frozenset({date(2026, 3, 2)}))  # a Monday
    assert not closed.is_working_day(date(2026, 3, 2))
    # Fri 27 Feb + 1: Sat, Sun closed, Mon 2 Mar closed, so Tue 3 Mar is day 1.
    assert closed.add(date(2026, 2, 27), 1) == date(2026, 3, 3)


# Counting working days forward


def test_five_working_days_over_christmas_from_next_day() -> None:
    """Mon 22 Dec 2025 + 5 working days, day 1 the next working day, is Wed 31 Dec."""
    # Tue 23 (1), Wed 24 (2), Thu 25 and Fri 26 bank holidays, weekend,
    # Mon 29 (3), Tue 30 (4), Wed 31 (5).
    assert NEXT.add(date(2025, 12, 22), 5) == date(2025, 12, 31)


def test_five_working_days_over_christmas_from_start_day() -> None:
    """Mon 22 Dec 2025 + 5 working days, day 1 the start day, is Tue 30 Dec."""
    # Mon 22 (1), Tue 23 (2), Wed 24 (3), [25, 26, 27, 28 closed], Mon 29 (4), Tue 30 (5).
    assert START.add(date(2025, 12, 22), 5) == date(2025, 12, 30)


def test_working_days_across_new_year() -> None:
    """Mon 22 Dec 2025 + 8 working days skips New Year's Day too: Tue 6 Jan 2026."""
    # ... Wed 31 Dec (5), Thu 1 Jan bank holiday, Fri 2 Jan (6), weekend,
    # Mon 5 Jan (7), Tue 6 Jan (8).
    assert NEXT.add(date(2025, 12, 22), 8) == date(2026, 1, 6)
    # Start day counted: one day earlier, Mon 5 Jan.
    assert START.add(date(2025, 12, 22), 8) == date(2026, 1, 5)


def test_boxing_day_substitute_is_skipped() -> None:
    """Thu 24 Dec 2026 + 1 working day skips Christmas, the weekend and Mon 28 Dec."""
    # Fri 25 bank holiday, Sat 26, Sun 27, Mon 28 substitute for Boxing Day, Tue 29 (1).
    assert NEXT.add(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_working_days_over_easter() -> None:
    """Thu 17 Apr 2025 + 1 working day skips Good Friday to Easter Monday: Tue 22 Apr."""
    # Fri 18 Good Friday, Sat 19, Sun 20, Mon 21 Easter Monday, Tue 22 (1).
    assert NEXT.add(date(2025, 4, 17), 1) == date(2025, 4, 22)
    # Five days: Tue 22 (1), Wed 23 (2), Thu 24 (3), Fri 25 (4), Mon 28 (5).
    assert NEXT.add(date(2025, 4, 17), 5) == date(2025, 4, 28)
    # Start day counted: Thu 17 (1), Tue 22 (2), Wed 23 (3), Thu 24 (4), Fri 25 (5).
    assert START.add(date(2025, 4, 17), 5) == date(2025, 4, 25)


def test_start_day_one_is_the_start_itself() -> None:
    """Under START_DAY, working day 1 of a working start is the start day."""
    assert START.add(date(2025, 4, 17), 1) == date(2025, 4, 17)  # a Thursday
    assert NEXT.add(date(2025, 4, 17), 1) == date(2025, 4, 22)  # Easter in between


@pytest.mark.parametrize("working_days", [NEXT, START], ids=["next-day", "start-day"])
def test_start_on_a_weekend(working_days: WorkingDays) -> None:
    """A trigger on a Saturday counts from the Monday under either convention."""
    # Sat 1 Mar 2025: Mon 3 (1), Tue 4 (2), Wed 5 (3), Thu 6 (4), Fri 7 (5).
    assert working_days.add(date(2025, 3, 1), 1) == date(2025, 3, 3)
    assert working_days.add(date(2025, 3, 1), 5) == date(2025, 3, 7)


@pytest.mark.parametrize("working_days", [NEXT, START], ids=["next-day", "start-day"])
def test_start_on_a_bank_holiday(working_days: WorkingDays) -> None:
    """A trigger on a bank holiday counts from the next working day under either convention."""
    # Good Friday 18 Apr 2025: weekend, Easter Monday, then Tue 22 (1).
    assert working_days.add(date(2025, 4, 18), 1) == date(2025, 4, 22)
    # Christmas Day 2025: [26, 27, 28 closed], Mon 29 (1), Tue 30 (2), Wed 31 (3),
    # [Thu 1 Jan closed], Fri 2 Jan (4), [weekend], Mon 5 Jan (5).
    assert working_days.add(date(2025, 12, 25), 5) == date(2026, 1, 5)


@pytest.mark.parametrize("count", [0, -1])
def test_add_refuses_a_count_below_one(count: int) -> None:
    """Working days are counted from 1: zero or fewer is a ValueError."""
    with pytest.raises(ValueError):
        NEXT.add(date(2025, 12, 22), count)


# Counting working days between two dates


def test_between_counts_hand_checked_spans() -> None:
    """between() counts the working days of a span, start day only under START_DAY."""
    # After Mon 22 Dec up to Wed 31 Dec: 23, 24, 29, 30, 31 = 5.
    assert NEXT.between(date(2025, 12, 22), date(2025, 12, 31)) == 5
    # Under START_DAY the working Mon 22 counts too: 6.
    assert START.between(date(2025, 12, 22), date(2025, 12, 31)) == 6
    # Same day: nothing after it; under START_DAY the day itself.
    assert NEXT.between(date(2025, 12, 22), date(2025, 12, 22)) == 0
    assert START.between(date(2025, 12, 22), date(2025, 12, 22)) == 1
    # Good Friday to Easter Monday: nothing to count under either convention.
    assert NEXT.between(date(2025, 4, 18), date(2025, 4, 21)) == 0
    assert START.between(date(2025, 4, 18), date(2025, 4, 21)) == 0


def test_between_is_negative_when_the_end_is_earlier() -> None:
    """between(end, start) is minus between(start, end)."""
    assert NEXT.between(date(2025, 12, 31), date(2025, 12, 22)) == -5


@pytest.mark.parametrize("working_days", [NEXT, START], ids=["next-day", "start-day"])
@pytest.mark.parametrize(
    ("start", "count"),
    [
        (date(2025, 12, 22), 5),
        (date(2025, 12, 22), 15),
        (date(2025, 4, 17), 1),
        (date(2025, 4, 18), 3),  # Good Friday
        (date(2025, 3, 1), 5),  # a Saturday
        (date(2026, 12, 24), 10),
    ],
)
def test_between_inverts_add_on_hand_cases(
    working_days: WorkingDays, start: date, count: int
) -> None:
    """between(start, add(start, n)) == n around the holidays used above."""
    assert working_days.between(start, working_days.add(start, count)) == count


@settings(max_examples=100, deadline=None)
@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    count=st.integers(min_value=1, max_value=80),
    day_one=st.sampled_from(DayOne),
)
def test_between_inverts_add(start: date, count: int, day_one: DayOne) -> None:
    """For any start and count, between(start, add(start, n)) == n and the end is working."""
    working_days = WorkingDays(day_one=day_one)
    end = working_days.add(start, count)
    assert end >= start
    assert working_days.is_working_day(end)
    assert working_days.between(start, end) == count


# Calendar months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        # 31 Aug + 6 months lands in February: clipped to its last day.
        (date(2025, 8, 31), 6, date(2026, 2, 28)),  # 2026 is not a leap year
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # 2024 is a leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # leap day to a common year
        (date(2024, 2, 29), 48, date(2028, 2, 29)),  # leap day to a leap year
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),  # April has 30 days
        (date(2025, 11, 15), 3, date(2026, 2, 15)),  # across the year end
        (date(2025, 12, 31), 12, date(2026, 12, 31)),
        (date(2026, 5, 12), 0, date(2026, 5, 12)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),  # backwards, clipped
        (date(2026, 1, 15), -3, date(2025, 10, 15)),  # backwards across the year end
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    """add_months moves by calendar months and clips to the end of a shorter month."""
    assert add_months(start, months) == expected


def test_yearly_report_due_twelve_months_after_the_latest() -> None:
    """The next yearly report is due 12 months after the latest one; none before the first."""
    assert yearly_report_due([date(2024, 9, 30), date(2025, 10, 15)]) == date(2026, 10, 15)
    assert yearly_report_due([]) is None


# Statutory clocks of a review


def _review(kind: ReviewKind = ReviewKind.LCSPR, **dates: date | None) -> Review:
    return Review(
        id="WSCP/CSPR-ALEX",
        partnership_id="WSCP",
        reference="CSPR-ALEX",
        kind=kind,
        title="Child Alex (illustrative)",
        subject="Child Alex",
        **dates,
    )


def test_review_with_no_dates_has_no_clocks() -> None:
    """No clock runs until its starting date is recorded."""
    assert review_deadlines(_review(), NEXT) == ()


def test_all_three_clocks_of_a_local_cspr() -> None:
    """A local CSPR runs the notification, rapid review and publication clocks, in order."""
    review = _review(
        became_aware_on=date(2025, 12, 22),
        notified_on=date(2025, 12, 29),
        rapid_review_sent_on=date(2026, 1, 16),
        decided_on=date(2026, 1, 30),
        published_on=date(2026, 7, 1),
    )
    deadlines = review_deadlines(review, NEXT)
    assert deadlines == (
        Deadline(
            clock=StatutoryClock.NOTIFICATION,
            review_id="WSCP/CSPR-ALEX",
            starts_on=date(2025, 12, 22),
            # 5 working days after Mon 22 Dec: 23, 24, 29, 30, 31.
            due_on=date(2025, 12, 31),
            met_on=date(2025, 12, 29),
        ),
        Deadline(
            clock=StatutoryClock.RAPID_REVIEW,
            review_id="WSCP/CSPR-ALEX",
            starts_on=date(2025, 12, 29),
            # 15 working days after Mon 29 Dec: 30 (1), 31 (2), [1 Jan], 2 (3),
            # 5-9 Jan (4-8), 12-16 Jan (9-13), Mon 19 (14), Tue 20 Jan (15).
            due_on=date(2026, 1, 20),
            met_on=date(2026, 1, 16),
        ),
        Deadline(
            clock=StatutoryClock.CSPR_PUBLICATION,
            review_id="WSCP/CSPR-ALEX",
            starts_on=date(2026, 1, 30),
            # 6 calendar months after 30 Jan 2026.
            due_on=date(2026, 7, 30),
            met_on=date(2026, 7, 1),
        ),
    )


def test_rapid_review_deadline_counting_the_start_day() -> None:
    """Under START_DAY the 15 working days from Mon 29 Dec 2025 end on Mon 19 Jan 2026."""
    # Mon 29 (1), 30 (2), 31 (3), [1 Jan], Fri 2 (4), 5-9 Jan (5-9), 12-16 Jan (10-14),
    # Mon 19 Jan (15).
    deadlines = review_deadlines(_review(notified_on=date(2025, 12, 29)), START)
    assert [(d.clock, d.due_on) for d in deadlines] == [
        (StatutoryClock.RAPID_REVIEW, date(2026, 1, 19))
    ]


def test_publication_deadline_is_clipped_to_month_end() -> None:
    """A CSPR decided on 31 Aug 2025 is due for publication on 28 Feb 2026."""
    (deadline,) = review_deadlines(_review(decided_on=date(2025, 8, 31)), NEXT)
    assert deadline.clock == StatutoryClock.CSPR_PUBLICATION
    assert deadline.due_on == date(2026, 2, 28)
    assert deadline.met_on is None


@pytest.mark.parametrize(
    "kind", [ReviewKind.RAPID_REVIEW, ReviewKind.SAR, ReviewKind.DHR, ReviewKind.NATIONAL]
)
def test_publication_clock_only_for_local_reviews(kind: ReviewKind) -> None:
    """Only local CSPRs and local thematic reviews run the 6-month publication clock."""
    assert review_deadlines(_review(kind=kind, decided_on=date(2025, 8, 31)), NEXT) == ()


def test_local_thematic_review_runs_the_publication_clock() -> None:
    """A local thematic review is published like a local CSPR."""
    review = _review(kind=ReviewKind.LOCAL_THEMATIC, decided_on=date(2025, 8, 31))
    assert [d.clock for d in review_deadlines(review, NEXT)] == [StatutoryClock.CSPR_PUBLICATION]


def test_notification_met_on_day_five_depends_on_day_one_convention() -> None:
    """Aware Mon 22 Dec, notified Wed 31 Dec: on time only when the 23rd is day 1."""
    review = _review(became_aware_on=date(2025, 12, 22), notified_on=date(2025, 12, 31))
    on_time = review_deadlines(review, NEXT)[0]
    late = review_deadlines(review, START)[0]
    assert on_time.due_on == date(2025, 12, 31)
    assert late.due_on == date(2025, 12, 30)
    assert on_time.state(date(2026, 1, 5)) == ClockState.MET
    assert late.state(date(2026, 1, 5)) == ClockState.MET_LATE


# Deadline states

DEADLINE = Deadline(
    clock=StatutoryClock.NOTIFICATION,
    review_id="WSCP/CSPR-ALEX",
    starts_on=date(2025, 12, 22),
    due_on=date(2025, 12, 31),
    met_on=None,
)


def _met(on: date | None) -> Deadline:
    return Deadline(
        clock=DEADLINE.clock,
        review_id=DEADLINE.review_id,
        starts_on=DEADLINE.starts_on,
        due_on=DEADLINE.due_on,
        met_on=on,
    )


@pytest.mark.parametrize(
    ("met_on", "today", "expected"),
    [
        (None, date(2025, 12, 23), ClockState.RUNNING),
        (None, date(2025, 12, 31), ClockState.RUNNING),  # the due day itself
        (None, date(2026, 1, 1), ClockState.OVERDUE),  # the day after
        (date(2025, 12, 29), date(2026, 2, 1), ClockState.MET),
        (date(2025, 12, 31), date(2025, 12, 31), ClockState.MET),  # met on the due day
        (date(2026, 1, 2), date(2026, 2, 1), ClockState.MET_LATE),
        # As of a day before it was met, the clock was still running or overdue.
        (date(2025, 12, 29), date(2025, 12, 24), ClockState.RUNNING),
        (date(2026, 1, 2), date(2026, 1, 1), ClockState.OVERDUE),
    ],
)
def test_deadline_state(met_on: date | None, today: date, expected: ClockState) -> None:
    """A clock is running, overdue, met or met late, as it stood on the day asked about."""
    assert _met(met_on).state(today) == expected


def test_days_left_counts_calendar_days() -> None:
    """days_left is calendar days to the deadline, negative once it has passed."""
    assert DEADLINE.days_left(date(2025, 12, 22)) == 9
    assert DEADLINE.days_left(date(2025, 12, 31)) == 0
    assert DEADLINE.days_left(date(2025, 12, 31) + timedelta(days=3)) == -3


@pytest.mark.parametrize("kind", [ReviewKind.SAR, ReviewKind.DHR, ReviewKind.NATIONAL_REPORT])
def test_panel_clocks_run_only_for_child_reviews(kind: ReviewKind) -> None:
    """A SAR, a DHR or a national report is not notified to the child safeguarding Panel."""
    review = Review(
        id="P/R", partnership_id="P", reference="R", kind=kind, title="Review",
        became_aware_on=date(2025, 12, 22), notified_on=date(2025, 12, 23),
    )
    assert review_deadlines(review, NEXT) == ()
