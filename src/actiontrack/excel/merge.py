"""The three-way merge of a returned workbook into the plan, as pure functions of their inputs.

For every editable cell of every action row there are three values: the
value as exported (kept hidden in the workbook), the value stored now, and
the value in the returned workbook. Changed only in the workbook: applied.
Changed only in the store since the export: kept. Changed in both to
different values: a conflict, reported with its cell and the three values.

Every change goes through the domain's rules (lifecycle gates, new-record
checks); what they refuse becomes a problem on the cell that asked for it.
The result is a :class:`MergeResult`: the records to commit together, the
changes in words, and the problems. Nothing here writes anything.
"""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import date
from typing import TypeAlias, TypeVar

import attrs
from openpyxl.utils import column_index_from_string

from actiontrack.domain import lifecycle
from actiontrack.domain.additions import new_action, new_evidence, new_progress_update
from actiontrack.domain.edits import check_lead_officer_change
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
from actiontrack.excel.cells import CellValue, cell_date, cell_text, sheet_text
from actiontrack.excel.layout import ValueKind
from actiontrack.excel.reading import ReturnedWorkbook, Table
from actiontrack.excel.rows import evidence_values

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
_LIST_SEPARATORS = re.compile(r"[,;\s]+")


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
        return f"{self.sheet}!{self.cell}: {self.message}"


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
    kind = _KIND[key]
    if kind is ValueKind.DATE:
        try:
            return cell_date(value)
        except ValueError as exc:
            raise _CellError(str(exc)) from exc
    return cell_text(value)


def _as_cell(key: str, value: object) -> Value:
    """A stored or exported value in the form :func:`_read` gives for its cell."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return sheet_text(value) or None
    if isinstance(value, date):
        return value
    return _read(key, value)  # type: ignore[arg-type]


#: The column holding the value a new-record rule refuses (see domain/additions.py).
_RULE_CELLS = {"action.needs-recommendation": "recommendation_ids",
               "action.one-partnership": "recommendation_ids",
               "action.new-status": "status", "action.needs-title": "title",
               "evidence.future-date": "about_date", "evidence.needs-title": "title"}


def _problem_cell(exc: ActiontrackError, cells: dict[str, str], default: str) -> str:
    """The cell a refused change is best shown on: the one holding the value it refused."""
    if isinstance(exc, NotFoundError):
        by_kind = {"agency": "lead_agency_id", "recommendation": "recommendation_ids",
                   "action": "action_id"}
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

    def add(self, record: Record, what: str) -> None:
        self.records.append(record)
        self.new_ids.add(record.id)
        self.changes.append(Change(record_id=record.id, field="added", old="(none)", new=what))

    def cells(self, table: Table, number: int, row: Sequence[CellValue],
              keys: Sequence[str]) -> dict[str, Value] | None:
        """The row's values for ``keys``, read; ``None`` (and problems) if any cannot be read."""
        values: dict[str, Value] = {}
        good = True
        for key in keys:
            try:
                values[key] = _read(key, row[table.index[key]])
            except _CellError as exc:
                self.problem(table, table.cell(number, key), str(exc))
                good = False
        return values if good else None

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
    since = merge.book.info.exported_at.date()
    positions = [table.index[key] for key in _EVIDENCE_KEYS]
    for number, row in table.rows:
        evidence_id = cell_text(row[positions[0]])
        stored = plan.evidence.get(evidence_id) if evidence_id else None
        if stored is not None:
            recorded = ["" if value is None else value for value in evidence_values(stored)]
            if [row[position] for position in positions] != recorded:
                _changed_evidence(merge, table, number, row, stored)
            continue
        values = merge.cells(table, number, row, _EVIDENCE_KEYS)
        if values is None:
            continue
        if evidence_id is not None:
            merge.notices.append(Notice(sheet=table.sheet, cell=table.cell(number, "id"),
                                        message=f"evidence {evidence_id} is not on the plan;"
                                        " the row is ignored"))
            continue
        if all(values[key] is None for key in _NEW_EVIDENCE_KEYS):
            continue
        cells = {key: table.cell(number, key) for key in _NEW_EVIDENCE_KEYS}
        missing = [key for key in ("action_id", "tier", "kind", "title", "about_date")
                   if values[key] is None]
        for key in missing:
            merge.problem(table, cells[key], f"a new evidence row needs "
                          f"{layout.column_named(layout.EVIDENCE_COLUMNS, key).header}")
        if missing:
            continue
        action_id = str(values["action_id"])
        action = plan.actions.get(action_id)
        if action is None:
            merge.problem(table, cells["action_id"], f"there is no action {action_id} on the"
                          " plan (new actions get their id on import: add their evidence"
                          " in the next return)")
            continue
        if not merge.in_scope(table, cells["action_id"], action, action_id):
            continue
        tier = _choice(merge, table, cells["tier"], values["tier"], EvidenceTier)
        kind = _choice(merge, table, cells["kind"], values["kind"], EvidenceKind)
        if tier is None or kind is None:
            continue
        about = values["about_date"]
        assert isinstance(about, date)
        title = str(values["title"])
        if any(e.tier == tier and e.kind == kind and sheet_text(e.title) == title
               and e.about_date == about and e.recorded_on >= since
               for e in plan.evidence_for(action_id)):
            continue  # imported before: this workbook was imported already
        try:
            item = new_evidence(
                plan, action_id, tier=tier, kind=kind, title=title, about_date=about,
                link=str(values["link"]) if values["link"] else None, today=merge.today,
                by=merge.by, taken=merge.new_ids, used=merge.used.get("evidence", ()))
        except (RuleViolation, NotFoundError) as exc:
            merge.problem(table, _problem_cell(exc, cells, cells["title"]), _message(exc))
            continue
        merge.add(item, f"{tier.value} evidence {title!r} for {action_id}")
        merge.new_evidence[action_id].append(item)


