"""The values of a record's row in the partner workbook: what export writes, what import compares.

Text is as a cell holds it (:func:`~actiontrack.excel.cells.sheet_text`),
empty text is an empty cell, and an enumeration shows its label (``In
progress``, :func:`~actiontrack.labels.label`), so a value read back from an
untouched cell equals the value here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from actiontrack.domain.impact import read
from actiontrack.domain.models import Action, Evidence, Measure
from actiontrack.domain.plan import Plan
from actiontrack.domain.rag import RagPolicy, rag
from actiontrack.excel.cells import sheet_text
from actiontrack.formatting import long_date
from actiontrack.labels import label

__all__ = ["action_values", "evidence_values", "measure_values"]


def action_values(plan: Plan, action: Action, today: date, policy: RagPolicy) -> list[object]:
    """The cells of one action's row, in :data:`layout.ACTION_COLUMNS` order, as written.

    Its RAG is the one ``policy`` gives on ``today``.
    """
    recommendations = [plan.recommendations[r] for r in action.recommendation_ids
                       if r in plan.recommendations]
    if len(recommendations) == 1:
        recommendation_text = recommendations[0].text
    else:
        recommendation_text = "\n".join(f"{r.number}. {r.text}" for r in recommendations)
    updates = plan.updates_for(action.id)
    latest = f"{long_date(updates[-1].on)}: {updates[-1].text}" if updates else None
    return _clean([
        action.id,
        ", ".join(review.reference for review in plan.reviews_of(action)),
        ", ".join(action.recommendation_ids),
        recommendation_text,
        action.lead_agency_id,
        action.title,
        action.deliverable,
        action.success_measure,
        action.original_target_date,
        label(rag(action, today, policy)),
        label(action.status),
        action.target_date,
        None,
        action.lead_officer,
        action.hold_reason,
        action.hold_review_date,
        action.successor_id,
        latest,
        None,
    ])


def _clean(values: Iterable[object]) -> list[object]:
    """Text as a cell holds it (:func:`sheet_text`), empty text as an empty cell."""
    return [(sheet_text(value) or None) if type(value) is str else value for value in values]


def evidence_values(item: Evidence) -> list[object]:
    """The cells of one evidence row, in :data:`layout.EVIDENCE_COLUMNS` order, as written."""
    return _clean((item.id, item.action_id, label(item.tier), label(item.kind), item.title,
                   item.about_date, item.link, item.recorded_on, item.recorded_by))


def measure_values(plan: Plan, measure: Measure) -> list[object]:
    """The cells of one measure's row, in :data:`layout.MEASURE_COLUMNS` order, as written.

    What its figures say is :func:`~actiontrack.domain.impact.read`'s; the
    cells for a new figure are empty.
    """
    reading = read(measure, plan.measurements_for(measure.id))
    action = plan.actions.get(measure.action_id)
    latest = reading.latest
    return _clean((
        measure.action_id, action.title if action else None, measure.id, measure.name,
        measure.unit, measure.baseline, measure.baseline_on, measure.target, measure.target_on,
        label(measure.want), measure.source, latest.value if latest else None,
        latest.on if latest else None, reading.progress,
        None if latest is None else "Yes" if reading.met else "No",
        None, None, None))
