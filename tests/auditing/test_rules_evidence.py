"""The proof rules: closed without evidence, self-assured, no impact evidence.

These plans are stored record by record, as an import would store them: the
service gates would refuse most of these states, which is why they are audited.
"""

from __future__ import annotations

from datetime import date

import pytest
from audit_plans import (
    ACTION,
    LEAD_OFFICER,
    SUBGROUP_CHAIR,
    action,
    decision,
    evidence,
    found,
    plan_store,
    subjects,
)

from actiontrack.auditing import AuditConfig, Severity
from actiontrack.domain.models import ActionStatus, AssuranceOutcome, EvidenceTier

# -- closed-without-evidence ------------------------------------------------------


@pytest.mark.parametrize("status", [ActionStatus.COMPLETED, ActionStatus.ASSURED,
                                    ActionStatus.EMBEDDED])
def test_closed_without_any_evidence(status: ActionStatus) -> None:
    """A completed, assured or embedded action with no evidence at all is an error."""
    store = plan_store(action(status=status), decision())
    [finding] = found(store, "closed-without-evidence", date(2026, 2, 1))
    assert finding.subject == ACTION
    assert finding.severity == Severity.ERROR
    assert finding.message == f"is {status.value} but has no completion evidence"
    assert finding.facts == {"evidence": [], "status": status.value}


def test_impact_evidence_alone_does_not_close_an_action() -> None:
    """Impact-tier evidence is not proof the action was done: still flagged."""
    store = plan_store(action(status=ActionStatus.EMBEDDED), decision(),
                       evidence(tier=EvidenceTier.IMPACT))
    [finding] = found(store, "closed-without-evidence", date(2026, 2, 1))
    assert finding.facts["evidence"] == ["impact"]


def test_completion_evidence_satisfies_the_rule() -> None:
    """A completed action with completion evidence is fine."""
    store = plan_store(action(status=ActionStatus.COMPLETED), evidence())
    assert found(store, "closed-without-evidence", date(2026, 2, 1)) == []


def test_open_actions_need_no_evidence() -> None:
    """An action still in progress is not expected to have evidence yet."""
    assert found(plan_store(action()), "closed-without-evidence", date(2026, 2, 1)) == []


def test_evidence_from_before_a_reopen_does_not_count() -> None:
    """Reopened on 1 March and completed again with only the old proof: flagged."""
    store = plan_store(action(status=ActionStatus.COMPLETED, reopened_on=date(2026, 3, 1)),
                       evidence(recorded_on=date(2026, 1, 5)))
    assert subjects(found(store, "closed-without-evidence", date(2026, 4, 1))) == [ACTION]
    fresh = plan_store(action(status=ActionStatus.COMPLETED, reopened_on=date(2026, 3, 1)),
                       evidence(recorded_on=date(2026, 3, 1)))
    assert found(fresh, "closed-without-evidence", date(2026, 4, 1)) == []


# -- self-assured -----------------------------------------------------------------


def test_assured_only_by_the_lead_officer() -> None:
    """An assured action whose only accepting decision is by its own lead officer."""
    store = plan_store(action(status=ActionStatus.ASSURED), evidence(),
                       decision(decided_by=LEAD_OFFICER))
    [finding] = found(store, "self-assured", date(2026, 2, 1))
    assert finding.subject == ACTION
    assert finding.severity == Severity.ERROR
    assert finding.message == f"was assured only by its own lead officer ({LEAD_OFFICER})"
    assert finding.facts == {"decisions": [f"{ACTION}/D1"], "lead_officer": LEAD_OFFICER}


def test_self_assured_sees_through_case_and_spacing() -> None:
    """'  jane   SMITH ' is the same person as 'Jane Smith'."""
    store = plan_store(action(status=ActionStatus.EMBEDDED), evidence(),
                       decision(decided_by="  jane   SMITH "))
    assert subjects(found(store, "self-assured", date(2026, 2, 1))) == [ACTION]


def test_an_independent_acceptance_is_enough() -> None:
    """A decision by the subgroup chair, alone or beside the officer's own, is fine."""
    store = plan_store(action(status=ActionStatus.ASSURED), evidence(),
                       decision(decided_by=LEAD_OFFICER),
                       decision(id=f"{ACTION}/D2", decided_by=SUBGROUP_CHAIR))
    assert found(store, "self-assured", date(2026, 2, 1)) == []


def test_a_returned_decision_by_someone_else_does_not_count() -> None:
    """The chair returned it; only the lead officer accepted it: flagged."""
    store = plan_store(action(status=ActionStatus.ASSURED), evidence(),
                       decision(decided_by=SUBGROUP_CHAIR, outcome=AssuranceOutcome.RETURNED),
                       decision(id=f"{ACTION}/D2", decided_by=LEAD_OFFICER))
    [finding] = found(store, "self-assured", date(2026, 2, 1))
    assert finding.facts["decisions"] == [f"{ACTION}/D2"]


