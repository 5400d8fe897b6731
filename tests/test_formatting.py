"""How values read in messages: store URLs without their password, days that do not exist."""

from __future__ import annotations

import pytest

from actiontrack.formatting import no_such_day, safe_url

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
