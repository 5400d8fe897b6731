"""The embedded default store: one TinyDB JSON file, with its history beside it.

Files, for a store at ``plan.json``:

- ``plan.json``: the current records, one TinyDB table per kind, keyed by
  record id, and a ``_meta`` table (schema version, the store's identity,
  the last commit and how much of the history file is committed);
- ``plan.history.jsonl``: history, one JSON entry per line, only appended to;
- ``plan.json.lock``: the lock file that serialises writers (an operating-system
  lock on it through :mod:`filelock`: ``flock`` on Linux and macOS, ``LockFileEx``
  on Windows, released by the system when a writer dies);
- ``plan.json.digest``: the SHA-256 of ``plan.json`` as this store last
  wrote it. While the file still has that digest, its records are read on
  the trusted path (:mod:`actiontrack.store.trusted`); a file changed
  outside actiontrack (or a digest lost in a crash) is read through the
  strict converter, which names any field that does not fit.

A commit, holding the lock:

1. re-reads ``plan.json`` if another process replaced it since we last did;
2. checks versions (:func:`~actiontrack.store.core.prepare_commit`);
3. cuts the history file back to its committed length (leftovers of a
   crashed commit), appends the new entries and fsyncs it;
4. writes the new ``plan.json`` to a temporary file, fsyncs it, renames it
   over the old one and fsyncs the folder (where the system can: not on
   Windows, see :func:`_sync_folder`). The rename is the commit point.

A crash before step 4's rename leaves the old ``plan.json``, which still
names the old history length, so the stray history lines are ignored and
later cut. TinyDB's own ``JSONStorage`` rewrites the file in place (not
atomic) and writes on every operation; here TinyDB's tables work on a
buffered storage that is written once per commit, atomically.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import time
import uuid
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import attrs
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from actiontrack import convert
from actiontrack.domain.chain import GENESIS, check_chain, link, redaction_digests, relink
from actiontrack.domain.plan import (
    RECORD_KINDS,
    RECORD_NOUNS,
    ChangeKind,
    HistoryEntry,
    Plan,
    Record,
    kind_of,
)
from actiontrack.errors import (
    ConversionError,
    NotFoundError,
    OutsideEditError,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    StoreMissingError,
    StoreNotEmptyError,
    StoreVersionError,
)
from actiontrack.store.core import (
    UNKNOWN_ORDER,
    Findings,
    PastView,
    PlainRecord,
    PlainTables,
    PreparedCommit,
    StoreState,
    apply_to_plan,
    find_outside_edits,
    first_created,
    first_out_of_order,
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
    structure_record,
    trusted_record,
    used_ids,
    view_as_of,
)
from actiontrack.store.protocol import Change, Condition, OutsideEdit, Receipt

__all__ = ["SCHEMA_VERSION", "TinyDBStore"]

#: The layout version this release writes. A file with a higher one is refused.
#: 2: agencies have ``email`` and ``aliases``; 3: a ``chases`` table; 4: an action's
#: ``reference``; 5: the hash chain (``head``, ``history_digest``, each entry's
#: ``hash``) and the store's ``secret``; 6: ``measures`` and ``measurements`` tables.
#: An older file reads as it is (new fields take
#: their defaults, a missing table is empty) and is marked with this layout by its
#: first commit; its older entries are linked into the chain as they are read.
SCHEMA_VERSION = 6

_META = "_meta"
_META_ID = "store"
_CHANGES = frozenset(change.value for change in ChangeKind)
_ENTRY_KEYS = frozenset(
    {"seq", "commit", "at", "by", "reason", "kind", "record_id", "version", "change",
     "field", "old", "new"}
)
#: An entry written since the chain exists has its hash too.
_CHAINED_KEYS = _ENTRY_KEYS | {"hash"}
_HASH = re.compile(r"[0-9a-f]{64}")

R = TypeVar("R", bound=Record)

#: Seconds between tries for a busy lock: short, as commits hold it for milliseconds.
_LOCK_POLL_SECONDS = 0.005
#: Whether a folder can be opened and fsynced: POSIX can, Windows cannot.
_CAN_SYNC_FOLDERS = os.name != "nt"


class _RecordTable(Table):
    """A TinyDB table keyed by our text record ids rather than integers."""

    # TinyDB takes any id class; its annotations say int.
    document_id_class = str  # type: ignore[assignment]


class _PlanDB(TinyDB):
    table_class = _RecordTable


class _BufferedStorage(Storage):
    """TinyDB storage held in memory; the store decides when and how it reaches disk."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def read(self) -> dict[str, dict[str, Any]]:
        return self.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data


