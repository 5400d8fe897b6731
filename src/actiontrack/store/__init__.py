"""Storage: the :class:`Store` protocol, its backends, and :func:`open_store`.

``open_store(url)`` picks the backend from the URL:

- ``memory:`` an empty in-memory store (tests, scratch work);
- a path ending ``.json`` (or ``tinydb:///path/plan.json``): the embedded
  TinyDB file store;
- ``sqlite:///path/plan.db`` and ``postgresql://user@host/db``: the SQL
  store (the ``sql`` and ``postgres`` extras; without them,
  :class:`~actiontrack.errors.StoreNotAvailableError` says what to install).

A store is created only on purpose: ``open_store(url)`` opens one that
exists, and a missing one raises
:class:`~actiontrack.errors.StoreMissingError` without leaving any file
behind, so a mistyped path never becomes a new, empty plan that an audit
then finds "all clear". ``open_store(url, create=True)`` makes it.
"""

from __future__ import annotations

from actiontrack.errors import StoreNotAvailableError
from actiontrack.store.memory import MemoryStore
from actiontrack.store.protocol import (
    Before,
    Change,
    Condition,
    Delete,
    OutsideEdit,
    Put,
    Receipt,
    Redact,
    Store,
)
from actiontrack.store.tinydb import TinyDBStore

__all__ = [
    "Before",
    "Change",
    "Condition",
    "Delete",
    "MemoryStore",
    "OutsideEdit",
    "Put",
    "Receipt",
    "Redact",
    "Store",
    "TinyDBStore",
    "open_store",
]

_SQL_SCHEMES = ("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")


def open_store(
    url: str, *, lock_timeout: float = 30.0, create: bool = False, agency: str | None = None
) -> Store:
    """Open the store that ``url`` names (see the module docstring).

    ``lock_timeout`` is how many seconds a writer waits for another
    process's commit before giving up with
    :class:`~actiontrack.errors.StoreLockedError`. A store that does not
    exist raises :class:`~actiontrack.errors.StoreMissingError` and leaves
    nothing behind, unless ``create`` is true: then a new, empty one is made.

    ``agency`` (SQL stores only) scopes the store to one agency: it reads the
    whole plan but changes only that agency's actions and their progress
    updates, evidence and assurance decisions; any other change raises
    :class:`~actiontrack.errors.ScopeError`. See docs/agency-scope.md.
    """
    if agency is not None and not url.startswith(_SQL_SCHEMES):
        raise StoreNotAvailableError(
            f"only SQL stores (sqlite:, postgresql:) can be scoped to an agency, not {url!r}"
        )
    if url == "memory:":
        return MemoryStore()
    if url.startswith("tinydb://"):
        url = url.removeprefix("tinydb://")
        return TinyDBStore(url, lock_timeout=lock_timeout, create=create)
    if url.startswith(_SQL_SCHEMES):
        try:
            from actiontrack.store.sql import SQLStore
        except ImportError as exc:  # the optional extra is not installed
            extra = "postgres" if url.startswith("postgres") else "sql"
            raise StoreNotAvailableError(
                f"{url.split(':', 1)[0]} stores need an optional extra:"
                f" pip install 'actiontrack[{extra}]' ({exc.name} is missing)"
            ) from None
        return SQLStore(url, lock_timeout=lock_timeout, create=create, agency=agency)
    if url.endswith(".json"):
        return TinyDBStore(url, lock_timeout=lock_timeout, create=create)
    raise StoreNotAvailableError(
        f"cannot tell which store {url!r} names: give a path ending .json"
        " (or memory: for a scratch store)"
    )
