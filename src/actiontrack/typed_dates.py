"""Dates as people type them into UK trackers and workbooks, read one way everywhere.

::

    read_typed_date("31/03/22")      # date(2022, 3, 31): day first, always
    read_typed_date("31st March 2022")
    read_typed_date("Sept 2022")     # date(2022, 9, 30): a month alone is its last day
    read_typed_date("Q3 2022/23")    # date(2022, 12, 31): a quarter of the financial year

The forms: ``31/03/2022``, ``31/03/22``, ``31.03.2022``, ``31-03-2022``,
``2022-03-31``, ``31 March 2022`` (``31st``, ``31 Mar``, ``31-Mar-22``), a
month alone (``March 2022``, ``Sept 2022``, ``Mar 22``, ``Mar-22``: its
last day) and a quarter with its financial year (``Q3 2022/23``, ``Q3
2022-23``: the quarter's last day; the year runs April to March). Day and
month are never read the American way. Anything else raises
:class:`ValueError` saying what was found and the forms that work; a day
the calendar does not have says why (``30/02/2027``: February 2027 has 28
days).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from actiontrack.formatting import no_such_day

__all__ = ["FORMS", "read_typed_date"]

#: How the forms are named in messages.
FORMS = "31/03/2027, 31 March 2027, March 2027 or Q4 2026/27"

_MONTHS = {name.casefold(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.casefold(): number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9

_MONTH = r"([A-Za-z]{3,9})\.?"
_YEAR = r"(\d{4}|\d{2})"
_NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2" + _YEAR)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_WORDS = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?[\s-]+" + _MONTH + r",?[\s-]+" + _YEAR,
                    re.IGNORECASE)
_MONTH_ALONE = re.compile(_MONTH + r",?[\s-]+" + _YEAR)
_QUARTER = re.compile(r"Q([1-4])\s*(?:FY\s*)?(\d{4})\s*[/-]\s*(\d{2}|\d{4})", re.IGNORECASE)
_BARE_QUARTER = re.compile(r"Q([1-4])\s*(\d{4}|\d{2})", re.IGNORECASE)


def _year(text: str) -> int:
    """A year as typed: two digits are this century's (``22`` is 2022)."""
    return 2000 + int(text) if len(text) == 2 else int(text)


def _month(name: str, typed: str) -> int:
    number = _MONTHS.get(name.casefold())
    if number is None:
        raise ValueError(f"{typed!r} is not a date: {name!r} is not a month")
    return number


def _day(typed: str, year: int, month: int, day: int) -> date:
    if reason := no_such_day(year, month, day):
        raise ValueError(f"{typed!r} is not a real day: {reason}")
    return date(year, month, day)


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def read_typed_date(text: str) -> date:
    """The day typed in ``text``, in any of the forms above, or :class:`ValueError`."""
    typed = " ".join(text.split())
    if match := _NUMERIC.fullmatch(typed):
        day, _, month, year = match.groups()
        if int(month) > 12 >= int(day):
            raise ValueError(f"{typed!r} is not a date: dates are read day first, as in"
                             f" 31/03/2027, and there is no month {int(month)}")
        return _day(typed, _year(year), int(month), int(day))
    if match := _ISO.fullmatch(typed):
        year, month, day = match.groups()
        return _day(typed, int(year), int(month), int(day))
    if match := _WORDS.fullmatch(typed):
        day, name, year = match.groups()
        return _day(typed, _year(year), _month(name, typed), int(day))
    if match := _MONTH_ALONE.fullmatch(typed):
        name, year = match.groups()
        return _last_day(_year(year), _month(name, typed))
    if match := _QUARTER.fullmatch(typed):
        quarter, first, second = match.groups()
        start = int(first)
        end = int(second) if len(second) == 4 else start - start % 100 + int(second)
        if len(second) == 2 and end <= start:  # 2099/00: the next century's
            end += 100
        if end != start + 1:
            raise ValueError(f"{typed!r} is not a financial year: it runs from April {start}"
                             f" to March {start + 1}, written {start}/{str(start + 1)[-2:]}")
        # Q1 is April to June; Q4 is January to March of the year after.
        quarter_number = int(quarter)
        year, month = (start, 3 + 3 * quarter_number) if quarter_number < 4 else (end, 3)
        return _last_day(year, month)
    if match := _BARE_QUARTER.fullmatch(typed):
        quarter, year = match.groups()
        raise ValueError(
            f"{typed!r} does not say which year its quarters count from: write the financial"
            f" year, such as Q{quarter} {_year(year)}/{str(_year(year) + 1)[-2:]}, or a date"
        )
    raise ValueError(f"expected a date such as {FORMS}, got {typed!r}")
