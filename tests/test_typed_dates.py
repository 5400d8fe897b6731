"""Dates as people type them into UK trackers: every form trackers use, read day first."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actiontrack.typed_dates import read_typed_date


@pytest.mark.parametrize(("typed", "expected"), [
    ("31/03/2022", date(2022, 3, 31)),
    ("31/03/22", date(2022, 3, 31)),
    ("1/4/2022", date(2022, 4, 1)),
    ("31.03.2022", date(2022, 3, 31)),
    ("30.09.2022", date(2022, 9, 30)),
    ("31-03-2022", date(2022, 3, 31)),
    ("2022-03-31", date(2022, 3, 31)),
    ("31 March 2022", date(2022, 3, 31)),
    ("31st March 2022", date(2022, 3, 31)),
    ("1st April 2022", date(2022, 4, 1)),
    ("2nd Sept 2022", date(2022, 9, 2)),
    ("23rd of June 2022", date(2022, 6, 23)),
    ("31 Mar 2022", date(2022, 3, 31)),
    ("31-Mar-22", date(2022, 3, 31)),
    ("31 march, 2022", date(2022, 3, 31)),
    ("  31   March   2022 ", date(2022, 3, 31)),
    ("March 2022", date(2022, 3, 31)),  # a month alone: its last day
    ("Sept 2022", date(2022, 9, 30)),
    ("Feb 2024", date(2024, 2, 29)),
    ("Mar 22", date(2022, 3, 31)),
    ("Mar-22", date(2022, 3, 31)),
    ("Q1 2022/23", date(2022, 6, 30)),  # the financial year runs April to March
    ("Q2 2022/23", date(2022, 9, 30)),
    ("Q3 2022/23", date(2022, 12, 31)),
    ("Q4 2022/23", date(2023, 3, 31)),
    ("q4 2022-2023", date(2023, 3, 31)),
    ("Q4 2099/00", date(2100, 3, 31)),
])
def test_the_forms_trackers_use(typed: str, expected: date) -> None:
    assert read_typed_date(typed) == expected


@pytest.mark.parametrize(("typed", "message"), [
    ("Ongoing", "expected a date such as 31/03/2027, 31 March 2027, March 2027 or Q4 2026/27,"
                " got 'Ongoing'"),
    ("TBC", "got 'TBC'"),
    ("30/02/2027", "'30/02/2027' is not a real day: February 2027 has 28 days"),
    ("31 April 2027", "'31 April 2027' is not a real day: April 2027 has 30 days"),
    ("03/31/2027", "dates are read day first, as in 31/03/2027, and there is no month 31"),
    ("31 Marchy 2027", "'Marchy' is not a month"),
    ("Q2 2022", "does not say which year its quarters count from: write the financial year,"
                " such as Q2 2022/23"),
    ("Q2 2022/24", "it runs from April 2022 to March 2023, written 2022/23"),
    ("Q3 2022/1923", "it runs from April 2022 to March 2023, written 2022/23"),
])
def test_what_is_not_a_date_says_why(typed: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        read_typed_date(typed)
    assert message in str(caught.value)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_day_and_month_are_never_swapped(day: date) -> None:
    """Whatever the day, every numeric form reads it back day first."""
    for typed in (day.strftime("%d/%m/%Y"), day.strftime("%d/%m/%y"), day.strftime("%d.%m.%Y"),
                  day.strftime("%d-%m-%Y"), f"{day.day} {day:%B %Y}", f"{day.day} {day:%b %y}"):
        assert read_typed_date(typed) == day, typed
