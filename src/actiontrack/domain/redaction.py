"""Redaction: what may be taken out of the record, and the marker left in its place.

Personal data typed by mistake (a child's name in an update) must not stay
in the record for ever, append-only or not. A redaction replaces every value
a text field of one record has held, in the record and in each history entry
that holds it, with a marker saying who took it out, when and why. It is the
one sanctioned rewrite of history, and is itself in history (a ``redact``
entry); :mod:`actiontrack.domain.chain` keeps the chain checkable across it.
"""

from __future__ import annotations

from datetime import datetime
from typing import get_args

import attrs

from actiontrack.domain.plan import RECORD_KINDS, RECORD_NOUNS
from actiontrack.errors import RuleViolation

__all__ = ["check_redactable", "marker", "redactable_fields"]


#: Text fields that are part of a record's id (see :data:`~actiontrack.domain.edits.OWNED`).
_PART_OF_AN_ID = {("reviews", "reference"), ("recommendations", "number")}


def redactable_fields(kind: str) -> tuple[str, ...]:
    """The text fields of ``kind`` a redaction may take out: free text, never an id."""
    fields = attrs.fields(attrs.resolve_types(RECORD_KINDS[kind]))
    return tuple(
        field.name for field in fields
        if field.name != "id" and not field.name.endswith("_id")
        and (kind, field.name) not in _PART_OF_AN_ID
        and (field.type is str or set(get_args(field.type)) == {str, type(None)})
    )


def check_redactable(kind: str, field: str) -> None:
    """Raise ``redact.field`` unless ``field`` is a text field of ``kind`` that may be redacted."""
    allowed = redactable_fields(kind)
    if field not in allowed:
        raise RuleViolation(
            "redact.field",
            f"{field!r} is not a text field of a {RECORD_NOUNS[kind]} that can be redacted;"
            f" these can: {', '.join(allowed)}",
        )


def marker(*, by: str, at: datetime, reason: str) -> str:
    """The text left where a redacted value was."""
    return f"[redacted on {at.date().isoformat()} by {by}: {reason}]"
