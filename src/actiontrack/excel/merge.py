"""The three-way merge of a returned workbook into the plan, as pure functions of their inputs.

For every editable cell of every action row there are three values: the
value as exported (kept hidden in the workbook), the value stored now, and
the value in the returned workbook. Changed only in the workbook: applied.
Changed only in the store since the export: kept. Changed in both to
different values: a conflict, reported with its cell and the three values.

Every change goes through the domain's rules (lifecycle gates, new-record
checks); what they refuse becomes a problem on the cell that asked for it.
Each filled New figure on the Measures sheet adds a measurement, through
the domain's checks in the same way.

The result is a :class:`MergeResult`: the records to commit together, the
changes in words, and the problems. Nothing here writes anything.
"""

from __future__ import annotations

import enum
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import date
from typing import TypeAlias, TypeVar

import attrs
from openpyxl.utils import column_index_from_string

from actiontrack.domain import lifecycle
from actiontrack.domain.additions import (
    new_action,
    new_evidence,
    new_measurement,
    new_progress_update,
)
from actiontrack.domain.edits import check_lead_officer_change
from actiontrack.domain.impact import readings
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Evidence,
    EvidenceKind,
    EvidenceTier,
)
from actiontrack.domain.plan import Plan, Record
from actiontrack.errors import ActiontrackError, NotFoundError, RuleViolation
from actiontrack.excel import layout
from actiontrack.excel.cells import CellValue, cell_date, cell_number, cell_text, sheet_text
from actiontrack.excel.choices import (
    RecommendationLookup,
    offered_recommendations,
    recommendation_entries,
)
from actiontrack.excel.layout import ValueKind
from actiontrack.excel.reading import ReturnedWorkbook, Table
from actiontrack.excel.rows import evidence_values
from actiontrack.formatting import figure
from actiontrack.labels import from_label, label

__all__ = ["Change", "MergeResult", "Notice", "Problem", "merge_workbook"]

E = TypeVar("E", bound=enum.Enum)
#: Looks up an action as it was at a version: ``record_at(action_id, version)``.
RecordAt: TypeAlias = Callable[[str, int], Action | None]

#: A cell's value once read: text, a date, or empty.
Value: TypeAlias = str | date | None

#: The fields of an action a workbook may change, merged cell by cell.
MERGED = tuple(column.key for column in layout.ACTION_COLUMNS
               if column.editable and column.key in attrs.fields_dict(Action))
_POSITION = {column.key: position for position, column in enumerate(layout.ACTION_COLUMNS)}
#: What each column key holds. A key shared by both sheets (``id``, ``title``) holds the
#: same kind of value in each; a test of the layout makes sure it stays so.
_KIND = {column.key: column.kind for column in (*layout.ACTION_COLUMNS,
                                                 *layout.EVIDENCE_COLUMNS)}
#: The enumeration each column of labels shows (``In progress`` for ``in_progress``).
_LABELS: dict[str, type[enum.Enum]] = {
    column.key: column.labels for column in (*layout.ACTION_COLUMNS, *layout.EVIDENCE_COLUMNS)
    if column.labels is not None}
#: What a value of each column of labels is called in a message.
_NOUNS = {"status": "a status", "rag": "a RAG colour", "tier": "a tier",
          "kind": "a kind of evidence"}


