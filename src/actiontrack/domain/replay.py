"""Rebuilding the plan from its history, on plain data.

History is a list of entries, each one change to one record (see
:class:`~actiontrack.domain.plan.HistoryEntry`), kept as plain data (the
dicts a store writes). :func:`replay` applies them in order to rebuild the
records as they stood at a moment: the plan "as of" any past day, an action
as it was at a version, the open actions at each month end of a report.

Records come out as plain data too (``kind -> id -> plain record``); a
store turns them into models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeAlias

from actiontrack.domain.plan import RECORD_KINDS, ChangeKind

__all__ = ["PlainRecord", "PlainTables", "empty_tables", "moment", "replay"]

PlainRecord: TypeAlias = dict[str, Any]
#: kind -> record id -> plain record
PlainTables: TypeAlias = dict[str, dict[str, PlainRecord]]


def empty_tables() -> PlainTables:
    """``{kind: {}}`` for every kind of record."""
    return {kind: {} for kind in RECORD_KINDS}


def moment(value: datetime | str) -> datetime:
    """An entry's ``at`` as a moment, whether kept as one or as its ISO text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def replay(entries: Iterable[Mapping[str, Any]], until: datetime | None = None) -> PlainTables:
    """Rebuild the plain records from history entries, up to and including ``until``.

    Entries are applied in the order given (the store's ``seq`` order);
    those after ``until`` are skipped, and so is a change dated before the
    record it changes was created (a clock set back). ``until`` must be
    timezone-aware, as every commit time is.
    """
    if until is not None and until.tzinfo is None:
        raise ValueError("as_of must be timezone-aware, like every commit time")
    tables = empty_tables()
    for item in entries:
        if until is not None and moment(item["at"]) > until:
            continue
        table = tables[item["kind"]]
        change = item["change"]
        if change == ChangeKind.CREATE:
            table[item["record_id"]] = dict(item["new"])
        elif change == ChangeKind.DELETE:
            table.pop(item["record_id"], None)
        else:
            record = table.get(item["record_id"])
            if record is None:
                continue  # dated before the record's creation: it did not stand yet
            record[item["field"]] = item["new"]
            record["version"] = item["version"]
    return tables
