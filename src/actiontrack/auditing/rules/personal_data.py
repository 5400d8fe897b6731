"""The ``personal-data`` rule: personal data in any free-text field of the plan.

What counts is :func:`actiontrack.personal_data.find_personal_data`'s (NHS
numbers, dates of birth, postcodes, phone numbers, email addresses).
Findings never repeat what was found: they say what kind of data, where,
and a masked hint.
"""

from __future__ import annotations

from collections.abc import Iterator

from actiontrack.auditing.context import AuditContext, Flag
from actiontrack.auditing.findings import Severity
from actiontrack.auditing.registry import rule
from actiontrack.domain.plan import Plan
from actiontrack.personal_data import find_personal_data

__all__ = ["personal_data"]

def _free_text(plan: Plan) -> Iterator[tuple[str, str, str]]:
    """(record id, field, text) for every free-text field a person types into."""
    for review in plan.reviews.values():
        yield review.id, "title", review.title
        if review.subject:
            yield review.id, "subject", review.subject
    for rec in plan.recommendations.values():
        yield rec.id, "text", rec.text
        if rec.response_reason:
            yield rec.id, "response_reason", rec.response_reason
    for action in plan.actions.values():
        for field in ("title", "deliverable", "success_measure", "hold_reason"):
            value = getattr(action, field)
            if value:
                yield action.id, field, value
        for number, revision in enumerate(action.target_revisions, start=1):
            yield action.id, f"target_revisions[{number}].reason", revision.reason
    for update in plan.progress_updates.values():
        yield update.id, "text", update.text
    for item in plan.evidence.values():
        yield item.id, "title", item.title
        if item.link:
            yield item.id, "link", item.link
    for decision in plan.assurance_decisions.values():
        yield decision.id, "seen", decision.seen
    for activity in plan.learning_activities.values():
        yield activity.id, "title", activity.title
    for measure in plan.measures.values():
        yield measure.id, "name", measure.name
        if measure.source:
            yield measure.id, "source", measure.source
    for figure in plan.measurements.values():
        if figure.note:
            yield figure.id, "note", figure.note


@rule("personal-data", severity=Severity.ERROR,
      description="An NHS number, date of birth, postcode, phone number or email in free text")
def personal_data(context: AuditContext) -> Iterator[Flag]:
    # The same text recurs across records: look at each once. Kept as tuples, which
    # the garbage collector stops tracking (most are the one empty tuple), not lists.
    seen: dict[str, tuple[tuple[str, str], ...]] = {}
    hits = []
    for record_id, field, text in _free_text(context.plan):
        found = seen.get(text)
        if found is None:
            found = seen[text] = tuple(find_personal_data(text))
        if found:  # seldom: most text holds none
            hits += [(record_id, field, kind, hint) for kind, hint in found]
    hits.sort()
    for record_id, field, kind, hint in hits:
        name = field.split("[")[0]
        fix = (f"; take it out of the record and its history with `actiontrack redact"
               f" {record_id} {name} --reason TEXT`" if "[" not in field else
               "; a target revision's reason cannot be redacted: ask the store's administrator")
        yield Flag(subject=record_id, message=f"{kind} ({hint}) in its {name}{fix}",
                   facts={"field": field, "kind": kind, "hint": hint})
