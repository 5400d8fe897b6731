"""The hash chain over history: every change to history shows, a redaction does not break it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actiontrack.domain.chain import (
    GENESIS,
    check_chain,
    entry_hash,
    link,
    redaction,
    redaction_digests,
    relink,
    value_digest,
)
from actiontrack.domain.replay import replay

AT = "2026-11-02T09:00:00+00:00"


def entry(seq: int, change: str = "update", *, record_id: str = "U1", field: str | None = "text",
          old: Any = "a", new: Any = "b", version: int = 2) -> dict[str, Any]:
    return {"seq": seq, "commit": seq, "at": AT, "by": "Ann", "reason": None,
            "kind": "progress_updates", "record_id": record_id, "version": version,
            "change": change, "field": field, "old": old, "new": new}


def history() -> list[dict[str, Any]]:
    created = {"id": "U1", "action_id": "A1", "on": "2026-11-02", "by": "Ann",
               "text": "Met Jo Bloggs", "version": 1}
    entries = [
        entry(1, "create", field=None, old=None, new=created, version=1),
        entry(2, old="Met Jo Bloggs", new="Met Jo Bloggs at school", version=2),
        entry(3, field="by", old="Ann", new="Ann Lee", version=3),
        entry(4, old="Met Jo Bloggs at school", new="Met the school", version=4),
    ]
    link(entries, GENESIS)
    return entries


def test_each_entry_is_linked_to_the_one_before() -> None:
    """An entry's hash covers its content and the hash before it; the head is the last."""
    entries = history()
    assert entries[0]["hash"] == entry_hash(entries[0], GENESIS)
    assert entries[1]["hash"] == entry_hash(entries[1], entries[0]["hash"])
    assert check_chain(entries, entries[-1]["hash"], {}) == []


def test_linking_keeps_a_hash_an_entry_has() -> None:
    """A copied entry keeps the hash it was written with; only entries without one get one."""
    entries = history()
    kept = copy.deepcopy(entries)
    kept[2]["by"] = "Someone else"  # changed, but its hash is kept as written
    head = link(kept, GENESIS)
    assert head == entries[-1]["hash"]
    assert [b.seq for b in check_chain(kept, head, {})] == [3]


@pytest.mark.parametrize("field", ["seq", "commit", "at", "by", "reason", "kind", "record_id",
                                   "version", "change", "field", "old", "new"])
def test_a_change_to_any_field_of_an_entry_breaks_the_chain_there(field: str) -> None:
    """Whatever part of an entry changes, the check names that entry (and only it)."""
    entries = history()
    changed = copy.deepcopy(entries)
    changed[1][field] = {"seq": 99, "commit": 99, "at": "2026-11-03T09:00:00+00:00",
                         "version": 7}.get(field, "changed")
    breaks = check_chain(changed, entries[-1]["hash"], {})
    assert [b.what for b in breaks if b.seq in (2, 99)][-1].startswith("changed since it was")
    assert min(b.seq for b in breaks) >= 2  # nothing before it; a moved seq upsets those after


def test_removed_reordered_inserted_and_cut_entries_are_named() -> None:
    entries = history()
    head = entries[-1]["hash"]
    removed = [entries[0], entries[2], entries[3]]
    assert next((b.seq, b.what) for b in check_chain(removed, head, {})) == (
        3, "entry 2 is missing before it")
    reordered = [entries[0], entries[2], entries[1], entries[3]]
    assert {b.seq for b in check_chain(reordered, head, {})} >= {2, 3}
    inserted = [entries[0], entries[1], entries[1], entries[2], entries[3]]
    assert any("out of place" in b.what for b in check_chain(inserted, head, {}))
    cut = entries[:-1]
    [only] = check_chain(cut, head, {})
    assert only.seq == 3
    assert "head does not match" in only.what


def test_a_redaction_keeps_the_chain_checking_and_a_hand_marker_does_not() -> None:
    """Redacted values keep their digests in the redaction; a marker alone is a change."""
    entries = history()
    head = entries[-1]["hash"]
    replaced, removed = redaction(entries, "text", "[redacted]", redaction_digests(entries))
    assert sorted(replaced) == [1, 2, 4]
    assert replaced[1] == {"new": {**entries[0]["new"], "text": "[redacted]"}}
    assert replaced[2] == {"old": "[redacted]", "new": "[redacted]"}
    redacted = [e | replaced.get(e["seq"], {}) for e in entries]
    # Without the redaction's entry, the markers are changes like any other.
    assert {b.seq for b in check_chain(redacted, head, {})} == {1, 2, 4}
    note = entry(5, "redact", old={"removed": removed}, new="[redacted]", version=5)
    new_head = link([note], head)
    whole = [*redacted, note]
    assert check_chain(whole, new_head, redaction_digests(whole)) == []
    assert replay(whole)["progress_updates"]["U1"]["text"] == "[redacted]"
    # A value changed again after its redaction shows.
    whole[1] = whole[1] | {"old": "[something else]"}
    [broken] = check_chain(whole, new_head, redaction_digests(whole))
    assert broken.seq == 2
    assert "redacted old value was changed" in broken.what


def test_a_second_redaction_keeps_the_first_digest() -> None:
    """Redacting again (another marker) still accounts for the value first written."""
    entries = history()
    first_replaced, first_removed = redaction(entries, "text", "[one]", {})
    entries = [e | first_replaced.get(e["seq"], {}) for e in entries]
    entries.append(entry(5, "redact", old={"removed": first_removed}, new="[one]", version=5))
    link(entries[-1:], entries[-2]["hash"])
    replaced, removed = redaction(entries, "text", "[two]", redaction_digests(entries))
    was = {(r["seq"], r["side"]): r["was"] for r in removed}
    assert was[2, "old"] == value_digest("Met Jo Bloggs")
    entries = [e | replaced.get(e["seq"], {}) for e in entries]
    entries.append(entry(6, "redact", old={"removed": removed}, new="[two]", version=6))
    head = link(entries[-1:], entries[-2]["hash"])
    assert check_chain(entries, head, redaction_digests(entries)) == []


def test_relinking_makes_history_as_it_stands_check() -> None:
    """What accepting an outside change does to the chain: it checks again from there on."""
    entries = history()
    entries[1]["by"] = "Someone else"
    head = relink(entries)
    assert check_chain(entries, head, redaction_digests(entries)) == []


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0, max_value=3),
       value=st.one_of(st.text(max_size=5), st.integers(), st.none()))
def test_any_single_change_is_found(position: int, value: Any) -> None:
    """Changing one field of one entry to anything else is always found."""
    entries = history()
    head = entries[-1]["hash"]
    target = entries[position]
    field = ["by", "reason", "old", "new"][position]
    if target[field] == value:
        return
    target[field] = value
    assert check_chain(entries, head, {}) != []
