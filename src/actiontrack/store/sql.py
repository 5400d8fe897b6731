"""SQL stores: SQLite (``sqlite:///plan.db``) and PostgreSQL (``postgresql://...``).

One implementation on SQLAlchemy Core. The schema is one a person (or a BI
tool) can query: a table per kind of record with a column per field, a
table per list field (``actions_recommendation_ids``, ``target_revisions``)
with the owner's id and the item's position, a ``history`` table (each entry
with its ``hash`` in the chain, :mod:`actiontrack.domain.chain`), a
``tombstones`` table, a ``store_meta`` table (layout version, identity,
commit counters, the chain's ``head``), ``store_secret`` (the store's own
HMAC secret) and ``outside_edits``. See docs/storage.md.

Triggers on every table of records, lists, history and tombstones log, in
``outside_edits``, each row inserted, changed or removed by anyone but
actiontrack (:func:`~actiontrack.store.sql_migrations.log_outside_edits`).
A commit checks that log and the head first, cheaply, and refuses with
:class:`~actiontrack.errors.OutsideEditError` naming each record until
:meth:`SQLStore.settle` accepts or reverts what was found.

A commit is one database transaction. It first takes the store's write lock
(``SELECT ... FOR UPDATE`` on the meta row in PostgreSQL, ``BEGIN
IMMEDIATE`` in SQLite), so versions are checked and history numbered inside
the transaction that writes them: two writers never both pass the check.

A store opened with ``agency="DEMO-POL"`` reads the whole plan but changes
only that agency's actions and their progress updates, evidence,
assurance decisions, measures and measurements; anything else raises
:class:`ScopeError` before a row is written. On PostgreSQL the database can
enforce the same scope for each agency's own login role
(:mod:`actiontrack.store.sql_scope`, docs/agency-scope.md).

SQLAlchemy is an optional extra: ``pip install 'actiontrack[sql]'`` (and
``actiontrack[postgres]`` for psycopg).
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import hmac
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
from actiontrack.domain.chain import GENESIS, relink
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
    OutsideEditError,
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
    PreparedCommit,
    StoreState,
    apply_to_plan,
    find_outside_edits,
    first_out_of_order,
    is_now,
    plan_from_tables,
    prepare_commit,
    record_ids_asked,
    replay,
    restored_state,
    select,
    select_history,
    select_records,
    settlement,
    still_ordered_before,
    trusted_record,
    view_as_of,
)
from actiontrack.store.protocol import (
    Before,
    Change,
    Condition,
    Delete,
    OutsideEdit,
    Put,
    Receipt,
    Redact,
)
from actiontrack.store.sql_migrations import (
    OUTSIDE_EDIT_FUNCTION,
    WRITING_FLAG,
    keep_secret,
    log_outside_edits,
    new_secret,
    upgrade,
)
from actiontrack.store.trusted import row_builder

__all__ = ["HISTORY_FUNCTION", "SCHEMA_VERSION", "SIGN_FUNCTION", "SQLStore"]

#: The PostgreSQL function through which an agency role appends history (it may not
#: insert into ``history`` itself): created by :mod:`actiontrack.store.sql_scope`.
HISTORY_FUNCTION = "actiontrack_append_history"
#: The PostgreSQL function through which an agency role signs (it may not read
#: ``store_secret``): created by :mod:`actiontrack.store.sql_scope`.
SIGN_FUNCTION = "actiontrack_sign"

#: The layout version this release writes; a database with a higher one is refused.
#: (:mod:`actiontrack.store.sql_migrations` upgrades an older one.)
SCHEMA_VERSION = 7

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
_ACTION_CHILDREN = ("progress_updates", "evidence", "assurance_decisions", "measures",
                    "measurements")


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
    if annotation is float:  # a measure's figures: double precision, never text
        return sa.Float(), nullable
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
        sa.Column("hash", sa.Text),  # NULL in entries written before layout 5
        sa.Index("history_record", "kind", "record_id"),
        # When each record was created, read from the index alone (Store.created).
        sa.Index("history_created", "kind", "change", "seq", "record_id", "at"),
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
    # One row: the store's HMAC secret, and its pads for PostgreSQL's own sha256
    # (see :func:`~actiontrack.store.sql_migrations.new_secret`).
    sa.Table(
        "store_secret", metadata,
        sa.Column("id", sa.Integer, sa.CheckConstraint("id = 1"), primary_key=True,
                  autoincrement=False),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column("inner_pad", sa.LargeBinary, nullable=False),
        sa.Column("outer_pad", sa.LargeBinary, nullable=False),
    )
    sa.Table(
        "outside_edits", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("row_key", sa.Text, nullable=False),  # a JSON array: see _LOGGED
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("noticed_at", sa.Text, nullable=False),
        sa.Column("database_user", sa.Text),
    )
    sa.Index("actions_lead_agency", kinds["actions"].table.c.lead_agency_id)
    # The lookups features make (an action's children, a review's recommendations, what
    # answers a recommendation) come by index, not by reading a whole table.
    for kind, column in (("progress_updates", "action_id"), ("evidence", "action_id"),
                         ("assurance_decisions", "action_id"), ("recommendations", "review_id"),
                         ("measures", "action_id"), ("measurements", "action_id"),
                         ("measurements", "measure_id")):
        sa.Index(f"{kind}_{column}", kinds[kind].table.c[column])
    for listed in ("actions_recommendation_ids", "learning_activities_recommendation_ids"):
        sa.Index(f"{listed}_item", metadata.tables[listed].c.recommendation_id)
    sa.Index("chases_action_ids_item", metadata.tables["chases_action_ids"].c.action_id)
    sa.Index("actions_status_target", kinds["actions"].table.c.status,
             kinds["actions"].table.c.target_date)
    return metadata, kinds, history, tombstones, meta


METADATA, _KINDS, _HISTORY, _TOMBSTONES, _META = _schema()
_SECRET = METADATA.tables["store_secret"]
_META_UPDATE = sa.update(_META).where(_META.c.key == sa.bindparam("meta_key")).values(
    value=sa.bindparam("meta_value"))
_OUTSIDE_EDITS = METADATA.tables["outside_edits"]

#: The tables whose rows are logged when changed outside actiontrack, with the columns
#: that name a row in the log: every table but the store's own bookkeeping (store_meta
#: is guarded by the head it keeps).
_LOGGED: dict[str, tuple[str, ...]] = {
    table.name: ("seq", "kind", "record_id") if table is _HISTORY
    else tuple(column.name for column in table.primary_key.columns)
    for table in METADATA.sorted_tables
    if table.name not in (_META.name, _SECRET.name, _OUTSIDE_EDITS.name)
}
#: A list table's owner kind and field.
_LIST_OWNERS = {listed.table.name: (kind, listed.field)
                for kind, tables in _KINDS.items() for listed in tables.lists}


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
                        {"key": "head", "value": GENESIS},
                    ])
                    connection.execute(sa.insert(_SECRET), {"id": 1, **new_secret()})
                    keep_secret(connection)
                    log_outside_edits(connection, _LOGGED)
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
        return as_of is None or _now_in(self._read_meta(connection), as_of)

    def _kept_plan(self, meta: Mapping[str, str]) -> Plan | None:
        """The plan read for the last snapshot, while no change was committed since."""
        current = self._plan_commit == int(meta["last_commit"])
        return self._plan if current else None

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
            meta = self._read_meta(connection)
            if as_of is not None and not _now_in(meta, as_of):
                return plan_from_tables(self._plain_at(connection, as_of), trusted=True)
            plan = self._kept_plan(meta)
            if plan is None:
                plan = Plan(**{kind: _read_models(connection, kind)  # type: ignore[arg-type]
                               for kind in RECORD_KINDS})
                self._plan, self._plan_commit = plan, int(meta["last_commit"])
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
            meta = self._read_meta(connection)
            if as_of is not None and not _now_in(meta, as_of):
                tables = self._plain_at(connection, as_of)
                return [trusted_record(name, plain)  # type: ignore[misc]
                        for plain in select(tables[name], name, where)]
            plan = self._kept_plan(meta)
            if plan is not None:  # the plan read for a snapshot answers without reading rows
                return select_records(plan.of_kind(name), name, where)  # type: ignore[return-value]
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
        # Answered from the index history_created alone (layout 7).
        query = (sa.select(_HISTORY.c.record_id, _HISTORY.c.at)
                 .where(_HISTORY.c.kind == kind, _HISTORY.c.change == ChangeKind.CREATE.value)
                 .order_by(_HISTORY.c.kind, _HISTORY.c.change, _HISTORY.c.seq))
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
            edits = _outside_edits_found(connection, meta)
            if edits:
                raise OutsideEditError(_safe(self.url), edits)
            touched: dict[str, set[str]] = defaultdict(set)
            for change in changes:
                if isinstance(change, Put):
                    touched[kind_of(change.record)].add(change.record.id)
                else:
                    touched[change.kind].add(change.record_id)
            stored = {kind: _read_records(connection, kind, sorted(ids))
                      for kind, ids in touched.items() if kind in RECORD_KINDS}
            clock, agency_role = _clock_and_role(connection)
            self._check_scope(connection, changes, stored, agency_role)
            tombstones = _read_tombstones(connection, touched)
            state = StoreState(
                current=lambda kind, record_id: stored.get(kind, {}).get(record_id),
                tombstone=lambda kind, record_id: tombstones.get((kind, record_id)),
                last_commit=int(meta["last_commit"]),
                last_seq=int(meta["last_seq"]),
                last_at=datetime.fromisoformat(meta["last_at"]) if meta["last_at"] else None,
                clock=clock,
                head=meta["head"],
                record_history=lambda kind, record_id: list(
                    _history_rows(connection, kind=kind, record_ids=[record_id])),
            )
            prepared = prepare_commit(state, changes, by=by, at=at, reason=reason)
            if not prepared.entries:
                return Receipt(commit=state.last_commit, records=(), entries=())
            self._land(connection, prepared, tombstones, agency_role,
                       still_ordered_before(_kept_ordered_before(meta), prepared))
        if self._plan is not None and self._plan_commit == state.last_commit:
            self._plan, self._plan_commit = apply_to_plan(self._plan, prepared), prepared.commit
        return Receipt(
            commit=prepared.commit, records=tuple(prepared.records), entries=prepared.history
        )

    def _land(self, connection: Connection, prepared: PreparedCommit,
              tombstones: Mapping[tuple[str, str], int], agency_role: str | None,
              ordered_before: int | None) -> None:
        """Write a prepared commit: records, tombstones, history (rewritten and new), counters.

        ``ordered_before`` is what the store keeps once it lands (see
        :func:`~actiontrack.store.core.first_out_of_order`).
        """
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
        # A redaction's rewrite of the entries that held the value (the one rewrite).
        for seq, sides in sorted(prepared.history_edits.items()):
            connection.execute(sa.update(_HISTORY).where(_HISTORY.c.seq == seq).values(**sides))
        last_seq = prepared.entries[-1]["seq"]
        advanced = False
        if agency_role is None:
            connection.execute(sa.insert(_HISTORY), prepared.entries)
        else:  # an agency role: the function checks each entry against its rows
            connection.execute(sa.text(f"SELECT {HISTORY_FUNCTION}(CAST(:entries AS json))"),
                               {"entries": json.dumps(prepared.entries)})
            # It advances the counters and the head itself (an agency role may not); a
            # function granted by an earlier release did not, and its role still may.
            kept = {row.key: row.value for row in connection.execute(
                sa.select(_META).where(_META.c.key.in_(("last_seq", "head"))))}
            advanced = kept.get("last_seq") == str(last_seq)
            if advanced and kept.get("head") != prepared.head:
                raise StoreError(
                    f"{_safe(self.url)}: the history function {HISTORY_FUNCTION} was created"
                    " by an earlier release and keeps no hash chain; ask the store's owner to"
                    " run the agency grants again (docs/agency-scope.md); nothing was written")
        if not advanced:
            self._write_meta(connection, last_commit=prepared.commit, last_seq=last_seq,
                             last_at=prepared.last_at.isoformat(), head=prepared.head,
                             ordered_before="" if ordered_before is None else ordered_before)

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
            # Entries keep the hashes they have; those without one are linked here.
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
                             ordered_before=restored["ordered_before"] or "",
                             head=restored["head"])
        self._plan = None

    # -- trust ---------------------------------------------------------------

    @property
    def head(self) -> str:
        with self._reading() as connection:
            return self._read_meta(connection).get("head", GENESIS)

    def outside_edits(self) -> list[OutsideEdit]:
        """The store's own cheap check: the log the triggers keep, and the head.

        Read-only. Rows changed outside actiontrack with the triggers off (a
        table owner can disable them) show only to ``actiontrack verify``.
        """
        with self._reading() as connection:
            return _outside_edits_found(connection, self._read_meta(connection))

    def settle(self, *, accept: bool, by: str, at: datetime, reason: str) -> Receipt:
        with self._writing() as connection:
            meta = self._lock_meta(connection)
            clock, agency_role = _clock_and_role(connection)
            scope = self.agency if self.agency is not None else agency_role
            if scope is not None:
                raise ScopeError("store", _safe(self.url), scope, "only the business unit may"
                                 " accept or revert changes made outside actiontrack")
            entries = list(_history_rows(connection))
            tables = {kind: _plain_rows(connection, kind) for kind in RECORD_KINDS}
            findings = find_outside_edits(entries, meta.get("head"), tables)
            last_commit = int(meta["last_commit"])
            nothing = Receipt(commit=last_commit, records=(), entries=())
            if not findings.breaks and not findings.records:
                # Logged, but nothing differs (a value changed and changed back).
                connection.execute(sa.delete(_OUTSIDE_EDITS))
                return nothing
            self._plan = self._past = None
            if not accept:
                if findings.breaks:
                    raise StoreError(
                        f"{_safe(self.url)}: history itself was changed outside actiontrack ("
                        + "; ".join(str(b) for b in findings.breaks[:5]) + "): revert cannot"
                        " put it back; restore the store from a backup, or keep it with"
                        " accept-edits")
                _write_records(connection, {
                    (kind, record_id): findings.replayed[kind].get(record_id)
                    for kind, record_id, _ in findings.records})
                _reset_tombstones(connection, entries, findings.replayed)
                connection.execute(sa.delete(_OUTSIDE_EDITS))
                return nothing
            # Accept: the chain over history as it now stands, then the records' changes.
            written = {entry["seq"]: entry["hash"] for entry in entries}
            head = relink(entries)
            rehashed = [{"entry_seq": entry["seq"], "entry_hash": entry["hash"]}
                        for entry in entries if entry["hash"] != written[entry["seq"]]]
            for chunk in _chunks(rehashed):
                connection.execute(
                    sa.update(_HISTORY).where(_HISTORY.c.seq == sa.bindparam("entry_seq"))
                    .values(hash=sa.bindparam("entry_hash")), list(chunk))
            tombstones = _reset_tombstones(connection, entries, findings.replayed)
            current = findings.replayed
            # Numbering goes on from the last entry there is: entries removed from the end
            # are accepted as gone, and the chain has no gap.
            state = StoreState(
                current=lambda kind, record_id: current.get(kind, {}).get(record_id),
                tombstone=lambda kind, record_id: tombstones.get((kind, record_id)),
                last_commit=max([last_commit, *(entry["commit"] for entry in entries)]),
                last_seq=max((entry["seq"] for entry in entries), default=0),
                last_at=datetime.fromisoformat(meta["last_at"]) if meta["last_at"] else None,
                clock=clock,
                head=head,
                record_history=lambda kind, record_id: [
                    entry for entry in entries
                    if entry["kind"] == kind and entry["record_id"] == record_id],
            )
            prepared = prepare_commit(state, settlement(findings, tables), by=by, at=at,
                                      reason=f"change made outside actiontrack accepted: {reason}")
            connection.execute(sa.delete(_OUTSIDE_EDITS))
            if not prepared.entries:
                self._write_meta(connection, head=head, last_seq=state.last_seq,
                                 ordered_before=first_out_of_order(entries) or "")
                return nothing
            self._land(connection, prepared, tombstones, None,
                       first_out_of_order([*entries, *prepared.entries]))
        return Receipt(
            commit=prepared.commit, records=tuple(prepared.records), entries=prepared.history
        )

    def sign(self, payload: bytes) -> str:
        with self._reading() as connection:
            if connection.dialect.name == "postgresql" and not connection.exec_driver_sql(
                    f"SELECT has_table_privilege('{_SECRET.name}', 'SELECT')").scalar():
                # An agency role: the secret is not for it to read; the function signs.
                signed = connection.execute(sa.text(f"SELECT {SIGN_FUNCTION}(:payload)"),
                                            {"payload": payload}).scalar()
                if not isinstance(signed, str):
                    raise StoreError(f"{_safe(self.url)}: the store has no secret to sign with")
                return signed
            secret = connection.execute(sa.select(_SECRET.c.secret)).scalar()
        if secret is None:
            raise StoreError(f"{_safe(self.url)}: the store has no secret to sign with"
                             " (its store_secret row was removed)")
        return hmac.new(bytes(secret), payload, hashlib.sha256).hexdigest()

    def erase(self) -> None:
        """Drop every table and function of the store and close it: ``copy --replace``'s first step.

        Not part of the Store port: no code holding a store can erase a plan
        and its history; this is an administrator's act on the database.
        """
        try:
            with self._engine.begin() as connection:
                postgres = connection.dialect.name == "postgresql"
                if postgres:  # its body names store_secret, so it goes first
                    connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {SIGN_FUNCTION}(bytea)")
                METADATA.drop_all(connection)
                if postgres:
                    connection.exec_driver_sql(
                        f"DROP FUNCTION IF EXISTS {OUTSIDE_EDIT_FUNCTION}()")
                    connection.exec_driver_sql(
                        f"DROP FUNCTION IF EXISTS {HISTORY_FUNCTION}(json, name)")
                else:
                    connection.exec_driver_sql("DROP TABLE IF EXISTS store_writing")
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
        agency_role: str | None = None,
    ) -> None:
        """Raise ScopeError unless every change stays inside this store's agency.

        An action must be led by the agency both as stored and as written; a
        progress update, evidence item, assurance decision, measure or
        measurement must belong to such an action, both as stored and as
        written. Other kinds are read-only.
        Redaction is the business unit's alone: neither a store scoped to an
        agency nor an ``agency_role`` (PostgreSQL) may redact.
        """
        scope = self.agency if self.agency is not None else agency_role
        for change in changes:
            if isinstance(change, Redact) and scope is not None:
                raise ScopeError(RECORD_NOUNS.get(change.kind, change.kind), change.record_id,
                                 scope, "only the business unit may redact")
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
            new: Record | None
            if isinstance(change, Delete | Redact):
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
        """Take the store's write lock inside this transaction; return the counters.

        It also marks the transaction as actiontrack's own, so the triggers
        do not log its writes as outside edits (see :func:`log_outside_edits`).
        """
        query = sa.select(_META)
        if connection.dialect.name == "postgresql":
            # Wait for another writer no longer than the store's lock timeout. Both
            # settings are local: they end with the transaction.
            milliseconds = max(1, int(self._lock_timeout * 1000))
            connection.exec_driver_sql(
                f"SELECT set_config('lock_timeout', '{milliseconds}', true),"
                f" set_config('{WRITING_FLAG}', 'on', true)")
            query = query.with_for_update()
        else:  # back to 0 before the transaction commits (_Translated)
            connection.exec_driver_sql(
                "INSERT OR REPLACE INTO store_writing (id, writing) VALUES (1, 1)")
            connection.info["actiontrack_flagged"] = True
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
        # One statement, run for each key: a commit writes five or six of them.
        connection.execute(_META_UPDATE, [{"meta_key": key, "meta_value": str(value)}
                                          for key, value in values.items()])


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
            connection.info["actiontrack_flagged"] = False
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
                if self._connection.info.get("actiontrack_flagged"):
                    # SQLite's flag is a row: take it down before anyone else can see it.
                    self._connection.exec_driver_sql(
                        "UPDATE store_writing SET writing = 0 WHERE id = 1")
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


def _clock_and_role(connection: Connection) -> tuple[datetime, str | None]:
    """The store's clock, and the agency role this connection is, if it is one.

    The clock is the database server's for PostgreSQL, this machine's for
    SQLite. A role that may not insert history rows itself is an agency role on
    PostgreSQL (docs/agency-scope.md): it appends through :data:`HISTORY_FUNCTION`,
    and may neither redact nor settle outside edits. Asked in the query that
    reads the clock, so a commit pays no extra round trip.
    """
    if connection.dialect.name == "postgresql":
        moment, inserts, role = connection.exec_driver_sql(
            "SELECT clock_timestamp(), has_table_privilege('history', 'INSERT'),"
            " current_user").one()
        assert isinstance(moment, datetime)
        return moment, None if inserts else str(role)
    return datetime.now(UTC), None


#: How the log names a change.
_CHANGED = {"INSERT": "added", "UPDATE": "changed", "DELETE": "removed",
            "TRUNCATE": "emptied (TRUNCATE)"}


def _outside_edits_found(connection: Connection, meta: Mapping[str, str]) -> list[OutsideEdit]:
    """The cheap check: what the triggers logged, and the head against the last entry.

    One query while nothing was changed: the log's size and the last entry
    (by the history's primary key). An entry written before the chain (no
    hash) is not compared: the triggers guard it.
    """
    logged, seq, kind, record_id, last_hash = connection.execute(sa.text(
        "SELECT (SELECT count(*) FROM outside_edits), h.seq, h.kind, h.record_id, h.hash"
        " FROM (SELECT 1 AS one) o LEFT JOIN (SELECT seq, kind, record_id, hash FROM history"
        " ORDER BY seq DESC LIMIT 1) h ON 1 = 1")).one()
    edits = _logged_edits(connection) if logged else []
    head = meta.get("head", GENESIS)
    if seq is None and head != GENESIS:
        edits.append(OutsideEdit("", "", "history is empty, but the store's head says entries"
                                         " were written: history was removed"))
    elif last_hash is not None and last_hash != head:
        edits.append(OutsideEdit(kind, record_id, f"history entry {seq}: the store's head does"
                                                  " not match it (entries after it were"
                                                  " removed, or it was changed)"))
    return edits


def _logged_edits(connection: Connection) -> list[OutsideEdit]:
    """The rows of ``outside_edits`` as the records (or entries, or tables) they changed.

    One edit per place, in the order first logged: a list table's row names
    its owner record and field, a history row its entry and record.
    """
    found: dict[tuple[str, str, str], tuple[list[str], set[str]]] = {}
    query = sa.select(_OUTSIDE_EDITS.c.table_name, _OUTSIDE_EDITS.c.row_key,
                      _OUTSIDE_EDITS.c.change, _OUTSIDE_EDITS.c.database_user
                      ).order_by(_OUTSIDE_EDITS.c.id)
    for table, row_key, change, user in connection.execute(query):
        try:
            key = json.loads(row_key)
        except ValueError:
            key = []
        key = [str(part) for part in key] if isinstance(key, list) else []
        if change == "TRUNCATE" or not key:
            place = ("", "", f"table {table}: rows")
        elif table in RECORD_KINDS:
            place = (table, key[0], "its row")
        elif table in _LIST_OWNERS:
            owner, field = _LIST_OWNERS[table]
            place = (owner, key[0], f"its {field} (a row of {table})")
        elif table == _HISTORY.name and len(key) == 3:
            place = (key[1], key[2], f"history entry {key[0]}")
        elif table == _TOMBSTONES.name and len(key) == 2:
            place = (key[0], key[1], "its tombstone")
        else:
            place = ("", "", f"table {table}: a row")
        changes, users = found.setdefault(place, ([], set()))
        word = _CHANGED.get(change, change)
        if word not in changes:
            changes.append(word)
        if user:
            users.add(str(user))
    return [
        OutsideEdit(kind, record_id, f"{what} {' and '.join(changes)} outside actiontrack"
                    + (f" (by database role {', '.join(sorted(users))})" if users else ""))
        for (kind, record_id, what), (changes, users) in found.items()
    ]


def _plain_rows(connection: Connection, kind: str) -> dict[str, PlainRecord]:
    """Every row of a kind as plain data, as it is (dates as ISO text), unchecked.

    What settling compares with history: a row changed outside actiontrack
    may hold what no model accepts, and is reported, not refused.
    """
    table = _KINDS[kind].table
    ids = sorted(connection.execute(sa.select(table.c.id)).scalars())
    return {record_id: _plain_value(row)
            for record_id, row in _read_rows(connection, kind, ids).items()}


def _plain_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_value(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _reset_tombstones(connection: Connection, entries: Sequence[Mapping[str, Any]],
                      replayed: Mapping[str, Mapping[str, PlainRecord]]
                      ) -> dict[tuple[str, str], int]:
    """Write the tombstones history makes (a tombstone changed outside goes back); return them."""
    tombstones: dict[tuple[str, str], int] = {}
    for entry in entries:
        key = (entry["kind"], entry["record_id"])
        if entry["change"] == ChangeKind.DELETE and key[1] not in replayed.get(key[0], {}):
            tombstones[key] = entry["version"]
        elif entry["change"] == ChangeKind.CREATE:
            tombstones.pop(key, None)
    connection.execute(sa.delete(_TOMBSTONES))
    rows = [{"kind": kind, "record_id": record_id, "version": version}
            for (kind, record_id), version in sorted(tombstones.items())]
    for chunk in _chunks(rows):
        connection.execute(sa.insert(_TOMBSTONES), list(chunk))
    return tombstones


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


def _now_in(meta: Mapping[str, str], as_of: datetime) -> bool:
    """Whether ``as_of`` is at or after the latest change ``store_meta`` records."""
    last_at = meta["last_at"]
    return is_now(as_of, datetime.fromisoformat(last_at) if last_at else None)


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
