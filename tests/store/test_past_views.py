"""Views of the past rewound from the records now give exactly what replaying history gives.

A generated plan's real history (every kind of change, across years) is the
data; :func:`replay` from the start is the definition the rewound views
are held to, at moments asked in any order.
"""

from __future__ import annotations

import json
import random
from collections.abc import Generator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from actiontrack import convert
from actiontrack.domain.models import Recommendation
from actiontrack.errors import OutsideEditError, StoreCorruptError
from actiontrack.generate import Size, generate_plan
from actiontrack.store import MemoryStore, Put, TinyDBStore, tinydb
from actiontrack.store.core import (
    UNKNOWN_ORDER,
    PastView,
    first_out_of_order,
    plan_from_tables,
    replay,
    rewind,
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


class Backwards:
    """``backwards`` over a list of entries, counting what it gives and how often it starts."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries, self.given, self.walks = entries, 0, 0

    def __call__(self, before: int) -> Generator[Mapping[str, Any], None, None]:
        self.walks += 1
        for entry in reversed(self.entries):
            if entry["seq"] < before:
                self.given += 1
                yield entry


def test_history_generated_is_in_time_order(entries: list[dict[str, Any]]) -> None:
    assert len(entries) > 500
    assert first_out_of_order(entries) is None


STATE = ("store", 1)


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
    backwards = Backwards(entries)
    currents: list[int] = []
    for moment in moments:
        view = view_as_of(moment, state=STATE, last_seq=entries[-1]["seq"], ordered_before=None,
                          current=lambda: currents.append(1) or now,  # type: ignore[func-returns-value]
                          backwards=backwards, kept=kept)
        assert view is not None
        assert view.tables == replay(entries, moment), moment
        kept = view
    assert replay(entries) == now  # the records now were not changed by rewinding
    earliest = min(moments)
    after_earliest = sum(1 for entry in entries if datetime.fromisoformat(entry["at"]) > earliest)
    if order == "newest first":
        # One walk back from now: each entry after the earliest moment given once, plus
        # the one each walk stops at.
        assert len(currents) == 1
        assert backwards.given == after_earliest + len(moments)
    else:
        assert len(currents) > 1


def test_a_view_kept_of_another_state_is_not_used(entries: list[dict[str, Any]]) -> None:
    moment = moments_of(entries, 1, seed=9)[0]
    for stale in [("store", 0), ("another store", 1)]:
        kept = PastView(state=stale, as_of=moment + timedelta(days=1), first_undone=1, tables={})
        view = view_as_of(moment, state=STATE, last_seq=entries[-1]["seq"], ordered_before=None,
                          current=lambda: replay(entries), backwards=Backwards(entries),
                          kept=kept)
        assert view is not None
        assert view.tables == replay(entries, moment)


def test_history_out_of_order_before_the_view_is_replayed(entries: list[dict[str, Any]]) -> None:
    """Where an earlier entry is dated after the moment asked, rewinding cannot be trusted."""
    moment = datetime.fromisoformat(entries[-50]["at"])
    set_back = {**entries[-60], "at": entries[0]["at"]}
    out_of_order = first_out_of_order([*entries[:-60], set_back, *entries[-59:]])
    assert out_of_order == entries[-60]["seq"]
    for ordered_before in (out_of_order, UNKNOWN_ORDER):
        view = view_as_of(moment, state=STATE, last_seq=entries[-1]["seq"],
                          ordered_before=ordered_before, current=lambda: replay(entries),
                          backwards=Backwards(entries), kept=None)
        assert view is None
    # Out of order only after the entries undone: the view is still exact.
    view = view_as_of(moment, state=STATE, last_seq=entries[-1]["seq"],
                      ordered_before=entries[-20]["seq"], current=lambda: replay(entries),
                      backwards=Backwards(entries), kept=None)
    assert view is not None
    assert view.tables == replay(entries, moment)


def test_an_entry_that_does_not_match_the_records_stops_the_rewind(
    entries: list[dict[str, Any]],
) -> None:
    """Records changed outside the history (or a forged entry) are not rewound: replay instead."""
    updates = [i for i, entry in enumerate(entries) if entry["change"] == "update"]
    forged = [dict(entry) for entry in entries]
    late = updates[-5]
    forged[late]["new"] = "not what the record holds"
    while entries[late - 1]["commit"] == entries[late]["commit"]:
        late -= 1  # a moment never falls inside a commit: start at its first entry
    moment = datetime.fromisoformat(entries[late]["at"]) - timedelta(seconds=1)
    view = view_as_of(moment, state=STATE, last_seq=entries[-1]["seq"], ordered_before=None,
                      current=lambda: replay(entries), backwards=Backwards(forged), kept=None)
    assert view is None
    assert rewind(replay(entries), reversed(entries[late:])) == replay(entries[:late])


def json_meta(path: Path) -> dict[str, Any]:
    return json.loads(path.read_bytes())["_meta"]["store"]  # type: ignore[no-any-return]


def test_stores_keep_whether_their_history_is_in_order(tmp_path: Path) -> None:
    """A commit dated before the latest (the way out of a fast clock) marks the store's history."""
    now = datetime.now(UTC).replace(microsecond=0)
    fast = MemoryStore(clock=lambda: now + timedelta(days=30))
    first = fast.commit([Put(Recommendation(id="R1", review_id="V1", number="1", text="a"))],
                        by=BY, at=now - timedelta(days=2)).records[0]
    fast.commit([Put(attrs.evolve(first, text="fast"))], by=BY, at=now + timedelta(days=10))
    path = tmp_path / "plan.json"
    store = TinyDBStore(path, create=True)
    store.restore(fast.snapshot(), fast.history())
    assert json_meta(path)["ordered_before"] is None
    moments = [now - timedelta(days=3), now - timedelta(days=1), now + timedelta(days=5)]
    before = [store.snapshot(as_of=moment) for moment in moments]
    assert before[2].recommendations["R1"].text == "a"  # the fast clock's change is not yet
    current = store.get(Recommendation, "R1")
    receipt = store.commit([Put(attrs.evolve(current, text="right"))], by=BY, at=now)
    assert json_meta(path)["ordered_before"] == receipt.entries[0].seq
    # Now dated before the fast clock's change: a view between the two must replay.
    history = [convert.unstructure(entry) for entry in store.history()]
    for view in (store, TinyDBStore(path)):
        for moment in [*moments, now + timedelta(minutes=1)]:
            assert view.snapshot(as_of=moment) == plan_from_tables(replay(history, moment))
    later = store.commit([Put(attrs.evolve(receipt.records[0], text="later"))], by=BY,
                         at=datetime.now(UTC))
    assert json_meta(path)["ordered_before"] == receipt.entries[0].seq  # it stays
    assert later.changed


def test_the_file_store_reads_its_history_backwards_across_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With blocks smaller than a line, every view of the past still equals the replay."""
    plan, history = generate_plan(Size(partnerships=1, actions=30), seed=5)
    path = tmp_path / "plan.json"
    store = TinyDBStore(path, create=True)
    store.restore(plan, history)
    plain = [convert.unstructure(entry) for entry in history]
    moments = sorted(moments_of(plain, 25, seed=2), reverse=True)
    for block in (7, 100, 4096):
        monkeypatch.setattr(tinydb, "_BLOCK", block)
        view = TinyDBStore(path)
        for moment in moments:
            assert view.snapshot(as_of=moment) == plan_from_tables(replay(plain, moment)), block


def test_a_commit_does_not_vouch_for_records_changed_by_hand(tmp_path: Path) -> None:
    """A plan.json edited outside actiontrack takes no commit, and stays under the full check."""
    path = tmp_path / "plan.json"
    store = TinyDBStore(path, create=True)
    for number in ("1", "2"):
        store.commit([Put(Recommendation(id=f"R{number}", review_id="V1", number=number,
                                         text="a"))], by=BY, at=datetime.now(UTC))
    data = json.loads(path.read_bytes())
    data["recommendations"]["R1"]["text"] = 12345
    path.write_text(json.dumps(data))
    edited = TinyDBStore(path)
    with pytest.raises(OutsideEditError, match="R1"):
        edited.commit([Put(attrs.evolve(edited.get(Recommendation, "R2"), text="b"))], by=BY,
                      at=datetime.now(UTC))
    with pytest.raises(StoreCorruptError, match="R1"):
        TinyDBStore(path).snapshot()
