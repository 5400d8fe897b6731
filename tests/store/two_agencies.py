"""A small illustrative plan of two agencies, one action each, for the agency-scope tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from actiontrack import (
    Action,
    Agency,
    Partnership,
    PartnershipKind,
    ProgressUpdate,
    Recommendation,
    Review,
    ReviewKind,
)
from actiontrack.store import Put, Store

AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
POLICE, ICB = "DEMO-POL", "DEMO-ICB"


def action_of(action_id: str, agency: str, lead_officer: str | None = None) -> Action:
    return Action(id=action_id, partnership_id="P", recommendation_ids=("R1",),
                  lead_agency_id=agency, title=f"action of {agency}", lead_officer=lead_officer,
                  original_target_date=date(2027, 3, 31), target_date=date(2027, 3, 31))


def seed(store: Store, lead_officer: str | None = None) -> None:
    """Two agencies, one action each, an update of the ICB's."""
    store.commit([
        Put(Partnership(id="P", name="Demo partnership", kind=PartnershipKind.CHILDREN)),
        Put(Agency(id=POLICE, name="Demo police")),
        Put(Agency(id=ICB, name="Demo ICB")),
        Put(Review(id="RV", partnership_id="P", reference="CSPR-1", kind=ReviewKind.LCSPR,
                   title="Child Alex (illustrative)")),
        Put(Recommendation(id="R1", review_id="RV", number="1", text="Share information")),
        Put(action_of("A-POL", POLICE, lead_officer)),
        Put(action_of("A-ICB", ICB, lead_officer)),
        Put(ProgressUpdate(id="U-ICB", action_id="A-ICB", on=date(2026, 11, 1), by="ICB lead",
                           text="started")),
    ], by="business unit", at=AT)
