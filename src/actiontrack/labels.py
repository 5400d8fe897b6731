"""The words a person reads for an enumeration value, and the value a person's words mean.

::

    label(ActionStatus.IN_PROGRESS)                  # "In progress"
    from_label(ActionStatus, "in progress")          # ActionStatus.IN_PROGRESS
    from_label(EvidenceKind, "TRAINING_RECORD")      # EvidenceKind.TRAINING_RECORD

Workbooks show labels in their drop-downs and cells; what comes back is read
as a label or a value, in any case, with spaces, hyphens and underscores
alike.
"""

from __future__ import annotations

import enum
import functools
import re
from typing import TypeVar, cast

__all__ = ["from_label", "label"]

E = TypeVar("E", bound=enum.Enum)

_SEPARATORS = re.compile(r"[\s_-]+")


def label(member: enum.Enum) -> str:
    """``in_progress`` as a person writes it: ``In progress``."""
    words = str(member.value).replace("_", " ")
    return words[:1].upper() + words[1:]


def _key(text: str) -> str:
    return _SEPARATORS.sub(" ", text.strip()).casefold()


def from_label(kind: type[E], text: str) -> E | None:
    """The member of ``kind`` whose value or label ``text`` is, ignoring case and separators."""
    found = _members(kind).get(_key(text))
    return cast("E | None", found)


@functools.cache
def _members(kind: type[enum.Enum]) -> dict[str, enum.Enum]:
    return {_key(str(member.value)): member for member in kind}
