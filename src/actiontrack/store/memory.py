"""The in-memory store: the reference backend and the fake for unit tests.

It keeps plain data, exactly as a file or database backend does, so a test
that passes here exercises the same conversion and versioning rules.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from actiontrack import convert
from actiontrack.domain.chain import GENESIS, relink
from actiontrack.domain.plan import RECORD_NOUNS, HistoryEntry, Plan, Record, kind_of
from actiontrack.errors import NotFoundError, StoreError, StoreNotEmptyError
from actiontrack.store.core import (
    AcceptNote,
    PastView,
    PlainTables,
    StoreState,
    apply_to_plan,
    empty_tables,
    find_outside_edits,
    first_created,
    is_now,
    plan_from_tables,
    prepare_commit,
    record_ids_asked,
    replay,
    restored_state,
    select,
    select_history,
    settlement,
    still_ordered_before,
    trusted_record,
    used_ids,
    view_as_of,
)
from actiontrack.store.protocol import Change, Condition, OutsideEdit, Receipt

__all__ = ["MemoryStore"]

R = TypeVar("R", bound=Record)


def _machine_clock() -> datetime:
    return datetime.now(UTC)


class MemoryStore:
    """A store that lives as long as the object does.

    ``clock`` is the store's own clock, which refuses changes dated ahead of
    it: this machine's by default. A plan told as a story on its own
    timeline (the demo, generated plans) passes the story's clock.
    """

    def __init__(self, *, clock: Callable[[], datetime] = _machine_clock) -> None:
        self._clock = clock
        self._identity = str(uuid.uuid4())
        self._secret = secrets.token_bytes(32)
        self._tables: PlainTables = empty_tables()
        self._tombstones: dict[tuple[str, str], int] = {}
        self._history: list[dict[str, Any]] = []
        self._last_commit = 0
        self._last_seq = 0
        self._last_at: datetime | None = None
        self._ordered_before: int | None = None
        self._head = GENESIS
        self._plan: Plan | None = None
        self._past: PastView | None = None
        self._closed = False

    @property
    def identity(self) -> str:
        self._check_open()
        return self._identity

    def get(self, kind: type[R], record_id: str) -> R:
        self._check_open()
        name = kind_of(kind)
        plain = self._tables[name].get(record_id)
        if plain is None:
            raise NotFoundError(RECORD_NOUNS[name], record_id)
        record = trusted_record(name, plain)
        assert isinstance(record, kind)
        return record

    def get_many(
        self, kind: type[R], ids: Iterable[str], *, as_of: datetime | None = None
    ) -> dict[str, R]:
        self._check_open()
        name, ids = kind_of(kind), set(ids)
        if is_now(as_of, self._last_at):
            table = self._tables[name]
        else:
            entries = (e for e in self._history if e["kind"] == name and e["record_id"] in ids)
            table = replay(entries, as_of)[name]
        return {record_id: trusted_record(name, table[record_id])  # type: ignore[misc]
                for record_id in sorted(ids) if record_id in table}

    def find(self, kind: type[R], *, as_of: datetime | None = None,
             **where: Condition) -> list[R]:
        self._check_open()
        name = kind_of(kind)
        return [trusted_record(name, plain)  # type: ignore[misc]
                for plain in select(self._tables_at(as_of)[name], name, where)]

    def count(self, kind: str) -> int:
        self._check_open()
        return len(self._tables[kind])

    def used_ids(self, kind: str, prefix: str = "") -> frozenset[str]:
        self._check_open()
        withdrawn = (record_id for name, record_id in self._tombstones if name == kind)
        return used_ids(self._tables[kind], withdrawn, prefix)

    def created(self, kind: str) -> dict[str, datetime]:
        self._check_open()
        return first_created(self._history, kind)

    def _tables_at(self, as_of: datetime | None) -> PlainTables:
        if as_of is None or is_now(as_of, self._last_at):
            return self._tables
        past = view_as_of(
            as_of, state=(self._identity, self._last_commit), last_seq=self._last_seq,
            ordered_before=self._ordered_before, current=lambda: self._tables, kept=self._past,
            backwards=lambda before: (e for e in reversed(self._history) if e["seq"] < before),
        )
        if past is None:
            return replay(self._history, as_of)
        self._past = past
        return past.tables

    def snapshot(self, as_of: datetime | None = None) -> Plan:
        self._check_open()
        if not is_now(as_of, self._last_at):
            return plan_from_tables(self._tables_at(as_of), trusted=True)
        if self._plan is None:
            self._plan = plan_from_tables(self._tables, trusted=True)
        return self._plan

    def history(
        self, *, kind: str | None = None, record_id: str | None = None,
        record_ids: Collection[str] | None = None,
    ) -> list[HistoryEntry]:
        self._check_open()
        return select_history(self._history, kind=kind,
                              record_ids=record_ids_asked(record_id, record_ids), shared=True)

    def commit(
        self,
        changes: Sequence[Change],
        *,
        by: str,
        at: datetime,
        reason: str | None = None,
    ) -> Receipt:
        # Nothing outside this process can change the records, so no check comes first.
        self._check_open()
        return self._commit(changes, by=by, at=at, reason=reason)

    def _commit(self, changes: Sequence[Change | AcceptNote], *, by: str, at: datetime,
                reason: str | None, current: PlainTables | None = None) -> Receipt:
        tables = self._tables if current is None else current
        state = StoreState(
            current=lambda kind, record_id: tables[kind].get(record_id),
            tombstone=lambda kind, record_id: self._tombstones.get((kind, record_id)),
            last_commit=self._last_commit,
            last_seq=self._last_seq,
            last_at=self._last_at,
            clock=self._clock(),
            head=self._head,
            record_history=lambda kind, record_id: [
                e for e in self._history if e["kind"] == kind and e["record_id"] == record_id],
        )
        prepared = prepare_commit(state, changes, by=by, at=at, reason=reason)
        if not prepared.entries:
            return Receipt(commit=self._last_commit, records=(), entries=())
        if prepared.history_edits:  # a redaction's markers, in the entries it rewrites
            self._history = [entry | prepared.history_edits[entry["seq"]]
                             if entry["seq"] in prepared.history_edits else entry
                             for entry in self._history]
        self._head = prepared.head
        for (kind, record_id), plain in prepared.writes.items():
            if plain is None:
                self._tables[kind].pop(record_id, None)
            else:
                self._tables[kind][record_id] = plain
                self._tombstones.pop((kind, record_id), None)
        self._tombstones |= prepared.tombstones
        self._history.extend(prepared.entries)
        self._last_commit = prepared.commit
        self._last_seq = prepared.entries[-1]["seq"]
        self._last_at = prepared.last_at
        self._ordered_before = still_ordered_before(self._ordered_before, prepared)
        if self._plan is not None:
            self._plan = apply_to_plan(self._plan, prepared)
        return Receipt(
            commit=prepared.commit, records=tuple(prepared.records), entries=prepared.history
        )

    def restore(self, plan: Plan, history: Iterable[HistoryEntry]) -> None:
        self._check_open()
        if any(self._tables.values()) or self._history:
            raise StoreNotEmptyError("restore needs an empty store; this one has records")
        entries = [convert.unstructure(entry) for entry in history]
        restored = restored_state(plan, entries)
        for record in plan.records():
            self._tables[kind_of(record)][record.id] = convert.unstructure(record)
        self._history = entries
        self._tombstones = restored["tombstones"]
        self._last_commit = restored["last_commit"]
        self._last_seq = restored["last_seq"]
        self._last_at = restored["last_at"]
        self._ordered_before = restored["ordered_before"]
        self._head = restored["head"]
        self._plan = None

    @property
    def head(self) -> str:
        self._check_open()
        return self._head

    def outside_edits(self) -> list[OutsideEdit]:
        # Nothing outside this process can reach the records; code inside it can.
        self._check_open()
        return find_outside_edits(self._history, self._head, self._tables).edits

    def settle(self, *, accept: bool, by: str, at: datetime, reason: str) -> Receipt:
        self._check_open()
        findings = find_outside_edits(self._history, self._head, self._tables)
        if not findings.breaks and not findings.records:
            return Receipt(commit=self._last_commit, records=(), entries=())
        if not accept:
            if findings.breaks:
                raise StoreError("history itself was changed: revert cannot put it back")
            for kind, record_id, _ in findings.records:
                replayed = findings.replayed[kind].get(record_id)
                if replayed is None:
                    self._tables[kind].pop(record_id, None)
                else:
                    self._tables[kind][record_id] = replayed
            self._plan = self._past = None
            return Receipt(commit=self._last_commit, records=(), entries=())
        self._head = relink(self._history)
        self._last_seq = max((e["seq"] for e in self._history), default=0)
        self._last_commit = max((e["commit"] for e in self._history), default=0)
        self._plan = self._past = None
        return self._commit(settlement(findings, self._tables), by=by, at=at,
                            current=findings.replayed,
                            reason=f"change made outside actiontrack accepted: {reason}")

    def sign(self, payload: bytes) -> str:
        self._check_open()
        return hmac.new(self._secret, payload, hashlib.sha256).hexdigest()

    def close(self) -> None:
        self._tables = empty_tables()
        self._history = []
        self._plan = self._past = None
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("this store has been closed")
