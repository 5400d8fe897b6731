"""The record stays trustworthy: changes outside actiontrack are found, held and settled.

Every test runs the real ``actiontrack`` command on a real JSON store holding
the demo, changes its files the way a person with a text editor would, and
checks what ``verify``, a change, ``accept-edits``, ``revert-edits`` and
``redact`` do. A refusal is checked against the bytes of the store's files.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_corrections import digest as files
from test_corrections import run, shown

from actiontrack.cli import cli
from actiontrack.domain.chain import check_chain, redaction_digests
from actiontrack.store import TinyDBStore, open_store
from actiontrack.verify import verify_store

LATER = "2026-11-27T09:00:00+00:00"
DATA = Path(__file__).parents[1] / "store" / "data"


def history_path(store: Path) -> Path:
    return store.with_name(store.stem + ".history.jsonl")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    store = tmp_path / "plan.json"
    assert run(store, "demo").exit_code == 0
    return store


def edit_record(store: Path, kind: str, record_id: str, **fields: Any) -> None:
    """What a person does in a text editor: change a record's fields, keep valid JSON."""
    data = json.loads(store.read_bytes())
    data[kind][record_id].update(fields)
    store.write_text(json.dumps(data, indent=1), encoding="utf-8")


def first_action(store: Path) -> str:
    data = json.loads(store.read_bytes())
    return sorted(data["actions"])[0]


def test_a_fresh_store_verifies_intact(demo: Path) -> None:
    """verify: exit 0, saying how many entries and records it checked."""
    result = run(demo, "verify")
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    assert "unbroken chain" in result.output
    data = json.loads(run(demo, "verify", "--format", "json").output)
    assert data["intact"] is True
    assert data["findings"] == []
    assert data["entries"] > 50
    assert len(data["head"]) == 64


def test_a_hand_edited_record_is_found_blocks_changes_and_can_be_accepted(demo: Path) -> None:
    """A title changed in plan.json: verify names it, changes are refused until accepted."""
    action = first_action(demo)
    original = shown(demo, action)["record"]["title"]
    edit_record(demo, "actions", action, title="Changed by hand")

    found = run(demo, "verify")
    assert found.exit_code == 1, found.output
    assert f"action {action}: differs from its history in title" in found.output

    before = files(demo)
    refused = run(demo, "add-update", action, "Briefings under way")
    assert refused.exit_code == 1, refused.output
    assert "changed outside actiontrack" in refused.output
    assert action in refused.output
    assert files(demo) == before

    accepted = run(demo, "accept-edits", "--reason", "Title agreed at the March board",
                   now=LATER)
    assert accepted.exit_code == 0, accepted.output
    assert f"recorded: update action {action} title" in accepted.output
    last = shown(demo, action)["history"][-1]
    assert (last["field"], last["old"], last["new"]) == ("title", original, "Changed by hand")
    assert last["by"] == "Business manager"
    assert "accepted: Title agreed at the March board" in last["reason"]
    assert run(demo, "verify").exit_code == 0
    assert run(demo, "add-update", action, "Briefings under way",
               now=LATER).exit_code == 0


def test_revert_puts_back_what_history_says(demo: Path) -> None:
    """revert-edits: the record is as its history has it again, and changes are taken."""
    action = first_action(demo)
    original = shown(demo, action)["record"]
    edit_record(demo, "actions", action, title="Changed by hand", lead_officer="Someone")
    reverted = run(demo, "revert-edits")
    assert reverted.exit_code == 0, reverted.output
    assert action in reverted.output
    assert shown(demo, action)["record"] == original
    assert run(demo, "verify").exit_code == 0
    assert run(demo, "add-update", action, "Going well").exit_code == 0


def test_a_record_added_or_removed_by_hand_is_found(demo: Path) -> None:
    """A record deleted from plan.json, and one pasted in, are both named."""
    data = json.loads(demo.read_bytes())
    action = first_action(demo)
    data["actions"][action + "X"] = dict(data["actions"][action], id=action + "X")
    del data["learning_activities"][sorted(data["learning_activities"])[0]]
    demo.write_text(json.dumps(data), encoding="utf-8")
    found = run(demo, "verify")
    assert found.exit_code == 1
    assert "no history entry made it" in found.output
    assert "history says it exists, but the store has no such record" in found.output
    assert run(demo, "accept-edits", "--reason", "Tidied by hand").exit_code == 0
    assert run(demo, "verify").exit_code == 0


