"""Seeded generator of realistic plans at the two reference sizes.

- ``partnership``: about 3,000 actions and 30,000 history entries;
- ``national``: about 100,000 actions and 1,000,000 history entries.

The same size and seed always give the same plan and history (the moments
are fixed, not read from a clock), so benchmarks, tests and other tools can
share data. History is built by the same versioning code the stores use:
replaying it gives back the plan exactly.

All text is synthetic; no real review, agency or person is described.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, TypeAlias

import attrs

from actiontrack.domain.impact import Reading, read
from actiontrack.domain.lifecycle import change_status, revise_target
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Agency,
    AssuranceDecision,
    AssuranceOutcome,
    Evidence,
    EvidenceKind,
    EvidenceTier,
    Measure,
    Measurement,
    Partnership,
    PartnershipKind,
    ProgressUpdate,
    Recommendation,
    Response,
    Review,
    ReviewKind,
    Want,
)
from actiontrack.domain.plan import HistoryEntry, Plan, Record, kind_of
from actiontrack.store import Put, open_store

__all__ = ["SIZES", "Size", "generate_plan"]

_Emit: TypeAlias = Callable[[datetime, Record], None]


@attrs.frozen
class Size:
    partnerships: int
    actions: int


SIZES: dict[str, Size] = {
    "partnership": Size(partnerships=1, actions=3_000),
    "national": Size(partnerships=40, actions=100_000),
}

THEMES = (
    "information-sharing", "risk-assessment", "fathers-and-male-carers", "thresholds",
    "escalation", "pre-birth-risk", "domestic-abuse", "case-transfer", "neglect",
    "mental-health", "substance-misuse", "child-focus", "strategy-discussions",
)
_START = date(2019, 4, 1)
_BY = "generator"


def generate_plan(
    size: Literal["partnership", "national"] | Size = "partnership", *, seed: int = 0
) -> tuple[Plan, list[HistoryEntry]]:
    """A plan and its history at ``size``, the same every time for the same seed."""
    shape = SIZES[size] if isinstance(size, str) else size
    rng = random.Random(seed)
    events: list[tuple[datetime, int, Record]] = []
    counter = 0

    def emit(at: datetime, record: Record) -> None:
        nonlocal counter
        counter += 1
        events.append((at, counter, record))

    for p in range(shape.partnerships):
        _partnership(rng, p, shape.actions // shape.partnerships, emit, seed)
    events.sort(key=lambda event: (event[0], event[1]))
    return _build(events)


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(9 + rng.randrange(8), rng.randrange(60)), tzinfo=UTC)


def _partnership(rng: random.Random, number: int, action_count: int, emit: _Emit,
                 seed: int) -> None:
    pid = f"P{number:03d}"
    opened = _START + timedelta(days=rng.randrange(60))
    emit(_moment(opened, rng), Partnership(
        id=pid, name=f"Partnership {number:03d}", kind=PartnershipKind.CHILDREN))
    agencies = [f"{pid}-AG{n}" for n in range(6)]
    for agency_id in agencies:
        emit(_moment(opened, rng), Agency(id=agency_id, name=f"Agency {agency_id}"))
    review_count = max(1, action_count // 10)
    recommendations: dict[str, date] = {}  # id -> the day it was made
    for r in range(review_count):
        published = opened + timedelta(days=rng.randrange(30, 1400))
        review = Review(
            id=f"{pid}/REV{r:04d}", partnership_id=pid, reference=f"REV{r:04d}",
            kind=rng.choice(list(ReviewKind)), title=f"Review {r} of {pid}",
            subject=f"Child {r}", published_on=published,
        )
        emit(_moment(published, rng), review)
        for n in range(1, 5):
            rec = Recommendation(
                id=f"{review.id}/R{n}", review_id=review.id, number=str(n),
                text=f"Recommendation {n} of review {r}",
                themes=tuple(sorted(rng.sample(THEMES, 2))), response=Response.ACCEPTED,
            )
            emit(_moment(published + timedelta(days=7), rng), rec)
            recommendations[rec.id] = published + timedelta(days=7)
    choices = sorted(recommendations)
    for a in range(action_count):
        rec_ids = tuple(sorted(set(rng.sample(choices, min(2, len(choices))))))
        # An action comes after the recommendations it answers.
        created = max(recommendations[r] for r in rec_ids) + timedelta(
            days=1 + rng.randrange(400))
        _action_story(rng, f"{pid}/A{a:05d}", pid, rec_ids, rng.choice(agencies), created, emit,
                      seed)


def _action_story(rng: random.Random, action_id: str, pid: str, rec_ids: tuple[str, ...],
                  agency: str, created: date, emit: _Emit, seed: int) -> None:
    """About ten history entries: creation, moves, slips, updates, evidence, assurance.

    Three actions in ten have an impact measure with a few figures
    (:func:`_measure_story`); an assured one whose measure met its target is
    embedded.
    """
    target = created + timedelta(days=rng.randrange(90, 400))
    officer = f"Lead officer {rng.randrange(500)}"
    action = Action(
        id=action_id, partnership_id=pid, recommendation_ids=rec_ids, lead_agency_id=agency,
        title=f"Action {action_id}", original_target_date=target, target_date=target,
        lead_officer=officer, deliverable="A deliverable", success_measure="A measure",
    )
    day = created
    last = _moment(day, rng)
    evidence: list[Evidence] = []
    decisions: list[AssuranceDecision] = []

    def step(days: int) -> date:
        nonlocal day
        day += timedelta(days=days)
        return day

    def emit_next(record: Record) -> None:
        """Emit on the current day, after everything earlier in this action's story."""
        nonlocal last
        last = max(_moment(day, rng), last + timedelta(minutes=1))
        emit(last, record)

    emit(last, action)

    for status in (ActionStatus.AGREED, ActionStatus.IN_PROGRESS):
        action = change_status(action, status)
        step(rng.randrange(5, 30))
        emit_next(action)
    for u in range(1, rng.randrange(2, 5) + 1):
        step(rng.randrange(10, 60))
        emit_next(ProgressUpdate(id=f"{action_id}/U{u}", action_id=action_id, on=day,
                                 by=officer, text=f"Update {u}"))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        action = revise_target(action, action.target_date + timedelta(days=rng.randrange(30, 120)),
                               reason="Slipped", by=_BY, on=step(rng.randrange(5, 40)))
        emit_next(action)
    if rng.random() < 0.55:
        item = Evidence(
            id=f"{action_id}/E1", action_id=action_id, tier=EvidenceTier.COMPLETION,
            kind=rng.choice(list(EvidenceKind)), title="Completion evidence",
            about_date=step(rng.randrange(5, 60)), recorded_on=day, recorded_by=officer)
        evidence.append(item)
        emit_next(item)
        action = change_status(action, ActionStatus.COMPLETED, evidence=evidence)
        step(1)
        emit_next(action)
        if rng.random() < 0.6:
            decision = AssuranceDecision(
                id=f"{action_id}/D1", action_id=action_id, outcome=AssuranceOutcome.ACCEPTED,
                decided_on=step(rng.randrange(10, 60)), decided_by="Assurance chair",
                body="Assurance subgroup", seen="Evidence reviewed")
            decisions.append(decision)
            emit_next(decision)
            action = change_status(action, ActionStatus.ASSURED, decisions=decisions)
            emit_next(action)
    # Measures draw on their own generator, so the plans before measures stay as they were.
    measures = random.Random(f"{seed}:{action_id}")
    if measures.random() < 0.3:
        reading, at = _measure_story(measures, action_id, officer, created, target, emit)
        if action.status == ActionStatus.ASSURED and reading.met:
            emit(max(at, last) + timedelta(minutes=1), change_status(
                action, ActionStatus.EMBEDDED, measures=[reading]))


