"""Rebuilding the plan from its history, on plain data.

History is a list of entries, each one change to one record (see
:class:`~actiontrack.domain.plan.HistoryEntry`), kept as plain data (the
dicts a store writes). :func:`replay` applies them in order to rebuild the
records as they stood at a moment: the plan "as of" any past day, an action
as it was at a version, the open actions at each month end of a report.

Records come out as plain data too (``kind -> id -> plain record``); a
store turns them into models.

A view of the recent past need not replay everything from the start:
:func:`rewind` starts from the records as they are now and undoes the few
entries dated after the moment asked for, newest first (each entry keeps
the value it replaced). That gives exactly what :func:`replay` gives when
the history before them is in time order, as history that only moves
forward is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeAlias

from actiontrack.domain.plan import RECORD_KINDS, ChangeKind

__all__ = ["PlainRecord", "PlainTables", "differences", "empty_tables", "moment", "replay",
           "rewind"]

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
        elif change == ChangeKind.ACCEPT:
            continue  # who accepted an outside change: the changes are entries of their own
        else:  # an update, or a redaction (the field becomes its marker)
            record = table.get(item["record_id"])
            if record is None:
                continue  # dated before the record's creation: it did not stand yet
            record[item["field"]] = item["new"]
            record["version"] = item["version"]
    return tables


def rewind(current: Mapping[str, Mapping[str, PlainRecord]],
           newest_first: Iterable[Mapping[str, Any]]) -> PlainTables | None:
    """The plain records as they stood before some entries, from the records after them.

    ``newest_first`` are the entries to undo, newest first: the end of the
    history, or of the part of it that ``current`` holds. A create removes
    the record, a delete brings back the record it holds, an update puts back
    the field's old value and the version before. ``current`` is not changed:
    records an entry touches are copied first, the rest shared.

    Each entry is checked against the record it undoes (there, or gone, with
    the value and version it left): ``None`` when one does not match, since
    the records are then not what the history made (changed outside it),
    and only replaying the history gives the view it defines.
    """
    tables: PlainTables = {kind: dict(records) for kind, records in current.items()}
    copied: set[tuple[str, str]] = set()
    for item in newest_first:
        kind, record_id, version = item["kind"], item["record_id"], item["version"]
        table = tables.setdefault(kind, {})
        record = table.get(record_id)
        change = item["change"]
        if change == ChangeKind.ACCEPT:
            continue
        if change == ChangeKind.DELETE:
            if record is not None:
                return None
            table[record_id] = dict(item["old"])
            copied.add((kind, record_id))
            continue
        # The fields a commit changes share its version: the first undone takes it back.
        if record is None or record["version"] not in (version, version - 1):
            return None
        if change == ChangeKind.CREATE:
            del table[record_id]
            continue
        if record.get(item["field"]) != item["new"]:
            return None
        if (kind, record_id) not in copied:
            record = table[record_id] = dict(record)
            copied.add((kind, record_id))
        if change != ChangeKind.REDACT:  # before a redaction its history held the marker too
            record[item["field"]] = item["old"]
        record["version"] = version - 1
    return tables


def differences(expected: Mapping[str, Mapping[str, PlainRecord]],
                found: Mapping[str, Mapping[str, PlainRecord]]) -> list[tuple[str, str, str]]:
    """Where the records ``found`` are not the ``expected`` ones (history's), as (kind, id, what).

    Kind by kind in dependency order, ids sorted; ``what`` names the fields
    that differ, or says the record is missing or not in history.
    """
    found_differences: list[tuple[str, str, str]] = []
    for kind in RECORD_KINDS:
        wanted, there = expected.get(kind, {}), found.get(kind, {})
        for record_id in sorted(wanted.keys() | there.keys()):
            record, stored = wanted.get(record_id), there.get(record_id)
            if record == stored:
                continue
            if stored is None:
                what = "history says it exists, but the store has no such record"
            elif record is None:
                what = "the store holds it, but no history entry made it"
            else:
                fields = sorted(name for name in record.keys() | stored.keys()
                                if record.get(name) != stored.get(name))
                if not fields:
                    continue  # a field one side leaves out and the other holds as None
                what = "differs from its history in " + ", ".join(fields)
            found_differences.append((kind, record_id, what))
    return found_differences
