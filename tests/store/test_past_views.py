"""Views of the past rewound from the records now give exactly what replaying history gives.

A generated plan's real history (every kind of change, across years) is the
data; :func:`replay` from the start is the definition the rewound views
are held to, at moments asked in any order.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from actiontrack import convert
from actiontrack.domain.models import Recommendation
from actiontrack.generate import Size, generate_plan
from actiontrack.store import MemoryStore, Put, TinyDBStore
from actiontrack.store.core import (
    UNKNOWN_ORDER,
    PastView,
    first_out_of_order,
    replay,
    view_as_of,
)

BY = "tester"


@pytest.fixture(scope="module")
def entries() -> list[dict[str, Any]]:
    _, history = generate_plan(Size(partnerships=1, actions=120), seed=3)
    return [convert.unstructure(entry) for entry in history]


def moments_of(entries: list[dict[str, Any]], count: int, seed: int) -> list[datetime]:
    """Moments inside the history's span: at entries, just before them and between."""
    chooser = random.Random(seed)
    picked = chooser.sample(entries, count)
    return [datetime.fromisoformat(entry["at"]) - timedelta(seconds=chooser.choice([0, 1]))
            for entry in picked]


def backwards(entries: list[dict[str, Any]]) -> Any:
    def read(before: int) -> Iterator[Mapping[str, Any]]:
        return (entry for entry in reversed(entries) if entry["seq"] < before)
    return read


def test_history_generated_is_in_time_order(entries: list[dict[str, Any]]) -> None:
    assert len(entries) > 500
    assert first_out_of_order(entries) is None


@pytest.mark.parametrize("order", ["newest first", "random", "oldest first"])
def test_rewound_views_equal_replayed_views(entries: list[dict[str, Any]], order: str) -> None:
    """Each view, rewound from the records now or from the view kept, equals the replay."""
    now = replay(entries)
    moments = moments_of(entries, 40, seed=len(order))
    if order == "newest first":
        moments.sort(reverse=True)
    elif order == "oldest first":
        moments.sort()
    kept: PastView | None = None
    started_from_kept = 0
    for moment in moments:
        view = view_as_of(moment, commit=1, last_seq=entries[-1]["seq"], ordered_before=None,
                          current=lambda: now, backwards=backwards(entries), kept=kept)
        assert view is not None
        assert view.tables == replay(entries, moment), moment
        started_from_kept += kept is not None and moment <= kept.as_of
        kept = view
    assert replay(entries) == now  # the records now were not changed by rewinding
    if order == "newest first":
        assert started_from_kept == len(moments) - 1


def test_a_view_kept_at_another_commit_is_not_used(entries: list[dict[str, Any]]) -> None:
    moment = moments_of(entries, 1, seed=9)[0]
    stale = PastView(commit=0, as_of=moment + timedelta(days=1), first_undone=1, tables={})
    view = view_as_of(moment, commit=1, last_seq=entries[-1]["seq"], ordered_before=None,
                      current=lambda: replay(entries), backwards=backwards(entries), kept=stale)
    assert view is not None
    assert view.tables == replay(entries, moment)


def test_history_out_of_order_before_the_view_is_replayed(entries: list[dict[str, Any]]) -> None:
    """Where an earlier entry is dated after the moment asked, rewinding cannot be trusted."""
    moment = datetime.fromisoformat(entries[-50]["at"])
    set_back = {**entries[-60], "at": entries[0]["at"]}
    out_of_order = first_out_of_order([*entries[:-60], set_back, *entries[-59:]])
    assert out_of_order == entries[-60]["seq"]
    for ordered_before in (out_of_order, UNKNOWN_ORDER):
        view = view_as_of(moment, commit=1, last_seq=entries[-1]["seq"],
                          ordered_before=ordered_before, current=lambda: replay(entries),
                          backwards=backwards(entries), kept=None)
        assert view is None
    # Out of order only after the entries undone: the view is still exact.
    view = view_as_of(moment, commit=1, last_seq=entries[-1]["seq"],
                      ordered_before=entries[-20]["seq"], current=lambda: replay(entries),
                      backwards=backwards(entries), kept=None)
    assert view is not None
    assert view.tables == replay(entries, moment)


def test_stores_keep_whether_their_history_is_in_order(tmp_path: Path) -> None:
    """A commit dated before the latest (the way out of a fast clock) marks the store's history."""
    now = datetime.now(UTC).replace(microsecond=0)
    fast = MemoryStore(clock=lambda: now + timedelta(days=30))
    first = fast.commit([Put(Recommendation(id="R1", review_id="V1", number="1", text="a"))],
                        by=BY, at=now - timedelta(days=2)).records[0]
    fast.commit([Put(attrs.evolve(first, text="fast"))], by=BY, at=now + timedelta(days=10))
    store = TinyDBStore(tmp_path / "plan.json", create=True)
    store.restore(fast.snapshot(), fast.history())
    assert store._meta["ordered_before"] is None
    before = [store.snapshot(as_of=now - timedelta(days=d)) for d in (3, 1)]
    current = store.get(Recommendation, "R1")
    receipt = store.commit([Put(attrs.evolve(current, text="right"))], by=BY, at=now)
    assert store._meta["ordered_before"] == receipt.entries[0].seq
    assert [store.snapshot(as_of=now - timedelta(days=d)) for d in (3, 1)] == before
    later = store.commit([Put(attrs.evolve(receipt.records[0], text="later"))], by=BY,
                         at=datetime.now(UTC))
    assert store._meta["ordered_before"] == receipt.entries[0].seq  # it stays
    assert later.changed
