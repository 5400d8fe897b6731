"""The built-in rules. Importing this package registers them."""

from actiontrack.auditing.rules import (
    actions,
    clocks,
    evidence,
    measures,
    personal_data,
    recommendations,
)

__all__ = ["actions", "clocks", "evidence", "measures", "personal_data", "recommendations"]
