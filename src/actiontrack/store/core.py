"""Backend-independent store logic, on plain data.

Backends keep records as plain dicts (what :mod:`actiontrack.convert`
produces) and history as plain entries. This module holds what they share,
so every backend versions, diffs and replays in exactly the same way:

- :func:`prepare_commit` checks versions and turns a unit of work into the
  records to write and the history entries to append;
- :func:`replay` (the domain's, :mod:`actiontrack.domain.replay`) rebuilds
  the records as they stood at a moment; :func:`view_as_of` gets the same
  records by undoing only the entries after it, when history is in order;
- :func:`plan_from_tables` structures plain records into a :class:`Plan`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Generator, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Any

import attrs

from actiontrack import convert
from actiontrack.domain.chain import (
    GENESIS,
    Break,
    check_chain,
    link,
    redaction,
    redaction_digests,
)
from actiontrack.domain.plan import (
    RECORD_KINDS,
    RECORD_NOUNS,
    ChangeKind,
    HistoryEntry,
    Plan,
    Record,
    kind_of,
)
from actiontrack.domain.redaction import check_redactable
from actiontrack.domain.replay import (
    PlainRecord,
    PlainTables,
    differences,
    empty_tables,
    moment,
    replay,
    rewind,
)
from actiontrack.errors import (
    ConflictError,
    ConversionError,
    NotFoundError,
    RuleViolation,
    StoreError,
)
from actiontrack.store.protocol import (
    Before,
    Change,
    Condition,
    Delete,
    OutsideEdit,
    Put,
    Redact,
)
from actiontrack.store.trusted import builder

__all__ = [
    "AHEAD",
    "SIMULTANEOUS",
    "UNKNOWN_ORDER",
    "AcceptNote",
    "Findings",
    "PastView",
    "PlainRecord",
    "PlainTables",
    "PreparedCommit",
    "StoreState",
    "apply_to_plan",
    "empty_tables",
    "find_outside_edits",
    "first_created",
    "first_out_of_order",
    "is_now",
    "plan_from_tables",
    "prepare_commit",
    "record_ids_asked",
    "replay",
    "restored_state",
    "select",
    "select_history",
    "select_records",
    "settlement",
    "still_ordered_before",
    "structure_record",
    "trusted_record",
    "used_ids",
    "view_as_of",
]


_NOT_DIFFED = "version"

#: How far apart two commits' clock readings may be and still count as
#: simultaneous (the later committer read the clock, then waited for the lock).
SIMULTANEOUS = timedelta(minutes=1)

#: How far ahead of the store's own clock a change may be dated: clocks of
#: the machines sharing a store drift apart by seconds, not by more.
AHEAD = timedelta(minutes=5)


@attrs.frozen
class AcceptNote:
    """A change only :func:`settlement` makes: an ``accept`` entry for a place history changed."""

    kind: str
    record_id: str
    seq: int
    found: str


@attrs.frozen(kw_only=True)
class PreparedCommit:
    """A checked unit of work: what to write and what to append to history.

    ``writes`` maps (kind, id) to the new plain record, or ``None`` to remove
    it. ``tombstones`` maps each record this unit removes to its last version:
    a backend keeps it, so that an id created again continues its versions and
    a writer still holding the old record gets a conflict, never an overwrite.
    """

    commit: int
    #: The moment the commit is recorded at (see :func:`prepare_commit`).
    at: datetime
    #: The latest moment in the store's history once this commit lands.
    last_at: datetime
    #: Whether the commit is dated at or after every entry before it (it is,
    #: except on the way out of history dated ahead of the clock).
    in_order: bool
    writes: dict[tuple[str, str], PlainRecord | None]
    tombstones: dict[tuple[str, str], int]
    entries: list[dict[str, Any]]
    records: list[Record]
    #: The hash of the last entry once this commit lands (the store keeps it).
    head: str
    #: Entries a redaction rewrites: seq -> the sides (``old``, ``new``) it replaces.
    history_edits: dict[int, dict[str, Any]] = attrs.field(factory=dict)

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        # Copies: the entries share lists and dicts with the records being written.
        return tuple(convert.structure(_plain_copy(entry), HistoryEntry)
                     for entry in self.entries)


def _plain_copy(value: Any) -> Any:
    """A deep copy of plain data (dicts, lists, text, numbers), several times quicker than
    :func:`copy.deepcopy`, which must allow for any object and for cycles."""
    if type(value) is dict:
        return {key: _plain_copy(item) for key, item in value.items()}
    if type(value) is list:
        return [_plain_copy(item) for item in value]
    return value


@attrs.frozen(kw_only=True)
class StoreState:
    """What a backend tells :func:`prepare_commit` about the store as it stands."""

    #: The stored plain record, or ``None``.
    current: Callable[[str, str], PlainRecord | None]
    #: The last version of a removed record, or ``None`` if it never existed.
    tombstone: Callable[[str, str], int | None]
    last_commit: int
    last_seq: int
    #: The latest moment in the store's history; history only moves forward from it.
    last_at: datetime | None
    #: The store's own reading of the clock: this machine's, or the database server's.
    clock: datetime
    #: The hash of the store's last history entry (:mod:`actiontrack.domain.chain`).
    head: str = GENESIS
    #: One record's plain history in seq order: what a redaction rewrites.
    record_history: Callable[[str, str], Sequence[Mapping[str, Any]]] | None = None


def prepare_commit(
    state: StoreState,
    changes: Sequence[Change | AcceptNote],
    *,
    by: str,
    at: datetime,
    reason: str | None,
) -> PreparedCommit:
    """Check ``changes`` against the stored records and work out their effect.

    Raises, and the caller then writes nothing:

    - :class:`ConversionError` when a record does not hold the types its
      model declares (a script passed ``name=12345``);
    - :class:`ConflictError` on the first stale version or existing id;
    - :class:`NotFoundError` when removing a record that does not exist;
    - :class:`RuleViolation` ``history.future-dated`` when ``at`` is more
      than :data:`AHEAD` later than the store's clock (a computer's clock or
      ``$ACTIONTRACK_NOW`` set wrong): recorded, it would block every change
      made at the right time;
    - :class:`RuleViolation` ``history.forward-only`` when ``at`` is earlier
      than the latest commit: history only moves forward, so a plan rebuilt
      as of a past moment never changes afterwards.

    A change dated less than :data:`SIMULTANEOUS` before the latest commit (a
    writer that read the clock, then waited for another's commit) is
    recorded at that commit's moment.

    The way out of a store that already holds history dated ahead of its
    clock (written before this guard, or by a machine whose clock was wrong):
    such history does not hold the timeline back. Changes are then measured
    against the store's clock instead, and recorded no earlier than it, so
    no plan as of a past moment changes; the future-dated entries count from
    their own moment, as they always did.

    Several changes to one record in a unit apply in order.
    """
    if at.tzinfo is None:
        raise ValueError("commit times must be timezone-aware")
    if not by or not by.strip():
        raise ValueError("every change needs the name of who made it (by)")
    if at > state.clock + AHEAD:
        raise RuleViolation(
            "history.future-dated",
            f"this change is dated {at.isoformat()}, more than"
            f" {AHEAD.seconds // 60} minutes ahead of the store's clock"
            f" ({state.clock.isoformat()}); is a clock, or $ACTIONTRACK_NOW, set wrong?",
        )
    floor = None if state.last_at is None else min(state.last_at, state.clock)
    if floor is not None and at < floor:
        if at < floor - SIMULTANEOUS:
            what = ("the latest change in the store" if floor == state.last_at
                    else "the store's clock (the latest change is dated after it)")
            raise RuleViolation(
                "history.forward-only",
                f"this change is dated {at.isoformat()}, before {what}"
                f" ({floor.isoformat()}); history only moves forward, so"
                " changes must be recorded in the order they happened",
            )
        at = floor  # two writers at the same moment: keep one timeline
    last_at = at if state.last_at is None else max(state.last_at, at)
    commit = state.last_commit + 1
    at_text = at.isoformat()
    working: dict[tuple[str, str], PlainRecord | None] = {}
    tombstones: dict[tuple[str, str], int] = {}
    entries: list[dict[str, Any]] = []
    records: list[Record] = []
    seq = state.last_seq

    def entry(kind: str, record_id: str, version: int, change: ChangeKind,
              field: str | None, old: Any, new: Any, why: str | None = reason) -> None:
        nonlocal seq
        seq += 1
        entries.append({
            "seq": seq, "commit": commit, "at": at_text, "by": by, "reason": why,
            "kind": kind, "record_id": record_id, "version": version,
            "change": change.value, "field": field, "old": old, "new": new,
        })

    history_edits: dict[int, dict[str, Any]] = {}
    for change in changes:
        if isinstance(change, AcceptNote):
            noted = state.current(change.kind, change.record_id)
            entry(change.kind, change.record_id,
                  0 if noted is None else noted["version"], ChangeKind.ACCEPT, None,
                  {"seq": change.seq, "found": change.found}, None)
            continue
        if isinstance(change, Redact):
            if state.record_history is None:
                raise ValueError("this store cannot redact")
            _redact(change, state, working, history_edits, entry)
            continue
        if isinstance(change, Put):
            kind, record_id = kind_of(change.record), change.record.id
            base = change.record.version
        else:
            kind, record_id, base = change.kind, change.record_id, change.version
            if kind not in RECORD_KINDS:
                raise ValueError(f"unknown record kind {kind!r}")
        key = (kind, record_id)
        stored = working[key] if key in working else state.current(kind, record_id)
        stored_version = None if stored is None else stored["version"]
        if isinstance(change, Delete):
            if stored is None:
                raise NotFoundError(RECORD_NOUNS[kind], record_id)
            if stored_version != base:
                raise ConflictError(
                    RECORD_NOUNS[kind], record_id, expected=base, actual=stored_version
                )
            working[key] = None
            tombstones[key] = stored_version + 1
            entry(kind, record_id, stored_version + 1, ChangeKind.DELETE, None, stored, None)
            continue
        if (stored_version or 0) != base:
            raise ConflictError(
                RECORD_NOUNS[kind], record_id, expected=base, actual=stored_version
            )
        new = convert.unstructure(change.record)
        if stored is None:
            removed = tombstones[key] if key in tombstones else state.tombstone(kind, record_id)
            version = (removed or 0) + 1
            new["version"] = version
            entry(kind, record_id, version, ChangeKind.CREATE, None, None, new,
                  reason if change.reason is None else change.reason)
        else:
            if stored.keys() != new.keys():
                # Written by an older release, before some fields existed: compare with
                # their defaults spelled out, so only what really changed is history.
                stored = convert.unstructure(structure_record(kind, stored))
            changed = [f for f in new if f != _NOT_DIFFED and new[f] != stored.get(f)]
            if not changed:
                continue
            version = base + 1
            new["version"] = version
            for field in changed:
                entry(kind, record_id, version, ChangeKind.UPDATE, field,
                      stored.get(field), new[field],
                      reason if change.reason is None else change.reason)
        # The model's annotations are not enforced on construction: converting back
        # checks them, so nothing a later read would refuse is ever stored.
        records.append(convert.structure(new, type(change.record),
                                         path=f'$.{kind}["{record_id}"]'))
        tombstones.pop(key, None)
        working[key] = new
    records += [structure_record(kind, working[kind, record_id])  # type: ignore[arg-type]
                for kind, record_id in _redacted(changes)]
    return PreparedCommit(
        commit=commit, at=at, last_at=last_at,
        in_order=state.last_at is None or at >= state.last_at, writes=working,
        tombstones=tombstones, entries=entries, records=records,
        head=link(entries, state.head), history_edits=history_edits,
    )


def _redacted(changes: Sequence[Change | AcceptNote]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((change.kind, change.record_id) for change in changes
                              if isinstance(change, Redact)))


def _redact(change: Redact, state: StoreState,
            working: dict[tuple[str, str], PlainRecord | None],
            history_edits: dict[int, dict[str, Any]], entry: Callable[..., None]) -> None:
    """Work out one redaction: the record's new field, the entries it rewrites, its own entry."""
    kind, record_id = change.kind, change.record_id
    if kind not in RECORD_KINDS:
        raise ValueError(f"unknown record kind {kind!r}")
    check_redactable(kind, change.field)
    key = (kind, record_id)
    stored = working[key] if key in working else state.current(kind, record_id)
    if stored is None:
        raise NotFoundError(RECORD_NOUNS[kind], record_id)
    if stored["version"] != change.version:
        raise ConflictError(RECORD_NOUNS[kind], record_id, expected=change.version,
                            actual=stored["version"])
    assert state.record_history is not None
    past = state.record_history(kind, record_id)
    replaced, removed = redaction(past, change.field, change.marker, redaction_digests(past))
    if not removed and stored.get(change.field) in (None, change.marker):
        raise RuleViolation(
            "redact.nothing",
            f"{RECORD_NOUNS[kind]} {record_id!r} holds no {change.field} to redact")
    for seq, sides in replaced.items():
        history_edits.setdefault(seq, {}).update(sides)
    version = change.version + 1
    working[key] = {**stored, change.field: change.marker, "version": version}
    entry(kind, record_id, version, ChangeKind.REDACT, change.field, {"removed": removed},
          change.marker)


def restored_state(plan: Plan, history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Check that ``history`` rebuilds ``plan`` and work out what a restored store keeps.

    Returns ``head`` (entries without a hash get theirs: see
    :func:`~actiontrack.domain.chain.link`), ``last_commit``, ``last_seq``,
    ``last_at``, ``ordered_before`` (see :func:`first_out_of_order`) and ``tombstones``;
    raises :class:`~actiontrack.errors.StoreError` when the history does not
    rebuild the plan (a store restored from it would answer ``as_of`` wrongly).
    """
    tables = replay(history)
    if plan_from_tables(tables) != plan:
        raise StoreError("the history given does not rebuild the plan given; nothing restored")
    tombstones: dict[tuple[str, str], int] = {}
    for item in history:
        key = (item["kind"], item["record_id"])
        if item["change"] == ChangeKind.DELETE and key[1] not in tables[key[0]]:
            tombstones[key] = item["version"]
        elif item["change"] == ChangeKind.CREATE:
            tombstones.pop(key, None)
    moments = [moment(item["at"]) for item in history]
    return {
        "head": link(history, GENESIS),  # type: ignore[arg-type]
        "last_commit": max((item["commit"] for item in history), default=0),
        "last_seq": max((item["seq"] for item in history), default=0),
        "last_at": max(moments, default=None),
        "ordered_before": first_out_of_order(history),
        "tombstones": tombstones,
    }


def first_out_of_order(history: Iterable[Mapping[str, Any]]) -> int | None:
    """The seq of the first entry dated before an entry ahead of it, or ``None``.

    History is in time order before that entry, so a view of the past can
    be rewound from the records now (see :func:`view_as_of`). A store keeps
    it as ``ordered_before``: ``None`` when all its history is in order.
    """
    latest: datetime | None = None
    for item in history:
        at = moment(item["at"])
        if latest is not None and at < latest:
            return int(item["seq"])
        latest = at
    return None


def still_ordered_before(kept: int | None, prepared: PreparedCommit) -> int | None:
    """What a store keeps as ``ordered_before`` once ``prepared`` lands."""
    if kept is not None or prepared.in_order:
        return kept
    return int(prepared.entries[0]["seq"])


#: ``ordered_before`` of a store written before it was kept: nothing is known
#: to be in order, so views of the past are replayed from the start.
UNKNOWN_ORDER = 1


@attrs.frozen(kw_only=True)
class PastView:
    """The plain records as of a past moment, and what was undone to get there.

    A backend keeps its latest one: a view of an earlier moment of the same
    store at the same commit rewinds from it (a report's twelve month ends,
    newest first, undo each entry once).
    """

    #: The store's identity and its last commit when the view was made.
    state: tuple[str, int]
    as_of: datetime
    #: The seq of the oldest entry undone (the last seq + 1 if none was).
    first_undone: int
    tables: PlainTables


def view_as_of(
    as_of: datetime,
    *,
    state: tuple[str, int],
    last_seq: int,
    ordered_before: int | None,
    current: Callable[[], Mapping[str, Mapping[str, PlainRecord]]],
    backwards: Callable[[int], Generator[Mapping[str, Any], None, None]],
    kept: PastView | None,
) -> PastView | None:
    """The records as of ``as_of``, rewound from the ``current()`` ones (or from ``kept``).

    ``state`` is the store's identity and last commit. ``backwards(before)``
    gives the entries whose seq is below ``before``, newest first; only
    those dated after ``as_of`` are read, and one more. Returns ``None``
    when the history before them is not known to be in time order, or an
    entry does not match the record it would undo (see :func:`rewind`): the
    caller then replays the history from the start, as :func:`replay`
    defines the view.
    """
    if ordered_before == UNKNOWN_ORDER:
        return None
    start: Mapping[str, Mapping[str, PlainRecord]]
    if kept is not None and kept.state == state and as_of <= kept.as_of:
        start, first = kept.tables, kept.first_undone
    else:
        start, first = current(), last_seq + 1
    undone: list[Mapping[str, Any]] = []
    with contextlib.closing(backwards(first)) as entries:
        for item in entries:
            if moment(item["at"]) <= as_of:
                break
            undone.append(item)
            first = int(item["seq"])
    if ordered_before is not None and first > ordered_before:
        return None
    tables = rewind(start, undone)
    if tables is None:
        return None
    return PastView(state=state, as_of=as_of, first_undone=first, tables=tables)


def is_now(as_of: datetime | None, last_at: datetime | None) -> bool:
    """Whether a view ``as_of`` is the plan now: no moment, or one at or after the latest change.

    Every entry is at or before the latest change, so replaying them all
    gives the current records: a store reads those instead.
    """
    if as_of is None:
        return True
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware, like every commit time")
    return last_at is None or as_of >= last_at


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
    record_ids: Collection[str] | None,
    shared: bool,
) -> list[HistoryEntry]:
    """Plain history entries as models, optionally only those of one kind and/or records.

    ``shared`` says the plain entries are the store's own: the models then
    get copies, so changing a returned entry changes nothing stored.
    """
    return [
        convert.structure(_plain_copy(entry) if shared else entry, HistoryEntry)
        for entry in entries
        if (kind is None or entry["kind"] == kind)
        and (record_ids is None or entry["record_id"] in record_ids)
    ]


def record_ids_asked(record_id: str | None, record_ids: Collection[str] | None
                     ) -> Collection[str] | None:
    """The one set of ids a history read is limited to (``None``: every record)."""
    if record_id is None:
        return record_ids
    return {record_id} if record_ids is None else set(record_ids) & {record_id}


def _plain_condition(value: Condition) -> Any:
    """A condition as plain data compares: text, ISO dates, sets of text."""
    if isinstance(value, Before):
        return value
    if isinstance(value, frozenset | set):
        return frozenset(convert.unstructure(item) for item in value)
    return convert.unstructure(value)


def _check_fields(kind: str, where: Mapping[str, Condition]) -> None:
    unknown = sorted(set(where) - set(attrs.fields_dict(RECORD_KINDS[kind])))
    if unknown:
        raise ValueError(f"{RECORD_NOUNS[kind]} records have no field {', '.join(unknown)}")


def select(table: Mapping[str, PlainRecord], kind: str,
           where: Mapping[str, Condition]) -> list[PlainRecord]:
    """The plain records of ``table`` meeting every condition of ``where``, sorted by id.

    What :meth:`~actiontrack.store.protocol.Store.find` means, for the
    backends that keep plain records in memory.
    """
    _check_fields(kind, where)
    tests = [(name, _plain_condition(value)) for name, value in where.items()]

    def meets(record: PlainRecord) -> bool:
        return all(_meets(record.get(name), wanted) for name, wanted in tests)

    return [table[record_id] for record_id in sorted(
        record_id for record_id, record in table.items() if meets(record))]


def _meets(value: Any, wanted: Any) -> bool:
    """A plain value against a plain condition: one of the values wanted, or before a day."""
    if isinstance(wanted, Before):
        return value is not None and date.fromisoformat(value) < wanted.day
    values = set(value) if isinstance(value, list) else {value}
    return bool(values & (wanted if isinstance(wanted, frozenset) else {wanted}))


def select_records(records: Mapping[str, Record], kind: str,
                   where: Mapping[str, Condition]) -> list[Record]:
    """:func:`select` over records already built (a plan a store keeps), sorted by id."""
    _check_fields(kind, where)
    tests = [(attrgetter(name), value if isinstance(value, Before) else
              value if isinstance(value, frozenset | set) else frozenset((value,)))
             for name, value in where.items()]

    def meets(record: Record) -> bool:
        for read, wanted in tests:
            value = read(record)
            if isinstance(wanted, Before):
                if value is None or value >= wanted.day:
                    return False
            elif wanted.isdisjoint(value) if isinstance(value, tuple) else value not in wanted:
                return False
        return True

    return [records[record_id] for record_id in sorted(records) if meets(records[record_id])]


def used_ids(live: Iterable[str], withdrawn: Iterable[str], prefix: str) -> frozenset[str]:
    """The ids, live or withdrawn, that start with ``prefix``."""
    return frozenset(record_id for ids in (live, withdrawn) for record_id in ids
                     if record_id.startswith(prefix))


def first_created(entries: Iterable[Mapping[str, Any]], kind: str) -> dict[str, datetime]:
    """When each record of ``kind`` was first created, from plain history in seq order."""
    created: dict[str, datetime] = {}
    for entry in entries:
        if entry["kind"] == kind and entry["change"] == ChangeKind.CREATE \
                and entry["record_id"] not in created:
            created[entry["record_id"]] = moment(entry["at"])
    return created


def structure_record(kind: str, plain: Mapping[str, Any]) -> Record:
    """One plain record as its model; errors name ``$.<kind>["<id>"].<field>``."""
    record_id = plain.get("id", "?")
    return convert.structure(plain, RECORD_KINDS[kind], path=f'$.{kind}["{record_id}"]')


def trusted_record(kind: str, plain: Mapping[str, Any]) -> Record:
    """A plain record the store wrote itself, as its model (:mod:`actiontrack.store.trusted`).

    What the fast path cannot make goes through the strict converter, which
    raises :class:`ConversionError` naming the path, or makes it after all.
    """
    try:
        return builder(kind)(plain)  # type: ignore[arg-type]
    except (KeyError, ValueError, TypeError, AttributeError):
        return structure_record(kind, plain)


def plan_from_tables(tables: Mapping[str, Mapping[str, Mapping[str, Any]]], *,
                     trusted: bool = False) -> Plan:
    """Structure every plain record into a :class:`Plan`.

    ``trusted`` says the store wrote these records itself (see
    :func:`trusted_record`); otherwise each goes through the strict converter.
    """
    make = trusted_record if trusted else structure_record
    by_kind: dict[str, dict[str, Record]] = {}
    for kind in RECORD_KINDS:
        by_kind[kind] = {
            record_id: make(kind, plain)
            for record_id, plain in tables.get(kind, {}).items()
        }
    return Plan(**by_kind)  # type: ignore[arg-type]


@attrs.frozen(kw_only=True)
class Findings:
    """What differs between a store's history, its chain and its records (plain data)."""

    breaks: list[Break]
    #: The records as history rebuilds them.
    replayed: PlainTables
    #: (kind, id, what) for each record that is not what history rebuilds.
    records: list[tuple[str, str, str]]

    @property
    def edits(self) -> list[OutsideEdit]:
        return ([OutsideEdit(b.kind, b.record_id, f"history entry {b.seq}: {b.what}")
                 for b in self.breaks]
                + [OutsideEdit(kind, record_id, what) for kind, record_id, what in self.records])


def _normal(kind: str, plain: Mapping[str, Any]) -> PlainRecord:
    """A plain record as today's model writes it (fields added since filled in), or as it is."""
    try:
        return convert.unstructure(structure_record(kind, plain))  # type: ignore[no-any-return]
    except ConversionError:
        return dict(plain)


def find_outside_edits(entries: Sequence[Mapping[str, Any]], head: str | None,
                       tables: Mapping[str, Mapping[str, PlainRecord]] | None) -> Findings:
    """Check history's chain against ``head`` and, given ``tables``, the records against history.

    Records are compared as today's models write them, so a record written
    by an older release, without fields added since, is not a difference.
    """
    breaks = check_chain(entries, head, redaction_digests(entries))
    replayed = replay(entries)
    found: list[tuple[str, str, str]] = []
    if tables is not None:
        found = differences(
            {kind: {rid: _normal(kind, plain) for rid, plain in records.items()}
             for kind, records in replayed.items()},
            {kind: {rid: _normal(kind, plain) for rid, plain in records.items()}
             for kind, records in tables.items()})
    return Findings(breaks=breaks, replayed=replayed, records=found)


def settlement(findings: Findings, tables: Mapping[str, Mapping[str, PlainRecord]]
               ) -> list[Change | AcceptNote]:
    """The changes that accept what ``findings`` found into history, applied to its records.

    An ``accept`` note for each place history itself was changed, then each
    record as it stands: made, changed or removed, against the records as
    history rebuilds them (the :class:`StoreState` of the commit).
    """
    changes: list[Change | AcceptNote] = [
        AcceptNote(b.kind, b.record_id, b.seq, b.what) for b in findings.breaks if b.record_id]
    for kind, record_id, _ in findings.records:
        stored = tables.get(kind, {}).get(record_id)
        replayed = findings.replayed.get(kind, {}).get(record_id)
        if stored is None:
            assert replayed is not None
            changes.append(Delete(kind, record_id, replayed["version"]))
            continue
        version = 0 if replayed is None else replayed["version"]
        changes.append(Put(structure_record(kind, {**stored, "version": version})))
    return changes

