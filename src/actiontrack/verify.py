"""Is the record what was written? The full check behind ``actiontrack verify``.

Two questions, on any backend, through the store port only:

1. Does history still form its hash chain (:mod:`actiontrack.domain.chain`),
   ending at the head the store keeps? An entry changed, removed, inserted
   or moved breaks it, and is named with its seq and record.
2. Does replaying history give exactly the records the store holds (now,
   or as of a moment)? A record changed outside actiontrack is named with
   the fields that differ.

A store's own check when it opens for a change is the cheap part
(:meth:`~actiontrack.store.protocol.Store.outside_edits`); this reads everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from actiontrack import convert
from actiontrack.domain.chain import check_chain, redaction_digests
from actiontrack.domain.plan import RECORD_KINDS, RECORD_NOUNS
from actiontrack.domain.replay import PlainTables, differences, moment, replay
from actiontrack.errors import ConversionError
from actiontrack.store.protocol import Store

__all__ = ["Finding", "Verification", "verify_store"]


@attrs.frozen
class Finding:
    """One thing that is not as it was written: a history entry, or a record."""

    #: ``history`` or ``record``.
    where: str
    kind: str
    record_id: str
    what: str
    #: The history entry's seq (history findings), else None.
    seq: int | None = None

    def __str__(self) -> str:
        noun = RECORD_NOUNS.get(self.kind, self.kind or "store")
        if self.where == "history":
            return f"history entry {self.seq} ({noun} {self.record_id}): {self.what}" \
                if self.record_id else f"history: {self.what}"
        return f"{noun} {self.record_id}: {self.what}"


@attrs.frozen(kw_only=True)
class Verification:
    """What :func:`verify_store` found: nothing, when the record is intact."""

    as_of: datetime | None
    entries: int
    records: int
    head: str
    findings: list[Finding]

    @property
    def intact(self) -> bool:
        return not self.findings

    @property
    def exit_code(self) -> int:
        """0 intact, 1 differences found (2, unreadable, is an exception)."""
        return 0 if self.intact else 1


def verify_store(store: Store, as_of: datetime | None = None) -> Verification:
    """Check the whole chain and every record against history; as of ``as_of`` if given.

    As of a moment, the entries up to it are checked, and the records the
    store gives for that moment against history replayed to it. Raises
    :class:`~actiontrack.errors.StoreError` when the store cannot be read
    at all (the CLI's exit 2).
    """
    if as_of is not None and as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware, like every commit time")
    entries = [convert.unstructure(entry) for entry in store.history()]
    head = store.head
    breaks = check_chain(entries, head, redaction_digests(entries))
    dated = {entry["seq"]: moment(entry["at"]) for entry in entries} if breaks else {}
    findings = [
        Finding("history", found.kind, found.record_id, found.what, found.seq)
        for found in breaks
        if as_of is None or found.seq not in dated or dated[found.seq] <= as_of
    ]
    found_records = {kind: {record.id: convert.unstructure(record) for record in records.values()}
                     for kind, records in _kinds(store.snapshot(as_of))}
    expected, unreadable = _as_models(replay(entries, as_of))
    findings += unreadable
    findings += [Finding("record", kind, record_id, what)
                 for kind, record_id, what in differences(expected, found_records)]
    return Verification(as_of=as_of, entries=len(entries),
                        records=sum(len(table) for table in found_records.values()),
                        head=head, findings=findings)


def _kinds(plan: Any) -> list[tuple[str, Mapping[str, Any]]]:
    return [(kind, plan.of_kind(kind)) for kind in RECORD_KINDS]


def _as_models(tables: PlainTables) -> tuple[PlainTables, list[Finding]]:
    """History's records as today's models write them (fields added since filled in)."""
    unreadable: list[Finding] = []
    written: PlainTables = {}
    for kind, records in tables.items():
        written[kind] = {}
        for record_id, plain in records.items():
            try:
                written[kind][record_id] = convert.unstructure(
                    convert.structure(plain, RECORD_KINDS[kind]))
            except ConversionError as exc:
                unreadable.append(Finding("record", kind, record_id,
                                          "history rebuilds it as a record that is not valid: "
                                          + "; ".join(exc.problems)))
    return written, unreadable
