"""Cell values both ways: what export writes for a value, and what import makes of a cell.

A workbook cannot hold every character a record may (control characters),
and spreadsheet programs store line breaks as ``\\n``; :func:`sheet_text` is
the one mapping from stored text to cell text. Import compares cells in that
form, so text that had to be changed on the way out is not mistaken for an edit.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import TypeAlias

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.datetime import from_excel

from actiontrack.typed_dates import FORMS, read_typed_date

__all__ = [
    "FORMULA_STARTS",
    "MAX_TEXT",
    "CellValue",
    "cell_date",
    "cell_number",
    "cell_text",
    "sheet_text",
]

#: What python-calamine gives for a cell (an empty cell is ``""``).
CellValue: TypeAlias = str | float | int | bool | date | datetime | time | timedelta | None

#: The most characters an Excel cell holds.
MAX_TEXT = 32_767
#: First characters that make Excel read typed text as a formula.
FORMULA_STARTS = ("=", "+", "-", "@")

_LINE_BREAKS = re.compile(r"\r\n?")
#: Excel serial numbers read as dates in a date column: 1 January 1910 to 31 December 2099.
_SERIALS = (3654, 73050)
#: Text that Excel and its readers take for an escaped character (``_x0020_`` is a space).
_LOOKS_ESCAPED = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
#: A number typed as text: digits, maybe a sign, a decimal point and thousands commas.
_TYPED_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?")


def sheet_text(value: str) -> str:
    """Stored text as a cell holds it: no control characters, ``\\n`` line breaks, trimmed."""
    if value.isprintable() and len(value) <= MAX_TEXT and value == value.strip():
        return value  # the usual case, checked at C speed
    text = _LINE_BREAKS.sub("\n", value)
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text.strip()[:MAX_TEXT]


def escaped(text: str) -> str:
    """Text to write into a cell, with ``_xHHHH_`` kept literal (as ``_x005F_xHHHH_``).

    Spreadsheet files escape characters as ``_xHHHH_``, and every reader
    decodes them, so a SharePoint link holding ``Shared_x0020_Documents``
    would come back with a space unless its underscore is escaped itself.
    """
    return _LOOKS_ESCAPED.sub(r"_x005F_\1", text) if "_x" in text else text


def cell_text(value: CellValue) -> str | None:
    """The text of a cell, trimmed; ``None`` for an empty one.

    A number typed into a text column is read as its digits (``12.0`` is
    ``"12"``), a date as ``YYYY-MM-DD``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = sheet_text(value)
        return text or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def cell_date(value: CellValue) -> date | None:
    """The date in a cell; ``None`` for an empty one.

    Raises :class:`ValueError` saying what was found, or why a date typed in
    one of the forms does not exist. Dates typed as text are read by
    :func:`~actiontrack.typed_dates.read_typed_date`, day first as in England.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise ValueError(f"expected a date without a time, got {value.isoformat(sep=' ')}")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) \
            and float(value).is_integer() and _SERIALS[0] <= value <= _SERIALS[1]:
        # A date cell re-formatted as a number still holds the date's serial number.
        return from_excel(int(value)).date()  # type: ignore[no-any-return]
    if isinstance(value, str):
        text = value.strip()
        return read_typed_date(text) if text else None
    raise ValueError(f"expected a date such as {FORMS}, got {cell_text(value)!r}")


def cell_number(value: CellValue) -> float | None:
    """The number in a cell; ``None`` for an empty one.

    A number typed into a cell formatted as text (``62``, ``1,250``,
    ``-3.5``) reads as the number. Raises :class:`ValueError` saying what was
    found for anything else: words, a unit typed with the number, a date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _TYPED_NUMBER.fullmatch(text) and any(c.isdigit() for c in text):
            return float(text.replace(",", ""))
    raise ValueError("expected a number such as 62 or 3.5 (the figure only, without its"
                     f" unit), got {cell_text(value)!r}")
