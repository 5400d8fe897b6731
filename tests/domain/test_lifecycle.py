"""The life of an action: allowed moves, the gates on them, and target revisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest

from actiontrack.domain.lifecycle import (
    ALLOWED_TRANSITIONS,
    COMPLETE_STATUSES,
    OPEN_STATUSES,
    change_status,
    revise_target,
)
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    AssuranceDecision,
    AssuranceOutcome,
    Evidence,
    EvidenceTier,
    TargetRevision,
)
from actiontrack.errors import ActiontrackError, RuleViolation

S = ActionStatus
OTHER_ACTION_ID = "WSCP/A002"

ALLOWED = sorted(
    ((source, target) for source, targets in ALLOWED_TRANSITIONS.items() for target in targets),
    key=lambda pair: (pair[0].value, pair[1].value),
)
FORBIDDEN = sorted(
    (
        (source, target)
        for source in ActionStatus
        for target in ActionStatus
        if target != source and target not in ALLOWED_TRANSITIONS[source]
    ),
    key=lambda pair: (pair[0].value, pair[1].value),
)


def _pair_id(pair: tuple[ActionStatus, ActionStatus]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


@pytest.fixture
def every_gate_satisfied(
    make_evidence: Callable[..., Evidence], make_decision: Callable[..., AssuranceDecision]
) -> dict[str, Any]:
    """Keyword arguments that satisfy every gate, so only the transition table decides."""
    return {
        "evidence": [
            make_evidence(id="E-completion", tier=EvidenceTier.COMPLETION),
            make_evidence(id="E-impact", tier=EvidenceTier.IMPACT),
        ],
        "decisions": [make_decision()],
        "hold_reason": "Waiting for the national Panel's thematic review",
        "hold_review_date": date(2026, 6, 1),
        "successor_id": OTHER_ACTION_ID,
        "on": date(2026, 5, 1),  # the day of the change: reopening needs it
        "reason": "An audit found the change had not stuck",  # and so does reopening
    }


def _rule_of(excinfo: pytest.ExceptionInfo[RuleViolation]) -> str:
    return excinfo.value.rule


# The transition table


def test_table_names_every_status() -> None:
    """The transition table has a row for every status, and superseded is final."""
    assert set(ALLOWED_TRANSITIONS) == set(ActionStatus)
    assert ALLOWED_TRANSITIONS[S.SUPERSEDED] == frozenset()


def test_table_has_both_allowed_and_forbidden_moves() -> None:
    """The parametrised lists below cover every ordered pair of distinct statuses."""
    n = len(ActionStatus)
    assert len(ALLOWED) + len(FORBIDDEN) == n * (n - 1)
    assert ALLOWED
    assert FORBIDDEN


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[_pair_id(p) for p in ALLOWED])
def test_allowed_transition_moves_the_action(
    make_action: Callable[..., Action],
    every_gate_satisfied: dict[str, Any],
    source: ActionStatus,
    target: ActionStatus,
) -> None:
    """Every move in ALLOWED_TRANSITIONS succeeds once its gate is satisfied."""
    action = make_action(status=source)
    moved = change_status(action, target, **every_gate_satisfied)
    assert moved.status == target
    assert moved.id == action.id


@pytest.mark.parametrize(("source", "target"), FORBIDDEN, ids=[_pair_id(p) for p in FORBIDDEN])
def test_forbidden_transition_is_refused(
    make_action: Callable[..., Action],
    every_gate_satisfied: dict[str, Any],
    source: ActionStatus,
    target: ActionStatus,
) -> None:
    """Every move not in ALLOWED_TRANSITIONS raises lifecycle.transition, gates or not."""
    action = make_action(status=source)
    with pytest.raises(RuleViolation) as excinfo:
        change_status(action, target, **every_gate_satisfied)
    assert _rule_of(excinfo) == "lifecycle.transition"
    assert excinfo.value.record_id == action.id
    assert source.value in excinfo.value.message
    assert target.value in excinfo.value.message


@pytest.mark.parametrize("status", list(ActionStatus), ids=lambda s: s.value)
def test_moving_to_the_same_status_is_refused(
    make_action: Callable[..., Action], every_gate_satisfied: dict[str, Any], status: ActionStatus
) -> None:
    """Moving an action to the status it already has raises lifecycle.no-change."""
    with pytest.raises(RuleViolation) as excinfo:
        change_status(make_action(status=status), status, **every_gate_satisfied)
    assert _rule_of(excinfo) == "lifecycle.no-change"


def test_superseded_message_says_it_is_final(make_action: Callable[..., Action]) -> None:
    """A refused move out of superseded says that the status is final."""
    with pytest.raises(RuleViolation, match="final"):
        change_status(make_action(status=S.SUPERSEDED), S.IN_PROGRESS)


def test_rule_violation_is_a_value_error_and_an_actiontrack_error(
    make_action: Callable[..., Action],
) -> None:
    """A refused move can be caught as ValueError or ActiontrackError, and names its rule."""
    with pytest.raises(ValueError) as excinfo:
        change_status(make_action(status=S.PROPOSED), S.EMBEDDED)
    assert isinstance(excinfo.value, ActiontrackError)
    assert "[lifecycle.transition]" in str(excinfo.value)
    assert "WSCP/A001" in str(excinfo.value)


# Gate: completed


@pytest.mark.parametrize("source", [S.IN_PROGRESS, S.REOPENED], ids=lambda s: s.value)
def test_completed_with_completion_evidence(
    make_action: Callable[..., Action], make_evidence: Callable[..., Evidence], source: ActionStatus
) -> None:
    """An action with completion-tier evidence can be completed."""
    moved = change_status(make_action(status=source), S.COMPLETED, evidence=[make_evidence()])
    assert moved.status == S.COMPLETED


@pytest.mark.parametrize("source", [S.IN_PROGRESS, S.REOPENED], ids=lambda s: s.value)
def test_completed_without_evidence_is_refused(
    make_action: Callable[..., Action], source: ActionStatus
) -> None:
    """Completing an action with no evidence raises gate.completed-needs-completion-evidence."""
    with pytest.raises(RuleViolation) as excinfo:
        change_status(make_action(status=source), S.COMPLETED)
    assert _rule_of(excinfo) == "gate.completed-needs-completion-evidence"


def test_completed_with_only_impact_evidence_is_refused(
    make_action: Callable[..., Action], make_evidence: Callable[..., Evidence]
) -> None:
    """Impact-tier evidence alone does not let an action be completed."""
    with pytest.raises(RuleViolation) as excinfo:
        change_status(
            make_action(), S.COMPLETED, evidence=[make_evidence(tier=EvidenceTier.IMPACT)]
        )
    assert _rule_of(excinfo) == "gate.completed-needs-completion-evidence"


def test_completed_with_evidence_for_another_action_is_refused(
    make_action: Callable[..., Action], make_evidence: Callable[..., Evidence]
) -> None:
    """Completion evidence recorded against another action does not count."""
    with pytest.raises(RuleViolation) as excinfo:
        change_status(
            make_action(), S.COMPLETED, evidence=[make_evidence(action_id=OTHER_ACTION_ID)]
        )
    assert _rule_of(excinfo) == "gate.completed-needs-completion-evidence"


def test_completed_accepts_evidence_as_a_generator(
    make_action: Callable[..., Action], make_evidence: Callable[..., Evidence]
) -> None:
    """The evidence may be any iterable, such as a generator read once."""
    items = [make_evidence(tier=EvidenceTier.IMPACT), make_evidence(id="E2")]
    moved = change_status(make_action(), S.COMPLETED, evidence=(item for item in items))
    assert moved.status == S.COMPLETED


# Gate: assured


def test_assured_with_accepted_decision_by_someone_else(
    make_action: Callable[..., Action], make_decision: Callable[..., AssuranceDecision]
) -> None:
    """An accepted assurance decision by someone other than the lead officer assures."""
    moved = change_status(make_action(status=S.COMPLETED), S.ASSURED, decisions=[make_decision()])
    assert moved.status == S.ASSURED


def test_assured_without_decision_is_refused(make_action: Callable[..., Action]) -> None:
    """Assuring an action with no decision raises gate.assured-needs-decision."""
    with pytest.raises(RuleViolation) as excinfo:
        change_status(make_action(status=S.COMPLETED), S.ASSURED)
    assert _rule_of(excinfo) == "gate.assured-needs-decision"


def test_assured_with_only_a_returned_decision_is_refused(
    make_action: Callable[..., Action], make_decision: Callable[..., AssuranceDecision]
) -> None:
    """A decision that returned the action does not let it be assured."""
    returned = make_decision(outcome=AssuranceOutcome.RETURNED)
    with pytest.raises(RuleViolation) as excinfo:
        change_status(make_action(status=S.COMPLETED), S.ASSURED, decisions=[returned])
    assert _rule_of(excinfo) == "gate.assured-needs-decision"


def test_assured_with_a_decision_for_another_action_is_refused(
    make_action: Callable[..., Action], make_decision: Callable[..., AssuranceDecision]
) -> None:
    """An accepted decision about another action does not count."""
    elsewhere = make_decision(action_id=OTHER_ACTION_ID)
    with pytest.raises(RuleViolation) as excinfo:
        change_status(make_action(status=S.COMPLETED), S.ASSURED, decisions=[elsewhere])
    assert _rule_of(excinfo) == "gate.assured-needs-decision"


@pytest.mark.parametrize(
    "decided_by",
    ["Jane Smith", "jane smith", "JANE SMITH", "  Jane   Smith ", "Jane\tSmith"],
)
def test_assured_by_the_lead_officer_is_refused(
    make_action: Callable[..., Action],
    make_decision: Callable[..., AssuranceDecision],
    decided_by: str,
) -> None:
    """The lead officer cannot assure their own action, whatever the case or spacing."""
    own = make_decision(decided_by=decided_by)
    action = make_action(status=S.COMPLETED, lead_officer="Jane Smith")
    with pytest.raises(RuleViolation) as excinfo:
        change_status(action, S.ASSURED, decisions=[own])
    assert _rule_of(excinfo) == "gate.assured-by-someone-else"


def test_assured_by_lead_and_by_someone_else_passes(
    make_action: Callable[..., Action], make_decision: Callable[..., AssuranceDecision]
) -> None:
    """One accepted decision by someone other than the lead officer is enough."""
    decisions = [make_decision(id="D1", decided_by="Jane Smith"), make_decision(id="D2")]
    moved = change_status(make_action(status=S.COMPLETED), S.ASSURED, decisions=decisions)
    assert moved.status == S.ASSURED


def test_assured_when_the_other_person_only_returned_it_is_refused(
    make_action: Callable[..., Action], make_decision: Callable[..., AssuranceDecision]
) -> None:
    """A lead's own acceptance plus someone else's return is not independent assurance."""
    decisions = [
        make_decision(id="D1", decided_by="Jane Smith"),
        make_decision(id="D2", outcome=AssuranceOutcome.RETURNED),
    ]
    with pytest.raises(RuleViolation) as excinfo:
        change_status(make_action(status=S.COMPLETED), S.ASSURED, decisions=decisions)
    assert _rule_of(excinfo) == "gate.assured-by-someone-else"


@pytest.mark.parametrize("lead_officer", [None, "", "   "])
def test_assured_needs_a_named_lead_officer(
    make_action: Callable[..., Action],
    make_decision: Callable[..., AssuranceDecision],
    lead_officer: str | None,
) -> None:
    """Without a named lead officer nobody can be seen to be someone else: assured is refused."""
    action = make_action(status=S.COMPLETED, lead_officer=lead_officer)
    with pytest.raises(RuleViolation) as excinfo:
        change_status(action, S.ASSURED, decisions=[make_decision(decided_by="Jane Smith")])
    assert _rule_of(excinfo) == "gate.assured-needs-lead-officer"


def test_a_decision_with_a_blank_name_does_not_assure(
    make_action: Callable[..., Action], make_decision: Callable[..., AssuranceDecision]
) -> None:
    """An accepted decision by nobody in particular (a blank name) does not pass the gate."""
    action = make_action(status=S.COMPLETED)
    with pytest.raises(RuleViolation) as excinfo:
        change_status(action, S.ASSURED, decisions=[make_decision(decided_by="  ")])
    assert _rule_of(excinfo) == "gate.assured-needs-decision"


# Gate: embedded


def test_embedded_with_impact_evidence(
    make_action: Callable[..., Action], make_evidence: Callable[..., Evidence]
) -> None:
    """An assured action with impact-tier evidence can be embedded."""
    impact = make_evidence(tier=EvidenceTier.IMPACT)
    moved = change_status(make_action(status=S.ASSURED), S.EMBEDDED, evidence=[impact])
    assert moved.status == S.EMBEDDED


@pytest.mark.parametrize(
    "evidence_changes",
    [
        None,
        {"tier": EvidenceTier.COMPLETION},
        {"tier": EvidenceTier.IMPACT, "action_id": OTHER_ACTION_ID},
    ],
    ids=["no-evidence", "completion-only", "impact-for-another-action"],
)
def test_embedded_without_own_impact_evidence_is_refused(
    make_action: Callable[..., Action],
    make_evidence: Callable[..., Evidence],
    evidence_changes: dict[str, Any] | None,
) -> None:
    """Embedding needs impact evidence for this action: gate.embedded-needs-impact-evidence."""
    evidence = [] if evidence_changes is None else [make_evidence(**evidence_changes)]
    with pytest.raises(RuleViolation) as excinfo:
        change_status(make_action(status=S.ASSURED), S.EMBEDDED, evidence=evidence)
    assert _rule_of(excinfo) == "gate.embedded-needs-impact-evidence"


# Gate: on hold


def test_on_hold_records_reason_and_review_date(make_action: Callable[..., Action]) -> None:
    """Putting an action on hold keeps the (trimmed) reason and the review date."""
    moved = change_status(
        make_action(status=S.AGREED),
        S.ON_HOLD,
        hold_reason="  Awaiting the national review  ",
        hold_review_date=date(2026, 6, 1),
    )
    assert moved.status == S.ON_HOLD
    assert moved.hold_reason == "Awaiting the national review"
    assert moved.hold_review_date == date(2026, 6, 1)


@pytest.mark.parametrize("reason", [None, "", "   "], ids=["none", "empty", "blank"])
def test_on_hold_without_reason_is_refused(
    make_action: Callable[..., Action], reason: str | None
) -> None:
    """Putting an action on hold with no reason raises gate.on-hold-needs-reason."""
    with pytest.raises(RuleViolation) as excinfo:
        change_status(
            make_action(), S.ON_HOLD, hold_reason=reason, hold_review_date=date(2026, 6, 1)
        )
    assert _rule_of(excinfo) == "gate.on-hold-needs-reason"


def test_on_hold_without_review_date_is_refused(make_action: Callable[..., Action]) -> None:
    """Putting an action on hold with no review date raises gate.on-hold-needs-review-date."""
    with pytest.raises(RuleViolation) as excinfo:
        change_status(make_action(), S.ON_HOLD, hold_reason="Awaiting the national review")
    assert _rule_of(excinfo) == "gate.on-hold-needs-review-date"


@pytest.mark.parametrize("target", sorted(ALLOWED_TRANSITIONS[S.ON_HOLD]), ids=lambda s: s.value)
def test_leaving_on_hold_clears_the_hold(
    make_action: Callable[..., Action], target: ActionStatus
) -> None:
    """Any move out of on hold clears the hold reason and review date."""
    held = make_action(
        status=S.ON_HOLD, hold_reason="Awaiting the Panel", hold_review_date=date(2026, 6, 1)
    )
    moved = change_status(held, target, successor_id=OTHER_ACTION_ID)
    assert moved.status == target
    assert moved.hold_reason is None
    assert moved.hold_review_date is None


# Gate: superseded


def test_superseded_records_the_successor(make_action: Callable[..., Action]) -> None:
    """A superseded action names the action that replaces it."""
    moved = change_status(make_action(), S.SUPERSEDED, successor_id=OTHER_ACTION_ID)
    assert moved.status == S.SUPERSEDED
    assert moved.successor_id == OTHER_ACTION_ID


@pytest.mark.parametrize("successor_id", [None, "", "  "], ids=["none", "empty", "blank"])
def test_superseded_without_successor_is_refused(
    make_action: Callable[..., Action], successor_id: str | None
) -> None:
    """Superseding with no successor raises gate.superseded-needs-successor."""
    with pytest.raises(RuleViolation) as excinfo:
        change_status(make_action(), S.SUPERSEDED, successor_id=successor_id)
    assert _rule_of(excinfo) == "gate.superseded-needs-successor"


def test_superseded_by_itself_is_refused(make_action: Callable[..., Action]) -> None:
    """An action cannot be its own successor."""
    action = make_action()
    with pytest.raises(RuleViolation) as excinfo:
        change_status(action, S.SUPERSEDED, successor_id=action.id)
    assert _rule_of(excinfo) == "gate.superseded-needs-successor"


# Purity


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[_pair_id(p) for p in ALLOWED])
def test_change_status_is_pure(
    make_action: Callable[..., Action],
    every_gate_satisfied: dict[str, Any],
    source: ActionStatus,
    target: ActionStatus,
) -> None:
    """change_status returns a new record, leaves the input as it was, keeps the version."""
    action = make_action(status=source)
    before = attrs.asdict(action, recurse=False)
    moved = change_status(action, target, **every_gate_satisfied)
    assert moved is not action
    assert attrs.asdict(action, recurse=False) == before
    assert moved.version == action.version == 4


def test_refused_change_leaves_the_input_unchanged(make_action: Callable[..., Action]) -> None:
    """A refused move leaves the record exactly as it was."""
    action = make_action()
    before = attrs.asdict(action, recurse=False)
    with pytest.raises(RuleViolation):
        change_status(action, S.COMPLETED)
    assert attrs.asdict(action, recurse=False) == before


# Target revisions


def test_revise_target_keeps_original_and_records_revision(
    make_action: Callable[..., Action],
) -> None:
    """Moving the target keeps the original date and appends the revision with its reason."""
    action = make_action()
    revised = revise_target(
        action,
        date(2026, 6, 30),
        reason="  Training venue cancelled  ",
        by="Business unit",
        on=date(2026, 3, 10),
    )
    assert revised.target_date == date(2026, 6, 30)
    assert revised.original_target_date == date(2026, 3, 31)
    assert revised.target_revisions == (
        TargetRevision(
            from_date=date(2026, 3, 31),
            to_date=date(2026, 6, 30),
            reason="Training venue cancelled",
            by="Business unit",
            on=date(2026, 3, 10),
        ),
    )


def test_second_revision_is_appended_after_the_first(make_action: Callable[..., Action]) -> None:
    """Each revision is appended in order, chaining from the previous target."""
    first = revise_target(
        make_action(), date(2026, 6, 30), reason="Venue", by="BU", on=date(2026, 3, 10)
    )
    second = revise_target(first, date(2026, 9, 30), reason="Staff", by="BU", on=date(2026, 6, 1))
    assert second.original_target_date == date(2026, 3, 31)
    assert [(r.from_date, r.to_date, r.reason) for r in second.target_revisions] == [
        (date(2026, 3, 31), date(2026, 6, 30), "Venue"),
        (date(2026, 6, 30), date(2026, 9, 30), "Staff"),
    ]


def test_revise_target_may_bring_the_date_forward(make_action: Callable[..., Action]) -> None:
    """A target can move earlier too; the original date still stays."""
    revised = revise_target(
        make_action(), date(2026, 2, 28), reason="Done early", by="BU", on=date(2026, 2, 1)
    )
    assert revised.target_date == date(2026, 2, 28)
    assert revised.original_target_date == date(2026, 3, 31)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"], ids=["empty", "spaces", "whitespace"])
def test_revise_target_without_reason_is_refused(
    make_action: Callable[..., Action], reason: str
) -> None:
    """Moving a target date with no reason raises target.revision-needs-reason."""
    with pytest.raises(RuleViolation) as excinfo:
        revise_target(make_action(), date(2026, 6, 30), reason=reason, by="BU", on=date(2026, 3, 1))
    assert _rule_of(excinfo) == "target.revision-needs-reason"


def test_revise_target_to_the_same_date_is_refused(make_action: Callable[..., Action]) -> None:
    """Moving a target to the date it already has raises target.no-change."""
    action = make_action()
    with pytest.raises(RuleViolation) as excinfo:
        revise_target(action, action.target_date, reason="Why not", by="BU", on=date(2026, 3, 1))
    assert _rule_of(excinfo) == "target.no-change"


@pytest.mark.parametrize(
    "status", sorted([*COMPLETE_STATUSES, S.SUPERSEDED]), ids=lambda s: s.value
)
def test_revise_target_of_a_closed_action_is_refused(
    make_action: Callable[..., Action], status: ActionStatus
) -> None:
    """A completed, assured, embedded or superseded action has no target to move."""
    with pytest.raises(RuleViolation) as excinfo:
        revise_target(
            make_action(status=status),
            date(2026, 6, 30),
            reason="Late",
            by="BU",
            on=date(2026, 3, 1),
        )
    assert _rule_of(excinfo) == "target.closed-action"


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES), ids=lambda s: s.value)
def test_revise_target_of_an_open_action(
    make_action: Callable[..., Action], status: ActionStatus
) -> None:
    """Every open status, on hold included, can have its target moved."""
    revised = revise_target(
        make_action(status=status), date(2026, 6, 30), reason="Late", by="BU", on=date(2026, 3, 1)
    )
    assert revised.target_date == date(2026, 6, 30)
    assert revised.status == status


def test_revise_target_is_pure(make_action: Callable[..., Action]) -> None:
    """revise_target leaves the input record unchanged and keeps the version."""
    action = make_action()
    before = attrs.asdict(action, recurse=False)
    revised = revise_target(action, date(2026, 6, 30), reason="Late", by="BU", on=date(2026, 3, 1))
    assert attrs.asdict(action, recurse=False) == before
    assert action.target_revisions == ()
    assert revised.version == action.version == 4


def test_reopening_needs_the_day_and_a_reason_and_records_the_day(
    make_action: Callable[..., Action],
) -> None:
    """Reopening needs the day and a reason; the day is kept on the action."""
    assured = make_action(status=ActionStatus.ASSURED)
    with pytest.raises(RuleViolation) as excinfo:
        change_status(assured, ActionStatus.REOPENED, reason="Audit")
    assert _rule_of(excinfo) == "gate.reopened-needs-date"
    with pytest.raises(RuleViolation) as excinfo:
        change_status(assured, ActionStatus.REOPENED, on=date(2026, 9, 1), reason=" ")
    assert _rule_of(excinfo) == "gate.reopened-needs-reason"
    reopened = change_status(assured, ActionStatus.REOPENED, on=date(2026, 9, 1),
                             reason="Audit")
    assert reopened.reopened_on == date(2026, 9, 1)


def test_after_a_reopen_old_proof_no_longer_counts(
    make_action: Callable[..., Action],
    make_evidence: Callable[..., Evidence],
    make_decision: Callable[..., AssuranceDecision],
) -> None:
    """Evidence and decisions older than the reopen do not pass the gates again; new ones do."""
    reopened = change_status(
        make_action(status=ActionStatus.EMBEDDED), ActionStatus.REOPENED, on=date(2026, 9, 1),
        reason="The re-audit found fathers missing again",
    )
    old_evidence = make_evidence(tier=EvidenceTier.COMPLETION, recorded_on=date(2026, 2, 3))
    with pytest.raises(RuleViolation) as excinfo:
        change_status(reopened, ActionStatus.COMPLETED, evidence=[old_evidence])
    assert _rule_of(excinfo) == "gate.completed-needs-completion-evidence"
    assert "since it was reopened" in str(excinfo.value)
    fresh = make_evidence(tier=EvidenceTier.COMPLETION, recorded_on=date(2026, 9, 1))
    completed = change_status(reopened, ActionStatus.COMPLETED, evidence=[old_evidence, fresh])
    old_decision = make_decision(decided_on=date(2026, 4, 10))
    with pytest.raises(RuleViolation) as excinfo:
        change_status(completed, ActionStatus.ASSURED, decisions=[old_decision])
    assert _rule_of(excinfo) == "gate.assured-needs-decision"
    new_decision = make_decision(decided_on=date(2026, 10, 1))
    assured = change_status(completed, ActionStatus.ASSURED, decisions=[new_decision])
    assert assured.status == ActionStatus.ASSURED
