"""Copying a whole plan, with its history, from one store to another.

:func:`copy_store` reads the source's :meth:`~actiontrack.store.Store.snapshot`
and :meth:`~actiontrack.store.Store.history` and hands them to the
destination's :meth:`~actiontrack.store.Store.restore`, so it works between
any two backends that :func:`~actiontrack.store.open_store` opens (a TinyDB
``.json`` file, ``sqlite:///``, ``postgresql://``). It then reopens the
destination and checks that it holds what the source held: the same number
of records of each kind, the same number of history entries and the same
checksum (:func:`contents_of`).

The source is only ever read, and must exist: a missing source is an error
rather than a new, empty store. The destination is created if need be.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from actiontrack import convert
from actiontrack.domain.plan import RECORD_KINDS, HistoryEntry, Plan, kind_of
from actiontrack.errors import StoreError, StoreNotEmptyError
from actiontrack.formatting import safe_url
from actiontrack.store import Store, open_store
from actiontrack.store.core import restored_state

__all__ = ["Contents", "CopyReport", "contents_of", "copy_store", "verify_copy"]

#: How many times the source is read again when a commit landed between
#: reading its history and its snapshot (they are two separate reads).
_READ_ATTEMPTS = 3


@attrs.frozen(kw_only=True)
class Contents:
    """What a store holds, in a form two stores can be compared by.

    ``counts`` has every kind of record (in dependency order, zeros
    included); ``checksum`` is the hex SHA-256 described in :func:`contents_of`.
    """

    counts: Mapping[str, int]
    history_entries: int
    checksum: str

    @property
    def records(self) -> int:
        return sum(self.counts.values())


@attrs.frozen(kw_only=True)
class CopyReport(Contents):
    """What :func:`copy_store` copied, and how long it took (the copy checked and all)."""

    seconds: float


def copy_store(source_url: str, destination_url: str, *, replace: bool = False) -> CopyReport:
    """Copy the plan and history at ``source_url`` into the store at ``destination_url``.

    The destination is created if it does not exist. One that already holds
    records or history is refused with
    :class:`~actiontrack.errors.StoreNotEmptyError` and left as it was, unless
    ``replace`` is true: then it is emptied first (:func:`_empty`) and gets a
    new identity. A source that cannot be read, or whose history does not
    rebuild its plan, is a :class:`~actiontrack.errors.StoreError` raised
    before the destination is opened. A copy that does not read back the same
    is a :class:`~actiontrack.errors.StoreError` naming what differs.
    """
    started = time.perf_counter()
    for url in (source_url, destination_url):
        if url == "memory:":
            raise StoreError("memory: is a scratch store of one process; it cannot be copied")
    source = open_store(source_url)
    try:
        source_identity = source.identity
        plan, history = _read_consistently(source)
    finally:
        source.close()
    expected = _contents(plan, history)

    destination = open_store(destination_url, create=True)
    try:
        if destination.identity == source_identity:
            raise StoreError(
                f"{destination_url} is the source store itself (or a file copy of it,"
                " with the same identity); nothing copied"
            )
        if not _is_empty(destination):
            if not replace:
                raise StoreNotEmptyError(
                    f"{destination_url} already holds a plan; copy into an empty store"
                    " or replace it (nothing written)"
                )
            destination = _empty(destination, destination_url)
        destination.restore(plan, history)
    finally:
        destination.close()

    reopened = open_store(destination_url)
    try:
        _check(expected, contents_of(reopened), destination_url)
    finally:
        reopened.close()
    return CopyReport(
        counts=expected.counts,
        history_entries=expected.history_entries,
        checksum=expected.checksum,
        seconds=time.perf_counter() - started,
    )


def contents_of(store: Store) -> Contents:
    """Count ``store``'s records by kind and its history, and take their checksum.

    The checksum is the SHA-256 of these lines, sorted, each ending ``\\n``:
    for every record ``json.dumps({"kind": kind, "record": plain})`` and for
    every history entry ``json.dumps({"history": plain})``, where ``plain``
    is :func:`actiontrack.convert.unstructure` of it and the JSON has its
    keys sorted and no spaces. It depends only on what the store holds, not
    on how a backend lays it out.
    """
    return _contents(store.snapshot(), store.history())


def verify_copy(source: Store, destination: Store) -> Contents:
    """Check that ``destination`` holds what ``source`` holds; return that.

    Raises :class:`~actiontrack.errors.StoreError` naming each difference
    (the kinds whose counts differ, the history lengths, the checksums).
    """
    expected = contents_of(source)
    _check(expected, contents_of(destination), "the destination")
    return expected


# -- internals -------------------------------------------------------------


def _read_consistently(source: Store) -> tuple[Plan, list[HistoryEntry]]:
    """The source's plan and the history that rebuilds it, read again if a commit came between."""
    for _ in range(_READ_ATTEMPTS):
        history = source.history()
        plan = source.snapshot()
        try:
            restored_state(plan, [convert.unstructure(entry) for entry in history])
        except StoreError:
            continue
        return plan, history
    raise StoreError(
        "the source's history does not rebuild its plan (read"
        f" {_READ_ATTEMPTS} times; is another process writing to it, or is it damaged?);"
        " nothing copied"
    )


def _is_empty(store: Store) -> bool:
    return len(store.snapshot()) == 0 and not store.history()


def _empty(store: Store, url: str) -> Store:
    """Empty the store at ``url`` (``store``, which this closes); return it reopened, empty.

    This is deliberately not part of the :class:`~actiontrack.store.Store`
    protocol. A store is written only through ``commit``, and its history is
    only ever appended to: no code that holds a ``Store`` can erase a plan or
    its history. Wiping one is an administrator's act on the storage itself
    (files, database tables), done here only because ``copy --replace`` was
    asked for, so it works on each backend's own layout rather than through
    the port, through each backend's own ``erase()``. It takes no lock:
    nothing else should be writing to a store that is being replaced.
    """
    identity = store.identity
    erase = getattr(store, "erase", None)
    if erase is None:
        raise StoreError(f"{safe_url(url)}: cannot empty this kind of store")
    erase()
    emptied = open_store(url, create=True)
    if emptied.identity == identity or not _is_empty(emptied):
        emptied.close()
        raise StoreError(f"{safe_url(url)}: the old store is still there after emptying it")
    return emptied


def _contents(plan: Plan, history: Sequence[HistoryEntry]) -> Contents:
    counts = {kind: len(plan.of_kind(kind)) for kind in RECORD_KINDS}
    lines = sorted(
        [_canonical({"kind": kind_of(record), "record": convert.unstructure(record)})
         for record in plan.records()]
        + [_canonical({"history": convert.unstructure(entry)}) for entry in history]
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return Contents(counts=counts, history_entries=len(history), checksum=digest.hexdigest())


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _check(expected: Contents, found: Contents, where: str) -> None:
    differences: list[str] = []
    for kind in RECORD_KINDS:
        want, got = expected.counts.get(kind, 0), found.counts.get(kind, 0)
        if want != got:
            differences.append(f"{kind}: {want} in the source, {got} in the copy")
    if expected.history_entries != found.history_entries:
        differences.append(
            f"history: {expected.history_entries} entries in the source,"
            f" {found.history_entries} in the copy"
        )
    if expected.checksum != found.checksum:
        differences.append(
            f"checksum: {expected.checksum} in the source, {found.checksum} in the copy"
        )
    if differences:
        raise StoreError(f"{where} does not hold what the source holds: " + "; ".join(differences))
