"""Correcting a record: which fields a person may change, and the rules an edit keeps.

A typo in a title, a review's missing notification date, themes that
should have been tagged: :func:`edit_record` returns the record with the
changes made, or raises. It is pure; the service commits the result as one
change with its reason, so history shows each field old -> new.

Not every field is free to change. :data:`EDITABLE` lists, for each kind,
the fields an edit may change; the rest say why not in :data:`OWNED`:

- the lifecycle owns an action's status, its target dates and their
  revisions, its hold, its successor and its reopening, and a
  recommendation's response: each changes through the command that keeps
  its gates (``set-status``, ``revise-target``, ``respond``);
- ids, and the fields an id is made of (a review's partnership and
  reference, a recommendation's review and number, the action an update,
  evidence item or decision belongs to), never change: withdraw the record
  and add it again;
- what the store or the record itself notes (versions, when and by whom
  evidence was recorded, an agency's name, which ``rename-agency`` changes
  keeping the old one) stays as it was noted.

An edited record keeps every rule of its kind
(:func:`~actiontrack.domain.checks.check_record`: links that lead
somewhere, a review's dates in order, ...), themes are normalised, an
assured or embedded action keeps its lead officer (part of its assurance
record), and an action's status keeps standing on its gates
(:func:`~actiontrack.domain.lifecycle.unmet_gates`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import attrs

from actiontrack.domain.checks import check_record, clean_list, normalise_themes
from actiontrack.domain.impact import Reading, read, readings
from actiontrack.domain.lifecycle import unmet_gates
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    AssuranceDecision,
    Chase,
    Evidence,
    Measure,
    Measurement,
)
from actiontrack.domain.plan import RECORD_KINDS, RECORD_NOUNS, Plan, Record, kind_of
from actiontrack.errors import ConversionError, RuleViolation

__all__ = ["EDITABLE", "OWNED", "check_fields", "check_lead_officer_change", "edit_record",
           "still_standing"]

#: The fields an edit may change, kind by kind.
EDITABLE: Mapping[str, tuple[str, ...]] = {
    "partnerships": ("name", "kind"),
    "agencies": ("former_names", "email", "aliases"),
    "reviews": ("kind", "title", "subject", "became_aware_on", "notified_on",
                "rapid_review_sent_on", "decided_on", "published_on"),
    "recommendations": ("text", "themes", "scope", "repeats"),
    "actions": ("title", "recommendation_ids", "lead_agency_id", "lead_officer", "deliverable",
                "success_measure", "reference"),
    "progress_updates": ("on", "by", "text"),
    "evidence": ("tier", "kind", "title", "about_date", "link"),
    "assurance_decisions": ("decided_on", "decided_by", "body", "seen", "evidence_ids"),
    "learning_activities": ("kind", "title", "held_on", "reach", "recommendation_ids"),
    "chases": (),
    "measures": ("name", "unit", "baseline", "baseline_on", "target", "target_on", "want",
                 "source"),
    "measurements": ("on", "value", "by", "note"),
}

_ID = "an id never changes; withdraw the record and add it again"
_PART_OF_ID = "it is part of the record's id; withdraw the record and add it again"
_BELONGS = ("it says which action the record belongs to; withdraw it and add it to the right"
            " action")
_HOLD = "the hold changes with set-status ID on_hold --hold-reason TEXT --review-date DATE"

#: Fields an edit leaves alone, and how they change instead (or why they do not).
OWNED: Mapping[str, Mapping[str, str]] = {
    "partnerships": {"id": _ID},
    "agencies": {"id": _ID, "name": "a new name is given with rename-agency, which keeps the"
                 " old one among its former names"},
    "reviews": {"id": _ID, "partnership_id": _PART_OF_ID, "reference": _PART_OF_ID},
    "recommendations": {
        "id": _ID, "review_id": _PART_OF_ID, "number": _PART_OF_ID,
        "response": "the response changes with respond ID --response RESPONSE",
        "response_reason": "the response's reason changes with respond ID --response RESPONSE"
        " --reason TEXT",
    },
    "actions": {
        "id": _ID,
        "partnership_id": "it follows the action's recommendations",
        "status": "the status changes with set-status ID STATUS, through the lifecycle's gates",
        "original_target_date": "the original target date is kept as first agreed; move the"
        " current one with revise-target ID DATE --reason TEXT",
        "target_date": "the target date moves with revise-target ID DATE --reason TEXT, which"
        " keeps the original and the reason",
        "target_revisions": "each revision is made by revise-target ID DATE --reason TEXT",
        "hold_reason": _HOLD,
        "hold_review_date": _HOLD,
        "successor_id": "the successor is set with set-status ID superseded --successor ID",
        "reopened_on": "an action is reopened with set-status ID reopened --reason TEXT",
    },
    "progress_updates": {"id": _ID, "action_id": _BELONGS},
    "evidence": {"id": _ID, "action_id": _BELONGS,
                 "recorded_on": "it notes when the evidence was put on the plan",
                 "recorded_by": "it notes who put the evidence on the plan"},
    "assurance_decisions": {
        "id": _ID, "action_id": _BELONGS,
        "outcome": "a decision's outcome moved the action's status: withdraw the decision and"
        " record the right one with assure",
    },
    "learning_activities": {"id": _ID, "partnership_id": _PART_OF_ID},
    "chases": {field.name: "a chase records a reminder as it was sent; it is never changed"
               for field in attrs.fields(Chase) if field.name != "version"},
    "measures": {"id": _ID, "action_id": _BELONGS},
    "measurements": {"id": _ID, "action_id": _BELONGS,
                     "measure_id": "it says which measure the figure is of; withdraw it and"
                     " record it against the right measure"},
}


def check_fields(kind: str, fields: list[str], *, record_id: str | None = None) -> None:
    """Refuse fields a record of ``kind`` does not have, then fields an edit may not change.

    Unknown fields raise :class:`~actiontrack.errors.ConversionError` naming
    the fields that exist (a typo is bad input); fields another command owns
    raise :class:`~actiontrack.errors.RuleViolation` (``edit.owned-field``)
    saying how each changes.
    """
    noun = RECORD_NOUNS[kind]
    article = "an" if noun[0] in "aeiou" else "a"
    known = [field.name for field in attrs.fields(RECORD_KINDS[kind]) if field.name != "version"]
    unknown = [field for field in fields if field not in known]
    if unknown:
        problems = [f"$.{field}: {article} {noun} has no field {field!r}" for field in unknown]
        problems[-1] += (f"; its fields are {', '.join(known)} (edit may change"
                         f" {', '.join(EDITABLE[kind])})")
        raise ConversionError(problems)
    owned = [field for field in fields if field not in EDITABLE[kind]]
    if owned:
        raise RuleViolation("edit.owned-field", "; ".join(
            f"{field} is not changed by edit: {OWNED[kind][field]}" for field in owned),
            record_id=record_id)


def check_lead_officer_change(action: Action) -> None:
    """An assured or embedded action keeps its lead officer: the assurance was of them."""
    if action.status in (ActionStatus.ASSURED, ActionStatus.EMBEDDED):
        raise RuleViolation(
            "action.lead-officer-frozen",
            f"the action is {action.status.value}: its lead officer is part of its assurance"
            " record and cannot change",
            record_id=action.id)


def still_standing(plan: Plan, action: Action, *, evidence: list[Evidence],
                   decisions: list[AssuranceDecision],
                   measures: list[Reading] | None = None) -> None:
    """Refuse a change that leaves ``action``'s status standing on a gate it no longer meets.

    ``evidence``, ``decisions`` and ``measures`` (its measures' readings;
    unchanged when not given) are the action's, as they would be after the
    change; gates already unmet before it (old data) do not block it.
    """
    now = readings(plan, action.id)
    before = {unmet.rule for unmet in unmet_gates(
        action, plan.evidence_for(action.id), plan.decisions_for(action.id), now)}
    for unmet in unmet_gates(action, evidence, decisions, now if measures is None else measures):
        if unmet.rule not in before:
            raise RuleViolation(
                unmet.rule, f"the action is {action.status.value}, and without this its gate"
                f" no longer holds: {unmet.message}", record_id=action.id)


#: How an edit tidies the values of some fields before checking them.
_TIDY = {"themes": normalise_themes, "repeats": clean_list, "recommendation_ids": clean_list,
         "evidence_ids": clean_list, "aliases": clean_list, "former_names": clean_list}


def edit_record(plan: Plan, record: Record, changes: Mapping[str, Any], *, today: date) -> Record:
    """``record`` with ``changes`` made, checked; or raise naming the rule it would break.

    ``changes`` maps editable fields to their new, typed values (``None``
    clears an optional field). A change that changes nothing raises
    ``edit.no-change``.
    """
    kind = kind_of(record)
    check_fields(kind, list(changes), record_id=record.id)
    tidied: dict[str, Any] = {
        field: _TIDY[field](value) if field in _TIDY and value is not None else value
        for field, value in changes.items()}
    edited: Record = attrs.evolve(record, **tidied)
    if edited == record:
        shown = ", ".join(f"{field} is already {_shown(getattr(record, field))}"
                          for field in changes)
        raise RuleViolation("edit.no-change", f"nothing to change: {shown}",
                            record_id=record.id)
    check_record(plan, edited, today=today)
    if isinstance(record, Action) and "lead_officer" in changes \
            and changes["lead_officer"] != record.lead_officer:
        check_lead_officer_change(record)
    if isinstance(edited, Evidence | AssuranceDecision | Measure | Measurement):
        _keeps_its_action_standing(plan, edited)
    return edited


def _shown(value: object) -> str:
    """A field's value as a person would write it: dates as YYYY-MM-DD, lists with commas."""
    if value is None or value == ():
        return "empty"
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    return repr(str(value))


def _keeps_its_action_standing(
    plan: Plan, edited: Evidence | AssuranceDecision | Measure | Measurement,
) -> None:
    action = plan.actions[edited.action_id]
    evidence = plan.evidence_for(action.id)
    decisions = plan.decisions_for(action.id)
    measures = readings(plan, action.id)

    def swapped(items: Iterable[Any]) -> list[Any]:
        return [edited if item.id == edited.id else item for item in items]

    if isinstance(edited, Evidence):
        evidence = swapped(evidence)
    elif isinstance(edited, AssuranceDecision):
        decisions = swapped(decisions)
    elif isinstance(edited, Measure):
        measures = [read(edited, r.figures) if r.measure.id == edited.id else r for r in measures]
    else:
        measures = [read(r.measure, swapped(r.figures)) if r.measure.id == edited.measure_id
                    else r for r in measures]
    still_standing(plan, action, evidence=evidence, decisions=decisions, measures=measures)