class TinyDBStore:
    """A plan kept in one JSON file; safe for several processes on one machine."""

    def __init__(
        self, path: str | os.PathLike[str], *, lock_timeout: float = 30.0, create: bool = False
    ) -> None:
        """Open the store at ``path``; a missing one is created only when ``create`` is true.

        Without ``create``, a missing store raises
        :class:`~actiontrack.errors.StoreMissingError` and leaves no file behind.
        """
        self.path = Path(path)
        self.history_path = self.path.with_name(self.path.stem + ".history.jsonl")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.digest_path = self.path.with_name(self.path.name + ".digest")
        self.lock_timeout = lock_timeout
        if not self.path.parent.is_dir():
            raise StoreError(f"{self.path}: the folder {self.path.parent} does not exist")
        self._db = _PlanDB(storage=_BufferedStorage)
        storage = self._db.storage
        assert isinstance(storage, _BufferedStorage)
        self._storage = storage
        self._stamp: tuple[int, int, int] | None = None
        #: Whether plan.json is as this store wrote it (see the module docstring).
        self._trusted = False
        self._plan: Plan | None = None
        #: After this object's own append: the history file's stamp, its committed length and
        #: the SHA-256 of its bytes so far, so the next commit need not read and hash it all.
        self._history_seen: tuple[tuple[int, ...], int, Any] | None = None
        self._past: PastView | None = None
        #: (committed history length, seq, byte): a walk back from that seq starts there.
        self._resume: tuple[int, int, int] | None = None
        self._closed = False
        if not self.path.exists():
            self._refuse_to_start_over_history()
            if not create:
                raise StoreMissingError(f"no store at {self.path}")
            self._create()
        self._refresh()

    # -- reading ---------------------------------------------------------

    @property
    def identity(self) -> str:
        self._refresh()
        return str(self._meta["identity"])

    def get(self, kind: type[R], record_id: str) -> R:
        self._refresh()
        name = kind_of(kind)
        plain = self._storage.data.get(name, {}).get(record_id)
        if plain is None:
            raise NotFoundError(RECORD_NOUNS[name], record_id)
        with self._checked():
            record = self._make(name, plain)
        assert isinstance(record, kind)
        return record

    @property
    def _last_at(self) -> datetime | None:
        last_at = self._meta.get("last_at")
        return None if last_at is None else datetime.fromisoformat(last_at)

    def _plain_at(self, as_of: datetime | None) -> Mapping[str, Mapping[str, PlainRecord]]:
        """The plain tables now, or as they stood at ``as_of``.

        The past is rewound from the records now, reading the history file
        from its end, when this store wrote the file itself (a file edited
        by hand is not the records its history makes) and its history is in
        time order; otherwise it is replayed from the start.
        """
        if as_of is None or is_now(as_of, self._last_at):
            return self._storage.data
        with self._checked(self.history_path):
            past = None if not self._trusted else view_as_of(
                as_of, state=(self._meta["identity"], self._meta["last_commit"]),
                last_seq=self._meta["last_seq"],
                ordered_before=self._meta.get("ordered_before", UNKNOWN_ORDER),
                current=self._tables, backwards=self._history_backwards, kept=self._past,
            )
            if past is None:
                return replay(self._read_history(), as_of)
        self._past = past
        return past.tables

    def snapshot(self, as_of: datetime | None = None) -> Plan:
        self._refresh()
        if not is_now(as_of, self._last_at):
            tables = self._plain_at(as_of)
            with self._checked():
                return plan_from_tables(tables, trusted=self._trusted)
        if self._plan is None:
            with self._checked():
                self._plan = plan_from_tables(self._tables(), trusted=self._trusted)
        return self._plan

    def get_many(
        self, kind: type[R], ids: Iterable[str], *, as_of: datetime | None = None
    ) -> dict[str, R]:
        self._refresh()
        name, ids = kind_of(kind), set(ids)
        if is_now(as_of, self._last_at):
            table = self._storage.data.get(name, {})
        else:
            with self._checked(self.history_path):
                table = replay(self._read_history(kind=name, record_ids=ids), as_of)[name]
        with self._checked():
            return {record_id: self._make(name, table[record_id])  # type: ignore[misc]
                    for record_id in sorted(ids) if record_id in table}

    def find(self, kind: type[R], *, as_of: datetime | None = None,
             **where: Condition) -> list[R]:
        self._refresh()
        name = kind_of(kind)
        table = self._plain_at(as_of).get(name, {})
        with self._checked():
            return [self._make(name, plain)  # type: ignore[misc]
                    for plain in select(table, name, where)]

    def count(self, kind: str) -> int:
        self._refresh()
        return len(self._storage.data.get(kind, {}))

    def used_ids(self, kind: str, prefix: str = "") -> frozenset[str]:
        self._refresh()
        withdrawn = self._meta.get("tombstones", {}).get(kind, {})
        return used_ids(self._storage.data.get(kind, {}), withdrawn, prefix)

    def created(self, kind: str) -> dict[str, datetime]:
        self._refresh()
        with self._checked(self.history_path):
            return first_created(self._read_history(kind=kind, created_only=True), kind)

    def history(
        self, *, kind: str | None = None, record_id: str | None = None,
        record_ids: Collection[str] | None = None,
    ) -> list[HistoryEntry]:
        self._refresh()
        wanted = record_ids_asked(record_id, record_ids)
        with self._checked(self.history_path):
            return select_history(self._read_history(kind=kind, record_ids=wanted), kind=kind,
                                  record_ids=wanted, shared=False)

    # -- writing ---------------------------------------------------------

    def commit(
        self,
        changes: Sequence[Change],
        *,
        by: str,
        at: datetime,
        reason: str | None = None,
    ) -> Receipt:
        with self._locked():
            self._refresh(force=self._history_size() != self._meta["history_bytes"])
            meta = dict(self._meta)
            history = self._committed_history(meta)
            edits = self._outside_edits(meta, history)
            if edits:
                raise OutsideEditError(str(self.path), edits)
            last_at = meta.get("last_at")
            state = StoreState(
                current=lambda kind, record_id: self._storage.data.get(kind, {}).get(record_id),
                tombstone=lambda kind, record_id: meta.get("tombstones", {}).get(
                    kind, {}).get(record_id),
                last_commit=meta["last_commit"],
                last_seq=meta["last_seq"],
                last_at=None if last_at is None else datetime.fromisoformat(last_at),
                clock=datetime.now(UTC),
                head=self._head(meta, history),
                record_history=lambda kind, record_id: list(
                    self._read_history(kind=kind, record_ids={record_id})),
            )
            prepared = prepare_commit(state, changes, by=by, at=at, reason=reason)
            if not prepared.entries:
                return Receipt(commit=meta["last_commit"], records=(), entries=())
            if not self._trusted and self._plan is None:
                # The digest of plan.json was lost (a crash, a copy without it) and this
                # commit signs it again: every record passes the full check first, not
                # only those this commit changes.
                with self._checked():
                    self._plan = plan_from_tables(self._tables())
            self._history_seen = None  # set again below once this commit has landed
            if prepared.history_edits:
                written = self._rewrite_history(
                    self._entries_of(history.raw), prepared.entries, prepared.history_edits)
            else:
                written = self._append_history(meta, prepared.entries, history.digest)
            plan_before = self._plan
            self._write(self._writes(prepared), self._meta_after(meta, prepared, written))
            stamp = _history_stamp(self.history_path)
            if written.hasher is not None and stamp is not None:
                self._history_seen = (stamp, written.length, written.hasher)
            if plan_before is not None:
                self._plan = apply_to_plan(plan_before, prepared)
        return Receipt(
            commit=prepared.commit, records=tuple(prepared.records), entries=prepared.history
        )

    @staticmethod
    def _writes(prepared: PreparedCommit) -> dict[str, dict[str, dict[str, Any] | None]]:
        writes: dict[str, dict[str, dict[str, Any] | None]] = {}
        for (kind, record_id), plain in prepared.writes.items():
            writes.setdefault(kind, {})[record_id] = plain
        return writes

    def _meta_after(self, meta: dict[str, Any], prepared: PreparedCommit,
                    written: _Written) -> dict[str, Any]:
        """The _meta record once ``prepared`` lands with its history ``written``."""
        tombstones: dict[str, dict[str, int]] = meta.get("tombstones", {})
        kept = {kind: dict(ids) for kind, ids in tombstones.items()}
        for kind, record_id in prepared.writes:
            kept.get(kind, {}).pop(record_id, None)
        for (kind, record_id), version in prepared.tombstones.items():
            kept.setdefault(kind, {})[record_id] = version
        return meta | {
            "schema_version": SCHEMA_VERSION,
            "last_commit": prepared.commit,
            "last_seq": prepared.entries[-1]["seq"],
            "last_at": prepared.last_at.isoformat(),
            "ordered_before": still_ordered_before(self._kept_ordered_before(meta), prepared),
            "history_bytes": written.length,
            "history_digest": written.digest,
            "head": prepared.head,
            "tombstones": {kind: ids for kind, ids in kept.items() if ids},
        }

    def restore(self, plan: Plan, history: Iterable[HistoryEntry]) -> None:
        with self._locked():
            self._refresh()
            if self._meta["history_bytes"] or any(self._tables().values()):
                raise StoreNotEmptyError(
                    f"{self.path} already holds a plan; restore needs an empty store"
                )
            entries = [_without_empty_hash(convert.unstructure(entry)) for entry in history]
            restored = restored_state(plan, entries)
            writes: dict[str, dict[str, dict[str, Any] | None]] = {}
            for record in plan.records():
                writes.setdefault(kind_of(record), {})[record.id] = convert.unstructure(record)
            tombstones: dict[str, dict[str, int]] = {}
            for (kind, record_id), version in restored["tombstones"].items():
                tombstones.setdefault(kind, {})[record_id] = version
            written = (self._append_history(self._meta, entries, hashlib.sha256()) if entries
                       else _Written(0, hashlib.sha256().hexdigest()))
            meta = dict(self._meta)
            meta |= {
                "schema_version": SCHEMA_VERSION,
                "last_commit": restored["last_commit"],
                "last_seq": restored["last_seq"],
                "last_at": restored["last_at"] and restored["last_at"].isoformat(),
                "ordered_before": restored["ordered_before"],
                "tombstones": tombstones,
                "history_bytes": written.length,
                "history_digest": written.digest,
                "head": restored["head"],
            }
            self._write(writes, meta)

    # -- trust -------------------------------------------------------------

    @property
    def head(self) -> str:
        self._refresh()
        return self._head(self._meta, self._committed_history(self._meta))

    def outside_edits(self) -> list[OutsideEdit]:
        self._refresh()
        return self._outside_edits(self._meta, self._committed_history(self._meta))

    def settle(self, *, accept: bool, by: str, at: datetime, reason: str) -> Receipt:
        with self._locked():
            self._refresh(force=True)
            meta = dict(self._meta)
            history = self._committed_history(meta)
            entries = self._entries_of(history.raw)
            findings = find_outside_edits(entries, meta.get("head"), self._tables())
            if not findings.breaks and not findings.records:
                if history.changed or not self._trusted:  # bytes only, or a digest lost
                    self._write({}, meta | self._rewrite_history(entries, [], {}).meta())
                return Receipt(commit=meta["last_commit"], records=(), entries=())
            if not accept or _carries_on(meta, entries):
                # History that carries on past the head is this store's own rewrite: accepting
                # the records as they stand would write back what a redaction took out.
                return self._revert(meta, findings, entries, history)
            head = relink(entries)
            current = findings.replayed
            state = StoreState(
                current=lambda kind, record_id: current.get(kind, {}).get(record_id),
                tombstone=lambda kind, record_id: meta.get("tombstones", {}).get(
                    kind, {}).get(record_id),
                # Numbered on from history as it stands: entries cut from its end leave
                # no gap that would read as a further change.
                last_commit=max((e["commit"] for e in entries), default=0),
                last_seq=max((e["seq"] for e in entries), default=0),
                last_at=datetime.fromisoformat(meta["last_at"]) if meta.get("last_at") else None,
                clock=datetime.now(UTC),
                head=head,
            )
            prepared = prepare_commit(state, settlement(findings, self._tables()), by=by, at=at,
                                      reason=f"change made outside actiontrack accepted: {reason}")
            written = self._rewrite_history(entries, prepared.entries, {})
            self._write(self._writes(prepared), self._meta_after(meta, prepared, written))
        return Receipt(
            commit=prepared.commit, records=tuple(prepared.records), entries=prepared.history
        )

    def _revert(self, meta: dict[str, Any], findings: Findings,
                entries: list[dict[str, Any]], history: _History) -> Receipt:
        """Put back the records as history has them; history itself cannot be put back.

        History that only goes on past the head ``plan.json`` keeps, its chain
        whole, is a rewrite of history this store made (a redaction) whose
        ``plan.json`` a crash kept from landing: it is finished here.
        """
        if findings.breaks and not _carries_on(meta, entries):
            raise StoreError(
                f"{self.history_path}: history itself was changed outside actiontrack ("
                + "; ".join(str(b) for b in findings.breaks[:5]) + "): revert cannot put it"
                " back; restore the store from a backup, or keep it with accept-edits"
            )
        writes: dict[str, dict[str, dict[str, Any] | None]] = {}
        for kind, record_id, _ in findings.records:
            writes.setdefault(kind, {})[record_id] = findings.replayed[kind].get(record_id)
        if history.changed:
            kept = restored_state(plan_from_tables(findings.replayed), entries)
            tombstones: dict[str, dict[str, int]] = {}
            for (kind, record_id), version in kept["tombstones"].items():
                tombstones.setdefault(kind, {})[record_id] = version
            meta = meta | _Written(len(history.raw), history.digest.hexdigest()).meta() | {
                "head": kept["head"], "last_commit": kept["last_commit"],
                "last_seq": kept["last_seq"], "tombstones": tombstones,
                "last_at": kept["last_at"] and kept["last_at"].isoformat(),
                "ordered_before": kept["ordered_before"]}
        self._write(writes, meta)
        return Receipt(commit=meta["last_commit"], records=(), entries=())

    def sign(self, payload: bytes) -> str:
        self._refresh()
        secret = self._meta.get("secret")
        if secret is None:  # a store made before stores had one
            with self._locked():
                self._refresh(force=True)
                meta = dict(self._meta)
                edits = self._outside_edits(meta, self._committed_history(meta))
                if edits:
                    raise OutsideEditError(str(self.path), edits)
                secret = meta.setdefault("secret", secrets.token_hex(32))
                self._write({}, meta)
        return hmac.new(bytes.fromhex(secret), payload, hashlib.sha256).hexdigest()

    def erase(self) -> None:
        """Remove the store's files and close it: ``copy --replace``'s first step.

        Not part of the Store port: no code holding a store can erase a plan
        and its history; this is an administrator's act on the files.
        """
        paths = (self.history_path, self.path, self.digest_path, self.lock_path)
        self.close()
        try:
            for path in paths:  # the history first: a plan.json without it is refused
                path.unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot remove the store ({exc.strerror})") from None

    def close(self) -> None:
        self._storage.data = {}
        self._stamp = None
        self._plan = self._past = None
        self._closed = True

    # -- internals ---------------------------------------------------------

    @property
    def _meta(self) -> Mapping[str, Any]:
        meta: Mapping[str, Any] = self._storage.data[_META][_META_ID]
        return meta

    def _make(self, kind: str, plain: Mapping[str, Any]) -> Record:
        """A record of the file as its model: on the trusted path while it is ours."""
        return (trusted_record if self._trusted else structure_record)(kind, plain)

    def _tables(self) -> PlainTables:
        return {kind: self._storage.data.get(kind, {}) for kind in RECORD_KINDS}

    @contextlib.contextmanager
    def _checked(self, where: Path | None = None) -> Iterator[None]:
        """Report data that does not convert as a damaged store, naming the file."""
        try:
            yield
        except ConversionError as exc:
            raise StoreCorruptError(
                f"{where or self.path} holds data that is not valid: " + "; ".join(exc.problems)
            ) from None

    def _create(self) -> None:
        with self._locked():
            if self.path.exists():
                return
            self._refuse_to_start_over_history()
            meta = {
                "schema_version": SCHEMA_VERSION,
                "identity": str(uuid.uuid4()),
                "last_commit": 0,
                "last_seq": 0,
                "ordered_before": None,
                "history_bytes": 0,
                "history_digest": hashlib.sha256().hexdigest(),
                "head": GENESIS,
                "secret": secrets.token_hex(32),
            }
            payload = _dump({_META: {_META_ID: meta}})
            _atomic_write(self.path, payload)
            self._write_digest(payload)

    def _write_digest(self, payload: bytes) -> None:
        """Note the digest of ``plan.json`` as written, when the system lets us.

        Written after the commit has landed, and not synced: a digest that
        could not be written (a full disk, a Windows reader holding the file)
        or was lost in a crash is stale, and only sends the next read the
        strict way; it never makes a commit that landed look as if it failed.
        """
        with contextlib.suppress(OSError):
            _atomic_write(self.digest_path, hashlib.sha256(payload).hexdigest().encode(),
                          durable=False)

    def _refuse_to_start_over_history(self) -> None:
        if self._history_size():
            raise StoreCorruptError(
                f"{self.path} is missing but its history {self.history_path} is there:"
                f" put back {self.path.name} from a backup; a new store would lose that history"
            )

    def _history_size(self) -> int:
        try:
            return os.stat(self.history_path).st_size
        except FileNotFoundError:
            return 0

    def _refresh(self, *, force: bool = False) -> None:
        """Re-read the file if another writer replaced it since we read it.

        The file's inode, modification time and size tell; ``force`` covers
        what they cannot (an inode reused within one timestamp tick).
        """
        self._check_open()
        try:
            with open(self.path, "rb") as file:
                info = os.fstat(file.fileno())
                stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
                if stamp == self._stamp and not force:
                    return
                raw = file.read()
        except FileNotFoundError:
            raise StoreError(f"{self.path}: the store file has gone") from None
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot read the store ({exc.strerror})") from None
        self._storage.data = _parse(self.path, raw)
        self._stamp = stamp
        self._trusted = self._written_digest() == hashlib.sha256(raw).hexdigest()
        self._plan = self._past = None
        self._db.clear_cache()

    def _written_digest(self) -> str | None:
        try:
            return self.digest_path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None

    def _write(self, writes: Mapping[str, Mapping[str, dict[str, Any] | None]],
               meta: dict[str, Any]) -> None:
        """Apply writes through TinyDB's tables, then put the file on disk atomically."""
        try:
            for kind, records in writes.items():
                table = self._db.table(kind)
                stored = self._storage.data.get(kind, {})
                table.remove(doc_ids=[_doc_id(rid) for rid in records if rid in stored])
                table.insert_multiple(
                    Document(plain, doc_id=_doc_id(record_id))
                    for record_id, plain in records.items()
                    if plain is not None
                )
            self._db.table(_META).upsert(Document(meta, doc_id=_doc_id(_META_ID)))
            for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):
                leftover.unlink(missing_ok=True)  # from a writer killed mid-write
            payload = _dump(self._storage.data)
            _atomic_write(self.path, payload)  # the commit point: the commit has landed
            self._write_digest(payload)
        except OSError as exc:
            self._stamp = None  # whatever reached the disk, the next read comes from it
            raise StoreError(
                f"{self.path}: cannot write the store ({exc.strerror}); the store is as it was"
            ) from None
        except BaseException:
            self._stamp = None
            raise
        info = os.stat(self.path)
        self._stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        self._trusted = True
        self._plan = None

    def _append_history(self, meta: Mapping[str, Any], entries: list[dict[str, Any]],
                        digest: Any) -> _Written:
        """Append ``entries`` after the committed history; return its new length and digest.

        ``digest`` is a SHA-256 of the committed history so far; it takes the new lines.
        """
        committed: int = meta["history_bytes"]
        payload = _lines(entries)
        digest = digest.copy()
        digest.update(payload)
        # Create the history file only with the first entries: a missing file
        # after that is lost history, to report rather than paper over.
        create = os.O_CREAT if committed == 0 else 0
        try:
            fd = os.open(self.history_path, os.O_RDWR | create | _BINARY, 0o600)
        except FileNotFoundError:
            raise StoreCorruptError(f"{self.history_path} is missing") from None
        try:
            size = os.fstat(fd).st_size
            if size < committed:
                raise StoreCorruptError(
                    f"{self.history_path} is shorter than {self.path} says it is: "
                    "history has been lost or truncated"
                )
            if size > committed:
                self._check_stray_tail(_read_at(fd, size - committed, committed), meta)
                os.ftruncate(fd, committed)
            _write_at(fd, payload, committed)
            os.fsync(fd)
        except OSError as exc:
            if isinstance(exc, StoreError):
                raise
            raise StoreError(
                f"{self.history_path}: cannot write history ({exc.strerror}); nothing written"
            ) from None
        finally:
            os.close(fd)
        return _Written(committed + len(payload), digest.hexdigest(), digest)

    def _rewrite_history(self, entries: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]],
                         edits: Mapping[int, Mapping[str, Any]]) -> _Written:
        """Write the history file again: ``entries`` (sides replaced by ``edits``), then ``new``.

        What a redaction or an accepted outside change does, and nothing
        else: history is otherwise only appended to. The new file replaces the
        old one atomically before ``plan.json`` does. A crash between the two
        leaves history rewritten under the old ``plan.json``: the store then
        reports its history as changed outside actiontrack, and
        ``revert-edits``, which puts the records back as history has them,
        finishes the work.
        """
        rewritten = [entry | dict(edits[entry["seq"]]) if entry["seq"] in edits else entry
                     for entry in entries]
        payload = _lines([*rewritten, *new])
        try:
            _atomic_write(self.history_path, payload)
        except OSError as exc:
            raise StoreError(
                f"{self.history_path}: cannot write history ({exc.strerror}); nothing written"
            ) from None
        return _Written(len(payload), hashlib.sha256(payload).hexdigest())

    def _committed_history(self, meta: Mapping[str, Any]) -> _History:
        """The history as this store wrote it, or as it now stands if it was changed since.

        The committed part of the file, while its bytes have the digest
        ``plan.json`` keeps for them (a longer file holds the leftovers of a
        commit that never landed after it). Otherwise, history was changed
        outside actiontrack: the file as it now is, to its last whole line,
        so that the check and ``verify`` can say what changed.
        """
        committed = meta["history_bytes"]
        seen = self._history_seen
        if seen is not None and seen[1] == committed and seen[2].hexdigest() == meta.get(
                "history_digest") and _history_stamp(self.history_path) == seen[0]:
            # The file is as this object last wrote it: no need to read it all and hash it.
            return _History(digest=seen[2].copy(), changed=False, missing=False, short=False,
                            read=lambda: self._committed_bytes(committed))
        try:
            raw = self._committed_bytes(committed)
        except FileNotFoundError:
            return _History(digest=hashlib.sha256(), changed=committed > 0,
                            missing=committed > 0, short=committed > 0, raw=b"")
        digest = hashlib.sha256(raw)
        kept = meta.get("history_digest")
        short = len(raw) < committed
        if not short and (kept is None or digest.hexdigest() == kept):
            return _History(digest=digest, changed=False, missing=False, short=False, raw=raw)
        whole = self._whole_history()
        return _History(digest=hashlib.sha256(whole), changed=True, missing=False,
                        short=short, raw=whole)

    def _committed_bytes(self, committed: int) -> bytes:
        """The history file's first ``committed`` bytes (``FileNotFoundError`` if it is gone)."""
        try:
            with open(self.history_path, "rb") as file:
                return file.read(committed)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StoreError(f"{self.history_path}: cannot read ({exc.strerror})") from None

    def _whole_history(self) -> bytes:
        """The history file to its last whole line, whatever ``plan.json`` says of its length."""
        try:
            raw = self.history_path.read_bytes()
        except FileNotFoundError:
            return b""
        except OSError as exc:
            raise StoreError(f"{self.history_path}: cannot read ({exc.strerror})") from None
        return raw[:raw.rfind(b"\n") + 1]

    def _entries_of(self, raw: bytes) -> list[dict[str, Any]]:
        """Every entry of the committed history, parsed and checked."""
        return [self._entry(line, lambda: number)  # noqa: B023  (called at once)
                for number, line in enumerate(raw.splitlines(), start=1) if line]

    def _outside_edits(self, meta: Mapping[str, Any], history: _History) -> list[OutsideEdit]:
        """The store's own check (see :meth:`outside_edits`): cheap while nothing changed.

        The committed history's bytes against the digest ``plan.json`` keeps
        for them, and ``plan.json`` against the digest this store wrote of it.
        Only when one differs is the history read and the chain checked (and,
        for a changed ``plan.json``, every record against its history), to
        name what changed.
        """
        if not history.changed and self._trusted:
            return []
        edits: list[OutsideEdit] = []
        if history.missing:
            return [OutsideEdit("", "", f"{self.history_path} is missing: history was lost")]
        if history.short:
            edits.append(OutsideEdit("", "", f"{self.history_path} is shorter than {self.path}"
                                             " says: history was lost or cut"))
        try:
            entries = self._entries_of(history.raw)
        except StoreCorruptError as exc:
            return [*edits, OutsideEdit("", "", str(exc))]
        findings = find_outside_edits(entries, meta.get("head") if history.changed else None,
                                      None if self._trusted else self._tables())
        edits += findings.edits
        if history.changed and not edits:
            edits.append(OutsideEdit("", "", f"{self.history_path} was changed outside"
                                             " actiontrack (its bytes are not those written)"))
        return edits

    def _head(self, meta: Mapping[str, Any], history: _History) -> str:
        """The head ``plan.json`` keeps; for a file from before the chain, its history's."""
        head = meta.get("head")
        if head is None:
            return link(self._entries_of(history.raw), GENESIS)
        return str(head)

    def _check_stray_tail(self, tail: bytes, meta: Mapping[str, Any]) -> None:
        """Allow only the leftovers of one commit that never landed; refuse to cut more.

        Anything else past the committed length is history that ``plan.json``
        does not know about, as when an older copy of it was put back.
        """
        complete, _, _ = tail.rpartition(b"\n")  # a last line cut short is expected
        for line in complete.splitlines():
            try:
                commit = json.loads(line).get("commit")
            except (ValueError, AttributeError):
                commit = None
            if commit != meta["last_commit"] + 1:
                raise StoreCorruptError(
                    f"{self.history_path} holds history that {self.path} does not know about"
                    " (is plan.json an older copy?); nothing written, nothing cut"
                )

    def _history_bytes(self) -> bytes:
        """The history to read: what was committed, or the file as it now stands if changed.

        A history file changed outside actiontrack is still read (``verify``
        names what changed, and no change is taken until it is settled); a
        missing one cannot be.
        """
        history = self._committed_history(self._meta)
        if history.missing:
            raise StoreCorruptError(f"{self.history_path} is missing")
        return history.raw

    def _read_history(
        self, *, kind: str | None = None, record_ids: Collection[str] | None = None,
        created_only: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """History entries, in order; asked for some, only their lines are parsed.

        The lines are found in the file's bytes by the keys this store writes
        them with (see :func:`_entry_lines`); each is then parsed and checked.
        """
        raw = self._history_bytes()
        every = kind is None and record_ids is None
        lines = (enumerate(raw.splitlines(), start=1) if every
                 else _entry_lines(raw, kind, record_ids, created_only))
        for place, line in lines:  # (called at once, in the loop: noqa B023)
            yield self._entry(line, lambda: place if every  # noqa: B023
                              else raw.count(b"\n", 0, place) + 1)  # noqa: B023

    def _entry(self, line: bytes, number: Callable[[], int]) -> dict[str, Any]:
        """A history line parsed and checked; ``number()`` tells its line number if it is not."""
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not _is_entry(entry):
            raise StoreCorruptError(
                f"{self.history_path}, line {number()}: not a valid history entry")
        return entry  # type: ignore[no-any-return]

    def _kept_ordered_before(self, meta: Mapping[str, Any]) -> int | None:
        """``ordered_before`` as kept, or worked out from the history for a file without it.

        A layout 1 file (release 0.1.0) learns it with its first commit, which reads
        the whole history once.
        """
        if "ordered_before" in meta:
            return meta["ordered_before"]  # type: ignore[no-any-return]
        with self._checked(self.history_path):
            return first_out_of_order(self._read_history())

    def _history_backwards(self, before: int) -> Generator[dict[str, Any], None, None]:
        """History entries whose seq is below ``before``, newest first, read from the end.

        The committed part of the file is read in blocks from its end, and a
        line's seq is read from its first bytes, so lines skipped are not
        parsed; each entry given is parsed and checked. Where a walk stopped
        is kept: the next one, from the seq of the last entry it undid (a
        report's next month end), starts reading there.
        """
        committed = self._meta["history_bytes"]
        end = committed
        if self._resume is not None and self._resume[:2] == (committed, before):
            end = self._resume[2]
        newer: int | None = None  # the seq of the entry given before this one
        try:
            file = open(self.history_path, "rb")  # noqa: SIM115  (closed below, when the walk ends)
        except FileNotFoundError:
            raise StoreCorruptError(f"{self.history_path} is missing") from None
        with file:
            for start, line in _lines_backwards(file, end):
                head = _SEQ_HEAD.match(line)
                if head is not None and int(head.group(1)) >= before:
                    continue
                entry = self._entry(line, lambda: _line_number(file, start))  # noqa: B023
                if entry["seq"] >= before:
                    continue
                if newer is not None:
                    self._resume = (committed, newer, start + len(line) + 1)
                newer = entry["seq"]
                yield entry

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self.path}: this store object has been closed")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the store's lock for one write, waiting up to ``lock_timeout`` seconds.

        A new lock object for every write: filelock counts re-entries per object,
        and a fresh one makes a second writer in this process (another store object
        on the same file, or another thread) wait its turn like another process.
        """
        self._check_open()
        # Imported here: only writes lock, and a read-only command need not pay for it.
        import filelock

        if not self.path.parent.is_dir():  # filelock would make the folder again
            raise StoreError(f"{self.path}: the folder {self.path.parent} does not exist")
        lock = filelock.FileLock(
            self.lock_path,
            mode=0o600,
            # filelock reads a negative timeout as "wait for ever"; ours means "do not wait".
            timeout=max(self.lock_timeout, 0.0),
            poll_interval=_LOCK_POLL_SECONDS,
            # Where the file system has no flock, refuse rather than silently switch to
            # a marker file that a crashed writer leaves behind.
            fallback_to_soft=False,
        )
        try:
            lock.acquire()
        except filelock.Timeout:  # before OSError: Timeout is a TimeoutError
            raise StoreLockedError(
                f"{self.path} is locked by another process "
                f"(waited {self.lock_timeout:g} s); try again"
            ) from None
        except OSError as exc:
            if exc.errno in _NO_LOCKS:
                raise StoreError(
                    f"{self.lock_path}: the file system under {self.path.parent} cannot lock"
                    " files; keep the store on a local disk"
                ) from None
            raise StoreError(
                f"{self.lock_path}: cannot open the lock file ({exc.strerror}); is the folder"
                " writable?"
            ) from None
        try:
            yield
        finally:
            lock.release()


class _History:
    """The committed history as read for a commit or a check.

    ``digest`` is the SHA-256 of its bytes so far: a commit that appends goes
    on from it. ``changed``: whether it is not what this store last wrote
    (missing, cut, or other bytes). The bytes are given, or read when first
    asked for (``read``), for a history this object knows it wrote.
    """

    def __init__(self, *, digest: Any, changed: bool, missing: bool, short: bool,
                 raw: bytes | None = None, read: Callable[[], bytes] | None = None) -> None:
        self.digest, self.changed, self.missing, self.short = digest, changed, missing, short
        self._raw, self._read = raw, read

    @cached_property
    def raw(self) -> bytes:
        if self._raw is not None:
            return self._raw
        assert self._read is not None
        return self._read()


def _history_stamp(path: Path) -> tuple[int, ...] | None:
    """What tells a file changed without reading it: device, inode, size, both times.

    The change time cannot be set back by hand, so an edit that puts the
    modification time back still shows.
    """
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@attrs.frozen
class _Written:
    """The history file's committed length and digest after a write."""

    length: int
    digest: str
    #: The SHA-256 object the digest came from, to go on from (after an append).
    hasher: Any = attrs.field(default=None, eq=False)

    def meta(self) -> dict[str, Any]:
        return {"history_bytes": self.length, "history_digest": self.digest}


