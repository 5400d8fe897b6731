"""Progress notes as trackers write them: one a line, each perhaps starting with its date.

A line starting with a date, in any form :mod:`actiontrack.typed_dates`
reads (``12/02/2026: draft shared``, ``1 October 2026 first draft``), is a
note dated on it; a date alone on its line dates the line after it; a line
without one continues the note above it.
"""

from __future__ import annotations

import re
from datetime import date

from actiontrack.excel.cells import cell_date

__all__ = ["dated_notes"]

#: The longest text read as a date alone on its line.
_LONGEST_DATE = 24
#: A progress note that starts with a date, in any form the date reader reads, then the note.
_NOTE_DATE = re.compile(
    r"\s*(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?[\s-]+[A-Za-z]{3,9}\.?,?[\s-]+\d{2,4}"
    r"|[A-Za-z]{3,9}\.?[\s-]+\d{4}|Q[1-4]\s*\d{4}\s*[/-]\s*\d{2,4})"
    r"\s*[:\-\u2013\u2014]?\s+(.+)", re.DOTALL | re.IGNORECASE)


def dated_notes(text: str) -> list[tuple[date | None, str]]:
    """A progress cell as notes: a paragraph starting with a date is dated on it (else None).

    Raises :class:`ValueError` for a note starting with a day the calendar lacks.
    """
    notes: list[tuple[date | None, str]] = []
    pending: tuple[date, str] | None = None  # a date alone on its line, for the next one
    for paragraph in re.split(r"\n(?=\s*\S)", text):
        on = None
        alone = _date_alone(paragraph)
        if alone is not None:
            if pending is not None:
                notes.append(pending)
            pending = (alone, paragraph.strip())
            continue
        match = _NOTE_DATE.match(paragraph)
        if match:
            try:
                on = cell_date(match.group(1))
                paragraph = match.group(2)
            except ValueError as error:
                if "not a real day" in str(error) or "day first" in str(error):
                    raise ValueError(f"the note {paragraph[:40]!r} starts with a date that"
                                     f" cannot be right: {error}") from None
        paragraph = paragraph.strip()
        if on is None and pending is not None:
            on, pending = pending[0], None
        if notes and on is None:
            # An undated line continues the note above it.
            notes[-1] = (notes[-1][0], f"{notes[-1][1]}\n{paragraph}")
        elif paragraph:
            notes.append((on, paragraph))
    if pending is not None:  # a date with nothing after it is kept as it was written
        notes.append(pending)
    return notes


def _date_alone(paragraph: str) -> date | None:
    """The date a line holds when it holds nothing else; else ``None``."""
    text = paragraph.strip()
    if not text or len(text) > _LONGEST_DATE or not any(ch.isdigit() for ch in text):
        return None
    try:
        return cell_date(text.rstrip(":-"))
    except ValueError:
        return None
