"""The TinyDB file store: the store contract on real files, then what only a file store does."""

from __future__ import annotations

import hashlib
import json
import os
import random
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from contract import BY, StoreContract, StoreFactory, action, at, recommendation, state

from actiontrack.domain.models import Action, Recommendation
from actiontrack.domain.plan import Plan
from actiontrack.errors import (
    ConflictError,
    OutsideEditError,
    StoreCorruptError,
    StoreError,
    StoreNotAvailableError,
    StoreVersionError,
)
from actiontrack.store import Delete, MemoryStore, Put, Store, TinyDBStore, open_store
from actiontrack.store.tinydb import SCHEMA_VERSION


class TestTinyDBStore(StoreContract):
    """TinyDBStore keeps every promise of the store contract, on a real file."""

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Iterator[StoreFactory]:
        made: list[TinyDBStore] = []

        def make() -> Store:
            made.append(TinyDBStore(tmp_path / f"plan{len(made)}.json", create=True))
            return made[-1]

        yield make
        for store in made:
            store.close()

    def reopen(self, store: Store) -> Store:
        assert isinstance(store, TinyDBStore)
        return TinyDBStore(store.path)


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "plan.json"


def filled(path: Path) -> TinyDBStore:
    """A store at ``path`` with three commits: creates, an update and a delete."""
    store = TinyDBStore(path, create=True)
    first = store.commit([Put(recommendation()), Put(action()), Put(recommendation("R2"))],
                         by=BY, at=at(0))
    store.commit([Put(attrs.evolve(first.records[0], text="edited"))], by=BY, at=at(1))
    store.commit([Delete("recommendations", "R2", 1)], by=BY, at=at(2))
    return store