def shown(value: object) -> str:
    """A value as a partner would type it, for messages: dates as 31/03/2027."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return repr(str(value))


@attrs.frozen(kw_only=True)
class Problem:
    """Why a cell or row cannot be imported; any problem stops the whole import."""

    sheet: str
    cell: str
    message: str
    record_id: str | None = None
    conflict: bool = False

    def __str__(self) -> str:
        about = f" ({self.record_id})" if self.record_id else ""
        return f"{self.sheet}!{self.cell}{about}: {self.message}"


@attrs.frozen(kw_only=True)
class Notice:
    """Something import ignored, and why; it does not stop the import."""

    sheet: str
    cell: str
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{where}: {self.message}"


@attrs.frozen(kw_only=True)
class Change:
    """One change import makes: a field of a record from old to new, or a record added."""

    record_id: str
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        if self.field == "added":
            return f"{self.record_id}: added {self.new}"
        return f"{self.record_id}: {self.field}: {self.old} -> {self.new}"


@attrs.frozen(kw_only=True)
class MergeResult:
    records: tuple[Record, ...]
    changes: tuple[Change, ...]
    problems: tuple[Problem, ...]
    notices: tuple[Notice, ...]

    @property
    def conflicts(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.conflict)


class _CellError(Exception):
    """A cell that cannot be read as what its column holds."""


def _read(key: str, value: CellValue) -> Value:
    """A cell's value as import compares it: a date, text, or an enumeration's value.

    A label or a value of a column's enumeration, in any case, reads as the
    value (``In progress`` and ``IN_PROGRESS`` are ``in_progress``), so a
    workbook exported with values before labels were shown reads the same.
    """
    kind = _KIND[key]
    if kind is ValueKind.DATE:
        try:
            return cell_date(value)
        except ValueError as exc:
            raise _CellError(str(exc)) from exc
    text = cell_text(value)
    labels = _LABELS.get(key)
    if labels is None or text is None:
        return text
    member = from_label(labels, text)
    if member is None:
        raise _CellError(f"{shown(text)} is not {_NOUNS.get(key, 'on the list')}: pick one of"
                         f" {', '.join(label(member) for member in labels)}")
    return str(member.value)


def _as_cell(key: str, value: object) -> Value:
    """A stored or exported value in the form :func:`_read` gives for its cell."""
    if value is None or value == "":
        return None
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, str):
        text = sheet_text(value) or None
        labels = _LABELS.get(key)
        member = from_label(labels, text) if labels is not None and text else None
        return text if member is None else str(member.value)
    if isinstance(value, date):
        return value
    return _read(key, value)  # type: ignore[arg-type]


def _shown(key: str, value: Value) -> str:
    """A value of a column as the partner sees it: an enumeration by its label."""
    labels = _LABELS.get(key)
    member = from_label(labels, value) if labels is not None and isinstance(value, str) \
        else None
    return shown(value if member is None else label(member))


#: The column holding the value a new-record rule refuses (see domain/additions.py).
_RULE_CELLS = {"action.needs-recommendation": "recommendation_ids",
               "action.one-partnership": "recommendation_ids",
               "action.new-status": "status", "action.needs-title": "title",
               "evidence.future-date": "about_date", "evidence.needs-title": "title",
               "measurement.future-date": "taken_on", "measurement.before-baseline": "taken_on",
               "measurement.number": "new_figure", "measurement.action": "measure_id"}


def _problem_cell(exc: ActiontrackError, cells: dict[str, str], default: str) -> str:
    """The cell a refused change is best shown on: the one holding the value it refused."""
    if isinstance(exc, NotFoundError):
        by_kind = {"agency": "lead_agency_id", "recommendation": "recommendation_ids",
                   "action": "action_id", "measure": "measure_id"}
        return cells.get(by_kind.get(exc.kind, ""), default)
    if isinstance(exc, RuleViolation):
        return cells.get(_RULE_CELLS.get(exc.rule, ""), default)
    return default


def _message(exc: ActiontrackError) -> str:
    return exc.message if isinstance(exc, RuleViolation) else str(exc)


@attrs.define
class _Merge:
    plan: Plan
    book: ReturnedWorkbook
    today: date
    by: str
    #: The only agency whose actions the workbook may change; ``None``: any.
    agency: str | None
    #: An action as it was at a version, from the store's history (to check the base).
    record_at: RecordAt | None
    #: The ids the store has given, by kind (withdrawn ones too): never given again.
    used: Mapping[str, Collection[str]]
    #: The recommendation ids a Recommendations cell names (entries, numbers or ids).
    recommendations: RecommendationLookup
    #: The ids of the Actions rows that came back, and of exported rows whose id was cleared.
    returned_ids: set[str | None] = attrs.field(factory=set)
    cleared: set[str] = attrs.field(factory=set)
    records: list[Record] = attrs.field(factory=list)
    changes: list[Change] = attrs.field(factory=list)
    problems: list[Problem] = attrs.field(factory=list)
    notices: list[Notice] = attrs.field(factory=list)
    new_ids: set[str] = attrs.field(factory=set)
    new_evidence: dict[str, list[Evidence]] = attrs.field(factory=lambda: defaultdict(list))

    def problem(self, table: Table, cell: str, message: str, record_id: str | None = None,
                *, conflict: bool = False) -> None:
        self.problems.append(Problem(sheet=table.sheet, cell=cell, message=message,
                                     record_id=record_id, conflict=conflict))

    def reported_since(self, count: int) -> set[str]:
        """The cells of the problems reported after the first ``count``."""
        return {problem.cell for problem in self.problems[count:]}

    def add(self, record: Record, what: str) -> None:
        self.records.append(record)
        self.new_ids.add(record.id)
        self.changes.append(Change(record_id=record.id, field="added", old="(none)", new=what))

    def cells(self, table: Table, number: int, row: Sequence[CellValue],
              keys: Sequence[str]) -> tuple[dict[str, Value], set[str]]:
        """The row's values for ``keys``, read, and the keys of cells that cannot be read.

        Each unreadable cell is a problem on that cell, and reads as empty, so
        that the row's other cells are still checked.
        """
        values: dict[str, Value] = {}
        unreadable: set[str] = set()
        for key in keys:
            try:
                values[key] = _read(key, row[table.index[key]])
            except _CellError as exc:
                self.problem(table, table.cell(number, key), str(exc))
                values[key] = None
                unreadable.add(key)
        return values, unreadable

    def in_scope(self, table: Table, cell: str, action: Action, record_id: str) -> bool:
        """Whether the workbook may change ``action``: its agency's, its review's."""
        agency, review = self.agency, self.book.info.review
        if agency is not None and action.lead_agency_id != agency:
            self.problem(table, cell, f"action {action.id} is led by {action.lead_agency_id};"
                         f" this workbook is for agency {agency} and can change only its"
                         " actions", record_id)
            return False
        if review is not None and not self.of_review(action.recommendation_ids):
            self.problem(table, cell, f"action {action.id} does not answer review {review};"
                         " this workbook is for that review's actions only", record_id)
            return False
        return True

    def of_review(self, recommendation_ids: Sequence[str]) -> bool:
        """Whether the recommendations all belong to the workbook's review (if it has one)."""
        review = self.book.info.review
        return review is None or all(
            recommendation_id in self.plan.recommendations
            and self.plan.recommendations[recommendation_id].review_id == review
            for recommendation_id in recommendation_ids)