def _lines(entries: Iterable[Mapping[str, Any]]) -> bytes:
    """History entries as the file holds them: one compact JSON object per line."""
    return b"".join(
        json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        for entry in entries
    )


def _carries_on(meta: Mapping[str, Any], entries: list[dict[str, Any]]) -> bool:
    """Whether history goes on, its chain whole, past the head ``plan.json`` keeps."""
    head = meta.get("head")
    return (head is not None and bool(entries) and entries[-1].get("hash") != head
            and any(entry.get("hash") == head for entry in entries)
            and not check_chain(entries, None, redaction_digests(entries)))


def _without_empty_hash(entry: dict[str, Any]) -> dict[str, Any]:
    """A copied entry with no hash leaves the key out, as a line written before the chain."""
    if entry.get("hash") is None:
        entry.pop("hash", None)
    return entry


def _doc_id(record_id: str) -> int:
    """Our text id where TinyDB's annotations expect an int (its tables accept any class)."""
    return record_id  # type: ignore[return-value]


def _dump(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _parse(path: Path, raw: bytes) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise StoreCorruptError(f"{path} is not a text file") from None
    except json.JSONDecodeError as exc:
        raise StoreCorruptError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg});"
            " it may be truncated or hand-edited"
        ) from None
    tables = data.get(_META) if isinstance(data, dict) else None
    meta = tables.get(_META_ID) if isinstance(tables, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("schema_version"), int):
        raise StoreCorruptError(f"{path} is JSON but not an actiontrack store (no _meta table)")
    if meta["schema_version"] > SCHEMA_VERSION:
        raise StoreVersionError(
            f"{path} was written by a newer actiontrack (store layout "
            f"{meta['schema_version']}; this release reads up to {SCHEMA_VERSION}): upgrade"
            " actiontrack to open it"
        )
    for key in ("identity", "last_commit", "last_seq", "history_bytes"):
        if key not in meta:
            raise StoreCorruptError(f"{path}: the _meta table lacks {key!r}")
        # A hand-edited count would otherwise fail later as a bare TypeError.
        wanted = str if key == "identity" else int
        if type(meta[key]) is not wanted or (wanted is int and meta[key] < 0):
            expected = "text" if wanted is str else "a whole number, 0 or more"
            raise StoreCorruptError(
                f"{path}: $.{_META}.{_META_ID}.{key}: expected {expected}, got {meta[key]!r}"
            )
    last_at = meta.get("last_at")
    if last_at is not None and not _is_moment(last_at):
        raise StoreCorruptError(f"{path}: $.{_META}.{_META_ID}.last_at: expected an ISO moment")
    ordered = meta.get("ordered_before")
    if ordered is not None and (type(ordered) is not int or ordered < 1):
        raise StoreCorruptError(
            f"{path}: $.{_META}.{_META_ID}.ordered_before: expected a seq (1 or more) or null")
    tombstones = meta.get("tombstones", {})
    if not isinstance(tombstones, dict) or not all(
        isinstance(ids, dict) and all(type(v) is int for v in ids.values())
        for ids in tombstones.values()
    ):
        raise StoreCorruptError(
            f"{path}: $.{_META}.{_META_ID}.tombstones: expected kind -> id -> version"
        )
    for name, table in data.items():
        if name != _META and name not in RECORD_KINDS:
            raise StoreCorruptError(f"{path} has an unknown table {name!r}")
        if not isinstance(table, dict):
            raise StoreCorruptError(f"{path}: table {name!r} is not a JSON object")
        if name == _META:
            continue
        for record_id, plain in table.items():
            if not isinstance(plain, dict) or plain.get("id") != record_id:
                raise StoreCorruptError(
                    f'{path}: $.{name}["{record_id}"] is not a record with that id'
                )
            version = plain.get("version")
            if type(version) is not int or version < 1:
                raise StoreCorruptError(
                    f'{path}: $.{name}["{record_id}"].version: expected a whole number,'
                    f" 1 or more, got {version!r}"
                )
    checked: dict[str, dict[str, Any]] = data
    return checked