def _choice(merge: _Merge, table: Table, cell: str, value: Value, enum_cls: type[E],
            record_id: str | None = None) -> E | None:
    """One of a drop-down list's values, forgiving case and spaces (``In progress``)."""
    allowed = [member.value for member in enum_cls]
    text = str(value).strip().lower().replace(" ", "_")
    if text in allowed:
        return enum_cls(text)
    noun = "status" if enum_cls is ActionStatus else "value of the list"
    merge.problem(table, cell, f"{shown(value)} is not a {noun}: pick one of"
                  f" {', '.join(allowed)}", record_id)
    return None


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
            ) -> tuple[dict[str, Value], dict[str, Value]] | None:
    """The cells of an existing row that differ from the row as exported.

    Returns (as exported, as typed) for those cells, or ``None`` when a cell
    cannot be read (a problem is recorded). Cells equal to their exported
    value as read are not parsed at all, which keeps a large import quick.
    """
    as_exported: dict[str, Value] = {}
    typed: dict[str, Value] = {}
    good = True
    for key in _ACTION_KEYS[1:]:
        raw = row[table.index[key]]
        raw_exported = exported[_POSITION[key]]
        if raw == raw_exported:
            continue
        try:
            value = _read(key, raw)
        except _CellError as exc:
            merge.problem(table, table.cell(number, key), str(exc), action_id)
            good = False
            continue
        exported_value = _as_cell(key, raw_exported)
        if value != exported_value:
            as_exported[key] = exported_value
            typed[key] = value
    return (as_exported, typed) if good else None


