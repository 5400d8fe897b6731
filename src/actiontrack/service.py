"""The changes a business manager makes, each one unit of work on a store.

Every function takes the store, ``by`` (who is making the change) and ``at``
(the moment, timezone-aware: the caller's clock), builds or changes records
through the domain's rules, commits, and returns the stored record with its
new version. A refused change raises and writes nothing:

- :class:`~actiontrack.errors.NotFoundError` for an unknown id;
- :class:`~actiontrack.errors.ConversionError` for a value that is not of
  its field's type, or a field a record does not have;
- :class:`~actiontrack.errors.RuleViolation` when a rule forbids it;
- :class:`~actiontrack.errors.ConflictError` when someone else changed the
  record first (pass ``expected_version`` to insist on the version you saw).

New records get readable ids unless one is given (see
:mod:`actiontrack.domain.additions`); a generated id is never that of a
withdrawn record. Records added by mistake are corrected with :func:`edit`
or taken off the plan with :func:`withdraw`; history keeps both.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from actiontrack import convert
from actiontrack.domain import additions, edits, impact, lifecycle
from actiontrack.domain.checks import check_record
from actiontrack.domain.clocks import end_of_day, local_date
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
from actiontrack.domain.plan import RECORD_KINDS, RECORD_NOUNS, Plan, Record, kind_of
from actiontrack.domain.rag import Rag, RagPolicy, rag
from actiontrack.domain.redaction import check_redactable, marker
from actiontrack.domain.withdrawals import Withdrawal, withdrawal
from actiontrack.errors import (
    AmbiguousIdError,
    ConflictError,
    NotFoundError,
    RuleViolation,
)
from actiontrack.store import open_store
from actiontrack.store.protocol import Before, Condition, Delete, Put, Receipt, Redact, Store

__all__ = [
    "ActionList",
    "add_action",
    "add_agency",
    "add_evidence",
    "add_learning_activity",
    "add_partnership",
    "add_progress_update",
    "add_recommendation",
    "add_review",
    "edit",
    "find_record",
    "init_store",
    "list_actions",
    "record_assurance_decision",
    "record_chase",
    "redact",
    "rename_agency",
    "respond_to_recommendation",
    "revise_target_date",
    "set_status",
    "settle_outside_edits",
    "withdraw",
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


def _commit_new(store: Store, kind: type[R], prefix: str,
                build: Callable[[Collection[str]], R], *, by: str, at: datetime) -> R:
    """Commit a new record whose id is the next free one, trying again if another took it.

    ``build`` gets the ids of ``kind`` starting with ``prefix`` that the
    store has given (withdrawn ones too: never given again). Two partner
    leads adding an update to one action at once both pick ``.../U2``; the
    second then gets ``.../U3`` instead of a conflict.
    """
    for attempt in range(_ID_ATTEMPTS):
        record = build(store.used_ids(kind_of(kind), prefix))
        try:
            return _commit_one(store, record, by=by, at=at, reason=None)
        except ConflictError as exc:
            if exc.expected != 0 or attempt == _ID_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _current(store: Store, kind: type[R], record_id: str, expected_version: int | None) -> R:
    record = store.get(kind, record_id)
    _check_version(record, expected_version)
    return record


def _check_version(record: Record, expected_version: int | None) -> None:
    if expected_version is not None and record.version != expected_version:
        raise ConflictError(RECORD_NOUNS[kind_of(record)], record.id,
                            expected=expected_version, actual=record.version)


def _plan_with(
    store: Store, *, recommendation_ids: Iterable[str] = (), review_ids: Iterable[str] = (),
    action_ids: Iterable[str] = (), children_of: Iterable[str] = (),
) -> Plan:
    """The part of the plan a change's rules look at, read record by record, not whole.

    Every partnership and agency (a handful), the recommendations named and
    the reviews they and ``review_ids`` name, the actions named, and the
    progress updates, evidence, decisions, measures and measurements of the
    actions in ``children_of``.
    """
    recommendations = store.get_many(Recommendation, recommendation_ids)
    reviews = {*review_ids, *(r.review_id for r in recommendations.values())}
    children = frozenset(children_of)
    records: list[Record] = [
        *store.find(Partnership), *store.find(Agency), *recommendations.values(),
        *store.get_many(Review, reviews).values(),
        *store.get_many(Action, {*action_ids, *children}).values(),
    ]
    if children:
        for kind in (ProgressUpdate, Evidence, AssuranceDecision, Measure, Measurement):
            records += store.find(kind, action_id=children)
    return Plan.from_records(records)


def _plan_around(store: Store, record: Record) -> Plan:
    """What the rules of ``record``'s kind look at: the records it names, and for one
    belonging to an action, that action with its updates, evidence, decisions and measures."""
    own_action = record.id if isinstance(record, Action) else getattr(record, "action_id", None)
    return _plan_with(
        store,
        recommendation_ids=[*getattr(record, "recommendation_ids", ()),
                            *getattr(record, "repeats", ()),
                            *([record.id] if isinstance(record, Recommendation) else [])],
        review_ids=[getattr(record, "review_id", None) or record.id]
        if isinstance(record, Recommendation | Review) else [],
        action_ids=[successor for successor in [getattr(record, "successor_id", None)]
                    if successor],
        children_of=[own_action] if own_action else [],
    )


def _plan_for_withdrawal(store: Store, record: Record) -> Plan:
    """:func:`_plan_around` and what names ``record``: what a withdrawal must leave standing."""
    linking: list[Record] = []
    if isinstance(record, Agency):
        linking += store.find(Action, lead_agency_id=record.id)
    elif isinstance(record, Review):
        linking += store.find(Recommendation, review_id=record.id)
    elif isinstance(record, Recommendation):
        linking += [*store.find(Action, recommendation_ids=record.id),
                    *store.find(LearningActivity, recommendation_ids=record.id),
                    *store.find(Recommendation, repeats=record.id)]
    elif isinstance(record, Action):
        linking += store.find(Action, successor_id=record.id)
    around = _plan_around(store, record)
    return Plan.from_records([*around.records(), *linking])


@attrs.frozen(kw_only=True)
class ActionList:
    """Actions chosen from the plan, each with its RAG on ``day``, and how many there were."""

    day: date
    rows: tuple[tuple[Action, Rag], ...]
    #: How many actions the plan held (on ``day``, for a view of the past).
    of: int


def list_actions(
    store: Store,
    *,
    today: date,
    as_of: date | None = None,
    policy: RagPolicy = RagPolicy(),  # noqa: B008  (frozen: one shared default is safe)
    agency: str | None = None,
    review: str | None = None,
    status: ActionStatus | None = None,
    overdue: bool = False,
) -> ActionList:
    """The actions led by ``agency``, answering ``review``, in ``status``, or overdue.

    The plan now (its RAG on ``today``), or as it stood at the end of
    ``as_of``. The store answers the choice (by SQL on an SQL store): only
    the actions chosen are read. An unknown agency or review is a
    :class:`~actiontrack.errors.NotFoundError`.
    """
    moment = end_of_day(as_of) if as_of else None
    day = as_of or today
    where: dict[str, Condition] = {}
    if agency is not None:
        if not store.get_many(Agency, [agency], as_of=moment):
            raise NotFoundError("agency", agency)
        where["lead_agency_id"] = agency
    if review is not None:
        if not store.get_many(Review, [review], as_of=moment):
            raise NotFoundError("review", review)
        answered = store.find(Recommendation, as_of=moment, review_id=review)
        where["recommendation_ids"] = frozenset(r.id for r in answered)
    statuses = frozenset([status]) if status is not None else frozenset(ActionStatus)
    if overdue:  # red: still open, and past its target date
        statuses &= lifecycle.OPEN_STATUSES
        where["target_date"] = Before(day)
    if statuses != frozenset(ActionStatus):
        where["status"] = statuses
    chosen = store.find(Action, as_of=moment, **where)
    total = store.count("actions") if moment is None else len(store.find(Action, as_of=moment))
    return ActionList(day=day, rows=tuple((a, rag(a, day, policy)) for a in chosen), of=total)


def find_record(store: Store, record_id: str, *, kind: str | None = None) -> Record:
    """The record with ``record_id`` of whatever kind has it (or of ``kind``).

    Raises :class:`~actiontrack.errors.NotFoundError` when none has it and
    :class:`~actiontrack.errors.AmbiguousIdError` when records of two kinds
    share it (name the kind).
    """
    if kind is not None and kind not in RECORD_KINDS:
        raise ValueError(f"unknown record kind {kind!r}")
    found = []
    for name, cls in RECORD_KINDS.items():
        if kind is not None and name != kind:
            continue
        try:
            found.append(store.get(cls, record_id))
        except NotFoundError:
            continue
    if not found:
        raise NotFoundError(RECORD_NOUNS[kind] if kind else "record", record_id)
    if len(found) > 1:
        raise AmbiguousIdError(record_id, [kind_of(record) for record in found])
    return found[0]


def init_store(
    url: str, *, partnership_id: str, name: str, kind: PartnershipKind, by: str, at: datetime,
    lock_timeout: float = 30.0,
) -> tuple[Store, Partnership]:
    """Create the store at ``url`` (if need be) and begin its plan with its partnership.

    The partnership is checked before anything is created, so bad input
    leaves no store behind. A store that already holds records is refused
    (:class:`RuleViolation` ``init.store-in-use``): add another partnership
    to it with :func:`add_partnership` instead. Returns the open store.
    """
    partnership = additions.new_partnership(Plan(), id=partnership_id, name=name, kind=kind,
                                            today=local_date(at))
    store = open_store(url, create=True, lock_timeout=lock_timeout)
    plan = store.snapshot()
    if len(plan):
        store.close()
        held = ", ".join(sorted(plan.partnerships)) or f"{len(plan)} records"
        raise RuleViolation(
            "init.store-in-use", f"this store already holds a plan ({held}); add another"
            " partnership to it with add-partnership, or start a new store elsewhere")
    return store, _commit_one(store, partnership, by=by, at=at, reason=None)


def add_partnership(
    store: Store, *, id: str, name: str, kind: PartnershipKind, by: str, at: datetime
) -> Partnership:
    partnership = additions.new_partnership(Plan(), id=id, name=name, kind=kind,
                                            today=local_date(at))
    return _commit_one(store, partnership, by=by, at=at, reason=None)


def add_agency(
    store: Store, *, id: str, name: str, email: str | None = None, aliases: Sequence[str] = (),
    by: str, at: datetime,
) -> Agency:
    """Add a partner agency; ``email`` is its lead's address, ``aliases`` its other names."""
    agency = additions.new_agency(_plan_with(store), id=id, name=name, email=email,
                                  aliases=aliases, today=local_date(at))
    return _commit_one(store, agency, by=by, at=at, reason=None)


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
    review = additions.new_review(
        _plan_with(store), partnership_id=partnership_id, reference=reference, kind=kind,
        title=title, subject=subject, became_aware_on=became_aware_on, notified_on=notified_on,
        rapid_review_sent_on=rapid_review_sent_on, decided_on=decided_on,
        published_on=published_on, today=local_date(at))
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
    plan = _plan_with(store, recommendation_ids=repeats, review_ids=[review_id])

    def build(used: Collection[str]) -> Recommendation:
        return additions.new_recommendation(
            plan, review_id=review_id, text=text, themes=themes, scope=scope, response=response,
            response_reason=response_reason, repeats=repeats, number=number,
            today=local_date(at), used=used)

    if number:
        return _commit_one(store, build(()), by=by, at=at, reason=None)
    return _commit_new(store, Recommendation, f"{review_id}/R", build, by=by, at=at)


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
    check_record(_plan_around(store, updated), updated, today=local_date(at))
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

    plan = _plan_with(store, recommendation_ids=recommendation_ids)

    def build(used: Collection[str]) -> Action:
        return additions.new_action(
            plan, recommendation_ids=recommendation_ids, lead_agency_id=lead_agency_id,
            title=title, target_date=target_date, lead_officer=lead_officer,
            deliverable=deliverable, success_measure=success_measure, status=status, id=id,
            today=local_date(at), used=used,
        )

    if id:
        return _commit_one(store, build(()), by=by, at=at, reason=None)
    partnerships = {plan.reviews[r.review_id].partnership_id
                    for r in plan.recommendations.values() if r.review_id in plan.reviews}
    prefix = f"{partnerships.pop()}/A" if len(partnerships) == 1 else ""
    return _commit_new(store, Action, prefix, build, by=by, at=at)


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
    """Move an action to ``status`` through the lifecycle's gates (:func:`lifecycle.move_to`).

    An agreed action asked to be completed passes through in progress. Asked
    for ``on_hold`` again, an action on hold takes the new reason or review
    date; asked for ``superseded`` again, a superseded action takes the
    corrected successor.
    """
    action = _current(store, Action, action_id, expected_version)
    if successor_id is not None:
        store.get(Action, successor_id)
    plan = _plan_with(store, children_of=[action_id])
    moved = lifecycle.move_to(
        action,
        status,
        evidence=plan.evidence_for(action_id),
        decisions=plan.decisions_for(action_id),
        measures=impact.readings(plan, action_id),
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
    plan = _plan_with(store, action_ids=[action_id])
    return _commit_new(store, ProgressUpdate, f"{action_id}/U", lambda used: (
        additions.new_progress_update(plan, action_id, text, on=on or local_date(at), by=by,
                                      used=used)), by=by, at=at)


def record_chase(
    store: Store, agency_id: str, action_ids: Sequence[str], *, sent_to: str,
    message_id: str, by: str, at: datetime,
) -> Chase:
    """Keep the reminder just sent to an agency's lead: to whom, listing which actions."""
    plan = _plan_with(store, action_ids=action_ids)
    return _commit_new(store, Chase, f"{agency_id}/C", lambda used: additions.new_chase(
        plan, agency_id=agency_id, action_ids=action_ids, sent_on=local_date(at), sent_by=by,
        sent_to=sent_to, message_id=message_id, used=used), by=by, at=at)


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
    plan = _plan_with(store, action_ids=[action_id])
    return _commit_new(store, Evidence, f"{action_id}/E", lambda used: additions.new_evidence(
        plan, action_id, tier=tier, kind=kind, title=title, about_date=about_date, link=link,
        today=local_date(at), by=by, used=used), by=by, at=at)


def add_measure(
    store: Store,
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
    by: str,
    at: datetime,
) -> Measure:
    """Say how an action's impact will be shown in figures: baseline, target, which way."""
    plan = _plan_with(store, action_ids=[action_id])
    return _commit_new(store, Measure, f"{action_id}/M", lambda used: additions.new_measure(
        plan, action_id, name=name, unit=unit, baseline=baseline, baseline_on=baseline_on,
        target=target, target_on=target_on, want=want, source=source, today=local_date(at),
        used=used), by=by, at=at)


def record_measurement(
    store: Store,
    measure_id: str,
    value: float,
    *,
    on: date | None = None,
    note: str | None = None,
    by: str,
    at: datetime,
) -> Measurement:
    """Record a measure's figure taken ``on`` (today by default); earlier ones are kept."""
    measure = store.get(Measure, measure_id)
    plan = Plan.from_records([measure, *store.find(Measurement, measure_id=measure_id)])
    return _commit_new(store, Measurement, f"{measure_id}/V", lambda used: (
        additions.new_measurement(plan, measure_id, value=value, on=on or local_date(at), by=by,
                                  note=note, today=local_date(at), used=used)), by=by, at=at)


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
    today = local_date(at)
    plan = _plan_with(store, children_of=[action_id])
    decision = additions.new_decision(
        plan, action_id, outcome=outcome, decided_by=decided_by, body=body, seen=seen,
        evidence_ids=evidence_ids, decided_on=decided_on or today, today=today,
        used=store.used_ids("assurance_decisions", f"{action_id}/D"))
    if action.status != ActionStatus.COMPLETED:
        raise RuleViolation(
            "decision.needs-completed-action",
            f"assurance decides on completed actions; this one is {action.status.value}",
            record_id=action_id,
        )
    target = (
        ActionStatus.ASSURED if outcome == AssuranceOutcome.ACCEPTED else ActionStatus.IN_PROGRESS
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

    plan = _plan_with(store, recommendation_ids=recommendation_ids)

    def build(used: Collection[str]) -> LearningActivity:
        return additions.new_learning_activity(
            plan, partnership_id=partnership_id, kind=kind, title=title, held_on=held_on,
            reach=reach, recommendation_ids=recommendation_ids, id=id, today=local_date(at),
            used=used)

    if id:
        return _commit_one(store, build(()), by=by, at=at, reason=None)
    return _commit_new(store, LearningActivity, f"{partnership_id}/L", build, by=by, at=at)


def _needs_reason(reason: str, record_id: str, what: str) -> str:
    if not reason or not reason.strip():
        raise RuleViolation(f"{what}.needs-reason", f"a {what} needs a reason, kept in the"
                            " history", record_id=record_id)
    return reason.strip()


def edit(
    store: Store,
    record_id: str,
    changes: Mapping[str, Any],
    *,
    kind: str | None = None,
    reason: str,
    expected_version: int | None = None,
    by: str,
    at: datetime,
) -> Record:
    """Correct fields of any record; one change, with ``reason``, in the history.

    ``changes`` maps field names to new values: the typed value (a ``date``,
    a list, an enumeration member, ``None`` to clear an optional field) or
    its text as typed on a command line (``"2027-01-31"``, ``"a, b"`` for a
    list, ``""`` to clear), read as the field's type by the one converter.
    Which fields each kind lets an edit change, and the rules an edited
    record keeps, are the domain's (:mod:`actiontrack.domain.edits`).
    ``kind`` says which kind of record when two share the id.
    """
    record = find_record(store, record_id, kind=kind)
    _check_version(record, expected_version)
    reason = _needs_reason(reason, record.id, "edit")
    edits.check_fields(kind_of(record), list(changes), record_id=record.id)
    typed = convert.field_values(type(record), changes)
    edited = attrs.evolve(record, **typed)  # the links it would have, to read what they name
    plan = Plan.from_records([*_plan_around(store, record).records(),
                              *_plan_around(store, edited).records()])
    edited = edits.edit_record(plan, record, typed, today=local_date(at))
    return _commit_one(store, edited, by=by, at=at, reason=reason)


def withdraw(
    store: Store,
    record_id: str,
    *,
    kind: str | None = None,
    reason: str,
    expected_version: int | None = None,
    by: str,
    at: datetime,
) -> Withdrawal:
    """Take a record added by mistake off the plan; history keeps it, with ``reason``.

    Returns what was withdrawn (``gone``: the record, and for an action its
    updates, evidence and decisions) and what moved back (``moved``: the
    action a withdrawn decision had assured, completed again, as stored).
    What may be withdrawn, and what keeps a record on the plan, is the
    domain's (:mod:`actiontrack.domain.withdrawals`).
    """
    record = find_record(store, record_id, kind=kind)
    _check_version(record, expected_version)
    reason = _needs_reason(reason, record.id, "withdrawal")
    planned = withdrawal(_plan_for_withdrawal(store, record), record)
    receipt = store.commit(
        [*(Delete(kind_of(item), item.id, item.version) for item in planned.gone),
         *(Put(item) for item in planned.moved)], by=by, at=at, reason=reason)
    return attrs.evolve(planned, moved=tuple(receipt.records))


def redact(
    store: Store,
    record_id: str,
    field: str,
    *,
    kind: str | None = None,
    reason: str,
    expected_version: int | None = None,
    by: str,
    at: datetime,
) -> Record:
    """Take every value ``field`` of a record has held out of the record and its history.

    The one sanctioned rewrite of history, for personal data typed by
    mistake: the record and each history entry that held one of the
    field's values get a marker saying who redacted it, when and why
    (:mod:`actiontrack.domain.redaction`); the redaction is itself in
    history, and the hash chain still checks. Returns the record as stored.
    """
    record = find_record(store, record_id, kind=kind)
    _check_version(record, expected_version)
    reason = _needs_reason(reason, record.id, "redaction")
    name = kind_of(record)
    check_redactable(name, field)
    receipt = store.commit(
        [Redact(name, record.id, record.version, field, marker(by=by, at=at, reason=reason))],
        by=by, at=at, reason=reason)
    (stored,) = receipt.records
    return stored


def settle_outside_edits(store: Store, *, accept: bool, reason: str, by: str,
                         at: datetime) -> Receipt:
    """Accept what was changed outside actiontrack into history, or revert the records.

    See :meth:`~actiontrack.store.protocol.Store.settle`. Accepting needs a
    reason, kept in history with ``by``; the receipt lists what it recorded.
    """
    if accept:
        reason = _needs_reason(reason, "", "acceptance")
    return store.settle(accept=accept, by=by, at=at, reason=reason)
