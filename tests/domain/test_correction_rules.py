"""The domain's rules for correcting the plan: status requests, edits and withdrawals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from actiontrack.domain.edits import EDITABLE, OWNED, check_fields, edit_record
from actiontrack.domain.lifecycle import move_to, revise_hold, unmet_gates
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Agency,
    AssuranceDecision,
    Evidence,
    EvidenceTier,
    Partnership,
    PartnershipKind,
    Recommendation,
    Review,
    ReviewKind,
)
from actiontrack.domain.plan import RECORD_KINDS, Plan
from actiontrack.domain.withdrawals import withdrawal
from actiontrack.errors import ConversionError, RuleViolation

S = ActionStatus
TODAY = date(2026, 11, 26)


def test_every_field_is_either_editable_or_owned_with_a_reason() -> None:
    """Each kind's fields (but its version) are editable or say how else they change."""
    import attrs

    for kind, cls in RECORD_KINDS.items():
        fields = {field.name for field in attrs.fields(cls)} - {"version"}
        assert set(EDITABLE[kind]) | set(OWNED[kind]) == fields, kind
        assert not set(EDITABLE[kind]) & set(OWNED[kind]), kind


def test_unknown_fields_are_bad_input_and_owned_ones_are_refused() -> None:
    """check_fields: a typo is a ConversionError; a lifecycle field names its command."""
    with pytest.raises(ConversionError, match="no field 'titel'"):
        check_fields("actions", ["titel"])
    with pytest.raises(RuleViolation, match="revise-target") as caught:
        check_fields("actions", ["target_date"])
    assert caught.value.rule == "edit.owned-field"


# -- move_to: what a person's status request means ----------------------------------------


def test_a_request_several_steps_on_passes_each_gate(
    make_action: Callable[..., Action], make_evidence: Callable[..., Evidence]
) -> None:
    """Agreed to completed goes through in progress; without evidence, completed's gate refuses."""
    agreed = make_action(status=S.AGREED)
    with pytest.raises(RuleViolation) as caught:
        move_to(agreed, S.COMPLETED)
    assert caught.value.rule == "gate.completed-needs-completion-evidence"
    assert move_to(agreed, S.COMPLETED, evidence=[make_evidence()]).status == S.COMPLETED


def test_a_move_the_lifecycle_cannot_make_names_the_allowed_moves(
    make_action: Callable[..., Action],
) -> None:
    """Agreed to assured is not reachable through agreed and in progress: lifecycle.transition."""
    with pytest.raises(RuleViolation) as caught:
        move_to(make_action(status=S.AGREED), S.ASSURED)
    assert caught.value.rule == "lifecycle.transition"


def test_on_hold_again_revises_the_hold_keeping_what_is_not_given(
    make_action: Callable[..., Action],
) -> None:
    """Asked for on_hold again, a held action takes the new review date and keeps its reason."""
    held = make_action(status=S.ON_HOLD, hold_reason="Awaiting the national review",
                       hold_review_date=date(2026, 6, 1))
    revised = move_to(held, S.ON_HOLD, hold_review_date=date(2026, 9, 1))
    assert (revised.hold_reason, revised.hold_review_date) == (
        "Awaiting the national review", date(2026, 9, 1))
    with pytest.raises(RuleViolation) as caught:
        move_to(held, S.ON_HOLD)
    assert caught.value.rule == "lifecycle.no-change"
    with pytest.raises(RuleViolation) as caught:
        revise_hold(held, reason="Still waiting", review_date=None)
    assert caught.value.rule == "gate.on-hold-needs-review-date"


def test_superseded_again_corrects_the_successor(make_action: Callable[..., Action]) -> None:
    """A superseded action takes a corrected successor; never itself."""
    replaced = make_action(status=S.SUPERSEDED, successor_id="WSCP/A009")
    assert move_to(replaced, S.SUPERSEDED, successor_id="WSCP/A010").successor_id == "WSCP/A010"
    with pytest.raises(RuleViolation, match="cannot supersede itself"):
        move_to(replaced, S.SUPERSEDED, successor_id=replaced.id)


@pytest.mark.parametrize(("details", "rule"), [
    ({"hold_reason": "Waiting"}, "lifecycle.hold-needs-on-hold"),
    ({"hold_review_date": date(2026, 6, 1)}, "lifecycle.hold-needs-on-hold"),
    ({"successor_id": "WSCP/A009"}, "lifecycle.successor-needs-superseded"),
])
def test_details_of_another_status_are_refused(
    make_action: Callable[..., Action], details: dict[str, object], rule: str
) -> None:
    """A hold reason with in_progress, or a successor with completed, is refused."""
    with pytest.raises(RuleViolation) as caught:
        move_to(make_action(status=S.AGREED), S.IN_PROGRESS, **details)  # type: ignore[arg-type]
    assert caught.value.rule == rule