# -- evidence ------------------------------------------------------------------------------

_EVIDENCE_KEYS = tuple(column.key for column in layout.EVIDENCE_COLUMNS)
_NEW_EVIDENCE_KEYS = tuple(column.key for column in layout.EVIDENCE_COLUMNS if column.new)


def _changed_evidence(merge: _Merge, table: Table, number: int, row: Sequence[CellValue],
                      stored: Evidence) -> None:
    """Evidence on the plan whose row reads differently: each changed cell is refused."""
    for key, value in zip(_EVIDENCE_KEYS, evidence_values(stored), strict=True):
        try:
            typed = _read(key, row[table.index[key]])
        except _CellError:
            typed = None
        if typed != _as_cell(key, value):
            merge.problem(table, table.cell(number, key),
                          "evidence already on the plan cannot be changed here (it was"
                          f" {shown(value)}); add a new row instead", stored.id)


def _merge_evidence(merge: _Merge) -> None:
    table = merge.book.evidence
    plan = merge.plan
    positions = [table.index[key] for key in _EVIDENCE_KEYS]
    for number, row in table.rows:
        evidence_id = cell_text(row[positions[0]])
        stored = plan.evidence.get(evidence_id) if evidence_id else None
        if stored is not None:
            recorded = ["" if value is None else value for value in evidence_values(stored)]
            if [row[position] for position in positions] != recorded:
                _changed_evidence(merge, table, number, row, stored)
            continue
        if evidence_id is not None:
            merge.notices.append(Notice(sheet=table.sheet, cell=table.cell(number, "id"),
                                        message=f"evidence {evidence_id} is not on the plan;"
                                        " the row is ignored"))
            continue
        _new_evidence(merge, table, number, row)


def _new_evidence(merge: _Merge, table: Table, number: int, row: Sequence[CellValue]) -> None:
    """A new evidence row: every problem with it, or the evidence it adds."""
    problems_before = len(merge.problems)
    values, unreadable = merge.cells(table, number, row, _EVIDENCE_KEYS)
    if not unreadable and all(values[key] is None for key in _NEW_EVIDENCE_KEYS):
        return
    cells = {key: table.cell(number, key) for key in _NEW_EVIDENCE_KEYS}
    for key in ("action_id", "tier", "kind", "title", "about_date"):
        if values[key] is None and key not in unreadable:
            merge.problem(table, cells[key], f"a new evidence row needs "
                          f"{layout.column_named(layout.EVIDENCE_COLUMNS, key).header}")
    action_id = values["action_id"]
    action = merge.plan.actions.get(str(action_id)) if action_id is not None else None
    if action_id is not None and action is None:
        merge.problem(table, cells["action_id"], f"there is no action {action_id} on the"
                      " plan (new actions get their id on import: add their evidence"
                      " in the next return)")
        return
    if action is None or not merge.in_scope(table, cells["action_id"], action, action.id):
        return
    # The plan's checks, with stand-ins for cells already found wrong; a refusal on one
    # of those cells says nothing new, so it is left out.
    reported = merge.reported_since(problems_before)
    tier = EvidenceTier(str(values["tier"])) if values["tier"] else EvidenceTier.COMPLETION
    kind = EvidenceKind(str(values["kind"])) if values["kind"] else EvidenceKind.OTHER
    about = values["about_date"]
    title = str(values["title"]) if values["title"] else "-"
    since = merge.book.info.exported_at.date()
    if len(merge.problems) == problems_before and any(
            e.tier == tier and e.kind == kind and sheet_text(e.title) == title
            and e.about_date == about and e.recorded_on >= since
            for e in merge.plan.evidence_for(action.id)):
        return  # imported before: this workbook was imported already
    try:
        item = new_evidence(
            merge.plan, action.id, tier=tier, kind=kind, title=title,
            about_date=about if isinstance(about, date) else merge.today,
            link=str(values["link"]) if values["link"] else None, today=merge.today,
            by=merge.by, taken=merge.new_ids, used=merge.used.get("evidence", ()))
    except (RuleViolation, NotFoundError) as exc:
        cell = _problem_cell(exc, cells, cells["title"])
        if cell not in reported:
            merge.problem(table, cell, _message(exc))
        return
    if len(merge.problems) > problems_before:
        return
    merge.add(item, f"{tier.value} evidence {title!r} for {action.id}")
    merge.new_evidence[action.id].append(item)


# -- measurements --------------------------------------------------------------------------

_MEASUREMENT_KEYS = ("measure_id", "new_figure", "taken_on", "note")


