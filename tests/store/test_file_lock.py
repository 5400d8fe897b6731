"""The file store's lock: writers take turns, with or without fcntl, in real processes.

Windows has no ``fcntl``; a child Python in which ``import fcntl`` fails stands
in for it here. There filelock, having neither ``flock`` nor Windows'
``LockFileEx``, locks with a marker file (its ``SoftFileLock``); on Windows it
uses ``LockFileEx``, which only a Windows machine can test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import filelock
import pytest

from actiontrack.domain.models import Recommendation
from actiontrack.errors import StoreError, StoreLockedError
from actiontrack.store import Put, TinyDBStore

#: The first lines of every child: with ``without_fcntl``, ``import fcntl`` fails in it.
PRELUDE = """\
import sys
if sys.argv[1] == "without_fcntl":
    sys.modules["fcntl"] = None  # as on Windows: import fcntl raises ImportError
    try:
        import fcntl
    except ImportError:
        pass
    else:
        raise SystemExit("fcntl is still importable")
"""

#: ``python -c WRITER MODE PATH RECORD_ID TIMEOUT``: one commit; prints its outcome as JSON.
WRITER = PRELUDE + """\
import json, time
from datetime import UTC, datetime
import filelock
from actiontrack.domain.models import Recommendation
from actiontrack.errors import StoreLockedError
from actiontrack.store import Put, TinyDBStore

path, record_id, timeout = sys.argv[2], sys.argv[3], float(sys.argv[4])
store = TinyDBStore(path, create=True, lock_timeout=timeout)
started = time.monotonic()
outcome = {"lock": filelock.FileLock.__name__}
try:
    store.commit([Put(Recommendation(id=record_id, review_id="REVIEW", number="1", text="x"))],
                 by="test", at=datetime.now(UTC))
except StoreLockedError as exc:
    outcome |= {"outcome": "locked", "message": str(exc)}
else:
    outcome |= {"outcome": "committed"}
outcome["waited"] = time.monotonic() - started
print(json.dumps(outcome))
"""

#: ``python -c HOLDER MODE LOCK_PATH``: takes the lock as the store does, prints
#: ``locked``, and holds it until its stdin closes (or it is killed).
HOLDER = PRELUDE + """\
import filelock
with filelock.FileLock(sys.argv[2]):
    print("locked", flush=True)
    sys.stdin.read()
"""

MODES = ["with_fcntl", "without_fcntl"]


def write(mode: str, path: Path, record_id: str, timeout: float = 5.0) -> dict[str, Any]:
    """Run one commit in a new process; its outcome, as the child saw it."""
    done = subprocess.run(
        [sys.executable, "-c", WRITER, mode, str(path), record_id, str(timeout)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome: dict[str, Any] = json.loads(done.stdout)
    return outcome


def hold(mode: str, path: Path) -> subprocess.Popen[str]:
    """A process holding the store's lock; it lets go when its stdin closes."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, mode, str(path.with_name(path.name + ".lock"))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "locked\n", holder.communicate(timeout=60)
    return holder


def store_files(folder: Path) -> dict[str, bytes]:
    return {item.name: item.read_bytes() for item in folder.iterdir() if item.is_file()
            and not item.name.endswith(".lock")}


def recommendation_ids(path: Path) -> set[str]:
    return set(TinyDBStore(path).snapshot().recommendations)


@pytest.mark.parametrize("mode", MODES)
def test_a_writer_waits_for_the_lock_then_gives_up_with_store_locked(
    mode: str, tmp_path: Path
) -> None:
    """While another process holds the lock, a commit waits its timeout, fails, writes nothing."""
    path = tmp_path / "plan.json"
    first = write(mode, path, "R1")
    assert first["outcome"] == "committed"
    # Without fcntl, filelock falls back to its marker-file lock; Windows has its own OS lock.
    expected_lock = {"with_fcntl": "UnixFileLock", "without_fcntl": "SoftFileLock"}[mode]
    assert first["lock"] == ("WindowsFileLock" if os.name == "nt" else expected_lock)
    before = store_files(tmp_path)

    holder = hold(mode, path)
    try:
        blocked = write(mode, path, "R2", timeout=0.5)
    finally:
        holder.communicate(timeout=60)  # closes its stdin: it lets go
    assert blocked["outcome"] == "locked"
    assert blocked["message"] == (
        f"{path} is locked by another process (waited 0.5 s); try again")
    assert blocked["waited"] >= 0.5
    assert store_files(tmp_path) == before

    assert write(mode, path, "R2")["outcome"] == "committed"  # the lock was let go
    assert recommendation_ids(path) == {"R1", "R2"}


@pytest.mark.parametrize("mode", MODES)
def test_a_killed_holder_does_not_block_the_next_writer(mode: str, tmp_path: Path) -> None:
    """A process killed while holding the lock leaves nothing that stops the next commit."""
    path = tmp_path / "plan.json"
    assert write(mode, path, "R1")["outcome"] == "committed"
    holder = hold(mode, path)
    holder.kill()
    holder.communicate(timeout=60)

    after = write(mode, path, "R2", timeout=5.0)
    assert after["outcome"] == "committed"
    assert after["waited"] < 5.0
    assert recommendation_ids(path) == {"R1", "R2"}