def _lines(store: Path) -> list[bytes]:
    return history_path(store).read_bytes().splitlines(keepends=True)


def _remove(lines: list[bytes]) -> list[bytes]:
    return lines[:10] + lines[11:]


def _reorder(lines: list[bytes]) -> list[bytes]:
    return [*lines[:10], lines[11], lines[10], *lines[12:]]


def _change(lines: list[bytes]) -> list[bytes]:
    entry = json.loads(lines[10])
    entry["by"] = "Someone else"
    return [*lines[:10], json.dumps(entry, separators=(",", ":")).encode() + b"\n",
            *lines[11:]]


def _insert(lines: list[bytes]) -> list[bytes]:
    return [*lines[:11], lines[10], *lines[11:]]


def _cut_the_last(lines: list[bytes]) -> list[bytes]:
    return lines[:-1]


@pytest.mark.parametrize(("tamper", "seq", "says"), [
    (_remove, 12, "entry 11 is missing before it"),
    (_reorder, 12, "out of place"),
    (_change, 11, "changed since it was written"),
    (_insert, 11, "out of place"),
    (_cut_the_last, None, "shorter"),
], ids=["removed", "reordered", "changed", "inserted", "cut"])
def test_history_changed_by_hand_is_found_and_blocks_changes(
        demo: Path, tamper: Callable[[list[bytes]], list[bytes]], seq: int | None,
        says: str) -> None:
    """Each way of editing the history file is named by verify and holds every change."""
    history_path(demo).write_bytes(b"".join(tamper(_lines(demo))))
    found = run(demo, "verify")
    assert found.exit_code == 1, found.output
    if seq is not None:
        assert f"history entry {seq} " in found.output
    before = files(demo)
    refused = run(demo, "add-update", first_action(demo), "Briefings under way")
    assert refused.exit_code == 1, refused.output
    assert says in refused.output
    assert files(demo) == before
    # History itself cannot be put back from nothing: revert says so and writes nothing.
    reverted = run(demo, "revert-edits")
    assert reverted.exit_code == 2
    assert "restore the store from a backup" in reverted.output
    assert files(demo) == before

    accepted = run(demo, "accept-edits", "--reason", "Kept after checking the minutes",
                   now=LATER)
    assert accepted.exit_code == 0, accepted.output
    assert "accepted:" in accepted.output or "recorded:" in accepted.output
    assert run(demo, "verify").exit_code == 0, run(demo, "verify").output
    assert run(demo, "add-update", first_action(demo), "Briefings under way",
               now=LATER).exit_code == 0


def test_an_edited_history_line_that_is_not_an_entry_is_unreadable(demo: Path) -> None:
    """verify exits 2 on history it cannot read at all, naming the line."""
    lines = _lines(demo)
    lines[4] = b'{"seq": "not an entry"}\n'
    history_path(demo).write_bytes(b"".join(lines))
    result = run(demo, "verify")
    assert result.exit_code == 2
    assert "line 5" in result.output


NAME = "Jordan Smith-Okafor"


def test_a_redaction_leaves_no_trace_of_the_text_and_the_chain_still_checks(
        demo: Path, tmp_path: Path) -> None:
    """The text is gone from every file, history says who redacted it, verify passes."""
    action = first_action(demo)
    added = run(demo, "add-update", action, f"Spoke to {NAME} at the school")
    assert added.exit_code == 0, added.output
    update = _newest_update(demo, action)
    corrected = run(demo, "edit", update, "--set", "text=Spoke to the school",
                    "--reason", "Name left out")
    assert corrected.exit_code == 0, corrected.output
    assert NAME.encode() in files(demo)  # the edit alone leaves it in history

    redacted = run(demo, "redact", update, "text", "--reason", "a child's name", now=LATER)
    assert redacted.exit_code == 0, redacted.output
    marker = "[redacted on 2026-11-27 by Business manager: a child's name]"
    assert marker in redacted.output
    assert NAME.encode() not in files(demo)
    assert run(demo, "verify").exit_code == 0

    history = shown(demo, update)["history"]
    assert [entry["change"] for entry in history] == ["create", "update", "redact"]
    assert history[0]["new"]["text"] == marker
    assert history[1]["old"] == history[1]["new"] == marker
    assert history[-1]["by"] == "Business manager"
    assert history[-1]["reason"] == "a child's name"

    store = TinyDBStore(demo)
    moments = [datetime(2026, 11, 26, 10, tzinfo=UTC), datetime(2026, 11, 26, 9, tzinfo=UTC)]
    for moment in moments:  # before the edit, before the redaction: the marker, not the name
        past = store.snapshot(as_of=moment).progress_updates[update]
        assert past.text == marker
        assert verify_store(store, as_of=moment).intact
    # A copy carries the redaction, and its chain checks.
    copied = tmp_path / "copy.json"
    assert CliRunner().invoke(cli, ["copy", str(demo), str(copied)]).exit_code == 0
    assert NAME.encode() not in files(copied)
    assert verify_store(TinyDBStore(copied)).intact