def _merge_measurements(merge: _Merge) -> None:
    table, exported = merge.book.measures, merge.book.exported_measures
    if table is None or exported is None:
        return  # exported before workbooks listed measures
    seen: dict[tuple[str, date, float], int] = {}
    for number, row in table.rows:
        _new_measurement(merge, table, number, row, exported, seen)


def _new_measurement(merge: _Merge, table: Table, number: int, row: Sequence[CellValue],
                     exported: Collection[str], seen: dict[tuple[str, date, float], int]
                     ) -> None:
    """A Measures row with a new figure: every problem with it, or the measurement it adds.

    A figure already on the plan (the same value, on the same day: on or since
    the export's day when Taken on is empty) is not added again, so importing
    a workbook twice adds it once.
    """
    problems_before = len(merge.problems)
    cells = {key: table.cell(number, key) for key in _MEASUREMENT_KEYS}
    measure_id = cell_text(row[table.index["measure_id"]])
    note = cell_text(row[table.index["note"]])

    def read(key: str, reader: Callable[[CellValue], object]) -> object:
        try:
            return reader(row[table.index[key]])
        except ValueError as exc:
            merge.problem(table, cells[key], str(exc), measure_id)
            return None

    value = read("new_figure", cell_number)
    taken_on = read("taken_on", cell_date)
    unreadable = merge.reported_since(problems_before)
    if not unreadable and value is None and taken_on is None and note is None:
        return  # nothing typed: the row as exported, or a measure picked and left
    if value is None and cells["new_figure"] not in unreadable:
        merge.problem(table, cells["new_figure"], "type the new figure here, or clear"
                      " 'Taken on' and 'Note' on this row", measure_id)
    measure = merge.plan.measures.get(measure_id) if measure_id else None
    if measure_id is None:
        merge.problem(table, cells["measure_id"], "a new figure needs its measure: pick it"
                      " from the list")
        return
    if measure_id not in exported:
        merge.problem(table, cells["measure_id"], f"measure {measure_id} was not in this"
                      " workbook when it was exported; pick the measure from the list",
                      measure_id)
        return
    if measure is None:
        merge.problem(table, cells["measure_id"], f"measure {measure_id} has been removed"
                      " from the plan since this workbook was exported; its figure cannot be"
                      " recorded", measure_id, conflict=True)
        return
    action = merge.plan.actions.get(measure.action_id)
    if action is not None and not merge.in_scope(table, cells["measure_id"], action,
                                                 measure_id):
        return
    on = taken_on if isinstance(taken_on, date) else merge.today
    number_typed = value if isinstance(value, float) else measure.baseline  # a stand-in
    clean = len(merge.problems) == problems_before
    since = merge.book.info.exported_at.date()
    if clean and any(f.value == number_typed and (f.on == on if taken_on else f.on >= since)
                     for f in merge.plan.measurements_for(measure_id)):
        return  # imported before: this workbook was imported already
    key = (measure_id, on, number_typed)
    if clean and key in seen:
        merge.notices.append(Notice(sheet=table.sheet, cell=cells["new_figure"],
                                    message=f"the same figure as row {seen[key]}; it is"
                                    " recorded once"))
        return
    try:
        measurement = new_measurement(
            merge.plan, measure_id, value=number_typed, on=on, by=merge.by, note=note,
            today=merge.today, taken=merge.new_ids, used=merge.used.get("measurements", ()))
    except (RuleViolation, NotFoundError) as exc:
        cell = _problem_cell(exc, cells, cells["new_figure"])
        if cell not in merge.reported_since(problems_before):
            merge.problem(table, cell, _message(exc), measure_id)
        return
    if not clean:
        return
    seen[key] = number
    merge.add(measurement, f"figure {figure(number_typed, measure.unit)} taken on"
              f" {shown(on)} for measure {measure_id} ({_short(measure.name)!r})")


# -- actions -------------------------------------------------------------------------------

_ACTION_KEYS = tuple(column.key for column in layout.ACTION_COLUMNS)
_READ_ONLY_KEYS = tuple(column.key for column in layout.ACTION_COLUMNS
                        if not column.editable and column.key != "id")
_NEW_ACTION_KEYS = tuple(column.key for column in layout.ACTION_COLUMNS if column.new)
#: What a partner can do about a gate, in the workbook itself.
_GATE_HINTS = {
    "gate.completed-needs-completion-evidence": "; add it on the Evidence sheet (tier"
    " completion), in this same workbook if you like",
    "gate.embedded-needs-impact-evidence": "; add it on the Evidence sheet (tier impact)",
    "gate.assured-needs-decision": "; the assurance group records that decision",
    "gate.reopened-needs-reason": "; the assurance group reopens actions",
}


def _stored_cells(action: Action) -> dict[str, Value]:
    """The merged fields of a stored action, as their cells would read."""
    return {key: _as_cell(key, getattr(action, key)) for key in MERGED}


