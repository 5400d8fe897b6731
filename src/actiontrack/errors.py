"""The one exception tree of actiontrack.

Every error the library raises on purpose is an :class:`ActiontrackError`.
Each class also inherits the builtin that matches it, so callers who only
know Python can catch ``LookupError`` or ``ValueError`` as usual::

    ActiontrackError
    ├── RuleViolation (ValueError)        a lifecycle rule or gate forbids a change
    ├── ConversionError (ValueError)      plain data does not fit a model; names the paths
    ├── ConfigError (ValueError)          a setting, or the configuration file, does not make sense
    ├── NotFoundError (LookupError)       no record with that kind and id
    ├── AmbiguousIdError (LookupError)    records of two kinds share the id: name the kind
    ├── ConflictError                     a write named a stale version, or a duplicate id
    ├── ScopeError (PermissionError)      a store scoped to one agency was asked to change another's
    ├── OutsideEditError                  changed outside actiontrack: accept or revert it first
    ├── WorkbookError (ValueError)        a file import cannot read: not a workbook, or not ours
    │   └── UnsafeWorkbookError           refused unparsed: encrypted, macros, zip or XML bombs
    ├── DeliveryError                     a reminder could not be handed to the outbox or server
    │   └── RecipientRefused              the mail server would not take one agency's address
    └── StoreError (OSError)              the store cannot be opened or written
        ├── StoreCorruptError             the file is not a readable actiontrack store
        ├── StoreMissingError             there is no store where one was expected
        ├── StoreVersionError             the store was written by a newer actiontrack
        ├── StoreLockedError              another process holds the store's lock too long
        ├── StoreNotEmptyError            a restore or copy into a store that has records
        └── StoreNotAvailableError        no backend for that URL is installed or built

Adapters translate the errors of the libraries they use (``json``,
``tinydb``, ``OSError``) into this tree, so a caller never has to catch a
third-party exception. A caller's misuse of the API itself (a naive
``datetime``, a blank ``by``, an unknown record kind) raises plain
``ValueError`` or ``TypeError``, as Python's own functions do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actiontrack.store.protocol import OutsideEdit

__all__ = [
    "ActiontrackError",
    "AmbiguousIdError",
    "ConfigError",
    "ConflictError",
    "ConversionError",
    "DeliveryError",
    "NotFoundError",
    "OutsideEditError",
    "RecipientRefused",
    "RuleViolation",
    "ScopeError",
    "StoreCorruptError",
    "StoreError",
    "StoreLockedError",
    "StoreMissingError",
    "StoreNotAvailableError",
    "StoreNotEmptyError",
    "StoreVersionError",
    "UnsafeWorkbookError",
    "WorkbookError",
]


class ActiontrackError(Exception):
    """The root of every error actiontrack raises on purpose."""


class RuleViolation(ActiontrackError, ValueError):
    """A lifecycle rule or gate forbids a change.

    ``rule`` is a stable identifier (``"gate.completed-needs-completion-evidence"``)
    that scripts may match on; the message explains it in plain English.
    """

    def __init__(self, rule: str, message: str, *, record_id: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.record_id = record_id

    def __str__(self) -> str:
        where = f"{self.record_id}: " if self.record_id else ""
        return f"{where}{self.message} [{self.rule}]"


class ConversionError(ActiontrackError, ValueError):
    """Plain data does not fit a model.

    ``problems`` holds one ``"$.path: what was expected"`` line per problem.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class ConfigError(ActiontrackError, ValueError):
    """A setting, or the configuration file that holds the settings, does not make sense.

    When one setting is at fault, ``setting`` names it (``"due_soon_days"``) and
    ``problem`` says what is wrong without the name, so that a file's reader can
    put the key's path in front of it and a command its option: the same
    words wherever the value came from.
    """

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(f"{setting}: {message}" if setting else message)
        self.setting = setting
        self.problem = message


class NotFoundError(ActiontrackError, LookupError):
    """No record of that kind has that id."""

    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"no {kind} with id {record_id!r}")
        self.kind = kind
        self.record_id = record_id


