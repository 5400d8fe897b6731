"""How dates read in messages and reports ("1 December 2025", as a committee paper writes
it) and why a date that does not exist is refused ("February 2026 has 28 days"), how a
store URL is printed (never with its password), and the colours RAG is shown in, in
every workbook actiontrack writes.

Month names are spelt out here rather than taken from ``%B``, which follows
the system's locale.
"""

from __future__ import annotations

import calendar
import re
from datetime import MAXYEAR, MINYEAR, date
from functools import lru_cache

from actiontrack.domain.impact import Reading
from actiontrack.domain.rag import Rag

__all__ = ["RAG_COLOURS", "figure", "long_date", "month_label", "no_such_day", "plural",
           "reading_summary", "safe_url"]

#: Fill colours (RGB hex) for RAG cells and chart series.
RAG_COLOURS: dict[Rag, str] = {
    Rag.RED: "FF7C80",
    Rag.AMBER: "FFC000",
    Rag.GREEN: "92D050",
    Rag.BLUE: "9DC3E6",
    Rag.GREY: "BFBFBF",
}

def figure(value: float, unit: str) -> str:
    """A measure's figure with its unit: ``62%``, ``12 days``, ``3.5 days``."""
    number = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{number}{unit}" if unit in ("%", "‰") else f"{number} {unit}".rstrip()


def reading_summary(reading: Reading) -> str:
    """What a measure's figures say, in one line, as ``show`` and the reports give it.

    ``62% on 1 March 2027 (baseline 40% on 1 June 2026, target 80% by 31 March
    2027, higher is better): 55% of the way, not met yet``.
    """
    measure = reading.measure
    where = (f"baseline {figure(measure.baseline, measure.unit)} on"
             f" {long_date(measure.baseline_on)}, target {figure(measure.target, measure.unit)}"
             f" by {long_date(measure.target_on)}, {measure.want.value} is better")
    latest = reading.latest
    if latest is None or reading.progress is None:
        return f"not measured yet ({where})"
    way = (f"{reading.progress:.0%} of the way" if reading.progress >= 0
           else "further from the target than the baseline was")
    state = "target met" if reading.met else "not met yet"
    if reading.worsened:
        state += f", worse than the figure before ({figure(reading.previous, measure.unit)})"
    return (f"{figure(latest.value, measure.unit)} on {long_date(latest.on)} ({where}):"
            f" {way}, {state}")


_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)


@lru_cache(maxsize=4096)  # audits format the same few hundred dates many times
def long_date(day: date) -> str:
    """``date(2025, 12, 1)`` as ``"1 December 2025"``, whatever the system's locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def month_label(day: date) -> str:
    """``Mar 2026``, whatever the system's locale."""
    return f"{_MONTHS[day.month - 1][:3]} {day.year}"


def no_such_day(year: int, month: int, day: int) -> str | None:
    """Why ``year``, ``month`` and ``day`` name no day of the calendar; ``None`` when they do.

    ``(2026, 2, 30)`` gives ``"February 2026 has 28 days"``, ``(2026, 13, 1)``
    gives ``"there is no month 13"``.
    """
    if not MINYEAR <= year <= MAXYEAR:
        return f"years run from {MINYEAR} to {MAXYEAR}"
    if not 1 <= month <= len(_MONTHS):
        return f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{_MONTHS[month - 1]} {year} has {days} days"
    return None


def plural(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and the noun that goes with it: "1 action", "3,000 actions"."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


# The password of a URL as SQLAlchemy's make_url finds it (``scheme://user:password@``),
# so a URL printed here reads as it does in the SQL store's own messages; and a
# ``password=`` query parameter, which libpq also accepts and SQLAlchemy does not hide.
_URL_PASSWORD = re.compile(r"^([\w+]+://[^:/]*:)[^@]*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&]*", re.IGNORECASE)


def safe_url(url: str) -> str:
    """``url`` as it may be printed: any password in it shows as ``***``.

    ``postgresql://owner:secret@server/plans`` prints as
    ``postgresql://owner:***@server/plans``; a URL or path without a password
    is returned as it is. Needs no database library.
    """
    shown = _URL_PASSWORD.sub(r"\1***@", url, count=1)
    return _QUERY_PASSWORD.sub(r"\1***", shown) if "?" in shown else shown
