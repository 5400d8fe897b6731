"""The whole plan at one moment, and the history that rebuilds it.

A :class:`Plan` is a read-only snapshot of every record, keyed by id, with
the look-ups that rules, reports and the command line need. It is what a
store returns for "now" and for any past moment (``as_of``).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cached_property
from operator import attrgetter
from types import MappingProxyType
from typing import Any, TypeAlias

import attrs

from actiontrack.domain.models import (
    Action,
    Agency,
    AssuranceDecision,
    Chase,
    Evidence,
    LearningActivity,
    Measure,
    Measurement,
    Partnership,
    ProgressUpdate,
    Recommendation,
    Review,
)

__all__ = [
    "RECORD_KINDS",
    "RECORD_NOUNS",
    "ChangeKind",
    "HistoryEntry",
    "Plan",
    "Record",
    "kind_of",
]

Record: TypeAlias = (
    Partnership
    | Agency
    | Review
    | Recommendation
    | Action
    | ProgressUpdate
    | Evidence
    | AssuranceDecision
    | LearningActivity
    | Chase
    | Measure
    | Measurement
)

#: Every kind of record by its plural name, in the order records depend on each other.
RECORD_KINDS: dict[str, type[Record]] = {
    "partnerships": Partnership,
    "agencies": Agency,
    "reviews": Review,
    "recommendations": Recommendation,
    "actions": Action,
    "progress_updates": ProgressUpdate,
    "evidence": Evidence,
    "assurance_decisions": AssuranceDecision,
    "learning_activities": LearningActivity,
    "chases": Chase,
    "measures": Measure,
    "measurements": Measurement,
}
#: How a message names one record of each kind.
RECORD_NOUNS: dict[str, str] = {
    "partnerships": "partnership",
    "agencies": "agency",
    "reviews": "review",
    "recommendations": "recommendation",
    "actions": "action",
    "progress_updates": "progress update",
    "evidence": "evidence item",
    "assurance_decisions": "assurance decision",
    "learning_activities": "learning activity",
    "chases": "chase",
    "measures": "measure",
    "measurements": "measurement",
}

_KIND_BY_TYPE: dict[type[Any], str] = {cls: name for name, cls in RECORD_KINDS.items()}


def kind_of(record: object) -> str:
    """The plural kind name of a record or record class (``"actions"``)."""
    cls = record if isinstance(record, type) else type(record)
    try:
        return _KIND_BY_TYPE[cls]
    except KeyError:
        raise TypeError(f"{cls.__name__} is not an actiontrack record") from None


class ChangeKind(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    #: A text field's value taken out of the record and of every entry that held it.
    REDACT = "redact"
    #: A change made outside actiontrack, accepted into the record by someone.
    ACCEPT = "accept"


@attrs.frozen(kw_only=True)
class HistoryEntry:
    """One change to one field of one record; history is only ever appended to.

    A created record has one ``create`` entry whose ``new`` is the whole
    record as plain data; a change has one ``update`` entry per field that
    changed (``old`` -> ``new``, plain data); a removal one ``delete`` entry
    whose ``old`` is the record. ``version`` is the record's version after
    the change; ``commit`` groups the entries of one unit of work and
    ``seq`` orders every entry of the store.

    A ``redact`` entry replaces ``field`` with the marker ``new``; its
    ``old`` lists the values taken out (see :mod:`actiontrack.domain.chain`).
    An ``accept`` entry records that someone accepted a change made outside
    actiontrack (``old`` says what was found); it changes no record.
    ``hash`` links the entry into the store's hash chain
    (:mod:`actiontrack.domain.chain`); entries written before the chain
    existed have none.
    """

    seq: int
    commit: int
    at: datetime
    by: str
    reason: str | None
    kind: str
    record_id: str
    version: int
    change: ChangeKind
    field: str | None = None
    old: Any = None
    new: Any = None
    hash: str | None = None


def _records() -> Any:
    return attrs.field(factory=dict, converter=_read_only)


def _read_only(records: Mapping[str, Any]) -> Mapping[str, Any]:
    # Stores cache and share snapshots: a caller must not be able to change one.
    return records if isinstance(records, MappingProxyType) else MappingProxyType(dict(records))


#: The field of a record naming its parent, for the look-ups by parent (``plan.evidence_for``).
_PARENT = {
    "progress_updates": "action_id", "evidence": "action_id", "assurance_decisions": "action_id",
    "actions": "recommendation_ids", "recommendations": "review_id",
    "learning_activities": "recommendation_ids", "chases": "action_ids", "measures": "action_id",
    "measurements": "measure_id",
}
#: The kinds whose look-ups list them oldest first (by this date, then id); the others by id.
_BY_DATE = {"progress_updates": "on", "chases": "sent_on", "measurements": "on"}


@attrs.frozen
class Plan:
    """Every record of a store at one moment, keyed by id; read-only."""

    partnerships: Mapping[str, Partnership] = _records()
    agencies: Mapping[str, Agency] = _records()
    reviews: Mapping[str, Review] = _records()
    recommendations: Mapping[str, Recommendation] = _records()
    actions: Mapping[str, Action] = _records()
    progress_updates: Mapping[str, ProgressUpdate] = _records()
    evidence: Mapping[str, Evidence] = _records()
    assurance_decisions: Mapping[str, AssuranceDecision] = _records()
    learning_activities: Mapping[str, LearningActivity] = _records()
    chases: Mapping[str, Chase] = _records()
    measures: Mapping[str, Measure] = _records()
    measurements: Mapping[str, Measurement] = _records()

    @classmethod
    def from_records(cls, records: Iterable[Record]) -> Plan:
        by_kind: dict[str, dict[str, Record]] = {name: {} for name in RECORD_KINDS}
        for record in records:
            by_kind[kind_of(record)][record.id] = record
        return cls(**by_kind)  # type: ignore[arg-type]

    def of_kind(self, kind: str) -> Mapping[str, Record]:
        """The records of one kind by id (``plan.of_kind("actions")``)."""
        if kind not in RECORD_KINDS:
            raise KeyError(f"unknown record kind {kind!r}")
        mapping: Mapping[str, Record] = getattr(self, kind)
        return mapping

    def records(self) -> Iterable[Record]:
        """Every record, kind by kind in dependency order, each kind sorted by id."""
        for kind in RECORD_KINDS:
            mapping = self.of_kind(kind)
            for record_id in sorted(mapping):
                yield mapping[record_id]

    def __len__(self) -> int:
        return sum(len(self.of_kind(kind)) for kind in RECORD_KINDS)

    # Look-ups by parent, each kind's built once per snapshot when first asked for.

    @cached_property
    def _indexes(self) -> dict[str, dict[str, list[Any]]]:
        return {}

    def _children(self, kind: str, parent_id: str) -> list[Any]:
        try:
            index = self._indexes[kind]
        except KeyError:
            index = self._indexes[kind] = self._index_of(kind)
        children = index.get(parent_id)
        return [] if children is None else children.copy()

    def _index_of(self, kind: str) -> dict[str, list[Any]]:
        """The records of ``kind`` by parent id, each list in the order its look-up gives.

        Records are visited in that order (id, or date then id), so every list
        comes out sorted without sorting each one.
        """
        index: dict[str, list[Any]] = defaultdict(list)
        mapping = self.of_kind(kind)
        records = [mapping[record_id] for record_id in sorted(mapping)]
        if kind in _BY_DATE:  # a stable sort: by date, and by id within a day
            records.sort(key=attrgetter(_BY_DATE[kind]))
        parent = _PARENT[kind]
        if parent.endswith("_ids"):  # a record answering several parents is under each
            for record in records:
                for parent_id in getattr(record, parent):
                    index[parent_id].append(record)
        else:
            for parent_id, record in zip(map(attrgetter(parent), records), records, strict=True):
                index[parent_id].append(record)
        return index

    def evidence_for(self, action_id: str) -> list[Evidence]:
        return self._children("evidence", action_id)

    def decisions_for(self, action_id: str) -> list[AssuranceDecision]:
        return self._children("assurance_decisions", action_id)

    def updates_for(self, action_id: str) -> list[ProgressUpdate]:
        """Progress updates of an action, oldest first."""
        return self._children("progress_updates", action_id)

    def actions_for(self, recommendation_id: str) -> list[Action]:
        return self._children("actions", recommendation_id)

    def recommendations_for(self, review_id: str) -> list[Recommendation]:
        return self._children("recommendations", review_id)

    def learning_for(self, recommendation_id: str) -> list[LearningActivity]:
        return self._children("learning_activities", recommendation_id)

    def chases_for(self, action_id: str) -> list[Chase]:
        """The reminders that listed an action, oldest first."""
        return self._children("chases", action_id)

    def measures_for(self, action_id: str) -> list[Measure]:
        return self._children("measures", action_id)

    def measurements_for(self, measure_id: str) -> list[Measurement]:
        """The figures of a measure, oldest first."""
        return self._children("measurements", measure_id)

    def reviews_of(self, action: Action) -> list[Review]:
        """The reviews whose recommendations an action answers, sorted by id."""
        review_ids = {
            self.recommendations[rid].review_id
            for rid in action.recommendation_ids
            if rid in self.recommendations
        }
        return [self.reviews[rid] for rid in sorted(review_ids) if rid in self.reviews]
