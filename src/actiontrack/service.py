"""The changes a business manager makes, each one unit of work on a store.

Every function takes the store, ``by`` (who is making the change) and ``at``
(the moment, timezone-aware: the caller's clock), checks the references it
is given, applies the domain's rules, commits, and returns the stored
record with its new version. A refused change raises and writes nothing:

- :class:`~actiontrack.errors.NotFoundError` for an unknown id;
- :class:`~actiontrack.errors.RuleViolation` when a lifecycle rule forbids it;
- :class:`~actiontrack.errors.ConflictError` when someone else changed the
  record first (pass ``expected_version`` to insist on the version you saw).

New records get readable ids unless one is given: a review is
``<partnership>/<reference>``, a recommendation ``<review>/R<n>``, an action
``<partnership>/A<nnn>``, and an action's updates, evidence and decisions
``<action>/U<n>``, ``/E<n>`` and ``/D<n>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TypeVar

import attrs

from actiontrack.domain import lifecycle
from actiontrack.domain.additions import (
    check_id,
    new_action,
    new_evidence,
    new_progress_update,
    next_id,
)
from actiontrack.domain.clocks import local_date
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Agency,
    AssuranceDecision,
    AssuranceOutcome,
    Evidence,
    EvidenceKind,
    EvidenceTier,
    LearningActivity,
    LearningActivityKind,
    Partnership,
    PartnershipKind,
    ProgressUpdate,
    Recommendation,
    RecommendationScope,
    Response,
    Review,
    ReviewKind,
)
from actiontrack.domain.plan import RECORD_NOUNS, Plan, Record, kind_of
from actiontrack.errors import ConflictError, RuleViolation
from actiontrack.store.protocol import Put, Store

__all__ = [
    "add_action",
    "add_agency",
    "add_evidence",
    "add_learning_activity",
    "add_partnership",
    "add_progress_update",
    "add_recommendation",
    "add_review",
    "record_assurance_decision",
    "rename_agency",
    "respond_to_recommendation",
    "revise_target_date",
    "set_status",
]

R = TypeVar("R", bound=Record)

def _commit_one(store: Store, record: R, *, by: str, at: datetime, reason: str | None) -> R:
    receipt = store.commit([Put(record)], by=by, at=at, reason=reason)
    if not receipt.records:
        return record
    stored = receipt.records[0]
    assert isinstance(stored, type(record))
    return stored


_ID_ATTEMPTS = 5


def _commit_new(store: Store, build: Callable[[Plan], R], *, by: str, at: datetime,
                reason: str | None = None) -> R:
    """Commit a new record whose id is the next free one, trying again if another took it.

    Two partner leads adding an update to one action at once both pick
    ``.../U2``; the second then gets ``.../U3`` instead of a conflict.
    """
    for attempt in range(_ID_ATTEMPTS):
        record = build(store.snapshot())
        try:
            return _commit_one(store, record, by=by, at=at, reason=reason)
        except ConflictError as exc:
            if exc.expected != 0 or attempt == _ID_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _current(store: Store, kind: type[R], record_id: str, expected_version: int | None) -> R:
    record = store.get(kind, record_id)
    if expected_version is not None and record.version != expected_version:
        raise ConflictError(
            RECORD_NOUNS[kind_of(kind)], record_id, expected=expected_version, actual=record.version
        )
    return record


def add_partnership(
    store: Store, *, id: str, name: str, kind: PartnershipKind, by: str, at: datetime
) -> Partnership:
    return _commit_one(
        store, Partnership(id=check_id(id, "partnership"), name=name, kind=kind),
        by=by, at=at, reason=None,
    )


def add_agency(store: Store, *, id: str, name: str, by: str, at: datetime) -> Agency:
    return _commit_one(store, Agency(id=check_id(id, "agency"), name=name), by=by, at=at,
                       reason=None)


def rename_agency(
    store: Store, agency_id: str, new_name: str, *, reason: str, by: str, at: datetime
) -> Agency:
    """Give an agency a new name; its id stays and its old name is kept."""
    agency = store.get(Agency, agency_id)
    new_name = new_name.strip()
    if not new_name or new_name == agency.name:
        raise RuleViolation(
            "agency.rename",
            f"a new name is needed, other than the present one ({agency.name!r})",
            record_id=agency_id,
        )
    if not reason.strip():
        raise RuleViolation("agency.rename-needs-reason", "renaming an agency needs a reason",
                            record_id=agency_id)
    renamed = attrs.evolve(
        agency, name=new_name, former_names=(*agency.former_names, agency.name)
    )
    return _commit_one(store, renamed, by=by, at=at, reason=reason)


def add_review(
    store: Store,
    *,
    partnership_id: str,
    reference: str,
    kind: ReviewKind,
    title: str,
    subject: str | None = None,
    became_aware_on: date | None = None,
    notified_on: date | None = None,
    rapid_review_sent_on: date | None = None,
    decided_on: date | None = None,
    published_on: date | None = None,
    by: str,
    at: datetime,
) -> Review:
    """Add a review; its id is ``<partnership>/<reference>``, so references may repeat."""
    store.get(Partnership, partnership_id)
    review = Review(
        id=check_id(f"{partnership_id}/{reference}", "review"),
        partnership_id=partnership_id,
        reference=reference,
        kind=kind,
        title=title,
        subject=subject,
        became_aware_on=became_aware_on,
        notified_on=notified_on,
        rapid_review_sent_on=rapid_review_sent_on,
        decided_on=decided_on,
        published_on=published_on,
    )
    return _commit_one(store, review, by=by, at=at, reason=None)


def add_recommendation(
    store: Store,
    *,
    review_id: str,
    text: str,
    themes: Sequence[str] = (),
    scope: RecommendationScope = RecommendationScope.PARTNERSHIP,
    response: Response = Response.PENDING,
    response_reason: str | None = None,
    repeats: Sequence[str] = (),
    number: str | None = None,
    by: str,
    at: datetime,
) -> Recommendation:
    """Add a recommendation to a review; ``repeats`` names earlier recommendations it repeats."""
    store.get(Review, review_id)
    for earlier in repeats:
        store.get(Recommendation, earlier)

    def build(plan: Plan) -> Recommendation:
        record_id = (
            f"{review_id}/R{number}" if number
            else next_id(f"{review_id}/R", (r.id for r in plan.recommendations_for(review_id)))
        )
        recommendation = Recommendation(
            id=check_id(record_id, "recommendation"),
            review_id=review_id,
            number=number or record_id.rsplit("/R", 1)[1],
            text=text,
            themes=tuple(sorted({t.strip().lower() for t in themes if t.strip()})),
            scope=scope,
            response=response,
            response_reason=response_reason,
            repeats=tuple(repeats),
        )
        _check_response(recommendation)
        return recommendation

    if number:
        return _commit_one(store, build(store.snapshot()), by=by, at=at, reason=None)
    return _commit_new(store, build, by=by, at=at)


def _check_response(recommendation: Recommendation) -> None:
    if recommendation.response == Response.NOT_ACCEPTED and not (
        recommendation.response_reason and recommendation.response_reason.strip()
    ):
        raise RuleViolation(
            "recommendation.not-accepted-needs-reason",
            "a recommendation that is not accepted needs the reason why",
            record_id=recommendation.id,
        )


def respond_to_recommendation(
    store: Store,
    recommendation_id: str,
    response: Response,
    *,
    reason: str | None = None,
    by: str,
    at: datetime,
) -> Recommendation:
    """Record the partnership's response (accepted, partly accepted, not accepted)."""
    current = store.get(Recommendation, recommendation_id)
    updated = attrs.evolve(current, response=response, response_reason=reason)
    _check_response(updated)
    return _commit_one(store, updated, by=by, at=at, reason=reason)


