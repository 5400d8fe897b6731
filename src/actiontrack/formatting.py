"""How dates read in messages and reports: "1 December 2025", as a committee paper writes it."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

__all__ = ["long_date"]


@lru_cache(maxsize=4096)  # audits format the same few hundred dates many times
def long_date(day: date) -> str:
    """``date(2025, 12, 1)`` as ``"1 December 2025"``."""
    return f"{day.day} {day:%B %Y}"