def _edited(merge: _Merge, table: Table, number: int, row: Sequence[CellValue],
            exported: Sequence[CellValue], action_id: str
            ) -> tuple[dict[str, Value], dict[str, Value], set[str]]:
    """The cells of an existing row that differ from the row as exported.

    Returns (as exported, as typed) for those cells, and the keys of the
    editable cells that cannot be read (each a problem on its cell). A
    read-only cell that cannot be read counts as changed: it is refused as
    such. Cells equal to their exported value as read are not parsed at all,
    which keeps a large import quick.
    """
    as_exported: dict[str, Value] = {}
    typed: dict[str, Value] = {}
    unreadable: set[str] = set()
    for key in _ACTION_KEYS[1:]:
        raw = row[table.index[key]]
        raw_exported = exported[_POSITION[key]]
        if raw == raw_exported:
            continue
        try:
            value = _read(key, raw)
        except _CellError as exc:
            if key not in _READ_ONLY_KEYS:
                merge.problem(table, table.cell(number, key), str(exc), action_id)
                unreadable.add(key)
                continue
            value = cell_text(raw)
        exported_value = _as_cell(key, raw_exported)
        if value != exported_value:
            as_exported[key] = exported_value
            typed[key] = value
    return as_exported, typed, unreadable


def _merge_existing(merge: _Merge, table: Table, number: int, action_id: str,
                    row: Sequence[CellValue]) -> None:
    """Merge one exported action's row: its edits three ways, and a new update.

    Every problem of the row is reported: a cell that cannot be read, a
    read-only cell changed, a conflict and a change the plan's rules refuse
    do not hide one another.
    """
    plan = merge.plan
    cell = table.cell(number, "id")
    exported = merge.book.exported.get(action_id)
    stored = plan.actions.get(action_id)
    if exported is None:
        if stored is not None and not merge.in_scope(table, cell, stored, action_id):
            return
        merge.problem(table, cell, f"action {action_id} was not in this workbook when it was"
                      " exported; to add a new action leave its id empty", action_id)
        return
    problems_before = len(merge.problems)
    base, typed, unreadable = _edited(merge, table, number, row, exported.values, action_id)
    if not typed and not unreadable:
        return
    for key in _READ_ONLY_KEYS:
        if key in typed:
            merge.problem(table, table.cell(number, key),
                          "this column is for information and cannot be changed here; it was"
                          f" {_shown(key, base[key])} when exported", action_id)
    edits = [key for key in MERGED if key in typed]
    update_text = typed.get("new_update")
    changed = bool(edits or update_text or unreadable)
    if stored is None:
        if changed:
            merge.problem(table, cell, f"action {action_id} has been deleted from the plan"
                          " since this workbook was exported; your changes to it cannot be"
                          " applied", action_id, conflict=True)
        return
    if not merge.in_scope(table, cell, stored, action_id):
        return
    on_plan = _stored_cells(stored)
    as_exported = {key: base[key] if key in base else _as_cell(
        key, exported.values[_POSITION[key]]) for key in MERGED}
    # The hidden copy is the merge's base: it must be what the plan held then.
    if stored.version == exported.version:
        then: Action | None = stored
    else:
        then = merge.record_at(action_id, exported.version) if merge.record_at else None
    if then is not None and _stored_cells(then) != as_exported:
        merge.problem(table, cell, "the hidden copy of this row as exported was changed, so"
                      " import cannot tell what you edited; export a fresh workbook", action_id)
        return
    if changed and stored.status == ActionStatus.SUPERSEDED \
            and as_exported["status"] != ActionStatus.SUPERSEDED.value:
        merge.problem(table, table.cell(number, "status"),
                      f"action {action_id} was superseded by {stored.successor_id} since this"
                      " workbook was exported; make your changes to that action instead",
                      action_id, conflict=True)
        return
    apply: dict[str, Value] = {}
    for key in edits:
        if on_plan[key] == base[key]:
            apply[key] = typed[key]
        elif on_plan[key] != typed[key]:
            header = layout.column_named(layout.ACTION_COLUMNS, key).header
            plan_value = _shown(key, on_plan[key])
            merge.problem(
                table, table.cell(number, key),
                f"{header} was {_shown(key, base[key])} when exported, has since been changed"
                f" to {plan_value} on the plan, and the workbook says {_shown(key, typed[key])}."
                f" To keep the plan's value, type {plan_value} here; to keep yours, make the"
                " change in a freshly exported workbook",
                action_id, conflict=True)
    reason = typed.get("target_reason")
    if reason and "target_date" not in typed and "target_date" not in unreadable:
        merge.notices.append(Notice(sheet=table.sheet, cell=table.cell(number, "target_reason"),
                                    message="a reason for a new date is given but the target"
                                    " date was not changed; the reason is ignored"))
    # Fields the partner did not change keep their value on the plan now, not as exported.
    wanted = {**on_plan, **apply}
    updated = _updated(merge, table, number, stored, apply, wanted, reason, unreadable)
    if update_text:
        _add_update(merge, table, number, stored.id, str(update_text))
    if len(merge.problems) > problems_before:
        return  # nothing of a row with a problem is changed (and nothing at all is written)
    if updated is not None and updated != stored:
        merge.records.append(updated)
        merge.changes.extend(_differences(stored, updated))