def _merge_existing(merge: _Merge, table: Table, number: int, action_id: str,
                    row: Sequence[CellValue]) -> None:
    """Merge one exported action's row: its edits three ways, and a new update."""
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
    found = _edited(merge, table, number, row, exported.values, action_id)
    if found is None:
        return
    base, typed = found
    if not typed:
        return
    problems_before = len(merge.problems)
    for key in _READ_ONLY_KEYS:
        if key in typed:
            merge.problem(table, table.cell(number, key),
                          "this column is for information and cannot be changed here; it was"
                          f" {shown(base[key])} when exported", action_id)
    edits = [key for key in MERGED if key in typed]
    update_text = typed.get("new_update")
    if stored is None:
        if edits or update_text:
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
    if (edits or update_text) and stored.status == ActionStatus.SUPERSEDED \
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
            merge.problem(
                table, table.cell(number, key),
                f"{header} was {shown(base[key])} when exported, has since been changed to"
                f" {shown(on_plan[key])} on the plan, and the workbook says"
                f" {shown(typed[key])}. To keep the plan's value, type {shown(on_plan[key])}"
                " here; to keep yours, make the change in a freshly exported workbook",
                action_id, conflict=True)
    if len(merge.problems) > problems_before:
        return
    reason = typed.get("target_reason")
    if reason and "target_date" not in typed:
        merge.notices.append(Notice(sheet=table.sheet, cell=table.cell(number, "target_reason"),
                                    message="a reason for a new date is given but the target"
                                    " date was not changed; the reason is ignored"))
    # Fields the partner did not change keep their value on the plan now, not as exported.
    wanted = {**on_plan, **apply}
    updated = _updated(merge, table, number, stored, apply, wanted, reason)
    if updated is not None and updated != stored:
        merge.records.append(updated)
        merge.changes.extend(_differences(stored, updated))
    if update_text:
        _add_update(merge, table, number, stored.id, str(update_text))


def _differences(before: Action, after: Action) -> Iterator[Change]:
    """Each merged field that differs, old -> new: what a dry run lists."""
    for key in MERGED:
        old, new = getattr(before, key), getattr(after, key)
        if old != new:
            yield Change(record_id=before.id, field=key, old=shown(old), new=shown(new))


def _updated(merge: _Merge, table: Table, number: int, stored: Action,
             apply: dict[str, Value], wanted: dict[str, Value], reason: Value) -> Action | None:
    """The action with ``apply``'s changes made through the lifecycle, or ``None`` if refused.

    Each refused change is a problem on its own cell; the others are still
    checked, so the partner sees everything wrong with the row at once.
    """
    action = stored
    problems_before = len(merge.problems)

    def refuse(key: str, message: str) -> None:
        merge.problem(table, table.cell(number, key), message, stored.id)

    status = None
    if "status" in apply:
        status = _choice(merge, table, table.cell(number, "status"), apply["status"],
                         ActionStatus, stored.id)
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
        return None  # not a status: already a problem on its cell
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