def add_action(
    store: Store,
    *,
    recommendation_ids: Sequence[str],
    lead_agency_id: str,
    title: str,
    target_date: date,
    lead_officer: str | None = None,
    deliverable: str | None = None,
    success_measure: str | None = None,
    status: ActionStatus = ActionStatus.PROPOSED,
    id: str | None = None,
    by: str,
    at: datetime,
) -> Action:
    """Add an action answering one or more recommendations of one partnership."""

    def build(plan: Plan) -> Action:
        return new_action(
            plan, recommendation_ids=recommendation_ids, lead_agency_id=lead_agency_id,
            title=title, target_date=target_date, lead_officer=lead_officer,
            deliverable=deliverable, success_measure=success_measure, status=status, id=id,
        )

    if id:
        return _commit_one(store, build(store.snapshot()), by=by, at=at, reason=None)
    return _commit_new(store, build, by=by, at=at)


def set_status(
    store: Store,
    action_id: str,
    status: ActionStatus,
    *,
    hold_reason: str | None = None,
    hold_review_date: date | None = None,
    successor_id: str | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    by: str,
    at: datetime,
) -> Action:
    """Move an action to ``status`` through the lifecycle's gates."""
    action = _current(store, Action, action_id, expected_version)
    if successor_id is not None:
        store.get(Action, successor_id)
    plan = store.snapshot()
    moved = lifecycle.change_status(
        action,
        status,
        evidence=plan.evidence_for(action_id),
        decisions=plan.decisions_for(action_id),
        hold_reason=hold_reason,
        hold_review_date=hold_review_date,
        successor_id=successor_id,
        on=local_date(at),
        reason=reason,
    )
    return _commit_one(store, moved, by=by, at=at, reason=reason or hold_reason)


def revise_target_date(
    store: Store,
    action_id: str,
    new_date: date,
    *,
    reason: str,
    expected_version: int | None = None,
    by: str,
    at: datetime,
) -> Action:
    """Move an action's current target date; the original date and the reason are kept."""
    action = _current(store, Action, action_id, expected_version)
    revised = lifecycle.revise_target(action, new_date, reason=reason, by=by, on=local_date(at))
    return _commit_one(store, revised, by=by, at=at, reason=reason)