def _differences(before: Action, after: Action) -> Iterator[Change]:
    """Each merged field that differs, old -> new: what a dry run lists."""
    for key in MERGED:
        old, new = getattr(before, key), getattr(after, key)
        if old != new:
            yield Change(record_id=before.id, field=key, old=shown(old), new=shown(new))


#: The cells a change of status is judged with: when one cannot be read, it is not judged.
_STATUS_CELLS = frozenset({"status", "hold_reason", "hold_review_date", "successor_id"})


def _updated(merge: _Merge, table: Table, number: int, stored: Action,
             apply: dict[str, Value], wanted: dict[str, Value], reason: Value,
             unreadable: Collection[str] = ()) -> Action | None:
    """The action with ``apply``'s changes made through the lifecycle, or ``None`` if refused.

    Each refused change is a problem on its own cell; the others are still
    checked, so the partner sees everything wrong with the row at once. A
    change of status is not judged while a cell it depends on is
    ``unreadable`` (already a problem): its verdict would be about a guess.
    """
    action = stored
    problems_before = len(merge.problems)

    def refuse(key: str, message: str) -> None:
        merge.problem(table, table.cell(number, key), message, stored.id)

    status = ActionStatus(str(apply["status"])) if apply.get("status") else None
    if "lead_officer" in apply:
        try:
            check_lead_officer_change(stored)
        except RuleViolation as exc:
            refuse("lead_officer", exc.message)
        else:
            action = attrs.evolve(action, lead_officer=_text_or_none(apply["lead_officer"]))
    if "target_date" in apply:
        new_date = apply["target_date"]
        if not isinstance(new_date, date):
            refuse("target_date", "an action needs a target date; type the date, such as"
                   " 31/03/2027")
        elif not reason:
            refuse("target_date", "a new target date needs a reason: say why in 'Reason for"
                   " new date'")
        else:
            try:
                action = lifecycle.revise_target(action, new_date, reason=str(reason),
                                                 by=merge.by, on=merge.today)
            except RuleViolation as exc:
                refuse("target_date", exc.message)
    hold_edits: list[str] = [key for key in ("hold_reason", "hold_review_date") if key in apply]
    successor_edited = "successor_id" in apply
    if "status" in apply and status is None:
        refuse("status", "an action needs a status: pick one from the list")
        return None
    if _STATUS_CELLS.intersection(unreadable):
        return None  # already a problem on its cell
    goal = status or (action.status if hold_edits or successor_edited else None)
    if goal is None:
        return action if len(merge.problems) == problems_before else None
    hold_reason = _text_or_none(wanted["hold_reason"])
    hold_review_date = _date_or_none(wanted["hold_review_date"])
    successor = _text_or_none(wanted["successor_id"])
    if goal == ActionStatus.SUPERSEDED and successor is not None \
            and successor not in merge.plan.actions:
        refuse("successor_id", f"there is no action {successor} on the plan")
        return None
    # The cell a refusal belongs on: the one whose value the rule is about.
    cells = {"lifecycle.hold-needs-on-hold": (hold_edits or ["status"])[0],
             "lifecycle.successor-needs-superseded": "successor_id"}
    default = "status" if status is not None else (hold_edits or ["successor_id"])[0]
    try:
        if status is None and goal == ActionStatus.ON_HOLD:  # the hold itself revised
            action = lifecycle.revise_hold(action, reason=hold_reason,
                                           review_date=hold_review_date)
        else:
            hold = goal == ActionStatus.ON_HOLD or bool(hold_edits)
            action = lifecycle.move_to(
                action, goal,
                evidence=[*merge.plan.evidence_for(stored.id), *merge.new_evidence[stored.id]],
                decisions=merge.plan.decisions_for(stored.id),
                measures=readings(merge.plan, stored.id),
                hold_reason=hold_reason if hold else None,
                hold_review_date=hold_review_date if hold else None,
                successor_id=successor if goal == ActionStatus.SUPERSEDED or successor_edited
                else None,
                on=merge.today)
    except RuleViolation as exc:
        refuse(cells.get(exc.rule, default), exc.message + _GATE_HINTS.get(exc.rule, ""))
    return action if len(merge.problems) == problems_before else None


def _date_or_none(value: Value) -> date | None:
    return value if isinstance(value, date) else None