def _newest_update(store: Path, action: str) -> str:
    data = json.loads(store.read_bytes())
    updates = [u for u in data["progress_updates"].values() if u["action_id"] == action]
    return str(max(updates, key=lambda u: u["id"])["id"])


def test_a_marker_written_by_hand_is_not_a_redaction(demo: Path) -> None:
    """Replacing a value in history with a marker, with no redaction behind it, is found."""
    lines = _lines(demo)
    entry = json.loads(lines[20])
    entry["by"] = "[redacted on 2026-11-27 by Business manager: tidy]"
    lines[20] = json.dumps(entry, separators=(",", ":")).encode() + b"\n"
    history_path(demo).write_bytes(b"".join(lines))
    assert run(demo, "verify").exit_code == 1


def test_a_redaction_needs_a_text_field_and_a_reason(demo: Path) -> None:
    """Ids, dates and lists cannot be redacted; a redaction without a reason is refused."""
    action = first_action(demo)
    before = files(demo)
    wrong = run(demo, "redact", action, "target_date", "--reason", "x")
    assert wrong.exit_code == 1
    assert "redact.field" in wrong.output
    assert "title, lead_officer" in wrong.output
    blank = run(demo, "redact", action, "title", "--reason", " ")
    assert blank.exit_code == 1
    assert "needs a reason" in blank.output
    assert files(demo) == before


def test_a_store_from_release_0_1_links_its_history_into_the_chain(tmp_path: Path) -> None:
    """A file written before the chain verifies, takes changes, and its old entries are guarded."""
    for name in ("layout-1.json", "layout-1.history.jsonl"):
        shutil.copy(DATA / name, tmp_path / name)
    store_path = tmp_path / "layout-1.json"
    assert run(store_path, "verify").exit_code == 0
    store = open_store(str(store_path))
    assert store.outside_edits() == []
    action = sorted(store.snapshot().actions)[0]
    assert run(store_path, "add-update", action, "Checked", now=LATER).exit_code == 0
    entries = [json.loads(line) for line in _lines(store_path)]
    assert "hash" not in entries[0]
    assert "hash" in entries[-1]
    assert check_chain(entries, TinyDBStore(store_path).head, redaction_digests(entries)) == []
    # An old entry changed now shows, at the first entry that has a hash.
    entries[0]["by"] = "Someone else"
    history_path(store_path).write_bytes(b"".join(
        json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in entries))
    assert run(store_path, "verify").exit_code == 1


@pytest.mark.parametrize("settle", [["revert-edits"], ["accept-edits", "--reason", "checked"]],
                         ids=["revert", "accept"])
def test_a_redaction_cut_short_by_a_crash_is_finished(demo: Path, settle: list[str]) -> None:
    """History rewritten but plan.json not yet replaced: settling finishes the redaction.

    Accepting the records as they stand would write the name back into
    history, so both ways finish it: history is the store's own rewrite.
    """
    action = first_action(demo)
    assert run(demo, "add-update", action, f"Spoke to {NAME}").exit_code == 0
    update = _newest_update(demo, action)
    plan_before = demo.read_bytes()
    digest_before = demo.with_name(demo.name + ".digest").read_bytes()
    assert run(demo, "redact", update, "text", "--reason", "a name", now=LATER).exit_code == 0
    # As if the writer died after replacing the history file, before plan.json.
    demo.write_bytes(plan_before)
    demo.with_name(demo.name + ".digest").write_bytes(digest_before)
    refused = run(demo, "add-update", action, "Next", now=LATER)
    assert refused.exit_code == 1
    assert "changed outside actiontrack" in refused.output
    settled = run(demo, *settle, now=LATER)
    assert settled.exit_code == 0, settled.output
    assert NAME.encode() not in files(demo)
    assert run(demo, "verify").exit_code == 0
    assert shown(demo, update)["history"][-1]["change"] == "redact"
    assert run(demo, "add-update", action, "Next", now=LATER).exit_code == 0
