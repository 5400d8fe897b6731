"""The demo loader and the seeded generator."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

import actiontrack as at
from actiontrack.demo import DEMO_PARTNERSHIP, build_demo, load_demo
from actiontrack.generate import Size, generate_plan
from actiontrack.store import Put
from actiontrack.store.core import plan_from_tables, replay

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_demo_is_idempotent() -> None:
    """Loading the demo twice adds its records once."""
    store = at.MemoryStore()
    first = load_demo(store, now=NOW)
    second = load_demo(store, now=NOW)
    assert first.added == len(first.plan) > 40
    assert second.added == 0
    assert store.snapshot() == first.plan


def test_demo_refuses_a_store_with_a_plan_of_its_own() -> None:
    """Made-up records never mix with a real plan: a store in use is refused, unchanged."""
    store = at.MemoryStore()
    at.add_agency(store, id="OTHER", name="Another agency", by="me", at=NOW)
    before = store.history()
    with pytest.raises(at.RuleViolation) as caught:
        load_demo(store, now=NOW)
    assert caught.value.rule == "demo.store-in-use"
    assert store.history() == before


def test_demo_completes_a_store_that_holds_part_of_it() -> None:
    """A store holding only some demo records gets the rest in one commit."""
    full, _ = build_demo(NOW.date())
    store = at.MemoryStore()
    store.commit([Put(attrs.evolve(full.partnerships[DEMO_PARTNERSHIP], version=0))],
                 by="me", at=NOW)
    result = load_demo(store, now=NOW)
    assert result.added == len(full) - 1
    assert {kind: set(result.plan.of_kind(kind)) for kind in at.RECORD_KINDS} == {
        kind: set(full.of_kind(kind)) for kind in at.RECORD_KINDS}
    assert len({entry.commit for entry in store.history()}) == 2


def test_demo_history_runs_forward_in_time() -> None:
    """The demo's history is in date order, so as_of any day is what the plan said then."""
    _, history = build_demo(NOW.date())
    moments = [entry.at for entry in history]
    assert moments == sorted(moments)


def test_demo_shows_a_live_mix_of_rag() -> None:
    """The demo, dated from today, has overdue, due-soon, on-track and complete actions."""
    plan, _ = build_demo(NOW.date())
    colours = {at.rag(action, NOW.date()) for action in plan.actions.values()}
    assert colours == {at.Rag.RED, at.Rag.AMBER, at.Rag.GREEN, at.Rag.BLUE}


def test_demo_history_rebuilds_the_demo_plan() -> None:
    """The demo's history replays to exactly the demo plan."""
    plan, history = build_demo(NOW.date())
    assert plan_from_tables(replay(at.unstructure(history))) == plan


def test_generator_is_seeded_and_replayable() -> None:
    """The same size and seed give the same plan; its history replays to it."""
    size = Size(partnerships=2, actions=200)
    plan, history = generate_plan(size, seed=7)
    again, history_again = generate_plan(size, seed=7)
    other, _ = generate_plan(size, seed=8)
    assert (plan, history) == (again, history_again)
    assert plan != other
    assert len(plan.actions) == 200
    assert 8 <= len(history) / len(plan.actions) <= 12
    assert plan_from_tables(replay(at.unstructure(history))) == plan


def test_generated_plan_fills_a_store() -> None:
    """A generated plan restores into a store and reads back the same."""
    plan, history = generate_plan(Size(partnerships=1, actions=50))
    store = at.MemoryStore()
    store.restore(plan, history)
    assert store.snapshot() == plan
    assert store.snapshot(as_of=NOW) == plan