#: How this store writes a line's kind and record id: ``,"kind":"actions","record_id":"A1",``.
_RECORD_KEY = re.compile(rb',"kind":"(\w+)","record_id":("(?:[^"\\]|\\.)*"),"version":\d+,'
                         rb'"change":"(\w+)"')
#: How much of the history file is read at a time when it is read from its end.
_BLOCK = 1 << 20


def _lines_backwards(file: BinaryIO, end: int) -> Iterator[tuple[int, bytes]]:
    """(where it starts, line) for each line of ``file`` that ends by byte ``end``, last first.

    ``end`` is where a line starts, or the end of the committed part. The
    newline before ``end`` gives no empty line.
    """
    buffer, buffer_start = b"", end
    while True:
        stop = len(buffer)
        newline = buffer.rfind(b"\n", 0, stop)
        while newline != -1:
            start = buffer_start + newline + 1
            if start != end:
                yield start, buffer[newline + 1:stop]
            stop = newline
            newline = buffer.rfind(b"\n", 0, stop)
        head = buffer[:stop]  # a line whose beginning is in an earlier block
        if buffer_start == 0:
            if head:
                yield 0, head
            return
        start = max(0, buffer_start - _BLOCK)
        file.seek(start)
        buffer = file.read(buffer_start - start) + head
        buffer_start = start


