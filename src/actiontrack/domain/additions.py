"""New records built against a plan, with the checks a new record must pass.

Pure functions: each takes the plan as it stands, builds the record at
version 0 with its id, and checks it with
:func:`~actiontrack.domain.checks.check_record` (the rules an edited record
keeps too), or raises. The service commits one such record at a time; a
workbook import commits many together.

Two collections of ids come in from outside the plan:

- ``taken``: ids of records new in the same unit of work, which a new
  record may link to (a new action's first progress update) and whose ids
  are not given again;
- ``used``: ids the store has given, withdrawn records' included (the
  store's ``used_ids``). A generated id is never one of them, so a
  generated id always means one record (a workbook exported before a
  withdrawal cannot be merged into a stranger), and the plan passed in need
  not hold every record of the kind: only those the checks look at. An id
  a person chooses (an agency's, a review's reference) may be used again
  after a withdrawal; its versions carry on from the withdrawn record's.

New records get readable ids unless one is given: a review is
``<partnership>/<reference>``, a recommendation ``<review>/R<n>``, an action
``<partnership>/A<nnn>``, a learning activity ``<partnership>/L<n>``, an
action's updates, evidence, decisions and measures ``<action>/U<n>``,
``/E<n>``, ``/D<n>`` and ``/M<n>``, and a measure's measurements
``<measure>/V<n>``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date

from actiontrack.domain.checks import check_record, clean_list, normalise_themes
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Agency,
    AssuranceDecision,
    AssuranceOutcome,
    Chase,
    Evidence,
    EvidenceKind,
    EvidenceTier,
    LearningActivity,
    LearningActivityKind,
    Measure,
    Measurement,
    Partnership,
    PartnershipKind,
    ProgressUpdate,
    Recommendation,
    RecommendationScope,
    Response,
    Review,
    ReviewKind,
    Want,
)
from actiontrack.domain.plan import Plan
from actiontrack.errors import ConversionError, RuleViolation

__all__ = [
    "NEW_ACTION_STATUSES",
    "action_ids",
    "check_id",
    "new_action",
    "new_agency",
    "new_chase",
    "new_decision",
    "new_evidence",
    "new_learning_activity",
    "new_measure",
    "new_measurement",
    "new_partnership",
    "new_progress_update",
    "new_recommendation",
    "new_review",
    "next_id",
]

#: The statuses an action may start in; completing one needs evidence first.
NEW_ACTION_STATUSES = (ActionStatus.PROPOSED, ActionStatus.AGREED, ActionStatus.IN_PROGRESS)

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,119}")


def check_id(record_id: str, what: str) -> str:
    """An id people can read, type and put in a file name; anything else is bad input."""
    if not _ID.fullmatch(record_id):
        raise ConversionError([
            f"$.id: {what} id {record_id!r} must start with a letter or digit and use only"
            " letters, digits and . _ : / - (at most 120 characters)"
        ])
    return record_id


def next_id(prefix: str, existing: Iterable[str]) -> str:
    """``prefix`` followed by one more than the highest number any existing id has."""
    start = len(prefix)
    numbers = [int(key[start:]) for key in existing
               if key.startswith(prefix) and key[start:].isascii() and key[start:].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"


def _next_id(prefix: str, *used: Iterable[str]) -> str:
    """The next id after ``prefix`` past every id in ``used`` (the plan's, new, given before)."""
    return next_id(prefix, (key for ids in used for key in ids if key.startswith(prefix)))


def new_partnership(plan: Plan, *, id: str, name: str, kind: PartnershipKind,
                    today: date) -> Partnership:
    partnership = Partnership(id=check_id(id, "partnership"), name=name, kind=kind)
    check_record(plan, partnership, today=today)
    return partnership


def new_agency(plan: Plan, *, id: str, name: str, email: str | None = None,
               aliases: Iterable[str] = (), today: date) -> Agency:
    agency = Agency(id=check_id(id, "agency"), name=name,
                    email=(email.strip() or None) if isinstance(email, str) else email,
                    aliases=clean_list(aliases))
    check_record(plan, agency, today=today)
    return agency


def new_review(
    plan: Plan,
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
    today: date,
) -> Review:
    """A review; its id is ``<partnership>/<reference>``, so references may repeat elsewhere."""
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
    check_record(plan, review, today=today)
    return review


def new_recommendation(
    plan: Plan,
    *,
    review_id: str,
    text: str,
    themes: Iterable[str] = (),
    scope: RecommendationScope = RecommendationScope.PARTNERSHIP,
    response: Response = Response.PENDING,
    response_reason: str | None = None,
    repeats: Iterable[str] = (),
    number: str | None = None,
    today: date,
    used: Collection[str] = (),
) -> Recommendation:
    """A recommendation of a review; ``repeats`` names earlier recommendations it repeats."""
    prefix = f"{review_id}/R"
    record_id = f"{prefix}{number}" if number else _next_id(
        prefix, (r.id for r in plan.recommendations_for(review_id)), used)
    recommendation = Recommendation(
        id=check_id(record_id, "recommendation"),
        review_id=review_id,
        number=number or record_id.removeprefix(prefix),
        text=text,
        themes=normalise_themes(themes),
        scope=scope,
        response=response,
        response_reason=response_reason,
        repeats=clean_list(repeats),
    )
    check_record(plan, recommendation, today=today)
    return recommendation


def new_action(
    plan: Plan,
    *,
    recommendation_ids: Sequence[str],
    lead_agency_id: str,
    title: str,
    target_date: date,
    lead_officer: str | None = None,
    deliverable: str | None = None,
    success_measure: str | None = None,
    status: ActionStatus = ActionStatus.PROPOSED,
    reference: str | None = None,
    id: str | None = None,
    today: date,
    taken: Collection[str] = (),
    used: Collection[str] = (),
) -> Action:
    """An action answering recommendations of one partnership, led by a known agency.

    ``reference`` is its reference in the tracker it was adopted from.
    """
    if status not in NEW_ACTION_STATUSES:
        raise RuleViolation(
            "action.new-status",
            "a new action starts as proposed, agreed or in_progress; record evidence"
            " before completing it",
        )
    partnerships = {plan.reviews[plan.recommendations[rid].review_id].partnership_id
                    for rid in recommendation_ids if rid in plan.recommendations}
    partnership_id = next(iter(partnerships)) if len(partnerships) == 1 else ""
    record_id = id
    if not record_id and partnership_id:
        record_id = next(action_ids(plan, partnership_id, taken=taken, used=used))
    action = Action(
        id=check_id(record_id, "action") if record_id else "",
        partnership_id=partnership_id,
        recommendation_ids=clean_list(recommendation_ids),
        lead_agency_id=lead_agency_id,
        title=title,
        original_target_date=target_date,
        target_date=target_date,
        lead_officer=lead_officer,
        deliverable=deliverable,
        success_measure=success_measure,
        status=status,
        reference=reference,
    )
    check_record(plan, action, today=today)
    return action


def action_ids(plan: Plan, partnership_id: str, *, taken: Collection[str] = (),
               used: Collection[str] = ()) -> Iterator[str]:
    """The partnership's free action ids in order; numbers stay sortable: A001, A002, ...

    Many new actions take theirs from one run of it, without searching the
    ids again for each.
    """
    prefix = f"{partnership_id}/A"
    number = int(_next_id(prefix, plan.actions, taken, used).removeprefix(prefix))
    while True:
        yield f"{prefix}{number:03d}"
        number += 1


def new_progress_update(
    plan: Plan, action_id: str, text: str, *, on: date, by: str, taken: Collection[str] = (),
    used: Collection[str] = (),
) -> ProgressUpdate:
    """A dated note on an action (``taken`` may hold the ids of actions new in this unit)."""
    prefix = f"{action_id}/U"
    update = ProgressUpdate(
        id=_next_id(prefix, (u.id for u in plan.updates_for(action_id)), taken, used),
        action_id=action_id,
        on=on,
        by=by,
        text=text.strip(),
    )
    check_record(plan, update, today=on, taken=taken)
    return update


def new_evidence(
    plan: Plan,
    action_id: str,
    *,
    tier: EvidenceTier,
    kind: EvidenceKind,
    title: str,
    about_date: date,
    link: str | None = None,
    today: date,
    by: str,
    taken: Collection[str] = (),
    used: Collection[str] = (),
) -> Evidence:
    """Evidence recorded ``today`` that an action was done or made a difference."""
    prefix = f"{action_id}/E"
    item = Evidence(
        id=_next_id(prefix, (e.id for e in plan.evidence_for(action_id)), taken, used),
        action_id=action_id,
        tier=tier,
        kind=kind,
        title=title.strip(),
        about_date=about_date,
        recorded_on=today,
        recorded_by=by,
        link=link,
    )
    check_record(plan, item, today=today, taken=taken)
    return item


def new_decision(
    plan: Plan,
    action_id: str,
    *,
    outcome: AssuranceOutcome,
    decided_by: str,
    body: str,
    seen: str,
    evidence_ids: Iterable[str] = (),
    decided_on: date,
    today: date,
    used: Collection[str] = (),
) -> AssuranceDecision:
    """An assurance body's decision on an action, made on ``decided_on``."""
    prefix = f"{action_id}/D"
    decision = AssuranceDecision(
        id=_next_id(prefix, (d.id for d in plan.decisions_for(action_id)), used),
        action_id=action_id,
        outcome=outcome,
        decided_on=decided_on,
        decided_by=decided_by.strip(),
        body=body.strip(),
        seen=seen.strip(),
        evidence_ids=clean_list(evidence_ids),
    )
    check_record(plan, decision, today=today)
    return decision


def new_learning_activity(
    plan: Plan,
    *,
    partnership_id: str,
    kind: LearningActivityKind,
    title: str,
    held_on: date,
    reach: int | None = None,
    recommendation_ids: Iterable[str] = (),
    id: str | None = None,
    today: date,
    used: Collection[str] = (),
) -> LearningActivity:
    """A briefing, event or forum week, and the recommendations whose learning it spreads."""
    record_id = id or _next_id(f"{partnership_id}/L", plan.learning_activities, used)
    activity = LearningActivity(
        id=check_id(record_id, "learning activity"),
        partnership_id=partnership_id,
        kind=kind,
        title=title,
        held_on=held_on,
        reach=reach,
        recommendation_ids=clean_list(recommendation_ids),
    )
    check_record(plan, activity, today=today)
    return activity


def new_chase(
    plan: Plan,
    *,
    agency_id: str,
    action_ids: Iterable[str],
    sent_on: date,
    sent_by: str,
    sent_to: str,
    message_id: str,
    used: Collection[str] = (),
) -> Chase:
    """The record of a reminder sent to an agency's lead; its id is the agency's next chase."""
    chase = Chase(
        id=check_id(_next_id(f"{agency_id}/C", plan.chases, used), "chase"),
        agency_id=agency_id,
        sent_on=sent_on,
        sent_by=sent_by,
        sent_to=sent_to,
        action_ids=clean_list(action_ids),
        message_id=message_id,
    )
    check_record(plan, chase, today=sent_on)
    return chase


def new_measure(
    plan: Plan,
    action_id: str,
    *,
    name: str,
    unit: str,
    baseline: float,
    baseline_on: date,
    target: float,
    target_on: date,
    want: Want,
    source: str | None = None,
    today: date,
    taken: Collection[str] = (),
    used: Collection[str] = (),
) -> Measure:
    """A measure of an action's impact: a baseline, a target, and which way is better."""
    prefix = f"{action_id}/M"
    measure = Measure(
        id=_next_id(prefix, (m.id for m in plan.measures_for(action_id)), taken, used),
        action_id=action_id,
        name=name.strip(),
        unit=unit.strip(),
        baseline=baseline,
        baseline_on=baseline_on,
        target=target,
        target_on=target_on,
        want=want,
        source=(source.strip() or None) if source else None,
    )
    check_record(plan, measure, today=today, taken=taken)
    return measure


def new_measurement(
    plan: Plan,
    measure_id: str,
    *,
    value: float,
    on: date,
    by: str,
    note: str | None = None,
    today: date,
    taken: Collection[str] = (),
    used: Collection[str] = (),
) -> Measurement:
    """A figure of a measure, taken on ``on``; the measure is in ``plan`` (or new, ``taken``)."""
    measure = plan.measures.get(measure_id)
    prefix = f"{measure_id}/V"
    figure = Measurement(
        id=_next_id(prefix, (m.id for m in plan.measurements_for(measure_id)), taken, used),
        action_id=measure.action_id if measure else measure_id.rpartition("/M")[0],
        measure_id=measure_id,
        on=on,
        value=value,
        by=by.strip(),
        note=(note.strip() or None) if note else None,
    )
    check_record(plan, figure, today=today, taken=taken)
    return figure
