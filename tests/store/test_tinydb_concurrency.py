"""Several processes writing one TinyDB store at once lose no update and tear nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from actiontrack.domain.models import Recommendation
from actiontrack.store import Put, TinyDBStore

WORKER = Path(__file__).with_name("helpers") / "counter_worker.py"
WORKERS = 4
INCREMENTS = 60


def new_counter(path: Path) -> None:
    """A store at ``path`` whose counter record reads ``count=0`` (version 1)."""
    TinyDBStore(path, create=True).commit(
        [Put(Recommendation(id="counter", review_id="REVIEW", number="0", text="count=0"))],
        by="setup", at=datetime.now(UTC),
    )


def start(path: Path, name: str, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(path), name, mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def release(workers: list[subprocess.Popen[str]]) -> None:
    """Let every waiting worker go at (nearly) the same moment."""
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()


def finish(worker: subprocess.Popen[str]) -> str:
    output, errors = worker.communicate(timeout=60)
    assert worker.returncode == 0, errors
    return output


def test_concurrent_increments_lose_no_update(tmp_path: Path) -> None:
    """Processes racing read-modify-write increments end with every increment counted once."""
    path = tmp_path / "plan.json"
    new_counter(path)
    names = [f"worker{number}" for number in range(WORKERS)]
    workers = [start(path, name, str(INCREMENTS)) for name in names]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline() == "ready\n", finish(worker)
    release(workers)
    results = {name: json.loads(finish(worker)) for name, worker in zip(names, workers,
                                                                          strict=True)}
    total = sum(result["increments"] for result in results.values())
    assert total == WORKERS * INCREMENTS

    store = TinyDBStore(path, create=True)
    plan = store.snapshot()
    counter = plan.recommendations["counter"]
    assert counter.text == f"count={total}"
    assert counter.version == total + 1
    # Each increment's own record landed with it, and only with it.
    assert set(plan.recommendations) == {"counter"} | {
        f"{name}-{number}" for name in names for number in range(1, INCREMENTS + 1)}

    history = store.history()
    assert [entry.seq for entry in history] == list(range(1, len(history) + 1))
    assert len(history) == 1 + 2 * total
    updates = store.history(record_id="counter")[1:]
    assert [(entry.old, entry.new) for entry in updates] == [
        (f"count={n - 1}", f"count={n}") for n in range(1, total + 1)]
    assert [entry.commit for entry in updates] == list(range(2, total + 2))
    assert Counter(entry.by for entry in updates) == dict.fromkeys(names, INCREMENTS)
    assert store.snapshot(as_of=datetime.now(UTC)) == plan

    data = json.loads(path.read_bytes())  # still one whole JSON document
    committed = data["_meta"]["store"]["history_bytes"]
    assert (tmp_path / "plan.history.jsonl").stat().st_size == committed
    assert not list(tmp_path.glob(".plan.json.*.tmp"))
    conflicts = sum(result["conflicts"] for result in results.values())
    print(f"{total} increments, {conflicts} conflicts retried")


def test_loser_of_a_race_gets_a_conflict(tmp_path: Path) -> None:
    """Two processes write the same version at once: one lands, the other gets ConflictError."""
    path = tmp_path / "plan.json"
    new_counter(path)
    workers = [start(path, f"racer{number}", "race") for number in range(2)]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline() == "1\n", finish(worker)  # both read version 1
    release(workers)
    outcomes = sorted(finish(worker).strip() for worker in workers)
    assert outcomes == ["conflict", "ok"]

    store = TinyDBStore(path, create=True)
    assert store.get(Recommendation, "counter").text == "count=1"
    assert len(store.snapshot().recommendations) == 2  # the counter and the winner's record
    assert [entry.seq for entry in store.history()] == [1, 2, 3]