def add_progress_update(
    store: Store, action_id: str, text: str, *, on: date | None = None, by: str, at: datetime
) -> ProgressUpdate:
    """Add a dated note to an action; earlier notes are never overwritten."""
    return _commit_new(store, lambda plan: new_progress_update(
        plan, action_id, text, on=on or local_date(at), by=by), by=by, at=at)


def add_evidence(
    store: Store,
    action_id: str,
    *,
    tier: EvidenceTier,
    kind: EvidenceKind,
    title: str,
    about_date: date,
    link: str | None = None,
    by: str,
    at: datetime,
) -> Evidence:
    """Record evidence that an action was done (completion) or made a difference (impact)."""
    return _commit_new(store, lambda plan: new_evidence(
        plan, action_id, tier=tier, kind=kind, title=title, about_date=about_date, link=link,
        today=local_date(at), by=by), by=by, at=at)


def record_assurance_decision(
    store: Store,
    action_id: str,
    *,
    outcome: AssuranceOutcome,
    decided_by: str,
    body: str,
    seen: str,
    evidence_ids: Sequence[str] = (),
    decided_on: date | None = None,
    by: str,
    at: datetime,
) -> tuple[AssuranceDecision, Action]:
    """Record an assurance body's decision on a completed action, and apply it.

    Accepted moves the action to ``assured`` (which needs a decision-maker who
    is not the lead officer); returned sends it back to ``in_progress``. The
    decision and the status change land together or not at all.
    """
    action = store.get(Action, action_id)
    for field, value in (("decided_by", decided_by), ("body", body), ("seen", seen)):
        if not value.strip():
            raise RuleViolation(
                "decision.needs-who-body-seen",
                f"an assurance decision needs {field.replace('_', ' ')}: who decided, for"
                " which body, having seen what",
                record_id=action_id,
            )
    today = local_date(at)
    if decided_on is not None and decided_on > today:
        raise RuleViolation(
            "decision.future-date",
            f"a decision cannot be made on a day that has not happened ({decided_on})",
            record_id=action_id,
        )
    plan = store.snapshot()
    own_evidence = {e.id for e in plan.evidence_for(action_id)}
    for evidence_id in evidence_ids:
        if evidence_id not in own_evidence:
            raise RuleViolation(
                "decision.evidence-of-action",
                f"evidence {evidence_id!r} is not recorded against action {action_id}",
                record_id=action_id,
            )
    decision = AssuranceDecision(
        id=next_id(f"{action_id}/D", (d.id for d in plan.decisions_for(action_id))),
        action_id=action_id,
        outcome=outcome,
        decided_on=decided_on or today,
        decided_by=decided_by.strip(),
        body=body.strip(),
        seen=seen.strip(),
        evidence_ids=tuple(evidence_ids),
    )
    target = (
        ActionStatus.ASSURED if outcome == AssuranceOutcome.ACCEPTED else ActionStatus.IN_PROGRESS
    )
    if action.status != ActionStatus.COMPLETED:
        raise RuleViolation(
            "decision.needs-completed-action",
            f"assurance decides on completed actions; this one is {action.status.value}",
            record_id=action_id,
        )
    moved = lifecycle.change_status(
        action,
        target,
        evidence=plan.evidence_for(action_id),
        decisions=[*plan.decisions_for(action_id), decision],
    )
    receipt = store.commit([Put(decision), Put(moved)], by=by, at=at, reason=seen)
    stored: Mapping[type, Record] = {type(r): r for r in receipt.records}
    stored_decision, stored_action = stored[AssuranceDecision], stored[Action]
    assert isinstance(stored_decision, AssuranceDecision)
    assert isinstance(stored_action, Action)
    return stored_decision, stored_action


def add_learning_activity(
    store: Store,
    *,
    partnership_id: str,
    kind: LearningActivityKind,
    title: str,
    held_on: date,
    reach: int | None = None,
    recommendation_ids: Sequence[str] = (),
    id: str | None = None,
    by: str,
    at: datetime,
) -> LearningActivity:
    """Record a briefing, event or forum week, and the recommendations it spreads."""
    store.get(Partnership, partnership_id)
    for recommendation_id in recommendation_ids:
        store.get(Recommendation, recommendation_id)
    if reach is not None and reach < 0:
        raise RuleViolation("learning.reach", "reach is a number of people, 0 or more")

    def build(plan: Plan) -> LearningActivity:
        record_id = id or next_id(f"{partnership_id}/L", plan.learning_activities)
        return LearningActivity(
            id=check_id(record_id, "learning activity"),
            partnership_id=partnership_id,
            kind=kind,
            title=title,
            held_on=held_on,
            reach=reach,
            recommendation_ids=tuple(recommendation_ids),
        )

    if not id:
        return _commit_new(store, build, by=by, at=at)
    activity = build(store.snapshot())
    return _commit_one(store, activity, by=by, at=at, reason=None)