def _line_number(file: BinaryIO, start: int) -> int:
    """The number of the line that starts at byte ``start`` (for messages only)."""
    file.seek(0)
    return file.read(start).count(b"\n") + 1


#: How this store begins a history line: ``{"seq":12,``.
_SEQ_HEAD = re.compile(rb'\{"seq":(\d+),')
#: Few enough ids to look each one up with bytes.find rather than read every line's.
_FEW_IDS = 8


def _entry_lines(raw: bytes, kind: str | None, record_ids: Collection[str] | None,
                 created_only: bool) -> Iterator[tuple[int, bytes]]:
    """Where each line of an entry of ``kind`` and ``record_ids`` starts, and the line.

    Lines are found by the bytes this store writes (no JSON parsing); a key
    inside a text value cannot match, since JSON escapes every quote there.
    The caller still parses and checks each line found.
    """
    starts: set[int] = set()
    if record_ids is not None and len(record_ids) <= _FEW_IDS and not created_only:
        for record_id in record_ids:
            needle = b',"record_id":' + json.dumps(record_id, ensure_ascii=False).encode() + b","
            position = raw.find(needle)
            while position != -1:
                starts.add(raw.rfind(b"\n", 0, position) + 1)
                position = raw.find(needle, position + len(needle))
    else:
        wanted_kind = kind.encode() if kind is not None else None
        for match in _RECORD_KEY.finditer(raw):
            if wanted_kind is not None and match.group(1) != wanted_kind:
                continue
            if created_only and match.group(3) != b"create":
                continue
            if record_ids is not None and json.loads(match.group(2)) not in record_ids:
                continue
            starts.add(raw.rfind(b"\n", 0, match.start()) + 1)
    for start in sorted(starts):  # file order is history order
        end = raw.find(b"\n", start)
        yield start, raw[start:end if end != -1 else len(raw)]