def _add_update(merge: _Merge, table: Table, number: int, action_id: str, text: str) -> None:
    since = merge.book.info.exported_at.date()
    if any(sheet_text(u.text) == text and u.on >= since
           for u in merge.plan.updates_for(action_id)):
        return  # imported before
    try:
        update = new_progress_update(merge.plan, action_id, text, on=merge.today, by=merge.by,
                                     taken=merge.new_ids,
                                     used=merge.used.get("progress_updates", ()))
    except RuleViolation as exc:
        merge.problem(table, table.cell(number, "new_update"), exc.message, action_id)
        return
    merge.add(update, f"progress update {_short(text)!r} on {action_id}")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _merge_new(merge: _Merge, table: Table, number: int, row: Sequence[CellValue]) -> None:
    """A new action's row: every problem with it, or the action (and update) it adds."""
    problems_before = len(merge.problems)
    values, unreadable = merge.cells(table, number, row, _NEW_ACTION_KEYS)
    if not unreadable and all(values[key] is None for key in _NEW_ACTION_KEYS):
        return
    plan = merge.plan
    cells = {key: table.cell(number, key) for key in _NEW_ACTION_KEYS}
    for key in ("recommendation_ids", "lead_agency_id", "title", "target_date"):
        if values[key] is None and key not in unreadable:
            merge.problem(table, cells[key], "a new action needs "
                          f"{layout.column_named(layout.ACTION_COLUMNS, key).header}")
    # The references are looked up here, each on its own cell, so that a wrong agency
    # and a wrong recommendation are both reported; the plan's checks follow.
    agency = _text_or_none(values["lead_agency_id"])
    if agency is not None and merge.agency is not None and agency != merge.agency:
        merge.problem(table, cells["lead_agency_id"], f"this workbook is for agency"
                      f" {merge.agency}; it cannot add actions led by {agency}")
    elif agency is not None and agency not in plan.agencies:
        merge.problem(table, cells["lead_agency_id"], f"{NotFoundError('agency', agency)};"
                      " pick the agency from the list")
    typed = values["recommendation_ids"]
    recommendation_ids = merge.recommendations.ids(str(typed)) if typed is not None else []
    unknown = [r for r in recommendation_ids if r not in plan.recommendations]
    outdated = merge.recommendations.outdated(str(typed), plan) if typed is not None else []
    if typed is not None and not recommendation_ids:
        merge.problem(table, cells["recommendation_ids"], "a new action needs"
                      " Recommendations: pick the recommendation from the list, or type its id")
    elif outdated:
        merge.problem(table, cells["recommendation_ids"], f"recommendation {outdated[0]} now"
                      f" reads {shown(plan.recommendations[outdated[0]].text[:80])}, not as the"
                      " list showed it when the workbook was exported: check with the business"
                      " manager, then pick it again (or type its id)")
    elif unknown:
        merge.problem(table, cells["recommendation_ids"],
                      "; ".join(str(NotFoundError("recommendation", r)) for r in unknown)
                      + "; pick the recommendation from the list, or type its id")
    elif not merge.of_review(recommendation_ids):
        merge.problem(table, cells["recommendation_ids"], f"this workbook is for review"
                      f" {merge.book.info.review}; a new action here answers its recommendations"
                      " only")
    clean = len(merge.problems) == problems_before
    reported = merge.reported_since(problems_before)
    if cells["lead_agency_id"] in reported or agency is None:  # a stand-in, to check the rest
        agency = merge.agency or min(plan.agencies, default=None)
    if agency is None or not recommendation_ids:
        return
    status = ActionStatus(str(values["status"])) if values["status"] else ActionStatus.PROPOSED
    title = str(values["title"]) if values["title"] else "-"  # a stand-in: already a problem
    target = values["target_date"]
    if clean:
        for action in plan.actions.values():  # this row imported before, or an id cleared?
            if not (action.lead_agency_id == agency and sheet_text(action.title) == title
                    and set(action.recommendation_ids) == set(recommendation_ids)):
                continue
            if action.id in merge.book.exported and action.id not in merge.returned_ids:
                merge.cleared.add(action.id)
                merge.problem(table, cells["title"], f"this row is action {action.id} with its"
                              " Action id cleared: put the id back, or give a new action words"
                              " of its own")
                return
            if action.original_target_date == target:
                merge.notices.append(Notice(sheet=table.sheet, cell=cells["title"],
                                            message=f"already on the plan as {action.id}; the"
                                            " row is not added again"))
                return
    # The plan's checks, with stand-ins for cells already found wrong; a refusal on one
    # of those cells says nothing new, so it is left out.
    try:
        action = new_action(
            plan, recommendation_ids=recommendation_ids, lead_agency_id=agency,
            title=title, target_date=target if isinstance(target, date) else merge.today,
            lead_officer=_text_or_none(values["lead_officer"]),
            deliverable=_text_or_none(values["deliverable"]),
            success_measure=_text_or_none(values["success_measure"]),
            status=status, today=merge.today, taken=merge.new_ids,
            used=merge.used.get("actions", ()))
    except (RuleViolation, NotFoundError) as exc:
        cell = _problem_cell(exc, cells, cells["title"])
        if cell not in reported:
            merge.problem(table, cell, _message(exc))
        return
    if not clean:
        return
    merge.add(action, f"action {_short(title)!r} led by {agency}")
    if values["new_update"]:
        update = new_progress_update(plan, action.id, str(values["new_update"]),
                                     on=merge.today, by=merge.by, taken=merge.new_ids,
                                     used=merge.used.get("progress_updates", ()))
        merge.add(update, f"progress update {_short(update.text)!r} on {action.id}")


def _text_or_none(value: Value) -> str | None:
    return str(value) if value is not None else None