class AmbiguousIdError(ActiontrackError, LookupError):
    """Records of more than one kind have the id asked for; ``kinds`` names them."""

    def __init__(self, record_id: str, kinds: Sequence[str]) -> None:
        self.record_id = record_id
        self.kinds = tuple(kinds)
        super().__init__(
            f"{record_id!r} is the id of records of more than one kind"
            f" ({', '.join(self.kinds)}): name the kind of the one you mean"
        )


class ConflictError(ActiontrackError):
    """A write was based on a stale version, or created an id that exists.

    Nothing was written. Re-read the record and apply the change again.
    """

    def __init__(
        self, kind: str, record_id: str, *, expected: int, actual: int | None
    ) -> None:
        if actual is None:
            detail = f"it was based on version {expected} but the record no longer exists"
        elif expected == 0:
            detail = "a record with that id already exists"
        else:
            detail = f"it was based on version {expected} but the store has version {actual}"
        super().__init__(f"conflict on {kind} {record_id!r}: {detail}; nothing was written")
        self.kind = kind
        self.record_id = record_id
        self.expected = expected
        self.actual = actual


class ScopeError(ActiontrackError, PermissionError):
    """A store scoped to one agency was asked to change a record outside that scope.

    ``kind`` and ``record_id`` name the record, ``agency`` the store's scope.
    Nothing was written.
    """

    def __init__(self, kind: str, record_id: str, agency: str, why: str) -> None:
        super().__init__(
            f"a store scoped to agency {agency!r} cannot change {kind} {record_id!r}:"
            f" {why}; nothing was written"
        )
        self.kind = kind
        self.record_id = record_id
        self.agency = agency


class OutsideEditError(ActiontrackError):
    """The store holds changes made outside actiontrack; it takes no change until they are settled.

    ``edits`` names what the store's check found (records, history, files).
    ``actiontrack verify`` says more; ``accept-edits`` or ``revert-edits``
    settle them. Nothing was written.
    """

    def __init__(self, where: str, edits: Sequence[OutsideEdit]) -> None:
        shown = "; ".join(str(edit) for edit in edits[:10])
        more = f" (and {len(edits) - 10} more)" if len(edits) > 10 else ""
        super().__init__(
            f"{where} was changed outside actiontrack: {shown}{more}. Nothing was written;"
            " run `actiontrack verify`, then `actiontrack accept-edits --reason TEXT` to keep"
            " the change in the record or `actiontrack revert-edits` to put back what history"
            " says"
        )
        self.edits = list(edits)


class WorkbookError(ActiontrackError, ValueError):
    """A workbook that import cannot read: unreadable, or not exported by actiontrack.

    Errors in cells a partner typed are not raised: import reports them all
    at once, each with its cell (see :mod:`actiontrack.excel`).
    """


class UnsafeWorkbookError(WorkbookError):
    """A file refused before it is parsed, because opening it could be unsafe.

    Encrypted or macro-enabled workbooks, old ``.xls`` files, zip bombs (too
    large uncompressed, a suspicious compression ratio, too many members),
    XML entity declarations, and sheets with more rows than the limit.
    """


class DeliveryError(ActiontrackError):
    """A message could not be handed over (a server refused, dropped, or cannot be reached)."""


class RecipientRefused(DeliveryError):
    """The mail server would not take one message's recipient; the others may still go."""


class StoreError(ActiontrackError, OSError):
    """The store cannot be opened, read or written."""


class StoreCorruptError(StoreError):
    """The store's file is not a readable actiontrack store."""


class StoreMissingError(StoreError):
    """There is no store at that place, and it was not to be created."""


class StoreVersionError(StoreError):
    """The store was written by a newer actiontrack than this one."""


class StoreLockedError(StoreError):
    """Another process held the store's lock for longer than the timeout."""


class StoreNotEmptyError(StoreError):
    """A restore or copy was aimed at a store that already holds records."""


class StoreNotAvailableError(StoreError):
    """No backend is available for that store URL."""