def _is_entry(entry: object) -> bool:
    """Whether a history line has what rebuilding the plan relies on (the rest converts later)."""
    return (
        isinstance(entry, dict)
        and ((entry.keys() == _CHAINED_KEYS and isinstance(entry["hash"], str)
             and _HASH.fullmatch(entry["hash"]) is not None) or entry.keys() == _ENTRY_KEYS)
        and entry["kind"] in RECORD_KINDS
        and entry["change"] in _CHANGES
        and isinstance(entry["record_id"], str)
        and type(entry["seq"]) is int
        and type(entry["version"]) is int
        and _is_moment(entry["at"])
        and (entry["change"] != ChangeKind.CREATE or isinstance(entry["new"], dict))
        and (entry["change"] not in (ChangeKind.UPDATE, ChangeKind.REDACT)
             or isinstance(entry["field"], str))
        and (entry["change"] not in (ChangeKind.REDACT, ChangeKind.ACCEPT)
             or isinstance(entry["old"], dict))
    )


def _is_moment(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _atomic_write(path: Path, payload: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``payload`` so that a crash leaves the old or the new file.

    ``durable``: sync the file and its folder, so that the new file survives a
    crash once this returns.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600  # plans hold sensitive data: readable by their owner only
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _BINARY, mode)
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        _replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)  # a full disk must not also leave litter
        raise
    if durable:
        _sync_folder(path.parent)


