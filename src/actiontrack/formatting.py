"""How dates read in messages and reports: "1 December 2025", as a committee paper writes it."""

from __future__ import annotations

from datetime import date

__all__ = ["long_date"]


def long_date(day: date) -> str:
    """``date(2025, 12, 1)`` as ``"1 December 2025"``."""
    return f"{day.day} {day:%B %Y}"