def _merge_actions(merge: _Merge) -> None:
    table = merge.book.actions
    seen: dict[str, int] = {}
    id_position = table.index["id"]
    merge.returned_ids = {cell_text(row[id_position]) for _, row in table.rows} - {None}
    for number, row in table.rows:
        action_id = cell_text(row[id_position])
        if action_id is None:
            _merge_new(merge, table, number, row)
            continue
        if action_id in seen:
            merge.problem(table, table.cell(number, "id"), f"action {action_id} is on two rows"
                          f" ({seen[action_id]} and {number}); keep one", action_id)
            continue
        seen[action_id] = number
        _merge_existing(merge, table, number, action_id, row)
    for action_id, exported in merge.book.exported.items():
        if action_id not in seen and action_id not in merge.cleared:
            title = cell_text(exported.values[_POSITION["title"]])
            merge.notices.append(Notice(
                sheet=table.sheet, cell="",
                message=f"the row of action {action_id}"
                + (f" ({_short(title, 40)!r})" if title else "")
                + f" is not in the workbook (it was row"
                f" {merge.book.exported_rows.get(action_id, '?')} when exported); the action"
                " stays on the plan as it is: deleting a row deletes nothing"))


def merge_workbook(
    plan: Plan,
    book: ReturnedWorkbook,
    *,
    today: date,
    by: str,
    agency: str | None = None,
    record_at: RecordAt | None = None,
    formula_cells: Mapping[str, Sequence[str]] | None = None,
    error_cells: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    used: Mapping[str, Collection[str]] | None = None,
) -> MergeResult:
    """Work out what importing ``book`` into ``plan`` would change, and what stops it.

    ``agency`` limits the changes to that agency's actions; by default the
    workbook's own scope applies. ``record_at`` lets a row edited since its
    action changed on the plan be checked against the action as exported.
    ``formula_cells`` and ``error_cells`` (from
    :func:`~actiontrack.excel.safety.check_workbook_file`) are refused where
    import reads them, in the workbook's own columns. ``used`` holds the ids
    the store has given by kind (the store's ``used_ids``), withdrawn records'
    included, which new records are never given.
    """
    # The drop-down's entries as the workbook lists them, then as the plan would list
    # them now (a workbook whose Lists sheet lost its ids column).
    lookup = RecommendationLookup(
        plan.recommendations, book.recommendation_entries,
        recommendation_entries(plan, offered_recommendations(plan, book.info.review)))
    merge = _Merge(plan=plan, book=book, today=today, by=by, agency=agency or book.info.agency,
                   record_at=record_at, used=used or {}, recommendations=lookup)
    merge.notices.extend(_ignored_cells(book))
    for table in _tables(book):
        ours = set(table.letters.values())
        for reference in (formula_cells or {}).get(table.sheet, ()):
            if _letters(reference) in ours:
                merge.problem(table, reference, "a formula; type the value itself (import"
                              " takes values, never formulas)")
        for reference, error in (error_cells or {}).get(table.sheet, ()):
            if _letters(reference) in ours:
                merge.problem(table, reference, f"the cell shows the error {error}; type the"
                              " value itself")
    _merge_evidence(merge)
    _merge_actions(merge)
    _merge_measurements(merge)
    return MergeResult(records=tuple(merge.records), changes=tuple(merge.changes),
                      problems=tuple(sorted(merge.problems, key=_where)),
                      notices=tuple(sorted(merge.notices, key=_where)))


def _tables(book: ReturnedWorkbook) -> tuple[Table, ...]:
    """The sheets import reads, of those the workbook has."""
    return (book.actions, book.evidence) + ((book.measures,) if book.measures else ())


def _letters(reference: str) -> str:
    return reference.rstrip("0123456789")


def _ignored_cells(book: ReturnedWorkbook) -> Iterator[Notice]:
    """What import does not read: columns a partner added, and values with no heading."""
    for table in _tables(book):
        for letter, header in table.extra_headers:
            yield Notice(sheet=table.sheet, cell=f"{letter}1",
                         message=f"column {header!r} is not one of the workbook's columns; it"
                         " is ignored")
        for reference in table.unheaded_cells:
            yield Notice(sheet=table.sheet, cell=reference,
                         message="this cell is in a column without a heading; it is ignored")


_SHEET_ORDER = {layout.ACTIONS: 0, layout.EVIDENCE: 1, layout.MEASURES: 2}
_REFERENCE = re.compile(r"([A-Z]+)(\d+)")


def _where(item: Problem | Notice) -> tuple[int, int, int, str]:
    """Sheet by sheet, row by row, left to right: the order a partner reads them in.

    What is about a sheet rather than a cell (a row deleted) comes after its rows.
    """
    if not item.cell:
        return (_SHEET_ORDER.get(item.sheet, 3), sys.maxsize, 0, "")
    match = _REFERENCE.fullmatch(item.cell)
    if match is None:
        return (_SHEET_ORDER.get(item.sheet, 3), 0, 0, item.cell)
    return (_SHEET_ORDER.get(item.sheet, 3), int(match.group(2)),
            column_index_from_string(match.group(1)), "")
