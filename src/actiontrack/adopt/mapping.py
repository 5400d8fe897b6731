"""The map file a partnership keeps for its tracker: what each column, agency and status means.

::

    [columns]    # heading as in the tracker = target
    "Rec No" = "recommendation.number"
    [agencies]   # text in the tracker = agency id
    "CSC" = "NSCP-CSC"
    [statuses]   # text in the tracker = status
    "Done" = "completed"
    [defaults]   # target = value used where the tracker has none
    "action.lead_agency" = "POL"

``adopt --write-map`` writes the map it used, guesses included, for the
partnership to correct and keep. Reading one checks its shape; whether its
headings, agencies and statuses exist is checked against the tracker and
the plan when it is used, with every problem reported at once.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import attrs

from actiontrack.errors import WorkbookError

__all__ = ["TABLES", "TrackerMap", "map_text", "read_map"]

#: The map's tables, in the order a map file has them, with what each says.
TABLES = {
    "columns": "heading as in the tracker = target",
    "agencies": "text in the tracker = agency id",
    "statuses": "text in the tracker = status",
    "defaults": "target = value used where the tracker has none",
}


@attrs.frozen(kw_only=True)
class TrackerMap:
    """A partnership's map for one tracker; every table may be empty."""

    columns: Mapping[str, str] = attrs.field(factory=dict)
    agencies: Mapping[str, str] = attrs.field(factory=dict)
    statuses: Mapping[str, str] = attrs.field(factory=dict)
    defaults: Mapping[str, str] = attrs.field(factory=dict)


def read_map(path: Path) -> TrackerMap:
    """The map in ``path``; :class:`WorkbookError` naming every key that is not text = text."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkbookError(f"{path.name} does not exist: write one with --write-map") from None
    except (OSError, UnicodeDecodeError) as error:
        raise WorkbookError(f"{path.name} cannot be read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise WorkbookError(f"{path.name} is not a TOML map file ({error})") from None
    problems = [f"[{name}] is not one of the map's tables ({', '.join(TABLES)})"
                for name in data if name not in TABLES]
    tables: dict[str, dict[str, str]] = {}
    for name in TABLES:
        table = data.get(name, {})
        if not isinstance(table, dict):
            problems.append(f"{name} must be a table: [{name}]")
            continue
        tables[name] = {}
        for key, value in table.items():
            if isinstance(value, date):  # a TOML date, 2027-03-31 unquoted
                tables[name][key] = value.isoformat()
            elif isinstance(value, str | int | float) and not isinstance(value, bool):
                tables[name][key] = str(value)
            else:
                problems.append(f"[{name}] {key!r}: expected text, got {value!r}")
    if problems:
        raise WorkbookError(f"{path.name}: " + "; ".join(problems))
    return TrackerMap(**tables)


def _lines(table: str, pairs: Iterable[tuple[str, str]]) -> list[str]:
    # JSON strings are TOML basic strings: quotes and backslashes escaped the same way.
    return [f"[{table}]  # {TABLES[table]}",
            *(f"{json.dumps(key, ensure_ascii=False)} = {json.dumps(value, ensure_ascii=False)}"
              + ("  # choose a target, or \"ignore\"" if not value else "")
              for key, value in pairs), ""]


def map_text(tracker_map: TrackerMap) -> str:
    """The map as a TOML file a person edits."""
    lines = ["# How actiontrack adopt reads this tracker. Correct any line, then run adopt",
             "# again with --map. Targets: see docs/adopt.md.", ""]
    for table in TABLES:
        lines += _lines(table, getattr(tracker_map, table).items())
    return "\n".join(lines)