def _measure_story(rng: random.Random, action_id: str, officer: str, created: date,
                   target_on: date, emit: _Emit) -> tuple[Reading, datetime]:
    """A measure taken when the action was created, and figures every two to four months."""
    want = rng.choice(list(Want))
    baseline = float(rng.randrange(20, 60))
    target = baseline + rng.randrange(10, 30) * (1 if want == Want.HIGHER else -0.5)
    measure = Measure(
        id=f"{action_id}/M1", action_id=action_id, name="Practice audited", unit="%",
        baseline=baseline, baseline_on=created, target=target, target_on=target_on, want=want,
        source="Case-file audit")
    at = _moment(created + timedelta(days=1), rng)
    emit(at, measure)
    figures = []
    day, value = created, baseline
    for v in range(1, rng.randrange(1, 5) + 1):
        day += timedelta(days=rng.randrange(60, 120))
        value = round(value + (target - baseline) * rng.uniform(-0.2, 0.6), 1)
        figure = Measurement(id=f"{measure.id}/V{v}", action_id=action_id, measure_id=measure.id,
                             on=day, value=value, by=officer)
        at = max(_moment(day, rng), at + timedelta(minutes=1))
        emit(at, figure)
        figures.append(figure)
    return read(measure, figures), at


def _build(events: list[tuple[datetime, int, Record]]) -> tuple[Plan, list[HistoryEntry]]:
    """Commit the events in date order into a scratch store: its versioning makes the history."""
    store = open_store("memory:")
    versions: dict[tuple[str, str], int] = {}
    for at, _, record in events:
        key = (kind_of(record), record.id)
        receipt = store.commit([Put(attrs.evolve(record, version=versions.get(key, 0)))],
                               by=_BY, at=at)
        if receipt.records:
            versions[key] = receipt.records[0].version
    return store.snapshot(), store.history()
