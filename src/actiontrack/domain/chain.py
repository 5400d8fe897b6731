"""The hash chain over history: what makes a change outside actiontrack show.

Each history entry carries ``hash``: the SHA-256 of its canonical content
and of the hash of the entry before it (:data:`GENESIS` for the first). A
store keeps the hash of its last entry, the head. Change, remove, insert or
reorder any entry and the chain no longer checks from there on
(:func:`check_chain`); replaying the history then tells which records it
no longer rebuilds.

An entry's ``old`` and ``new`` values enter its hash only by their digest
(:func:`value_digest`). A redaction (:func:`redaction`) replaces a text
value in past entries with a marker and keeps, in its own entry, each
replaced value's digest as it was and as it is now: the chain still checks,
and a marker written by hand, with no redaction to account for it, does not.

Pure functions on plain entries (the dicts a store writes); no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import datetime
from typing import Any

import attrs

from actiontrack.domain.plan import ChangeKind

__all__ = [
    "GENESIS",
    "Break",
    "check_chain",
    "entry_hash",
    "link",
    "redaction",
    "redaction_digests",
    "relink",
    "value_digest",
]

#: The hash before the first entry.
GENESIS = "0" * 64

#: The fields of an entry its hash covers, in this order, besides the values (by
#: digest) and the hash before it.
_FIELDS = ("seq", "commit", "at", "by", "reason", "kind", "record_id", "version", "change",
           "field")
_SIDES = ("old", "new")


#: A plain value as one exact text: JSON, keys sorted, no spaces (made once: each
#: ``json.dumps`` with options would build a new encoder).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical(value: Any) -> bytes:
    return _CANONICAL.encode(value).encode()


_NONE_DIGEST = hashlib.sha256(b"null").hexdigest()


def value_digest(value: Any) -> str:
    """The SHA-256 of a plain value's canonical JSON: how an entry's hash holds ``old``/``new``."""
    if value is None:
        return _NONE_DIGEST
    return hashlib.sha256(_canonical(value)).hexdigest()


def entry_hash(entry: Mapping[str, Any], previous: str,
               digests: Mapping[str, str] | None = None) -> str:
    """The hash of ``entry`` following ``previous``.

    The SHA-256 of one JSON array: ``previous``, the entry's fields in a
    fixed order (``at`` as its ISO text), then the digests of ``old`` and
    ``new``. ``digests`` gives a side's digest where the value it held was
    redacted: its digest as it was, kept by the redaction.
    """
    at = entry.get("at")
    body: list[Any] = [previous, *(entry.get(name) for name in _FIELDS)]
    body[3] = at.isoformat() if isinstance(at, datetime) else at
    for side in _SIDES:
        given = None if digests is None else digests.get(side)
        body.append(given if given is not None else value_digest(entry.get(side)))
    return hashlib.sha256(_canonical(body)).hexdigest()


def link(entries: Iterable[MutableMapping[str, Any]], previous: str) -> str:
    """Give each entry that has none its ``hash``, following ``previous``; return the last.

    An entry that has a hash keeps it (copied history keeps the chain it
    was written with); entries written before the chain existed get theirs here.
    """
    for entry in entries:
        if entry.get("hash") is None:
            entry["hash"] = entry_hash(entry, previous)
        previous = entry["hash"]
    return previous


@attrs.frozen
class Break:
    """A place where history no longer is what was written."""

    seq: int
    kind: str
    record_id: str
    what: str

    def __str__(self) -> str:
        return f"history entry {self.seq} ({self.kind} {self.record_id}): {self.what}"


def redaction_digests(entries: Iterable[Mapping[str, Any]]
                      ) -> dict[tuple[int, str], dict[str, str]]:
    """What every redaction in ``entries`` replaced: (seq, side) -> ``{"was", "now"}`` digests."""
    found: dict[tuple[int, str], dict[str, str]] = {}
    for entry in entries:
        if entry.get("change") == ChangeKind.REDACT and isinstance(entry.get("old"), dict):
            for removed in entry["old"].get("removed", []):
                found[int(removed["seq"]), str(removed["side"])] = {
                    "was": str(removed["was"]), "now": str(removed["now"])}
    return found


def check_chain(entries: Iterable[Mapping[str, Any]], head: str | None,
                redacted: Mapping[tuple[int, str], Mapping[str, str]]) -> list[Break]:
    """Every place where ``entries`` (in the order stored) break the chain ending at ``head``.

    ``redacted`` is :func:`redaction_digests` of the whole history. A gap
    or a move that an ``accept`` entry names (its ``old["seq"]``) was
    accepted and is not a break. After a
    break the walk goes on from the hash the entry holds, so each damaged
    entry is named once rather than every entry after it. Entries written
    before the chain existed (no ``hash``) are linked as they are read: a
    change to one shows at the first entry that has a hash.
    """
    entries = list(entries)
    accepted = {int(entry["old"]["seq"]) for entry in entries
                if entry.get("change") == ChangeKind.ACCEPT and isinstance(entry.get("old"), dict)
                and isinstance(entry["old"].get("seq"), int)}
    breaks: list[Break] = []
    previous = GENESIS
    expected_seq = 1
    last: Mapping[str, Any] | None = None
    for entry in entries:
        seq = int(entry["seq"])
        where = (seq, str(entry["kind"]), str(entry["record_id"]))
        if seq in accepted:  # a gap or a move someone accepted, with the entry saying so
            pass
        elif seq > expected_seq:
            missing = (f"entry {expected_seq} is missing" if seq == expected_seq + 1
                       else f"entries {expected_seq} to {seq - 1} are missing")
            breaks.append(Break(*where, f"{missing} before it"))
        elif seq < expected_seq:
            breaks.append(Break(*where, "out of place: history was reordered or an entry"
                                        " copied"))
        digests: dict[str, str] = {}
        for side in _SIDES:
            kept = redacted.get((seq, side))
            if kept is None:
                continue
            if value_digest(entry.get(side)) != kept["now"]:
                breaks.append(Break(*where, f"its redacted {side} value was changed"))
            digests[side] = kept["was"]
        computed = entry_hash(entry, previous, digests)
        stored = entry.get("hash")
        if stored is None:
            stored = computed
        elif stored != computed:
            breaks.append(Break(*where, "changed since it was written (its hash does not"
                                        " match its content and the entry before it)"))
        previous = stored
        expected_seq = max(expected_seq, seq + 1)
        last = entry
    if head is not None and previous != head:
        if last is None:
            breaks.append(Break(0, "", "", "history is empty, but the store's head says"
                                           " entries were written"))
        else:
            breaks.append(Break(int(last["seq"]), str(last["kind"]), str(last["record_id"]),
                                "the store's head does not match the last entry: entries"
                                " after it were removed, or it was changed"))
    return breaks


def relink(entries: Iterable[MutableMapping[str, Any]]) -> str:
    """Give every entry the hash of its content as it now is, in this order; return the head.

    What accepting history changed outside actiontrack does: the chain then
    checks again over history as it stands. Redacted values keep the digest
    they had before their redaction.
    """
    entries = list(entries)
    redacted = redaction_digests(entries)
    previous = GENESIS
    for entry in entries:
        seq = int(entry["seq"])
        digests = {side: redacted[seq, side]["was"] for side in _SIDES
                   if (seq, side) in redacted}
        entry["hash"] = previous = entry_hash(entry, previous, digests)
    return previous


def redaction(entries: Iterable[Mapping[str, Any]], field: str, marker: str,
              earlier: Mapping[tuple[int, str], Mapping[str, str]]
              ) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """What redacting ``field`` in one record's history entries takes out, and leaves.

    Returns the new sides of the entries that held a value of the field
    (seq -> ``{"old": ..., "new": ...}``, only the sides replaced) and the
    list the redaction keeps (seq, side, the side's digest as it was and as it
    is now). A whole record (a creation's ``new``, a removal's ``old``) keeps
    every other field; an update of the field gives the marker for its value.
    ``earlier`` is :func:`redaction_digests` of the whole history: a value
    redacted before keeps the digest it had before its first redaction.
    """
    replaced: dict[int, dict[str, Any]] = {}
    removed: list[dict[str, Any]] = []
    for entry in entries:
        seq = int(entry["seq"])
        change = entry["change"]
        for side in _SIDES:
            value = entry.get(side)
            if change in (ChangeKind.CREATE, ChangeKind.DELETE) and isinstance(value, dict):
                if value.get(field) in (None, marker):
                    continue
                new_value: Any = {**value, field: marker}
            elif change == ChangeKind.UPDATE and entry.get("field") == field:
                if value in (None, marker):
                    continue
                new_value = marker
            else:
                continue
            replaced.setdefault(seq, {})[side] = new_value
            before = earlier.get((seq, side))
            removed.append({"seq": seq, "side": side,
                            "was": value_digest(value) if before is None else before["was"],
                            "now": value_digest(new_value)})
    return replaced, removed
