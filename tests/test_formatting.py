"""How values read in messages: store URLs without their password, days that do not exist,
a measure's figures."""

from __future__ import annotations

from datetime import date

import pytest

from actiontrack.domain.impact import read
from actiontrack.domain.models import Measure, Measurement, Want
from actiontrack.formatting import figure, no_such_day, reading_summary, safe_url

URLS = [
    ("postgresql://owner:secret@server/plans", "postgresql://owner:***@server/plans"),
    ("postgresql+psycopg://owner:s%40c/r@server:5432/plans?sslmode=require",
     "postgresql+psycopg://owner:***@server:5432/plans?sslmode=require"),
    ("postgres://:secret@server/plans", "postgres://:***@server/plans"),
    ("postgresql://owner@server:5432/plans", "postgresql://owner@server:5432/plans"),
    ("sqlite:///plans/north.db", "sqlite:///plans/north.db"),
]


@pytest.mark.parametrize(("url", "shown"), [
    *URLS,
    ("postgresql://owner@server/plans?sslmode=require&password=secret",
     "postgresql://owner@server/plans?sslmode=require&password=***"),
    ("plans/north.json", "plans/north.json"),
    ("memory:", "memory:"),
])
def test_a_store_url_is_printed_without_its_password(url: str, shown: str) -> None:
    """A password in a URL's user part or its query shows as ***; other URLs are unchanged."""
    assert safe_url(url) == shown


@pytest.mark.parametrize(("url", "shown"), URLS)
def test_a_url_reads_as_the_sql_store_shows_it(url: str, shown: str) -> None:
    """safe_url hides what SQLAlchemy's make_url finds as the password, as the SQL store does."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    assert sqlalchemy.engine.make_url(url).render_as_string(hide_password=True) == shown


@pytest.mark.parametrize(("year", "month", "day", "reason"), [
    (2026, 2, 29, "February 2026 has 28 days"),
    (2026, 9, 31, "September 2026 has 30 days"),
    (2026, 13, 1, "there is no month 13"),
    (0, 1, 1, "years run from 1 to 9999"),
    (2028, 2, 29, None),
])
def test_a_day_that_does_not_exist_says_why(year: int, month: int, day: int,
                                            reason: str | None) -> None:
    """no_such_day names what is wrong with a date that is not in the calendar, else None."""
    assert no_such_day(year, month, day) == reason


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (62.0, "%", "62%"), (12.0, "days", "12 days"), (3.5, "days", "3.5 days"),
    (1234.567, "referrals", "1,234.57 referrals"), (-2.0, "", "-2"), (0.1 + 0.2, "%", "0.3%"),
])
def test_a_figure_reads_with_its_unit(value: float, unit: str, shown: str) -> None:
    assert figure(value, unit) == shown


def test_a_reading_in_one_line() -> None:
    measure = Measure(id="P/A001/M1", action_id="P/A001", name="Days to record the father",
                      unit="days", baseline=30.0, baseline_on=date(2026, 1, 30), target=10.0,
                      target_on=date(2027, 6, 14), want=Want.LOWER)
    figures = [Measurement(id=f"P/A001/M1/V{n}", action_id="P/A001", measure_id="P/A001/M1",
                           on=day, value=value, by="Lead")
               for n, (day, value) in enumerate([(date(2026, 8, 18), 24.0),
                                                 (date(2026, 11, 11), 35.0)], start=1)]
    where = ("baseline 30 days on 30 January 2026, target 10 days by 14 June 2027, lower is"
             " better")
    assert reading_summary(read(measure, [])) == f"not measured yet ({where})"
    assert reading_summary(read(measure, figures[:1])) == (
        f"24 days on 18 August 2026 ({where}): 30% of the way, not met yet")
    assert reading_summary(read(measure, figures)) == (
        f"35 days on 11 November 2026 ({where}): further from the target than the baseline"
        " was, not met yet, worse than the figure before (24 days)")
