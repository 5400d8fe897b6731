"""The storage port: what every backend offers, and the changes it accepts.

A store keeps the current records and their append-only history. It is
written to only through :meth:`Store.commit`, one unit of work at a time:
every change in the unit lands, or none does.

A :class:`Put` carries the record as its caller wants it stored, with the
``version`` it was based on (``0`` to create a record). The store accepts
it only if its own copy still has that version, then stores it with the
version raised by one; otherwise it raises
:class:`~actiontrack.errors.ConflictError` and writes nothing. A put that
changes no field is accepted and does nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Protocol, TypeAlias, TypeVar, runtime_checkable

import attrs

from actiontrack.domain.plan import HistoryEntry, Plan, Record

__all__ = ["Before", "Change", "Condition", "Delete", "OutsideEdit", "Put", "Receipt", "Redact",
           "Store"]

R = TypeVar("R", bound=Record)


@attrs.frozen
class Put:
    """Create a record (version 0) or replace the stored version ``record.version``.

    ``reason``, when given, is this record's own reason in history, in place
    of the commit's (where an adopted record came from: file, sheet, row).
    """

    record: Record
    reason: str | None = None


@attrs.frozen
class Delete:
    """Remove a record that is still at ``version``. Its history stays."""

    kind: str
    record_id: str
    version: int


@attrs.frozen
class Redact:
    """Take every value ``field`` of a record (still at ``version``) has held out of the store.

    The record's field and each history entry that held one of its values
    get ``marker`` instead (:mod:`actiontrack.domain.redaction`); the
    redaction is itself a history entry. The one sanctioned rewrite of history.
    """

    kind: str
    record_id: str
    version: int
    field: str
    marker: str


Change: TypeAlias = Put | Delete | Redact


@attrs.frozen
class OutsideEdit:
    """Something in the store changed outside actiontrack, found by the store's own check.

    ``where`` names it: a record (``kind`` and ``record_id``), a history
    entry, or the store's files or tables.
    """

    kind: str
    record_id: str
    what: str

    def __str__(self) -> str:
        if self.record_id:
            return f"{self.kind} {self.record_id}: {self.what}"
        return self.what


@attrs.frozen
class Before:
    """A condition on a date field in :meth:`Store.find`: earlier than ``day``."""

    day: date


#: What :meth:`Store.find` matches a field against: a value (an enumeration
#: member, text, a date), a set of values (any of them), or :class:`Before`.
Condition: TypeAlias = str | date | frozenset[str] | Before


@attrs.frozen(kw_only=True)
class Receipt:
    """What a commit did: its number, the records as now stored, its history entries.

    ``records`` holds the stored form of every put that changed something
    (with its new version); ``entries`` is empty when nothing changed.
    """

    commit: int
    records: tuple[Record, ...]
    entries: tuple[HistoryEntry, ...]

    @property
    def changed(self) -> bool:
        return bool(self.entries)


@runtime_checkable
class Store(Protocol):
    """A place that keeps a plan and its history.

    Reads never block writers; a commit is atomic and isolated from other
    processes that use the same store.
    """

    @property
    def identity(self) -> str:
        """A stable, unique id for this store, fixed when it was created."""
        ...

    def get(self, kind: type[R], record_id: str) -> R:
        """The current record, or :class:`~actiontrack.errors.NotFoundError`."""
        ...

    def get_many(
        self, kind: type[R], ids: Iterable[str], *, as_of: datetime | None = None
    ) -> dict[str, R]:
        """The records of ``kind`` with these ids, now or as they stood at ``as_of``, by id.

        Ids with no record are left out.
        """
        ...

    def find(self, kind: type[R], *, as_of: datetime | None = None,
             **where: Condition) -> list[R]:
        """The records of ``kind`` meeting every condition, now or at ``as_of``, sorted by id.

        ``status=ActionStatus.COMPLETED`` matches that value; a frozenset
        matches any of its values; ``target_date=Before(day)`` matches dates
        earlier than ``day``. A list field (``recommendation_ids``) matches
        when it holds the value, or one of the set's values. With no
        condition, every record of the kind.
        """
        ...

    def count(self, kind: str) -> int:
        """How many records of ``kind`` the plan holds now."""
        ...

    def used_ids(self, kind: str, prefix: str = "") -> frozenset[str]:
        """The ids of ``kind`` starting with ``prefix`` that a record has or had.

        Withdrawn records' ids are among them: a new record never takes one,
        so an id always means one record. This is how a new id is chosen
        without reading the whole plan.
        """
        ...

    def created(self, kind: str) -> dict[str, datetime]:
        """When each record of ``kind`` was first created, by id, from its history."""
        ...

    def snapshot(self, as_of: datetime | None = None) -> Plan:
        """The whole plan now, or as it stood at ``as_of`` (rebuilt from history).

        A moment at or after the latest change is the plan now, read as it is.
        """
        ...

    def history(
        self, *, kind: str | None = None, record_id: str | None = None,
        record_ids: Collection[str] | None = None,
    ) -> list[HistoryEntry]:
        """History entries in the order they were written.

        Optionally only those of one ``kind``, of one record, or of a set of
        records (``record_ids``): a store reads only what they need.
        """
        ...

    def commit(
        self,
        changes: Sequence[Change],
        *,
        by: str,
        at: datetime,
        reason: str | None = None,
    ) -> Receipt:
        """Apply ``changes`` as one unit of work, or raise and change nothing.

        ``at`` is when the change is made. It may not be more than a few
        minutes ahead of the store's own clock (this machine's; a database
        server's), nor before the latest change: see
        :func:`~actiontrack.store.core.prepare_commit`.
        """
        ...

    def restore(self, plan: Plan, history: Iterable[HistoryEntry]) -> None:
        """Fill an empty store with a plan and its history (copies, generated data).

        Entries keep the hashes they have (a copy keeps its chain, redactions
        and all); entries without one are linked into the chain here.
        """
        ...

    # -- trust -------------------------------------------------------------

    @property
    def head(self) -> str:
        """The hash of the last history entry, as the store keeps it.

        See :mod:`~actiontrack.domain.chain`.
        """
        ...

    def outside_edits(self) -> list[OutsideEdit]:
        """What the store's own cheap check finds changed outside actiontrack; empty if nothing.

        While it finds something, :meth:`commit` refuses every change
        (:class:`~actiontrack.errors.OutsideEditError`) until :meth:`settle`
        accepts or reverts it. ``actiontrack verify`` checks everything.
        """
        ...

    def settle(self, *, accept: bool, by: str, at: datetime, reason: str) -> Receipt:
        """Accept the outside changes into history, or revert the records to what history says.

        Accepting re-links the chain over history as it now is, records each
        record that differs from its history as a change by ``by`` with
        ``reason``, and an ``accept`` entry for each place history itself was
        changed. Reverting puts back the records as history has them; it
        cannot put back history itself (:class:`~actiontrack.errors.StoreError`).
        """
        ...

    def sign(self, payload: bytes) -> str:
        """HMAC-SHA256 of ``payload`` under this store's own secret, as hex.

        The secret is made with the store and never leaves it: on PostgreSQL
        an agency role signs through a function and cannot read it.
        """
        ...

    def close(self) -> None:
        """Release files and connections. The store cannot be used afterwards."""
        ...