# -- gates a status stands on ------------------------------------------------------------


def test_a_status_stands_on_the_gates_it_passed(
    make_action: Callable[..., Action], make_evidence: Callable[..., Evidence],
    make_decision: Callable[..., AssuranceDecision],
) -> None:
    """An embedded action needs completion and impact evidence and a decision by another."""
    embedded = make_action(status=S.EMBEDDED)
    proof = [make_evidence(), make_evidence(id="WSCP/A001/E2", tier=EvidenceTier.IMPACT)]
    assert unmet_gates(embedded, proof, [make_decision()]) == []
    assert [v.rule for v in unmet_gates(embedded, proof[1:], [make_decision()])] == [
        "gate.completed-needs-completion-evidence"]
    assert [v.rule for v in unmet_gates(embedded, proof, [])] == ["gate.assured-needs-decision"]
    assert unmet_gates(make_action(status=S.IN_PROGRESS), [], []) == []


# -- edits --------------------------------------------------------------------------------


def _plan() -> Plan:
    review = Review(id="WSCP/CSPR-ALEX", partnership_id="WSCP", reference="CSPR-ALEX",
                    kind=ReviewKind.LCSPR, title="Child Alex", became_aware_on=date(2026, 1, 5),
                    notified_on=date(2026, 1, 8))
    return Plan.from_records([
        Partnership(id="WSCP", name="West SCP", kind=PartnershipKind.CHILDREN),
        Agency(id="POL", name="West Police", aliases=("Police",)),
        Agency(id="CSC", name="Children's services"),
        review,
        Recommendation(id="WSCP/CSPR-ALEX/R1", review_id=review.id, number="1", text="Share"),
    ])


def test_themes_are_normalised_and_a_recommendation_cannot_repeat_itself() -> None:
    """Themes come out trimmed, lower case, sorted, once each; repeats must be another one."""
    plan = _plan()
    recommendation = plan.recommendations["WSCP/CSPR-ALEX/R1"]
    edited = edit_record(plan, recommendation, {"themes": [" Fathers", "fathers", "Escalation"]},
                         today=TODAY)
    assert isinstance(edited, Recommendation)
    assert edited.themes == ("escalation", "fathers")
    with pytest.raises(RuleViolation) as caught:
        edit_record(plan, recommendation, {"repeats": [recommendation.id]}, today=TODAY)
    assert caught.value.rule == "recommendation.repeats-itself"


def test_a_review_s_dates_keep_their_order() -> None:
    """Notification before awareness is refused; a date in its place is kept."""
    plan = _plan()
    review = plan.reviews["WSCP/CSPR-ALEX"]
    with pytest.raises(RuleViolation) as caught:
        edit_record(plan, review, {"notified_on": date(2026, 1, 4)}, today=TODAY)
    assert caught.value.rule == "review.dates-order"
    edited = edit_record(plan, review, {"rapid_review_sent_on": date(2026, 1, 27)}, today=TODAY)
    assert isinstance(edited, Review)
    assert edited.rapid_review_sent_on == date(2026, 1, 27)


def test_an_alias_must_say_which_agency_it_is() -> None:
    """An alias that names another agency is refused; the agency's own name is fine."""
    plan = _plan()
    with pytest.raises(RuleViolation) as caught:
        edit_record(plan, plan.agencies["CSC"], {"aliases": ["police"]}, today=TODAY)
    assert caught.value.rule == "agency.alias-taken"
    edited = edit_record(plan, plan.agencies["CSC"], {"aliases": ["CSC", " Council "]},
                         today=TODAY)
    assert isinstance(edited, Agency)
    assert edited.aliases == ("CSC", "Council")


# -- withdrawals ----------------------------------------------------------------------------


def test_a_recommendation_is_withdrawn_alone_unless_something_hangs_on_it() -> None:
    """A recommendation with no actions goes alone; one another repeats is refused."""
    plan = _plan()
    recommendation = plan.recommendations["WSCP/CSPR-ALEX/R1"]
    assert withdrawal(plan, recommendation).gone == (recommendation,)
    repeating = Recommendation(id="WSCP/CSPR-ALEX/R2", review_id="WSCP/CSPR-ALEX", number="2",
                               text="Share again", repeats=(recommendation.id,))
    linked = Plan.from_records([*plan.records(), repeating])
    with pytest.raises(RuleViolation) as caught:
        withdrawal(linked, recommendation)
    assert caught.value.rule == "withdraw.recommendation-linked"