#: How long a rename waits on Windows for a reader to let go of the file it replaces.
_REPLACE_PATIENCE = 2.0


def _replace(source: Path, destination: Path) -> None:
    """Rename ``source`` over ``destination``, atomically.

    On Windows a file another process is reading cannot be replaced
    (PermissionError) until that read ends, a moment later: wait for it.
    """
    deadline = time.monotonic() + _REPLACE_PATIENCE
    while True:
        try:
            os.replace(source, destination)
            return
        except PermissionError:
            if os.name != "nt" or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


#: What a file system that cannot lock files answers (NFS without its lock service: ENOLCK).
_NO_LOCKS = frozenset({errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP})
#: Windows opens files as text unless told otherwise; elsewhere there is no such flag.
_BINARY = getattr(os, "O_BINARY", 0)


def _read_at(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes from ``offset`` (os.pread, which Windows lacks, moves no position)."""
    os.lseek(fd, offset, os.SEEK_SET)
    chunks: list[bytes] = []
    while size > 0 and (chunk := os.read(fd, size)):
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_at(fd: int, payload: bytes, offset: int) -> None:
    """Write all of ``payload`` at ``offset``, however many calls the system takes."""
    os.lseek(fd, offset, os.SEEK_SET)
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


def _sync_folder(folder: Path) -> None:
    """Make the latest rename or new file in ``folder`` survive a crash, where the system can.

    POSIX systems sync a folder through a descriptor opened on it. Windows cannot
    open a folder that way, and Python offers no other call there: the rename is
    still atomic, so a power cut just after a commit may bring back the plan as
    it was before that commit, never a torn one.
    """
    if not _CAN_SYNC_FOLDERS:
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