def test_assured_with_no_accepting_decision_is_flagged() -> None:
    """An assured action that no decision accepted (say, hand-edited) is flagged."""
    store = plan_store(action(status=ActionStatus.ASSURED), evidence())
    [finding] = found(store, "self-assured", date(2026, 2, 1))
    assert finding.message == "is assured with no decision accepting it"


def test_assured_with_no_lead_officer_is_flagged() -> None:
    """Without a lead officer nobody can see that someone else assured it."""
    store = plan_store(action(status=ActionStatus.ASSURED, lead_officer=None), evidence(),
                       decision(decided_by=SUBGROUP_CHAIR))
    [finding] = found(store, "self-assured", date(2026, 2, 1))
    assert "names no lead officer" in finding.message


def test_a_completed_action_is_not_yet_assured() -> None:
    """Completed (not assured): the officer's own acceptance is not self-assurance yet."""
    store = plan_store(action(status=ActionStatus.COMPLETED), evidence(),
                       decision(decided_by=LEAD_OFFICER))
    assert found(store, "self-assured", date(2026, 2, 1)) == []


def test_an_independent_decision_from_before_a_reopen_does_not_count() -> None:
    """Reopened on 1 March: the chair's earlier acceptance no longer covers the officer's own."""
    store = plan_store(
        action(status=ActionStatus.ASSURED, reopened_on=date(2026, 3, 1)),
        evidence(recorded_on=date(2026, 3, 2)),
        decision(decided_by=SUBGROUP_CHAIR, decided_on=date(2026, 1, 5)),
        decision(id=f"{ACTION}/D2", decided_by=LEAD_OFFICER, decided_on=date(2026, 3, 3)),
    )
    [finding] = found(store, "self-assured", date(2026, 4, 1))
    assert finding.facts["decisions"] == [f"{ACTION}/D2"]


# -- no-impact-evidence -----------------------------------------------------------


def test_no_impact_evidence_six_months_after_assurance() -> None:
    """Assured on 5 January 2026: warned from 6 July (the day after 5 July) without impact."""
    store = plan_store(action(status=ActionStatus.ASSURED), evidence(), decision())
    assert found(store, "no-impact-evidence", date(2026, 7, 5)) == []
    [finding] = found(store, "no-impact-evidence", date(2026, 7, 6))
    assert finding.severity == Severity.WARNING
    assert finding.facts == {"assured_on": "2026-01-05", "impact_evidence_due": "2026-07-05"}
    assert finding.message == ("assured on 5 January 2026 and still no impact evidence"
                               " nor a measure at its target 6 months on")


def test_impact_evidence_satisfies_the_rule() -> None:
    """Impact-tier evidence on an assured action: nothing to report."""
    store = plan_store(action(status=ActionStatus.ASSURED), evidence(), decision(),
                       evidence(id=f"{ACTION}/E2", tier=EvidenceTier.IMPACT))
    assert found(store, "no-impact-evidence", date(2026, 12, 1)) == []


def test_no_impact_counts_from_the_latest_acceptance() -> None:
    """Accepted again on 1 March: the six months run from then."""
    store = plan_store(action(status=ActionStatus.ASSURED), evidence(), decision(),
                       decision(id=f"{ACTION}/D2", decided_on=date(2026, 3, 1)))
    assert found(store, "no-impact-evidence", date(2026, 9, 1)) == []
    [finding] = found(store, "no-impact-evidence", date(2026, 9, 2))
    assert finding.facts["assured_on"] == "2026-03-01"


def test_no_impact_months_are_configurable() -> None:
    """impact_evidence_months = 3: warned from the day after 5 April."""
    store = plan_store(action(status=ActionStatus.ASSURED), evidence(), decision())
    config = AuditConfig(thresholds={"impact_evidence_months": 3})
    assert found(store, "no-impact-evidence", date(2026, 4, 5), config) == []
    assert subjects(found(store, "no-impact-evidence", date(2026, 4, 6), config)) == [ACTION]


@pytest.mark.parametrize("status", [ActionStatus.COMPLETED, ActionStatus.EMBEDDED])
def test_no_impact_only_for_assured_actions(status: ActionStatus) -> None:
    """Completed actions are not assured yet; embedded ones passed the impact gate."""
    store = plan_store(action(status=status), evidence(), decision())
    assert found(store, "no-impact-evidence", date(2026, 12, 1)) == []


def test_impact_evidence_from_before_a_reopen_does_not_count() -> None:
    """Reopened and assured again: the old impact evidence is what the audit found wanting."""
    store = plan_store(
        action(status=ActionStatus.ASSURED, reopened_on=date(2026, 3, 1)),
        evidence(recorded_on=date(2026, 3, 2)),
        evidence(id=f"{ACTION}/E2", tier=EvidenceTier.IMPACT, recorded_on=date(2026, 1, 5)),
        decision(decided_on=date(2026, 3, 3)),
    )
    assert subjects(found(store, "no-impact-evidence", date(2026, 9, 4))) == [ACTION]
