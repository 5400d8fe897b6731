"""Factories for the domain tests: small valid records that a test changes only where it matters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest

from actiontrack.domain.models import (
    Action,
    ActionStatus,
    AssuranceDecision,
    AssuranceOutcome,
    Evidence,
    EvidenceKind,
    EvidenceTier,
)

ACTION_ID = "WSCP/A001"
LEAD_OFFICER = "Jane Smith"


@pytest.fixture
def make_action() -> Callable[..., Action]:
    """Build an action (in progress, lead officer Jane Smith, due 31 March 2026)."""

    def make(**changes: Any) -> Action:
        action = Action(
            id=ACTION_ID,
            partnership_id="WSCP",
            recommendation_ids=("WSCP/CSPR-ALEX/R3",),
            lead_agency_id="county-council",
            title="Pre-birth assessment pathway names fathers and male carers",
            original_target_date=date(2026, 3, 31),
            target_date=date(2026, 3, 31),
            lead_officer=LEAD_OFFICER,
            status=ActionStatus.IN_PROGRESS,
            version=4,
        )
        return attrs.evolve(action, **changes)

    return make


@pytest.fixture
def make_evidence() -> Callable[..., Evidence]:
    """Build an evidence item for the standard action (completion tier unless told)."""

    def make(**changes: Any) -> Evidence:
        item = Evidence(
            id=f"{ACTION_ID}/E1",
            action_id=ACTION_ID,
            tier=EvidenceTier.COMPLETION,
            kind=EvidenceKind.POLICY,
            title="Revised pre-birth protocol",
            about_date=date(2026, 2, 1),
            recorded_on=date(2026, 2, 3),
            recorded_by="Business unit",
        )
        return attrs.evolve(item, **changes)

    return make


@pytest.fixture
def make_decision() -> Callable[..., AssuranceDecision]:
    """Build an accepted assurance decision for the standard action, by someone else."""

    def make(**changes: Any) -> AssuranceDecision:
        decision = AssuranceDecision(
            id=f"{ACTION_ID}/D1",
            action_id=ACTION_ID,
            outcome=AssuranceOutcome.ACCEPTED,
            decided_on=date(2026, 4, 10),
            decided_by="Independent Scrutineer",
            body="Case review subgroup",
            seen="Protocol, training register, audit of 20 pre-birth assessments",
        )
        return attrs.evolve(decision, **changes)

    return make