def files(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` and its bytes."""
    return {item.name: item.read_bytes() for item in sorted(folder.iterdir())}


def meta(path: Path) -> dict[str, Any]:
    stored: dict[str, Any] = json.loads(path.read_bytes())["_meta"]["store"]
    return stored


# -- persistence and several objects on one file ---------------------------------------------


def test_data_survives_reopening(path: Path) -> None:
    """A new TinyDBStore object on the same file sees the same plan, history and identity."""
    store = filled(path)
    expected = state(store)
    identity = store.identity
    store.close()
    reopened = TinyDBStore(path, create=True)
    assert state(reopened) == expected
    assert reopened.identity == identity
    assert reopened.get(Recommendation, "R1").text == "edited"
    assert reopened.snapshot(as_of=at(0)) == Plan.from_records(
        [recommendation(version=1), action(version=1), recommendation("R2", version=1)])


def test_second_object_sees_commits_and_conflicts_on_stale_write(path: Path) -> None:
    """Two store objects on one file: each sees the other's commits; a stale write conflicts."""
    first = TinyDBStore(path, create=True)
    second = TinyDBStore(path, create=True)
    first.commit([Put(recommendation(text="from first"))], by=BY, at=at(0))
    seen = second.get(Recommendation, "R1")
    assert seen == recommendation(text="from first", version=1)
    stale = first.get(Recommendation, "R1")
    second.commit([Put(attrs.evolve(seen, text="from second"))], by=BY, at=at(1))
    assert first.get(Recommendation, "R1").text == "from second"
    before = files(path.parent)
    with pytest.raises(ConflictError):
        first.commit([Put(attrs.evolve(stale, text="lost?"))], by=BY, at=at(2))
    assert files(path.parent) == before
    assert second.get(Recommendation, "R1").text == "from second"
    assert [entry.seq for entry in first.history()] == [1, 2]


def test_history_from_another_object_is_not_overwritten(path: Path) -> None:
    """Objects taking turns to commit append to one history; none truncates another's entries."""
    stores = [TinyDBStore(path, create=True) for _ in range(3)]
    for number in range(12):
        stores[number % 3].commit([Put(recommendation(f"R{number}"))], by=BY, at=at(number))
    for store in stores:
        history = store.history()
        assert [entry.seq for entry in history] == list(range(1, 13))
        assert [entry.record_id for entry in history] == [f"R{n}" for n in range(12)]
        assert len(store.snapshot()) == 12


# -- damaged and foreign files -------------------------------------------------------------


def _truncated(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


def _random_bytes(raw: bytes) -> bytes:
    return random.Random(1234).randbytes(len(raw))


def _newer_schema(raw: bytes) -> bytes:
    data = json.loads(raw)
    data["_meta"]["store"]["schema_version"] = SCHEMA_VERSION + 1
    return json.dumps(data).encode()


DAMAGES = {
    "truncated": (_truncated, StoreCorruptError, "not valid JSON"),
    "emptied": (lambda raw: b"", StoreCorruptError, "not valid JSON"),
    "random bytes": (_random_bytes, StoreCorruptError, ""),
    "latin-1 text": (lambda raw: "café".encode("latin-1"), StoreCorruptError, ""),
    "a JSON list": (lambda raw: b"[1, 2, 3]", StoreCorruptError, "not an actiontrack store"),
    "a JSON object": (lambda raw: b'{"name": "plan"}', StoreCorruptError,
                      "not an actiontrack store"),
    "plain TinyDB": (lambda raw: b'{"_default": {"1": {"a": 1}}}', StoreCorruptError,
                     "not an actiontrack store"),
    "a _meta list": (lambda raw: b'{"_meta": []}', StoreCorruptError,
                     "not an actiontrack store"),
    "a JSON number": (lambda raw: b"42", StoreCorruptError, "not an actiontrack store"),
    "a newer schema": (_newer_schema, StoreVersionError, "newer actiontrack"),
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_damaged_or_foreign_file_is_refused_and_left_alone(
    path: Path, damage: tuple[Any, type[StoreError], str]
) -> None:
    """A file that is not a readable store raises the matching StoreError naming it, untouched."""
    change, error, words = damage
    filled(path).close()
    path.write_bytes(change(path.read_bytes()))
    before = files(path.parent)
    with pytest.raises(error) as caught:
        TinyDBStore(path, create=True)
    assert str(path) in str(caught.value)
    assert words in str(caught.value)
    assert isinstance(caught.value, OSError)
    assert files(path.parent) == before
    with pytest.raises(error):
        open_store(str(path), create=True)


def test_hand_edited_wrong_type_names_file_and_field(path: Path) -> None:
    """A record hand-edited to a wrong type raises StoreCorruptError naming file and field path."""
    filled(path).close()
    data = json.loads(path.read_bytes())
    data["actions"]["A1"]["target_date"] = "31/03/2026"
    path.write_text(json.dumps(data, indent=2))
    before = files(path.parent)
    store = TinyDBStore(path, create=True)
    for read in (store.snapshot, lambda: store.get(Action, "A1")):
        with pytest.raises(StoreCorruptError) as caught:
            read()
        message = str(caught.value)
        assert str(path) in message
        assert '$.actions["A1"].target_date' in message
        assert "31/03/2026" in message
    assert files(path.parent) == before


@pytest.mark.parametrize(("key", "value"), [
    ("history_bytes", "684"), ("history_bytes", -5), ("last_seq", None),
    ("last_commit", 2.0), ("last_commit", True), ("identity", 5),
])
def test_hand_edited_meta_with_a_wrong_type_names_file_and_field(
    path: Path, key: str, value: Any
) -> None:
    """A _meta value of the wrong type raises StoreCorruptError naming file and field, untouched."""
    filled(path).close()
    data = json.loads(path.read_bytes())
    data["_meta"]["store"][key] = value
    path.write_text(json.dumps(data))
    before = files(path.parent)
    with pytest.raises(StoreCorruptError) as caught:
        TinyDBStore(path, create=True)
    assert str(path) in str(caught.value)
    assert f"$._meta.store.{key}" in str(caught.value)
    assert files(path.parent) == before


def test_hand_edited_record_with_a_different_id_is_refused(path: Path) -> None:
    """A record filed under a key that is not its id raises StoreCorruptError naming both."""
    filled(path).close()
    data = json.loads(path.read_bytes())
    data["actions"]["A9"] = data["actions"].pop("A1")
    path.write_text(json.dumps(data))
    before = files(path.parent)
    with pytest.raises(StoreCorruptError, match=r'\$\.actions\["A9"\]') as caught:
        TinyDBStore(path, create=True)
    assert str(path) in str(caught.value)
    assert files(path.parent) == before


def test_history_cut_short_is_read_as_it_stands_and_takes_no_commit(path: Path) -> None:
    """A history file cut short: reads give what is left, a commit is refused, writes nothing."""
    filled(path).close()
    history_path = path.with_name("plan.history.jsonl")
    whole = TinyDBStore(path).history()
    history_path.write_bytes(history_path.read_bytes()[:-40])
    before = files(path.parent)
    store = TinyDBStore(path, create=True)
    assert store.history() == whole[:-1]  # the last line, cut, is not read
    assert next(str(edit) for edit in store.outside_edits()).endswith(
        "says: history was lost or cut")
    with pytest.raises(OutsideEditError, match="shorter"):
        store.commit([Put(recommendation("R3"))], by=BY, at=at(3))
    assert files(path.parent) == before


def test_missing_history_file_is_corrupt(path: Path) -> None:
    """A store whose history file has gone raises StoreCorruptError when history is read."""
    filled(path).close()
    history_path = path.with_name("plan.history.jsonl")
    history_path.unlink()
    store = TinyDBStore(path, create=True)
    with pytest.raises(StoreCorruptError) as caught:
        store.history()
    assert str(history_path) in str(caught.value)


def test_commit_with_a_missing_history_file_is_refused_and_creates_nothing(path: Path) -> None:
    """A commit to a store whose history file has gone is refused and does not recreate it."""
    store = filled(path)
    history_path = path.with_name("plan.history.jsonl")
    history_path.unlink()
    before = files(path.parent)
    with pytest.raises(OutsideEditError, match="missing"):
        store.commit([Put(recommendation("R9"))], by=BY, at=at(5))
    assert files(path.parent) == before


def test_store_in_a_missing_folder_is_a_store_error(tmp_path: Path) -> None:
    """A path in a folder that does not exist is a StoreError naming the folder."""
    with pytest.raises(StoreError, match="does not exist"):
        TinyDBStore(tmp_path / "no-such-folder" / "plan.json", create=True)


def test_commit_rereads_when_history_grew_though_the_file_looks_unchanged(path: Path) -> None:
    """Another writer's commit is never missed, even if inode, time and size look the same.

    On a kernel with coarse timestamps a replaced file can reuse the inode and
    keep the size within one tick; this test stands that case in by telling
    the first object the new file is the one it already read.
    """
    first, second = filled(path), TinyDBStore(path, create=True)
    (r1,) = [r for r in first.snapshot().recommendations.values() if r.id == "R1"]
    second.commit([Put(attrs.evolve(r1, text="by the second writer"))], by=BY, at=at(6))
    info = os.stat(path)
    first._stamp = (info.st_ino, info.st_mtime_ns, info.st_size)  # looks unchanged
    with pytest.raises(ConflictError):
        first.commit([Put(attrs.evolve(r1, text="by the first writer"))], by=BY, at=at(7))
    assert TinyDBStore(path, create=True).get(Recommendation, "R1").text == "by the second writer"


def test_a_long_lived_store_notices_history_edited_after_its_own_commit(path: Path) -> None:
    """A store object that appended history itself goes on from its own hash while the file
    is as it left it, and still refuses to commit once the file was edited, even when the
    edit keeps the size and puts the modification time back."""
    store = filled(path)
    (r1,) = [r for r in store.snapshot().recommendations.values() if r.id == "R1"]
    store.commit([Put(attrs.evolve(r1, text="once more"))], by=BY, at=at(3))
    assert store._history_seen is not None  # the next commit goes on from its own hash
    store.commit([Put(attrs.evolve(store.get(Recommendation, "R1"), text="again"))],
                 by=BY, at=at(4))
    history_path = path.with_name("plan.history.jsonl")
    before = os.stat(history_path)
    raw = history_path.read_bytes()
    assert b"once more" in raw
    history_path.write_bytes(raw.replace(b"once more", b"ONCE MORE"))  # the same size
    os.utime(history_path, ns=(before.st_atime_ns, before.st_mtime_ns))
    current = store.get(Recommendation, "R1")
    with pytest.raises(OutsideEditError):
        store.commit([Put(attrs.evolve(current, text="refused"))], by=BY, at=at(5))
    assert TinyDBStore(path, create=True).get(Recommendation, "R1").text == "again"


def test_garbled_history_line_names_file_and_line(path: Path) -> None:
    """A history line that is not JSON raises StoreCorruptError naming the file and line."""
    filled(path).close()
    history_path = path.with_name("plan.history.jsonl")
    lines = history_path.read_bytes().split(b"\n")
    lines[1] = b"x" * len(lines[1])
    history_path.write_bytes(b"\n".join(lines))
    store = TinyDBStore(path, create=True)
    with pytest.raises(StoreCorruptError, match="line 2") as caught:
        store.history()
    assert str(history_path) in str(caught.value)


@pytest.mark.parametrize("damage", ["not an entry", "wrong type"])
def test_history_line_of_the_wrong_shape_names_the_history_file(path: Path, damage: str) -> None:
    """Valid JSON that is not a history entry is StoreCorruptError naming the history file."""
    filled(path).close()
    history_path = path.with_name("plan.history.jsonl")
    lines = history_path.read_bytes().split(b"\n")
    entry = json.loads(lines[1])
    if damage == "not an entry":
        replacement = json.dumps({"hello": "world"}).encode()
    else:
        replacement = json.dumps({**entry, "at": 20260302}, separators=(",", ":")).encode()
    assert len(replacement) <= len(lines[1])
    lines[1] = replacement.ljust(len(lines[1]))  # keep the committed length
    history_path.write_bytes(b"\n".join(lines))
    store = TinyDBStore(path, create=True)
    # The plan as of a moment before the damaged entry undoes it, so reads it; one at
    # or after the latest change is the plan as it is, and reads no history.
    before_it = at(0) - timedelta(minutes=1)
    for read in (store.history, lambda: store.snapshot(as_of=before_it)):
        with pytest.raises(StoreCorruptError) as caught:
            read()
        assert str(history_path) in str(caught.value)


def test_record_without_a_version_is_corrupt(path: Path) -> None:
    """A hand-edited record that lost its version is refused on opening, naming the field."""
    filled(path).close()
    data = json.loads(path.read_bytes())
    del data["recommendations"]["R1"]["version"]
    path.write_text(json.dumps(data))
    with pytest.raises(StoreCorruptError, match=r'\$\.recommendations\["R1"\]\.version'):
        TinyDBStore(path, create=True)


# -- open_store --------------------------------------------------------------------------


def test_open_store_json_path_gives_a_tinydb_store(path: Path) -> None:
    """open_store("x.json", create=True) creates and opens a TinyDBStore at that path."""
    store = open_store(str(path), create=True)
    assert isinstance(store, TinyDBStore)
    assert path.exists()
    store.commit([Put(recommendation())], by=BY, at=at(0))
    assert open_store(str(path), create=True).get(Recommendation, "R1").version == 1


def test_open_store_tinydb_url_gives_a_tinydb_store(path: Path) -> None:
    """open_store("tinydb:///abs/path.json") opens the file at that absolute path."""
    filled(path).close()
    store = open_store(f"tinydb://{path}", create=True)
    assert isinstance(store, TinyDBStore)
    assert store.get(Recommendation, "R1").text == "edited"


def test_open_store_memory_url_gives_a_memory_store() -> None:
    """open_store("memory:") gives a MemoryStore, not a file."""
    assert isinstance(open_store("memory:"), MemoryStore)


@pytest.mark.parametrize("url", ["plan.txt", "ftp://host/plan.json.gz", "", "plan"])
def test_open_store_unknown_url_is_refused(url: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """open_store() of a URL no backend claims raises StoreNotAvailableError naming it."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreNotAvailableError, match="cannot tell") as caught:
        open_store(url, create=True)
    assert repr(url) in str(caught.value)
    assert list(tmp_path.iterdir()) == []


# -- file permissions -------------------------------------------------------------------------


def _mode(item: Path) -> int:
    return stat.S_IMODE(item.stat().st_mode)


def test_new_files_are_readable_by_their_owner_only(path: Path) -> None:
    """The store, its history, digest and lock file are made with mode 0o600, whatever the umask."""
    previous = os.umask(0o000)
    try:
        filled(path).close()
    finally:
        os.umask(previous)
    created = sorted(path.parent.iterdir())
    names = ["plan.history.jsonl", "plan.json", "plan.json.digest", "plan.json.lock"]
    assert [item.name for item in created] == names
    assert {item.name: _mode(item) for item in created} == dict.fromkeys(names, 0o600)


def test_commit_keeps_the_mode_the_owner_chose(path: Path) -> None:
    """A commit replaces plan.json with a file of the same mode as before."""
    store = filled(path)
    path.chmod(0o640)
    store.commit([Put(recommendation("R3"))], by=BY, at=at(3))
    assert _mode(path) == 0o640


# -- leftovers of a crashed commit -------------------------------------------------------------


def test_leftovers_of_a_crashed_commit_are_ignored_then_cleaned(path: Path) -> None:
    """Uncommitted history bytes and a stale temp file are ignored, then cleaned by a commit."""
    filled(path).close()
    expected = state(TinyDBStore(path, create=True))
    history_path = path.with_name("plan.history.jsonl")
    committed = history_path.read_bytes()
    # A crashed commit: one whole entry and half of the next, never named by plan.json.
    next_commit = meta(path)["last_commit"] + 1
    stray_entry = json.dumps({**json.loads(committed.splitlines()[0]), "seq": 99,
                              "commit": next_commit, "record_id": "GHOST"}).encode()
    history_path.write_bytes(committed + stray_entry + b"\n" + stray_entry[:30])
    leftover = path.with_name(f".{path.name}.999999.tmp")
    leftover.write_bytes(path.read_bytes()[:50])
    plan_bytes = path.read_bytes()

    store = TinyDBStore(path, create=True)
    assert state(store) == expected
    assert store.snapshot(as_of=at(5)) == expected[0]
    assert path.read_bytes() == plan_bytes  # reading cleaned nothing up
    assert leftover.exists()

    receipt = store.commit([Put(recommendation("R3"))], by=BY, at=at(3))
    assert not leftover.exists()
    assert [entry.seq for entry in receipt.entries] == [len(expected[1]) + 1]
    assert history_path.stat().st_size == meta(path)["history_bytes"]
    assert history_path.read_bytes().startswith(committed)
    assert b"GHOST" not in history_path.read_bytes()
    history = TinyDBStore(path, create=True).history()
    assert history[:-1] == expected[1]
    assert [entry.seq for entry in history] == list(range(1, len(history) + 1))
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "plan.history.jsonl", "plan.json", "plan.json.digest", "plan.json.lock"]


def test_an_older_plan_json_never_cuts_committed_history(path: Path) -> None:
    """plan.json put back from an older copy: commits are refused, and no history is cut."""
    store = TinyDBStore(path, create=True)
    store.commit([Put(recommendation("R1"))], by=BY, at=at(0))
    older = path.read_bytes()
    store.commit([Put(recommendation("R2"))], by=BY, at=at(1))
    store.commit([Put(recommendation("R3"))], by=BY, at=at(2))
    path.write_bytes(older)
    before = files(path.parent)
    with pytest.raises(StoreCorruptError, match="older copy"):
        TinyDBStore(path, create=True).commit([Put(recommendation("R4"))], by=BY, at=at(3))
    assert files(path.parent) == before


def test_a_missing_plan_json_is_not_recreated_over_its_history(path: Path) -> None:
    """With plan.json gone but its history there, opening refuses rather than start afresh."""
    filled(path).close()
    path.unlink()
    before = files(path.parent)
    with pytest.raises(StoreCorruptError, match="from a backup"):
        TinyDBStore(path, create=True)
    assert files(path.parent) == before


def test_store_file_is_compact_json_with_a_meta_table(path: Path) -> None:
    """plan.json is one JSON object: a _meta table with the layout version, and record tables."""
    store = filled(path)
    data = json.loads(path.read_bytes())
    assert set(data) == {"_meta", "recommendations", "actions"}
    assert data["_meta"]["store"]["schema_version"] == SCHEMA_VERSION
    assert data["_meta"]["store"]["identity"] == store.identity
    assert data["recommendations"]["R1"]["text"] == "edited"
    assert meta(path)["last_commit"] == 3
    history_lines = path.with_name("plan.history.jsonl").read_bytes().splitlines()
    assert len(history_lines) == meta(path)["last_seq"] == 5


def test_a_file_changed_outside_actiontrack_is_read_through_the_strict_check(path: Path) -> None:
    """Records of the store's own writing take the trusted path; a hand edit gets the full check."""
    filled(path).close()
    data = json.loads(path.read_bytes())
    data["recommendations"]["R1"]["text"] = 12345  # valid JSON, not a valid record
    path.write_text(json.dumps(data))
    with pytest.raises(StoreCorruptError, match=r'recommendations\["R1"\]\.text: expected text'):
        TinyDBStore(path).get(Recommendation, "R1")
    path.with_name("plan.json.digest").write_text(
        hashlib.sha256(path.read_bytes()).hexdigest())  # as if the store had written it
    assert TinyDBStore(path).get(Recommendation, "R1").text == 12345  # type: ignore[comparison-overlap]
