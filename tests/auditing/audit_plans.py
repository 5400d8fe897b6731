"""Small plans for the audit tests, stored record by record in a real store.

The records go in with ``store.commit([Put(...)])``, not through the service
layer, so a test can build the states the service gates forbid (an action
assured by its own lead officer, one closed with no evidence): those are the
states an audit is for, since plans also arrive from workbooks and imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import attrs

from actiontrack.auditing import AuditConfig, AuditResult, Finding, audit
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
from actiontrack.domain.plan import Record
from actiontrack.domain.rag import RagPolicy
from actiontrack.store import MemoryStore, Put, Store

PARTNERSHIP = "TEST-SCP"
AGENCY = "TEST-CC"
REVIEW = "TEST-SCP/NATIONAL"
RECOMMENDATION = "TEST-SCP/NATIONAL/R1"
ACTION = "TEST-SCP/A001"
LEAD_OFFICER = "Jane Smith"
SUBGROUP_CHAIR = "Chair, case review subgroup"
#: When the small plans are stored: Monday 5 January 2026, 10:00 in London (GMT).
STORED_AT = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
STORED_ON = date(2026, 1, 5)


def review(**changes: Any) -> Review:
    """A national report adopted locally: no statutory clock runs for it."""
    return Review(**{
        "id": REVIEW, "partnership_id": PARTNERSHIP, "reference": "NATIONAL",
        "kind": ReviewKind.NATIONAL_REPORT, "title": "National review (test)",
    } | changes)


def recommendation(**changes: Any) -> Recommendation:
    return Recommendation(**{
        "id": RECOMMENDATION, "review_id": REVIEW, "number": "R1",
        "text": "Engage fathers and male carers routinely.", "response": Response.ACCEPTED,
    } | changes)


def action(**changes: Any) -> Action:
    """A SMART action in progress, due on 31 March 2026 and never moved."""
    return Action(**{
        "id": ACTION, "partnership_id": PARTNERSHIP, "recommendation_ids": (RECOMMENDATION,),
        "lead_agency_id": AGENCY, "title": "Health visitors record fathers at every contact",
        "original_target_date": date(2026, 3, 31), "target_date": date(2026, 3, 31),
        "lead_officer": LEAD_OFFICER, "deliverable": "A recording template with the father",
        "success_measure": "Father recorded at 80% of contacts",
        "status": ActionStatus.IN_PROGRESS,
    } | changes)


def evidence(**changes: Any) -> Evidence:
    return Evidence(**{
        "id": f"{ACTION}/E1", "action_id": ACTION, "tier": EvidenceTier.COMPLETION,
        "kind": EvidenceKind.POLICY, "title": "Recording template v2 issued",
        "about_date": date(2026, 1, 2), "recorded_on": STORED_ON, "recorded_by": LEAD_OFFICER,
    } | changes)


def decision(**changes: Any) -> AssuranceDecision:
    return AssuranceDecision(**{
        "id": f"{ACTION}/D1", "action_id": ACTION, "outcome": AssuranceOutcome.ACCEPTED,
        "decided_on": STORED_ON, "decided_by": SUBGROUP_CHAIR, "body": "Case review subgroup",
        "seen": "The template and a sample of 10 records",
    } | changes)


def update(**changes: Any) -> ProgressUpdate:
    return ProgressUpdate(**{
        "id": f"{ACTION}/U1", "action_id": ACTION, "on": STORED_ON, "by": LEAD_OFFICER,
        "text": "Template drafted.",
    } | changes)


def measure(**changes: Any) -> Measure:
    """Fathers recorded at 40% of contacts on 1 December 2025; the aim 80% by 30 June 2026."""
    return Measure(**{
        "id": f"{ACTION}/M1", "action_id": ACTION, "name": "Contacts with the father recorded",
        "unit": "%", "baseline": 40.0, "baseline_on": date(2025, 12, 1), "target": 80.0,
        "target_on": date(2026, 6, 30), "want": Want.HIGHER,
    } | changes)


def measurement(number: int, on: date, value: float, **changes: Any) -> Measurement:
    return Measurement(**{
        "id": f"{ACTION}/M1/V{number}", "action_id": ACTION, "measure_id": f"{ACTION}/M1",
        "on": on, "value": value, "by": LEAD_OFFICER,
    } | changes)


def background() -> list[Record]:
    """A partnership, its agency, one review and one accepted recommendation."""
    return [
        Partnership(id=PARTNERSHIP, name="Test partnership", kind=PartnershipKind.CHILDREN),
        Agency(id=AGENCY, name="Test County Council"),
        review(),
        recommendation(),
    ]


def put_all(store: Store, records: Iterable[Record], *, at: datetime = STORED_AT) -> None:
    """Store new records (or new versions of stored ones) in one commit."""
    changes = []
    for record in records:
        try:
            stored = store.get(type(record), record.id)
        except LookupError:
            changes.append(Put(attrs.evolve(record, version=0)))
        else:
            changes.append(Put(attrs.evolve(record, version=stored.version)))
    store.commit(changes, by="Test business unit", at=at)


def plan_store(*records: Record, at: datetime = STORED_AT,
               with_background: bool = True) -> MemoryStore:
    """A memory store holding the background (unless replaced) and ``records``.

    A record with the id of a background record replaces it.
    """
    ids = {(type(record), record.id) for record in records}
    base = [r for r in background() if (type(r), r.id) not in ids] if with_background else []
    store = MemoryStore()
    put_all(store, [*base, *records], at=at)
    return store


def run_audit(store: Store, as_of: date, config: AuditConfig | None = None,
              rag: RagPolicy | None = None) -> AuditResult:
    """The audit without the rules of installed packages: only what the test registers."""
    return audit(store, as_of=as_of, config=config, rag=rag, entry_point_rules=False)


def found(store: Store, rule_id: str, as_of: date,
          config: AuditConfig | None = None, rag: RagPolicy | None = None) -> list[Finding]:
    """The findings of one rule."""
    return [f for f in run_audit(store, as_of, config, rag).findings if f.rule == rule_id]


def subjects(findings: Iterable[Finding]) -> list[str]:
    return [f.subject for f in findings]
