"""Who is chased, for what: each reason, the policy, a hold, and the reminders left unanswered."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from actiontrack.domain import additions
from actiontrack.domain.chasing import (
    ChasePolicy,
    ChaseReason,
    chase_list,
    chased_already,
    unanswered_chases,
)
from actiontrack.domain.checks import check_record
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Agency,
    Chase,
    Evidence,
    EvidenceKind,
    EvidenceTier,
    ProgressUpdate,
)
from actiontrack.domain.plan import Plan
from actiontrack.errors import ConfigError, NotFoundError, RuleViolation

TODAY = date(2026, 12, 1)
ADDED = {"A1": date(2026, 1, 10)}


def _action(**changes: object) -> Action:
    action = Action(id="A1", partnership_id="P", recommendation_ids=("R1",), lead_agency_id="POL",
                    title="Strategy discussions audited", original_target_date=date(2027, 6, 1),
                    target_date=date(2027, 6, 1), status=ActionStatus.IN_PROGRESS)
    return attrs.evolve(action, **changes)  # type: ignore[arg-type]


def _update(on: date, number: int = 1) -> ProgressUpdate:
    return ProgressUpdate(id=f"A1/U{number}", action_id="A1", on=on, by="DI Jones", text="Begun")


def _plan(action: Action, *records: object) -> Plan:
    agencies = [Agency(id="POL", name="Police", email="pp@police.example.org"),
                Agency(id="CC", name="Council")]
    return Plan.from_records([*agencies, action, *records])  # type: ignore[list-item]


def _reasons(plan: Plan, policy: ChasePolicy | None = None) -> list[ChaseReason]:
    chases = chase_list(plan, today=TODAY, policy=policy or ChasePolicy(), created_on=ADDED)
    return [reason for chase in chases for item in chase.items for reason in item.reasons]


@pytest.mark.parametrize(("action", "updates", "expected"), [
    # due in 28 days (the default window) and updated last week: due soon only
    (_action(target_date=date(2026, 12, 29)), [_update(date(2026, 11, 24))],
     [ChaseReason.DUE_SOON]),
    # due in 29 days: nothing
    (_action(target_date=date(2026, 12, 30)), [_update(date(2026, 11, 24))], []),
    # due today: still due soon, not overdue
    (_action(target_date=TODAY), [_update(date(2026, 11, 24))], [ChaseReason.DUE_SOON]),
    # past its date, updated 61 days ago: overdue and no recent update
    (_action(target_date=date(2026, 11, 30)), [_update(date(2026, 10, 1))],
     [ChaseReason.OVERDUE, ChaseReason.NO_RECENT_UPDATE]),
    # updated exactly 60 days ago: not yet stale
    (_action(), [_update(date(2026, 10, 2))], []),
    # never updated: counted from the day it was added
    (_action(), [], [ChaseReason.NO_RECENT_UPDATE]),
    # an update dated after the day asked about does not count
    (_action(), [_update(date(2026, 10, 1)), _update(date(2026, 12, 2), 2)],
     [ChaseReason.NO_RECENT_UPDATE]),
    # on hold: only its review date is chased, even when overdue and silent
    (_action(status=ActionStatus.ON_HOLD, hold_reason="Awaiting the inspection",
             hold_review_date=date(2026, 11, 1), target_date=date(2026, 1, 1)), [],
     [ChaseReason.HOLD_REVIEW_PASSED]),
    (_action(status=ActionStatus.ON_HOLD, hold_reason="Awaiting the inspection",
             hold_review_date=TODAY), [], []),
    # completed without completion evidence
    (_action(status=ActionStatus.COMPLETED), [], [ChaseReason.NO_COMPLETION_EVIDENCE]),
    # assured, superseded: nothing asked
    (_action(status=ActionStatus.ASSURED), [], []),
    (_action(status=ActionStatus.SUPERSEDED, successor_id="A2"), [], []),
])
def test_each_reason_is_listed_when_it_applies(
    action: Action, updates: list[ProgressUpdate], expected: list[ChaseReason]
) -> None:
    assert _reasons(_plan(action, *updates)) == expected


def test_completion_evidence_counts_only_since_a_reopen() -> None:
    evidence = Evidence(id="A1/E1", action_id="A1", tier=EvidenceTier.COMPLETION,
                        kind=EvidenceKind.POLICY, title="Policy", about_date=date(2026, 3, 1),
                        recorded_on=date(2026, 3, 1), recorded_by="DI Jones")
    done = _action(status=ActionStatus.COMPLETED)
    assert _reasons(_plan(done, evidence)) == []
    reopened = _action(status=ActionStatus.COMPLETED, reopened_on=date(2026, 6, 1))
    assert _reasons(_plan(reopened, evidence)) == [ChaseReason.NO_COMPLETION_EVIDENCE]


def test_the_policy_sets_the_windows_and_the_reasons_chased() -> None:
    plan = _plan(_action(target_date=date(2026, 12, 20)), _update(date(2026, 11, 1)))
    assert _reasons(plan, ChasePolicy(due_within_days=7, no_update_days=20)) == [
        ChaseReason.NO_RECENT_UPDATE]
    assert _reasons(plan, ChasePolicy(no_update_days=20, reasons=[ChaseReason.DUE_SOON])) == [
        ChaseReason.DUE_SOON]


@pytest.mark.parametrize("changes", [{"due_within_days": -1}, {"no_update_days": True},
                                     {"reasons": []}])
def test_a_policy_that_makes_no_sense_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ChasePolicy(**changes)  # type: ignore[arg-type]


def test_agencies_come_one_each_with_only_their_own_actions() -> None:
    council = _action(id="A2", lead_agency_id="CC", status=ActionStatus.COMPLETED)
    plan = _plan(_action(target_date=date(2026, 11, 1)), council)
    chases = chase_list(plan, today=TODAY, policy=ChasePolicy(), created_on=ADDED)
    assert [(c.agency.id, c.action_ids) for c in chases] == [("CC", ("A2",)), ("POL", ("A1",))]
    only = chase_list(plan, today=TODAY, policy=ChasePolicy(), created_on=ADDED, agency_id="CC")
    assert [c.agency.id for c in only] == ["CC"]


def _chase(number: int, sent_on: date, action_ids: tuple[str, ...] = ("A1",)) -> Chase:
    return Chase(id=f"POL/C{number}", agency_id="POL", sent_on=sent_on, sent_by="BU",
                 sent_to="pp@police.example.org", action_ids=action_ids,
                 message_id=f"<{number}@example.org>", version=1)


def test_a_day_s_chase_covers_only_what_it_listed() -> None:
    plan = _plan(_action(), _action(id="A3"), _chase(1, TODAY))
    assert chased_already(plan, "POL", TODAY, ["A1"])
    assert not chased_already(plan, "POL", TODAY, ["A1", "A3"])  # a new action to chase
    assert not chased_already(plan, "POL", date(2026, 12, 2), ["A1"])  # another day
    assert not chased_already(plan, "CC", TODAY, ["A1"])


def test_unanswered_chases_are_those_since_the_latest_update() -> None:
    chases = [_chase(1, date(2026, 9, 1)), _chase(2, date(2026, 10, 1)),
              _chase(3, date(2026, 11, 1)), _chase(4, date(2026, 12, 5))]
    plan = _plan(_action(), _update(date(2026, 9, 15)), *chases)
    assert [c.id for c in unanswered_chases(plan, plan.actions["A1"], TODAY)] == [
        "POL/C2", "POL/C3"]  # C1 was answered; C4 is after the day asked about
    answered = _plan(_action(), _update(date(2026, 11, 1)), *chases)
    assert unanswered_chases(answered, answered.actions["A1"], TODAY) == []  # same day counts


def test_a_chase_record_lists_only_its_agency_s_actions_and_takes_the_next_id() -> None:
    council = _action(id="A2", lead_agency_id="CC")
    plan = _plan(_action(), council, _chase(1, date(2026, 11, 1)))
    chase = additions.new_chase(plan, agency_id="POL", action_ids=["A1"], sent_on=TODAY,
                                sent_by="BU", sent_to="pp@police.example.org",
                                message_id="<x@example.org>", used=["POL/C2"])
    assert chase.id == "POL/C3"
    with pytest.raises(RuleViolation, match=r"chase\.own-actions"):
        additions.new_chase(plan, agency_id="POL", action_ids=["A1", "A2"], sent_on=TODAY,
                            sent_by="BU", sent_to="pp@police.example.org", message_id="<y@x>")
    with pytest.raises(NotFoundError):
        additions.new_chase(plan, agency_id="POL", action_ids=["A9"], sent_on=TODAY,
                            sent_by="BU", sent_to="pp@police.example.org", message_id="<y@x>")
    with pytest.raises(RuleViolation, match=r"chase\.future-date"):
        check_record(plan, attrs.evolve(chase, sent_on=date(2026, 12, 2)), today=TODAY)
