"""The trusted builders make the same records the strict converter makes.

They set each slot of a record directly rather than calling its class, so
the test compares what the two ways make, field for field, for every record
kind: equal, with the same hash and the same text, and frozen all the same.
"""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from actiontrack import convert
from actiontrack.demo import build_demo
from actiontrack.domain.models import Action, ActionStatus, Chase, TargetRevision
from actiontrack.domain.plan import RECORD_KINDS, Plan
from actiontrack.store.trusted import builder


@pytest.fixture(scope="module")
def plan() -> Plan:
    """The demo, and a chase (the one kind the demo has none of)."""
    demo = build_demo(date(2026, 12, 6))[0]
    action = next(iter(demo.actions.values()))
    chase = Chase(id="CH1", agency_id=action.lead_agency_id, sent_on=date(2026, 12, 6),
                  sent_by="Business unit", sent_to="lead@example.org",
                  action_ids=(action.id,), message_id="<1@example.org>", version=1)
    tables = {kind: dict(demo.of_kind(kind)) for kind in RECORD_KINDS}
    return Plan(**(tables | {"chases": {chase.id: chase}}))


def test_the_demo_has_every_kind(plan: Plan) -> None:
    assert [kind for kind in RECORD_KINDS if not plan.of_kind(kind)] == []


@pytest.mark.parametrize("kind", list(RECORD_KINDS))
def test_a_trusted_record_is_the_one_the_converter_makes(plan: Plan, kind: str) -> None:
    make = builder(kind)
    for record in plan.of_kind(kind).values():
        plain = convert.unstructure(record)
        built = make(plain)
        strict = convert.structure(plain, RECORD_KINDS[kind])
        assert type(built) is type(strict) is RECORD_KINDS[kind]
        assert built == strict == record
        assert hash(built) == hash(strict)
        assert repr(built) == repr(strict)


def test_every_field_is_set_including_nested_records() -> None:
    """An action with every optional field given, and two target revisions."""
    moved = TargetRevision(from_date=date(2026, 1, 31), to_date=date(2026, 3, 31),
                           reason="waiting for the audit", by="Lead", on=date(2026, 1, 20))
    action = Action(
        id="A1", partnership_id="P", recommendation_ids=("R1", "R2"), lead_agency_id="AG",
        title="Audit", original_target_date=date(2026, 1, 31), target_date=date(2026, 4, 30),
        lead_officer="Lead", deliverable="An audit", success_measure="Fewer repeats",
        status=ActionStatus.ON_HOLD, target_revisions=(moved, attrs.evolve(
            moved, from_date=date(2026, 3, 31), to_date=date(2026, 4, 30))),
        hold_reason="staff", hold_review_date=date(2026, 5, 1), successor_id="A2",
        reopened_on=date(2026, 1, 2), reference="2.1a", version=7,
    )
    built = builder("actions")(convert.unstructure(action))
    assert built == action
    assert attrs.asdict(built, recurse=False) == attrs.asdict(action, recurse=False)
    assert all(type(item) is TargetRevision for item in built.target_revisions)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.title = "changed"  # type: ignore[misc]