def _merge_new(merge: _Merge, table: Table, number: int, values: dict[str, Value]) -> None:
    if all(values[key] is None for key in _NEW_ACTION_KEYS):
        return
    cells = {key: table.cell(number, key) for key in _ACTION_KEYS}
    missing = [key for key in ("recommendation_ids", "lead_agency_id", "title", "target_date")
               if values[key] is None]
    for key in missing:
        merge.problem(table, cells[key], "a new action needs "
                      f"{layout.column_named(layout.ACTION_COLUMNS, key).header}")
    if missing:
        return
    agency = str(values["lead_agency_id"])
    if merge.agency is not None and agency != merge.agency:
        merge.problem(table, cells["lead_agency_id"], f"this workbook is for agency"
                      f" {merge.agency}; it cannot add actions led by {agency}")
        return
    status = ActionStatus.PROPOSED
    if values["status"] is not None:
        found = _choice(merge, table, cells["status"], values["status"], ActionStatus)
        if found is None:
            return
        status = found
    recommendation_ids = [part for part in _LIST_SEPARATORS.split(str(values["recommendation_ids"]))
                          if part]
    if not merge.of_review(recommendation_ids):
        merge.problem(table, cells["recommendation_ids"], f"this workbook is for review"
                      f" {merge.book.info.review}; a new action here answers its recommendations"
                      " only")
        return
    title = str(values["title"])
    target = values["target_date"]
    assert isinstance(target, date)
    for action in merge.plan.actions.values():  # this row imported before?
        if (action.id not in merge.book.exported and action.lead_agency_id == agency
                and sheet_text(action.title) == title
                and action.original_target_date == target
                and set(action.recommendation_ids) == set(recommendation_ids)):
            merge.notices.append(Notice(sheet=table.sheet, cell=cells["title"],
                                        message=f"already on the plan as {action.id}; the row"
                                        " is not added again"))
            return
    try:
        action = new_action(
            merge.plan, recommendation_ids=recommendation_ids, lead_agency_id=agency,
            title=title, target_date=target,
            lead_officer=_text_or_none(values["lead_officer"]),
            deliverable=_text_or_none(values["deliverable"]),
            success_measure=_text_or_none(values["success_measure"]),
            status=status, today=merge.today, taken=merge.new_ids,
            used=merge.used.get("actions", ()))
    except (RuleViolation, NotFoundError) as exc:
        merge.problem(table, _problem_cell(exc, cells, cells["title"]), _message(exc))
        return
    merge.add(action, f"action {_short(title)!r} led by {agency}")
    if values["new_update"]:
        update = new_progress_update(merge.plan, action.id, str(values["new_update"]),
                                     on=merge.today, by=merge.by, taken=merge.new_ids,
                                     used=merge.used.get("progress_updates", ()))
        merge.add(update, f"progress update {_short(update.text)!r} on {action.id}")


def _text_or_none(value: Value) -> str | None:
    return str(value) if value is not None else None


def _merge_actions(merge: _Merge) -> None:
    table = merge.book.actions
    seen: dict[str, int] = {}
    id_position = table.index["id"]
    for number, row in table.rows:
        action_id = cell_text(row[id_position])
        if action_id is None:
            values = merge.cells(table, number, row, _ACTION_KEYS)
            if values is not None:
                _merge_new(merge, table, number, values)
            continue
        if action_id in seen:
            merge.problem(table, table.cell(number, "id"), f"action {action_id} is on two rows"
                          f" ({seen[action_id]} and {number}); keep one", action_id)
            continue
        seen[action_id] = number
        _merge_existing(merge, table, number, action_id, row)


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
    merge = _Merge(plan=plan, book=book, today=today, by=by, agency=agency or book.info.agency,
                   record_at=record_at, used=used or {})
    merge.notices.extend(_ignored_cells(book))
    for table in (book.actions, book.evidence):
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
    return MergeResult(records=tuple(merge.records), changes=tuple(merge.changes),
                      problems=tuple(sorted(merge.problems, key=_where)),
                      notices=tuple(sorted(merge.notices, key=_where)))


def _letters(reference: str) -> str:
    return reference.rstrip("0123456789")


def _ignored_cells(book: ReturnedWorkbook) -> Iterator[Notice]:
    """What import does not read: columns a partner added, and values with no heading."""
    for table in (book.actions, book.evidence):
        for letter, header in table.extra_headers:
            yield Notice(sheet=table.sheet, cell=f"{letter}1",
                         message=f"column {header!r} is not one of the workbook's columns; it"
                         " is ignored")
        for reference in table.unheaded_cells:
            yield Notice(sheet=table.sheet, cell=reference,
                         message="this cell is in a column without a heading; it is ignored")


_SHEET_ORDER = {layout.ACTIONS: 0, layout.EVIDENCE: 1}
_REFERENCE = re.compile(r"([A-Z]+)(\d+)")


def _where(item: Problem | Notice) -> tuple[int, int, int, str]:
    """Sheet by sheet, row by row, left to right: the order a partner reads them in."""
    match = _REFERENCE.fullmatch(item.cell)
    if match is None:
        return (_SHEET_ORDER.get(item.sheet, 2), 0, 0, item.cell)
    return (_SHEET_ORDER.get(item.sheet, 2), int(match.group(2)),
            column_index_from_string(match.group(1)), "")