def test_a_second_store_object_in_the_same_process_waits_its_turn(tmp_path: Path) -> None:
    """The lock is not re-entrant across objects: a second holder in this thread still waits."""
    path = tmp_path / "plan.json"
    store = TinyDBStore(path, create=True, lock_timeout=0.2)
    with filelock.FileLock(path.with_name(path.name + ".lock")), \
            pytest.raises(StoreLockedError, match=r"waited 0\.2 s"):
        store.commit([Put(Recommendation(id="R1", review_id="REVIEW", number="1", text="x"))],
                     by="test", at=datetime.now(UTC))
    assert TinyDBStore(path).snapshot().recommendations == {}


def test_writers_in_two_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    """Two store objects on one file, in two threads, commit one after the other, losing nothing."""
    path = tmp_path / "plan.json"
    TinyDBStore(path, create=True)
    failures: list[BaseException] = []

    def commit_many(name: str) -> None:
        store = TinyDBStore(path, lock_timeout=30)
        try:
            for number in range(20):
                store.commit(
                    [Put(Recommendation(id=f"{name}{number}", review_id="REVIEW",
                                        number=str(number), text="x"))],
                    by=name, at=datetime.now(UTC))
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=commit_many, args=(name,)) for name in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    store = TinyDBStore(path)
    assert len(store.snapshot().recommendations) == 40
    assert [entry.seq for entry in store.history()] == list(range(1, 41))


def test_a_negative_lock_timeout_means_do_not_wait(tmp_path: Path) -> None:
    """A lock_timeout below zero gives up at once (filelock reads it as 'wait for ever')."""
    path = tmp_path / "plan.json"
    store = TinyDBStore(path, create=True, lock_timeout=-1)
    started = time.monotonic()
    with filelock.FileLock(path.with_name(path.name + ".lock")), \
            pytest.raises(StoreLockedError, match="try again"):
        store.commit([Put(Recommendation(id="R1", review_id="REVIEW", number="1", text="x"))],
                     by="test", at=datetime.now(UTC))
    assert time.monotonic() - started < 5


def test_a_lock_file_that_cannot_be_opened_is_a_store_error(tmp_path: Path) -> None:
    """Something in the lock file's place (here a folder) is a StoreError naming the lock file."""
    path = tmp_path / "plan.json"
    store = TinyDBStore(path, create=True)
    lock_path = path.with_name(path.name + ".lock")
    lock_path.unlink(missing_ok=True)
    lock_path.mkdir()
    before = store_files(tmp_path)
    with pytest.raises(StoreError, match=r"plan\.json\.lock: cannot open the lock file"):
        store.commit([Put(Recommendation(id="R1", review_id="REVIEW", number="1", text="x"))],
                     by="test", at=datetime.now(UTC))
    assert store_files(tmp_path) == before


def test_a_commit_never_makes_a_vanished_folder_again(tmp_path: Path) -> None:
    """A store whose folder went away (a drive unplugged) refuses to commit, creating no folder."""
    folder = tmp_path / "plans"
    folder.mkdir()
    store = TinyDBStore(folder / "plan.json", create=True)
    folder.rename(tmp_path / "elsewhere")
    with pytest.raises(StoreError, match="does not exist"):
        store.commit([Put(Recommendation(id="R1", review_id="REVIEW", number="1", text="x"))],
                     by="test", at=datetime.now(UTC))
    assert not folder.exists()


def test_a_digest_that_cannot_be_written_never_makes_a_landed_commit_look_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The digest is written after plan.json's rename, the commit point: its failure is quiet.

    (On Windows a reader can hold the digest file; a full disk can refuse it anywhere.) The
    stale digest only sends the next read the strict way.
    """
    import actiontrack.store.tinydb as tinydb_module
    from actiontrack.domain.models import Partnership, PartnershipKind
    from actiontrack.store import Put, TinyDBStore

    store = TinyDBStore(tmp_path / "plan.json", create=True)
    written = tinydb_module._atomic_write

    def digest_refused(path: Path, payload: bytes, *, durable: bool = True) -> None:
        if path.name.endswith(".digest"):
            raise PermissionError(13, "Access is denied")
        written(path, payload, durable=durable)

    monkeypatch.setattr(tinydb_module, "_atomic_write", digest_refused)
    receipt = store.commit([Put(Partnership(id="P", name="North",
                                            kind=PartnershipKind.CHILDREN))],
                           by="Business unit", at=datetime.now(UTC))
    assert receipt.changed
    monkeypatch.undo()
    reopened = TinyDBStore(tmp_path / "plan.json")
    assert reopened.get(Partnership, "P").name == "North"
    assert len(reopened.history()) == 1
