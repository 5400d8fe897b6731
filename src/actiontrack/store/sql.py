"""SQL stores: SQLite (``sqlite:///plan.db``) and PostgreSQL (``postgresql://...``).

One implementation on SQLAlchemy Core. The schema is one a person (or a BI
tool) can query: a table per kind of record with a column per field, a
table per list field (``actions_recommendation_ids``, ``target_revisions``)
with the owner's id and the item's position, a ``history`` table, a
``tombstones`` table and a ``store_meta`` table (layout version, identity,
commit counters). See docs/storage.md.

A commit is one database transaction. It first takes the store's write lock
(``SELECT ... FOR UPDATE`` on the meta row in PostgreSQL, ``BEGIN
IMMEDIATE`` in SQLite), so versions are checked and history numbered inside
the transaction that writes them: two writers never both pass the check.

A store opened with ``agency="DEMO-POL"`` reads the whole plan but changes
only that agency's actions and their progress updates, evidence and
assurance decisions; anything else raises :class:`ScopeError` before a row
is written. On PostgreSQL the database can enforce the same scope for each
agency's own login role (:mod:`actiontrack.store.sql_scope`, docs/agency-scope.md).

SQLAlchemy is an optional extra: ``pip install 'actiontrack[sql]'`` (and
``actiontrack[postgres]`` for psycopg).
"""

from __future__ import annotations

import contextlib
import enum
import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Generator, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from actiontrack import convert
from actiontrack.domain.models import TargetRevision
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
    NotFoundError,
    ScopeError,
    StoreError,
    StoreLockedError,
    StoreMissingError,
    StoreNotAvailableError,
    StoreNotEmptyError,
)
from actiontrack.formatting import safe_url
from actiontrack.store.core import (
    UNKNOWN_ORDER,
    PastView,
    PlainRecord,
    PlainTables,
    StoreState,
    apply_to_plan,
    is_now,
    plan_from_tables,
    prepare_commit,
    record_ids_asked,
    replay,
    restored_state,
    select,
    select_history,
    still_ordered_before,
    trusted_record,
    view_as_of,
)
from actiontrack.store.protocol import Before, Change, Condition, Delete, Put, Receipt
from actiontrack.store.sql_migrations import upgrade
from actiontrack.store.trusted import row_builder

__all__ = ["HISTORY_FUNCTION", "SCHEMA_VERSION", "SQLStore"]

#: The PostgreSQL function through which an agency role appends history (it may not
#: insert into ``history`` itself): created by :mod:`actiontrack.store.sql_scope`.
HISTORY_FUNCTION = "actiontrack_append_history"

#: The layout version this release writes; a database with a higher one is refused.
#: (:mod:`actiontrack.store.sql_migrations` upgrades an older one.)
SCHEMA_VERSION = 4

R = TypeVar("R", bound=Record)

#: The column that holds a list's items, named for what one item is.
_ITEM_COLUMNS = {
    "former_names": "former_name",
    "aliases": "alias",
    "themes": "theme",
    "repeats": "repeated_recommendation_id",
    "recommendation_ids": "recommendation_id",
    "evidence_ids": "evidence_id",
    "action_ids": "action_id",
}
_OWNER_COLUMNS = {kind: noun.replace(" ", "_") + "_id" for kind, noun in RECORD_NOUNS.items()}
#: The kinds an agency-scoped store may change, besides its own actions: those of its actions.
_ACTION_CHILDREN = ("progress_updates", "evidence", "assurance_decisions")


@attrs.frozen
class _ListField:
    """A tuple field kept in its own table: owner id, position, then the item's columns."""

    field: str
    table: sa.Table
    item_columns: tuple[str, ...]
    structured: bool  # items are TargetRevision records, not plain text


@attrs.frozen
class _KindTables:
    kind: str
    table: sa.Table
    scalars: tuple[str, ...]
    lists: tuple[_ListField, ...]


def _column_type(annotation: Any) -> tuple[sa.types.TypeEngine[Any], bool]:
    """The SQL type of a field and whether it may be NULL."""
    nullable = False
    args = get_args(annotation)
    if type(None) in args:
        nullable = True
        (annotation,) = [a for a in args if a is not type(None)]
    if annotation is date:
        return sa.Date(), nullable
    if annotation is int:
        return sa.Integer(), nullable
    return sa.Text(), nullable  # text, and enumerations by their value


