"""Backend-independent store logic, on plain data.

Backends keep records as plain dicts (what :mod:`actiontrack.convert`
produces) and history as plain entries. This module holds what they share,
so every backend versions, diffs and replays in exactly the same way:

- :func:`prepare_commit` checks versions and turns a unit of work into the
  records to write and the history entries to append;
- :func:`replay` rebuilds the records as they stood at a moment;
- :func:`plan_from_tables` structures plain records into a :class:`Plan`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

import attrs

from actiontrack import convert
from actiontrack.domain.plan import (
    RECORD_KINDS,
    RECORD_NOUNS,
    ChangeKind,
    HistoryEntry,
    Plan,
    Record,
    kind_of,
)
from actiontrack.errors import ConflictError, NotFoundError
from actiontrack.store.protocol import Change, Delete, Put

__all__ = [
    "PlainRecord",
    "PlainTables",
    "PreparedCommit",
    "apply_to_plan",
    "empty_tables",
    "plan_from_tables",
    "prepare_commit",
    "replay",
    "select_history",
    "structure_record",
]

PlainRecord: TypeAlias = dict[str, Any]
#: kind -> record id -> plain record
PlainTables: TypeAlias = dict[str, dict[str, PlainRecord]]

_NOT_DIFFED = "version"


def empty_tables() -> PlainTables:
    return {kind: {} for kind in RECORD_KINDS}


@attrs.frozen(kw_only=True)
class PreparedCommit:
    """A checked unit of work: what to write and what to append to history.

    ``writes`` maps (kind, id) to the new plain record, or ``None`` to remove
    it; ``expected`` maps the same keys to the version each write was based
    on (0 for a create), for backends that re-check inside a transaction.
    """

    commit: int
    writes: dict[tuple[str, str], PlainRecord | None]
    expected: dict[tuple[str, str], int]
    entries: list[dict[str, Any]]
    records: list[Record]

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        # Copies: the entries share lists and dicts with the records being written.
        entries = copy.deepcopy(self.entries)
        return tuple(convert.structure(entry, HistoryEntry) for entry in entries)


def prepare_commit(
    current: Callable[[str, str], PlainRecord | None],
    changes: Sequence[Change],
    *,
    by: str,
    at: datetime,
    reason: str | None,
    last_commit: int,
    last_seq: int,
) -> PreparedCommit:
    """Check ``changes`` against the stored records and work out their effect.

    ``current(kind, id)`` returns the stored plain record or ``None``. Raises
    :class:`ConflictError` on the first stale version or duplicate id, and
    :class:`NotFoundError` when deleting a missing record; the caller then
    writes nothing. Several changes to one record in a unit apply in order.
    """
    if at.tzinfo is None:
        raise ValueError("commit times must be timezone-aware")
    if not by or not by.strip():
        raise ValueError("every change needs the name of who made it (by)")
    commit = last_commit + 1
    at_text = at.isoformat()
    working: dict[tuple[str, str], PlainRecord | None] = {}
    expected: dict[tuple[str, str], int] = {}
    entries: list[dict[str, Any]] = []
    records: list[Record] = []
    seq = last_seq

    def entry(kind: str, record_id: str, version: int, change: ChangeKind,
              field: str | None, old: Any, new: Any) -> None:
        nonlocal seq
        seq += 1
        entries.append({
            "seq": seq, "commit": commit, "at": at_text, "by": by, "reason": reason,
            "kind": kind, "record_id": record_id, "version": version,
            "change": change.value, "field": field, "old": old, "new": new,
        })

    for change in changes:
        if isinstance(change, Put):
            kind, record_id = kind_of(change.record), change.record.id
            base = change.record.version
        else:
            kind, record_id, base = change.kind, change.record_id, change.version
            if kind not in RECORD_KINDS:
                raise ValueError(f"unknown record kind {kind!r}")
        key = (kind, record_id)
        stored = working[key] if key in working else current(kind, record_id)
        stored_version = None if stored is None else stored["version"]
        if isinstance(change, Delete):
            if stored is None:
                raise NotFoundError(RECORD_NOUNS[kind], record_id)
            if stored_version != base:
                raise ConflictError(
                    RECORD_NOUNS[kind], record_id, expected=base, actual=stored_version
                )
            expected.setdefault(key, stored_version)
            working[key] = None
            entry(kind, record_id, stored_version + 1, ChangeKind.DELETE, None, stored, None)
            continue
        if (stored_version or 0) != base:
            raise ConflictError(RECORD_NOUNS[kind], record_id, expected=base, actual=stored_version)
        new = convert.unstructure(change.record)
        if stored is None:
            version = base + 1
            new["version"] = version
            entry(kind, record_id, version, ChangeKind.CREATE, None, None, new)
        else:
            changed = [f for f in new if f != _NOT_DIFFED and new[f] != stored.get(f)]
            if not changed:
                continue
            version = base + 1
            new["version"] = version
            for field in changed:
                entry(kind, record_id, version, ChangeKind.UPDATE, field,
                      stored.get(field), new[field])
        expected.setdefault(key, base)
        working[key] = new
        records.append(attrs.evolve(change.record, version=version))
    return PreparedCommit(
        commit=commit, writes=working, expected=expected, entries=entries, records=records
    )


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
        if until is not None:
            at = item["at"]
            at_moment = at if isinstance(at, datetime) else datetime.fromisoformat(at)
            if at_moment > until:
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


def apply_to_plan(plan: Plan, prepared: PreparedCommit) -> Plan:
    """The snapshot after a commit, from the one before it, without re-reading anything.

    Only the kinds the commit touched are copied; the stored models come
    from the commit itself, so nothing is converted again.
    """
    latest: dict[tuple[str, str], Record] = {
        (kind_of(record), record.id): record for record in prepared.records
    }
    changed: dict[str, dict[str, Record]] = {}
    for (kind, record_id), plain in prepared.writes.items():
        table = changed.get(kind)
        if table is None:
            table = changed[kind] = dict(plan.of_kind(kind))
        if plain is None:
            table.pop(record_id, None)
        else:
            table[record_id] = latest[kind, record_id]
    return attrs.evolve(plan, **changed)  # type: ignore[arg-type]


def select_history(
    entries: Iterable[Mapping[str, Any]],
    *,
    kind: str | None,
    record_id: str | None,
    shared: bool,
) -> list[HistoryEntry]:
    """Plain history entries as models, optionally only those of one kind and/or record.

    ``shared`` says the plain entries are the store's own: the models then
    get copies, so changing a returned entry changes nothing stored.
    """
    return [
        convert.structure(copy.deepcopy(entry) if shared else entry, HistoryEntry)
        for entry in entries
        if (kind is None or entry["kind"] == kind)
        and (record_id is None or entry["record_id"] == record_id)
    ]


def structure_record(kind: str, plain: Mapping[str, Any]) -> Record:
    """One plain record as its model; errors name ``$.<kind>["<id>"].<field>``."""
    record_id = plain.get("id", "?")
    return convert.structure(plain, RECORD_KINDS[kind], path=f'$.{kind}["{record_id}"]')


def plan_from_tables(tables: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Plan:
    """Structure every plain record into a :class:`Plan`."""
    by_kind: dict[str, dict[str, Record]] = {}
    for kind in RECORD_KINDS:
        by_kind[kind] = {
            record_id: structure_record(kind, plain)
            for record_id, plain in tables.get(kind, {}).items()
        }
    return Plan(**by_kind)  # type: ignore[arg-type]