def _schema() -> tuple[sa.MetaData, dict[str, _KindTables], sa.Table, sa.Table, sa.Table]:
    metadata = sa.MetaData()
    kinds: dict[str, _KindTables] = {}
    for kind, cls in RECORD_KINDS.items():
        fields = attrs.fields(attrs.resolve_types(cls))
        owner = _OWNER_COLUMNS[kind]
        columns: list[sa.Column[Any]] = []
        scalars: list[str] = []
        lists: list[_ListField] = []
        for field in fields:
            if get_origin(field.type) is tuple:
                (item_type, _) = get_args(field.type)
                structured = item_type is TargetRevision
                name = "target_revisions" if structured else f"{kind}_{field.name}"
                if structured:
                    item_fields = attrs.fields(attrs.resolve_types(TargetRevision))
                    item_columns = [
                        sa.Column(f.name, _column_type(f.type)[0], nullable=False)
                        for f in item_fields
                    ]
                else:
                    item_columns = [sa.Column(_ITEM_COLUMNS[field.name], sa.Text, nullable=False)]
                table = sa.Table(
                    name, metadata,
                    sa.Column(owner, sa.Text, sa.ForeignKey(f"{kind}.id", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("position", sa.Integer, primary_key=True),
                    *item_columns,
                )
                lists.append(_ListField(field.name, table, tuple(c.name for c in item_columns),
                                        structured))
                continue
            column_type, nullable = _column_type(field.type)
            columns.append(sa.Column(field.name, column_type, primary_key=field.name == "id",
                                     nullable=nullable))
            scalars.append(field.name)
        table = sa.Table(kind, metadata, *columns)
        kinds[kind] = _KindTables(kind, table, tuple(scalars), tuple(lists))
    history = sa.Table(
        "history", metadata,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("commit", sa.Integer, nullable=False, index=True),
        sa.Column("at", sa.Text, nullable=False),  # ISO 8601 with its offset, exactly as given
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("record_id", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("field", sa.Text),
        sa.Column("old", sa.JSON),
        sa.Column("new", sa.JSON),
        sa.Index("history_record", "kind", "record_id"),
    )
    tombstones = sa.Table(
        "tombstones", metadata,
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("record_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    meta = sa.Table(
        "store_meta", metadata,
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    sa.Index("actions_lead_agency", kinds["actions"].table.c.lead_agency_id)
    # The lookups features make (an action's children, a review's recommendations, what
    # answers a recommendation) come by index, not by reading a whole table.
    for kind, column in (("progress_updates", "action_id"), ("evidence", "action_id"),
                         ("assurance_decisions", "action_id"), ("recommendations", "review_id")):
        sa.Index(f"{kind}_{column}", kinds[kind].table.c[column])
    for listed in ("actions_recommendation_ids", "learning_activities_recommendation_ids"):
        sa.Index(f"{listed}_item", metadata.tables[listed].c.recommendation_id)
    sa.Index("chases_action_ids_item", metadata.tables["chases_action_ids"].c.action_id)
    sa.Index("actions_status_target", kinds["actions"].table.c.status,
             kinds["actions"].table.c.target_date)
    return metadata, kinds, history, tombstones, meta


METADATA, _KINDS, _HISTORY, _TOMBSTONES, _META = _schema()


class SQLStore:
    """A plan in a SQL database: SQLite for one machine, PostgreSQL for a shared server."""

    def __init__(
        self,
        url: str,
        *,
        lock_timeout: float = 30.0,
        create: bool = False,
        agency: str | None = None,
    ) -> None:
        """Open the store at ``url``; a missing one is created only when ``create`` is true.

        Without ``create``, a database with no store in it raises
        :class:`~actiontrack.errors.StoreMissingError`, and a SQLite file that
        does not exist is not made.
        """
        if agency is not None and not agency.strip():
            raise ValueError("agency must be an agency id, not blank")
        self.url = url
        #: The agency whose records this store may change; None: it may change any record.
        self.agency = agency
        if not create:
            _refuse_missing_file(url)
        self._engine = _engine(url, lock_timeout)
        self._lock_timeout = lock_timeout
        self._plan: Plan | None = None
        self._plan_commit = -1
        self._past: PastView | None = None
        self._closed = False
        try:
            with self._engine.begin() as connection:
                if not sa.inspect(connection).has_table(_META.name):
                    if not create:
                        raise StoreMissingError(f"no store at {_safe(url)}")
                    METADATA.create_all(connection)
                    connection.execute(sa.insert(_META), [
                        {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                        {"key": "identity", "value": str(uuid.uuid4())},
                        {"key": "last_commit", "value": "0"},
                        {"key": "last_seq", "value": "0"},
                        {"key": "last_at", "value": ""},
                        {"key": "ordered_before", "value": ""},
                    ])
                meta = self._read_meta(connection)
                upgrade(connection, _META, int(meta.get("schema_version", "0")),
                        SCHEMA_VERSION, _safe(url))
                meta = self._read_meta(connection)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"{_safe(url)}: cannot open the store ({_reason(exc)})") from None
        self._identity = meta["identity"]

    # -- reading -----------------------------------------------------------

    @property
    def identity(self) -> str:
        if self._closed:
            raise StoreError(f"{_safe(self.url)}: this store object has been closed")
        return self._identity

    def get(self, kind: type[R], record_id: str) -> R:
        name = kind_of(kind)
        with self._reading() as connection:
            plain = _read_records(connection, name, [record_id]).get(record_id)
        if plain is None:
            raise NotFoundError(RECORD_NOUNS[name], record_id)
        record = trusted_record(name, plain)
        assert isinstance(record, kind)
        return record

    def _is_now(self, connection: Connection, as_of: datetime | None) -> bool:
        """Whether ``as_of`` asks for the plan as it is now (see :func:`is_now`)."""
        if as_of is None:
            return True
        last_at = self._read_meta(connection)["last_at"]
        return is_now(as_of, datetime.fromisoformat(last_at) if last_at else None)

    def _plain_at(self, connection: Connection, as_of: datetime) -> PlainTables:
        """The plain records as they stood at ``as_of``, a moment before the latest change.

        Rewound from the records now by the entries after it, read newest
        first, when the history is in time order; otherwise replayed.
        """
        meta = self._read_meta(connection)
        past = view_as_of(
            as_of, state=(meta["identity"], int(meta["last_commit"])),
            last_seq=int(meta["last_seq"]), ordered_before=_kept_ordered_before(meta),
            current=lambda: {kind: _read_records(connection, kind, None) for kind in RECORD_KINDS},
            backwards=lambda before: _history_backwards(connection, before), kept=self._past,
        )
        if past is None:
            return replay(_history_rows(connection), as_of)
        self._past = past
        return past.tables

    def snapshot(self, as_of: datetime | None = None) -> Plan:
        with self._reading() as connection:
            if as_of is not None and not self._is_now(connection, as_of):
                return plan_from_tables(self._plain_at(connection, as_of), trusted=True)
            last_commit = int(self._read_meta(connection)["last_commit"])
            plan = self._plan
            if plan is None or self._plan_commit != last_commit:
                plan = Plan(**{kind: _read_models(connection, kind)  # type: ignore[arg-type]
                               for kind in RECORD_KINDS})
                self._plan, self._plan_commit = plan, last_commit
        return plan

    def get_many(
        self, kind: type[R], ids: Iterable[str], *, as_of: datetime | None = None
    ) -> dict[str, R]:
        name, wanted = kind_of(kind), sorted(set(ids))
        with self._reading() as connection:
            if self._is_now(connection, as_of):
                rows = _read_rows(connection, name, wanted)
            else:
                history = _history_rows(connection, kind=name, record_ids=wanted)
                rows = replay(history, as_of)[name]
        return {record_id: trusted_record(name, rows[record_id])  # type: ignore[misc]
                for record_id in wanted if record_id in rows}

    def find(self, kind: type[R], *, as_of: datetime | None = None,
             **where: Condition) -> list[R]:
        name = kind_of(kind)
        table = _KINDS[name].table
        with self._reading() as connection:
            if as_of is not None and not self._is_now(connection, as_of):
                tables = self._plain_at(connection, as_of)
                return [trusted_record(name, plain)  # type: ignore[misc]
                        for plain in select(tables[name], name, where)]
            ids = connection.execute(
                sa.select(table.c.id).where(*_conditions(name, where))).scalars().all()
            rows = _read_rows(connection, name, sorted(ids))
        return [trusted_record(name, rows[record_id])  # type: ignore[misc]
                for record_id in sorted(rows)]

    def count(self, kind: str) -> int:
        with self._reading() as connection:
            counted = connection.execute(
                sa.select(sa.func.count()).select_from(_KINDS[kind].table)).scalar_one()
        return int(counted)

    def used_ids(self, kind: str, prefix: str = "") -> frozenset[str]:
        table = _KINDS[kind].table
        live = sa.select(table.c.id).where(table.c.id.startswith(prefix, autoescape=True))
        withdrawn = sa.select(_TOMBSTONES.c.record_id).where(
            _TOMBSTONES.c.kind == kind,
            _TOMBSTONES.c.record_id.startswith(prefix, autoescape=True))
        with self._reading() as connection:
            found = {row[0] for query in (live, withdrawn) for row in connection.execute(query)}
        # LIKE ignores case in SQLite: keep only what really starts with the prefix.
        return frozenset(record_id for record_id in found if record_id.startswith(prefix))

    def created(self, kind: str) -> dict[str, datetime]:
        query = (sa.select(_HISTORY.c.record_id, _HISTORY.c.at)
                 .where(_HISTORY.c.kind == kind, _HISTORY.c.change == ChangeKind.CREATE.value)
                 .order_by(_HISTORY.c.seq))
        created: dict[str, datetime] = {}
        with self._reading() as connection:
            for record_id, at in connection.execute(query):
                created.setdefault(record_id, datetime.fromisoformat(at))
        return created

    def history(
        self, *, kind: str | None = None, record_id: str | None = None,
        record_ids: Collection[str] | None = None,
    ) -> list[HistoryEntry]:
        wanted = record_ids_asked(record_id, record_ids)
        with self._reading() as connection:
            rows = list(_history_rows(connection, kind=kind, record_ids=wanted))
        return select_history(rows, kind=kind, record_ids=wanted, shared=False)

    # -- writing -----------------------------------------------------------

    def commit(
        self,
        changes: Sequence[Change],
        *,
        by: str,
        at: datetime,
        reason: str | None = None,
    ) -> Receipt:
        with self._writing() as connection:
            meta = self._lock_meta(connection)
            touched: dict[str, set[str]] = defaultdict(set)
            for change in changes:
                if isinstance(change, Put):
                    touched[kind_of(change.record)].add(change.record.id)
                else:
                    touched[change.kind].add(change.record_id)
            stored = {kind: _read_records(connection, kind, sorted(ids))
                      for kind, ids in touched.items() if kind in RECORD_KINDS}
            self._check_scope(connection, changes, stored)
            tombstones = _read_tombstones(connection, touched)
            clock, inserts_history = _clock_and_history_right(connection)
            state = StoreState(
                current=lambda kind, record_id: stored.get(kind, {}).get(record_id),
                tombstone=lambda kind, record_id: tombstones.get((kind, record_id)),
                last_commit=int(meta["last_commit"]),
                last_seq=int(meta["last_seq"]),
                last_at=datetime.fromisoformat(meta["last_at"]) if meta["last_at"] else None,
                clock=clock,
            )
            prepared = prepare_commit(state, changes, by=by, at=at, reason=reason)
            if not prepared.entries:
                return Receipt(commit=state.last_commit, records=(), entries=())
            _write_records(connection, prepared.writes)
            for (kind, record_id), plain in prepared.writes.items():
                if plain is not None and (kind, record_id) in tombstones:  # made again
                    connection.execute(sa.delete(_TOMBSTONES).where(
                        _TOMBSTONES.c.kind == kind, _TOMBSTONES.c.record_id == record_id))
            for (kind, record_id), version in prepared.tombstones.items():
                connection.execute(sa.delete(_TOMBSTONES).where(
                    _TOMBSTONES.c.kind == kind, _TOMBSTONES.c.record_id == record_id))
                connection.execute(sa.insert(_TOMBSTONES).values(
                    kind=kind, record_id=record_id, version=version))
            last_seq = prepared.entries[-1]["seq"]
            advanced = False
            if inserts_history:
                connection.execute(sa.insert(_HISTORY), prepared.entries)
            else:  # an agency role: the function checks each entry against its rows
                connection.execute(sa.text(f"SELECT {HISTORY_FUNCTION}(CAST(:entries AS json))"),
                                   {"entries": json.dumps(prepared.entries)})
                # It advances the counters itself (an agency role may not); a function
                # granted by an earlier release did not, and its role still may.
                advanced = connection.execute(sa.select(_META.c.value).where(
                    _META.c.key == "last_seq")).scalar() == str(last_seq)
            if not advanced:
                now_ordered = still_ordered_before(_kept_ordered_before(meta), prepared)
                self._write_meta(connection, last_commit=prepared.commit, last_seq=last_seq,
                                 last_at=prepared.last_at.isoformat(),
                                 ordered_before="" if now_ordered is None else now_ordered)
        if self._plan is not None and self._plan_commit == state.last_commit:
            self._plan, self._plan_commit = apply_to_plan(self._plan, prepared), prepared.commit
        return Receipt(
            commit=prepared.commit, records=tuple(prepared.records), entries=prepared.history
        )

    def restore(self, plan: Plan, history: Iterable[HistoryEntry]) -> None:
        entries = [convert.unstructure(entry) for entry in history]
        with self._writing() as connection:
            self._lock_meta(connection)
            empty = all(
                connection.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
                for table in (*(k.table for k in _KINDS.values()), _HISTORY)
            )
            if not empty:
                raise StoreNotEmptyError(
                    f"{_safe(self.url)} already holds a plan; restore needs an empty store")
            self._check_scope(connection, [Put(record) for record in plan.records()], {})
            restored = restored_state(plan, entries)
            writes = {(kind_of(r), r.id): convert.unstructure(r) for r in plan.records()}
            _write_records(connection, writes)
            for chunk in _chunks(entries):
                connection.execute(sa.insert(_HISTORY), list(chunk))
            if restored["tombstones"]:
                connection.execute(sa.insert(_TOMBSTONES), [
                    {"kind": kind, "record_id": record_id, "version": version}
                    for (kind, record_id), version in restored["tombstones"].items()
                ])
            last_at = restored["last_at"]
            self._write_meta(connection, last_commit=restored["last_commit"],
                             last_seq=restored["last_seq"],
                             last_at=last_at.isoformat() if last_at else "",
                             ordered_before=restored["ordered_before"] or "")
        self._plan = None

    def erase(self) -> None:
        """Drop every table of the store and close it: ``copy --replace``'s first step.

        Not part of the Store port: no code holding a store can erase a plan
        and its history; this is an administrator's act on the database.
        """
        try:
            with self._engine.begin() as connection:
                METADATA.drop_all(connection)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(
                f"{_safe(self.url)}: cannot drop the store's tables ({_reason(exc)})") from None
        finally:
            self.close()

    def close(self) -> None:
        self._engine.dispose()
        self._plan = self._past = None
        self._closed = True

    # -- internals -----------------------------------------------------------

    def _check_scope(
        self,
        connection: Connection,
        changes: Sequence[Change],
        stored: Mapping[str, Mapping[str, PlainRecord]],
    ) -> None:
        """Raise ScopeError unless every change stays inside this store's agency.

        An action must be led by the agency both as stored and as written; a
        progress update, evidence item or assurance decision must belong to
        such an action, both as stored and as written. Other kinds are read-only.
        """
        agency = self.agency
        if agency is None:
            return
        # Actions written in this unit must be the agency's (checked below), so a
        # child may name one of them before it is stored.
        written: dict[str, str | None] = {
            change.record.id: getattr(change.record, "lead_agency_id", None) for change in changes
            if isinstance(change, Put) and kind_of(change.record) == "actions"}

        def refuse(kind: str, record_id: str, why: str) -> ScopeError:
            return ScopeError(RECORD_NOUNS.get(kind, kind), record_id, agency, why)

        for change in changes:
            if isinstance(change, Delete):
                kind, record_id, new = change.kind, change.record_id, None
            else:
                kind, record_id, new = kind_of(change.record), change.record.id, change.record
            old = stored.get(kind, {}).get(record_id)
            if kind not in RECORD_KINDS:
                continue  # prepare_commit says what is wrong with it
            if kind == "actions":
                if {(old or {}).get("lead_agency_id", agency),
                        getattr(new, "lead_agency_id", agency)} != {agency}:
                    raise refuse(kind, record_id, "the action is led by another agency")
            elif kind in _ACTION_CHILDREN:
                action_ids = {str(action_id) for action_id in (
                    (old or {}).get("action_id"), getattr(new, "action_id", None))
                    if action_id is not None}
                leads = {**written, **{
                    action_id: plain["lead_agency_id"] for action_id, plain in _read_records(
                        connection, "actions", sorted(action_ids - written.keys())).items()}}
                if {leads.get(action_id) for action_id in action_ids} != {agency}:
                    raise refuse(kind, record_id, "its action is not led by this agency")
            else:
                raise refuse(kind, record_id, f"{kind.replace('_', ' ')} are read-only"
                             " for an agency")

    def _reading(self) -> _Translated:
        return _Translated(self, write=False)

    def _writing(self) -> _Translated:
        return _Translated(self, write=True)

    @staticmethod
    def _read_meta(connection: Connection) -> dict[str, str]:
        return {row.key: row.value for row in connection.execute(sa.select(_META))}

    def _lock_meta(self, connection: Connection) -> dict[str, str]:
        """Take the store's write lock inside this transaction; return the counters."""
        query = sa.select(_META)
        if connection.dialect.name == "postgresql":
            # Wait for another writer no longer than the store's lock timeout.
            milliseconds = max(1, int(self._lock_timeout * 1000))
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {milliseconds}")
            query = query.with_for_update()
        try:
            return {row.key: row.value for row in connection.execute(query)}
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                raise StoreLockedError(
                    f"{_safe(self.url)} is being changed by another writer (waited"
                    f" {self._lock_timeout:g} s); try again"
                ) from None
            raise

    @staticmethod
    def _write_meta(connection: Connection, **values: Any) -> None:
        for key, value in values.items():
            connection.execute(sa.update(_META).where(_META.c.key == key).values(value=str(value)))


class _Translated:
    """A connection in a transaction whose database errors become StoreErrors."""

    def __init__(self, store: SQLStore, *, write: bool) -> None:
        self._store = store
        self._write = write
        self._connection: Connection | None = None
        self._transaction: Any = None

    def __enter__(self) -> Connection:
        if self._store._closed:
            raise StoreError(f"{_safe(self._store.url)}: this store object has been closed")
        try:
            connection = self._store._engine.connect()
            # A read sees one moment: a record's row and its list rows, or every table of
            # a snapshot, never half of one commit and half of the next. (Writes are
            # serialised by the store's lock, so they need no more than the default.)
            if not self._write and connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            connection.info["actiontrack_write"] = self._write
            self._connection = connection
            self._transaction = connection.begin()
            return connection
        except sa.exc.SQLAlchemyError as exc:
            if self._connection is not None:
                self._connection.close()
            raise StoreError(f"{_safe(self._store.url)}: cannot reach the store"
                             f" ({_reason(exc)})") from None

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        assert self._connection is not None
        failure = error if isinstance(error, sa.exc.SQLAlchemyError) else None
        try:
            if error is None:
                self._transaction.commit()
            else:
                self._transaction.rollback()
        except sa.exc.SQLAlchemyError as exc:
            if error is None or failure is not None:  # keep a ConflictError as it is
                failure = failure or exc
        finally:
            # If the connection is gone, the server dropped the transaction with it.
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self._connection.close()
        if failure is not None:
            what = "the change did not land" if self._write else "cannot read the store"
            raise StoreError(f"{_safe(self._store.url)}: {what} ({_reason(failure)})"
                             + ("; nothing was written" if self._write else "")) from None


def _clock_and_history_right(connection: Connection) -> tuple[datetime, bool]:
    """The store's clock, and whether this connection may insert history rows itself.

    The clock is the database server's for PostgreSQL, this machine's for
    SQLite. An agency role on PostgreSQL may not insert history
    (docs/agency-scope.md): it appends through :data:`HISTORY_FUNCTION`.
    Asked in the query that reads the clock, so a commit pays no extra round trip.
    """
    if connection.dialect.name == "postgresql":
        moment, inserts = connection.exec_driver_sql(
            "SELECT clock_timestamp(), has_table_privilege('history', 'INSERT')").one()
        assert isinstance(moment, datetime)
        return moment, bool(inserts)
    return datetime.now(UTC), True


def _refuse_missing_file(url: str) -> None:
    """A SQLite store that does not exist is reported, not made by connecting to it."""
    if not url.startswith("sqlite:"):
        return
    database = _parsed(url).database
    if database and database != ":memory:" and not Path(database).exists():
        raise StoreMissingError(f"no store at {url}")


def _parsed(url: str) -> sa.engine.URL:
    """The URL as SQLAlchemy reads it, or a one-line reason it cannot be."""
    try:
        return sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise StoreNotAvailableError(
            f"{safe_url(url)} is not a store URL actiontrack can read ({_reason(exc)}): a SQLite"
            " file is sqlite:///plan.db (three slashes) or sqlite:////full/path/plan.db, a"
            " PostgreSQL database postgresql://user@host:5432/database"
        ) from None


def _engine(url: str, lock_timeout: float) -> Engine:
    _parsed(url)
    try:
        return _new_engine(url, lock_timeout)
    except ImportError as exc:  # the database's driver is an optional extra
        raise StoreNotAvailableError(
            f"{url.split(':', 1)[0]} stores need an optional extra: pip install"
            f" 'actiontrack[postgres]' ({exc.name or exc} is missing)"
        ) from None
    except (sa.exc.ArgumentError, ValueError, TypeError) as exc:
        raise StoreNotAvailableError(
            f"{_safe(url)}: cannot use this store URL ({_reason(exc)})") from None


def _new_engine(url: str, lock_timeout: float) -> Engine:
    if url.startswith("sqlite:"):
        engine = sa.create_engine(url, connect_args={"timeout": lock_timeout})

        @sa.event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None  # we say BEGIN ourselves
            dbapi_connection.execute("PRAGMA foreign_keys = ON")
            dbapi_connection.execute("PRAGMA journal_mode = WAL")

        @sa.event.listens_for(engine, "begin")
        def _write_lock_first(connection: Connection) -> None:
            # A writer takes the write lock at once (IMMEDIATE): two writers queue instead
            # of both reading, then one failing to upgrade its lock. A reader's plain
            # BEGIN reads one moment of the WAL without blocking anyone.
            write = connection.info.get("actiontrack_write", True)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    # No pool: a store object holds no server connection between units of work, so
    # many short-lived store objects (scripts, tests) never exhaust the server's slots.
    return sa.create_engine(url, poolclass=sa.pool.NullPool,
                            connect_args={"connect_timeout": int(max(lock_timeout, 1))}
                            if url.startswith("postgresql") else {})


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return safe_url(url)


def _reason(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else type(
        original).__name__


#: Rows per statement: SQLite and psycopg both cap the parameters of one statement.
_CHUNK = 5000


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _conditions(kind: str, where: Mapping[str, Condition]) -> list[sa.ColumnElement[bool]]:
    """What :meth:`SQLStore.find` asks, as SQL conditions on the kind's table."""
    tables = _KINDS[kind]
    lists = {listed.field: listed for listed in tables.lists}
    unknown = sorted(set(where) - set(tables.scalars) - set(lists))
    if unknown:
        raise ValueError(f"{RECORD_NOUNS[kind]} records have no field {', '.join(unknown)}")
    clauses: list[sa.ColumnElement[bool]] = []
    for name, value in where.items():
        if isinstance(value, Before):
            clauses.append(tables.table.c[name] < value.day)
            continue
        values = sorted(_column(item) for item in value) if isinstance(
            value, frozenset | set) else [_column(value)]
        listed = lists.get(name)
        if listed is None:
            clauses.append(tables.table.c[name].in_(values))
        else:  # a list field holds one of the values
            owners = sa.select(listed.table.c[_OWNER_COLUMNS[kind]]).where(
                listed.table.c[listed.item_columns[0]].in_(values))
            clauses.append(tables.table.c.id.in_(owners))
    return clauses


def _read_rows(
    connection: Connection, kind: str, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The records ``ids`` of one kind as the driver gives them, lists in order.

    For a few records; a whole kind is :func:`_read_models`' work.
    """
    tables = _KINDS[kind]
    owner = _OWNER_COLUMNS[kind]
    records: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        query = sa.select(*(tables.table.c[name] for name in tables.scalars)).where(
            tables.table.c.id.in_(chunk))
        for row in connection.execute(query):
            record = dict(zip(tables.scalars, row, strict=True))
            for listed in tables.lists:
                record[listed.field] = []
            records[record["id"]] = record
        for listed in tables.lists:
            columns = listed.item_columns
            query = sa.select(listed.table.c[owner], *(listed.table.c[c] for c in columns))
            query = query.order_by(listed.table.c[owner], listed.table.c.position).where(
                listed.table.c[owner].in_(chunk))
            for owner_id, *values in connection.execute(query):
                owned = records.get(owner_id)
                if owned is not None:
                    owned[listed.field].append(
                        dict(zip(columns, values, strict=True)) if listed.structured
                        else values[0])
    return records


def _read_records(
    connection: Connection, kind: str, ids: Sequence[str] | None
) -> dict[str, PlainRecord]:
    """Records of one kind as plain data, as versions and history compare them."""
    models = _read_models(connection, kind) if ids is None else {
        record_id: trusted_record(kind, row)
        for record_id, row in _read_rows(connection, kind, ids).items()}
    return {record_id: convert.unstructure(model) for record_id, model in models.items()}


def _read_models(connection: Connection, kind: str) -> dict[str, Record]:
    """Every record of one kind as its model, built once, straight from the driver's rows.

    The loading of a whole plan: each table is read through the driver's
    own cursor (SQLAlchemy's row objects cost more than the reading) and
    each record made by :func:`~actiontrack.store.trusted.row_builder`. A
    row that path cannot make goes the strict way, which names what is wrong.
    """
    tables = _KINDS[kind]
    owner = _OWNER_COLUMNS[kind]
    cursor = connection.connection.cursor()
    try:
        lists: dict[str, dict[str, list[Any]]] = {}
        for listed in tables.lists:
            items: dict[str, list[Any]] = defaultdict(list)
            query = sa.select(listed.table.c[owner], *(
                listed.table.c[column] for column in listed.item_columns)).order_by(
                listed.table.c[owner], listed.table.c.position)
            cursor.execute(str(query.compile(dialect=connection.dialect)))
            if listed.structured:
                for owner_id, *values in cursor.fetchall():
                    items[owner_id].append(dict(zip(listed.item_columns, values, strict=True)))
            else:
                for owner_id, value in cursor.fetchall():
                    items[owner_id].append(value)
            lists[listed.field] = items
        query = sa.select(*(tables.table.c[name] for name in tables.scalars))
        cursor.execute(str(query.compile(dialect=connection.dialect)))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    make = row_builder(kind, tables.scalars)
    records: dict[str, Record] = {}
    for row in rows:
        try:
            record = make(row, lists)
        except (KeyError, ValueError, TypeError, AttributeError):
            plain = dict(zip(tables.scalars, row, strict=True))
            plain |= {listed.field: lists[listed.field].get(plain["id"], [])
                      for listed in tables.lists}
            record = trusted_record(kind, plain)
        records[record.id] = record
    return records


def _write_records(
    connection: Connection, writes: Mapping[tuple[str, str], PlainRecord | None]
) -> None:
    """Replace the touched records (rows and list rows); remove those written as None."""
    by_kind: dict[str, dict[str, PlainRecord | None]] = defaultdict(dict)
    for (kind, record_id), plain in writes.items():
        by_kind[kind][record_id] = plain
    kinds = [kind for kind in RECORD_KINDS if kind in by_kind]  # in dependency order
    # Children before their parents: an agency role's row-level security finds a child
    # row by its action, so the action's row must still be there when the child goes.
    for kind in reversed(kinds):
        tables = _KINDS[kind]
        owner = _OWNER_COLUMNS[kind]
        for chunk in _chunks(sorted(by_kind[kind])):
            for listed in tables.lists:
                connection.execute(sa.delete(listed.table).where(listed.table.c[owner].in_(chunk)))
            connection.execute(sa.delete(tables.table).where(tables.table.c.id.in_(chunk)))
    for kind in kinds:  # then the new rows, parents first
        tables = _KINDS[kind]
        owner = _OWNER_COLUMNS[kind]
        ids = sorted(by_kind[kind])
        rows, list_rows = [], defaultdict(list)
        for record_id in ids:
            plain = by_kind[kind][record_id]
            if plain is None:
                continue
            record = trusted_record(kind, plain)
            rows.append({name: _column(getattr(record, name)) for name in tables.scalars})
            for listed in tables.lists:
                for position, item in enumerate(getattr(record, listed.field)):
                    row = {owner: record_id, "position": position}
                    if listed.structured:
                        row |= {name: _column(getattr(item, name)) for name in listed.item_columns}
                    else:
                        row[listed.item_columns[0]] = item
                    list_rows[listed.table.name].append(row)
        for chunk in _chunks(rows):
            connection.execute(sa.insert(tables.table), list(chunk))
        for listed in tables.lists:
            for chunk in _chunks(list_rows[listed.table.name]):
                connection.execute(sa.insert(listed.table), list(chunk))


def _column(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _read_tombstones(
    connection: Connection, touched: Mapping[str, set[str]]
) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for kind, ids in touched.items():
        query = sa.select(_TOMBSTONES).where(
            _TOMBSTONES.c.kind == kind, _TOMBSTONES.c.record_id.in_(sorted(ids)))
        for row in connection.execute(query):
            found[row.kind, row.record_id] = row.version
    return found


def _kept_ordered_before(meta: Mapping[str, str]) -> int | None:
    """The store's ``ordered_before``: kept as a seq, "" for none, or missing (not known)."""
    kept = meta.get("ordered_before")
    if kept is None:
        return UNKNOWN_ORDER
    return int(kept) if kept else None


def _history_backwards(
    connection: Connection, before: int
) -> Generator[dict[str, Any], None, None]:
    """History rows whose seq is below ``before``, newest first, fetched as they are read."""
    query = sa.select(_HISTORY).where(_HISTORY.c.seq < before).order_by(_HISTORY.c.seq.desc())
    result = connection.execute(query, execution_options={"yield_per": 1000})
    try:
        for row in result:
            yield dict(row._mapping)
    finally:
        result.close()


def _history_rows(
    connection: Connection, *, kind: str | None = None,
    record_ids: Collection[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """History rows in seq order: all, or of one kind, or of some records."""
    query = sa.select(_HISTORY).order_by(_HISTORY.c.seq)
    if kind is not None:
        query = query.where(_HISTORY.c.kind == kind)
    if record_ids is None:
        for row in connection.execute(query):
            yield dict(row._mapping)
        return
    rows = [dict(row._mapping) for chunk in _chunks(sorted(record_ids))
            for row in connection.execute(query.where(_HISTORY.c.record_id.in_(chunk)))]
    yield from sorted(rows, key=lambda row: row["seq"])  # chunks each come in order
