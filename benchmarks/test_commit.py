"""One change committed through TinyDBStore, against a plain atomic JSON dump.

Targets (docs/performance.md):

- ``commit``: one change at national size (partnership in the smoke run)
  <= 1.5x one atomic json dump of the same store (json.dumps + write a
  temporary file + fsync + os.replace + fsync the folder);
- ``commit-history``: the same commit with 300,000 history entries <= 1.5x
  with 30,000 (the same records): a commit must not grow with history.

Each round is one real commit on a store object that stays open, so it pays
what a long-running process pays: the lock, the stat that detects other
writers, the version check, the history append (fsync) and the atomic
replace of ``plan.json`` (fsync, rename, fsync of the folder).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from actiontrack.domain.models import Action
from actiontrack.store.protocol import Put
from actiontrack.store.tinydb import TinyDBStore

ROUNDS = 50
NATIONAL_ROUNDS = 7  # a national plan.json is hundreds of megabytes: each round is seconds
WARMUP = 2
ACTION_ID = "P000/A01500"


class OneChange:
    """Each call commits a new title for one action, keeping its version current."""

    def __init__(self, store: TinyDBStore, action_id: str = ACTION_ID) -> None:
        self.store = store
        self.action = store.get(Action, action_id)
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        changed = attrs.evolve(self.action, title=f"Retitled in benchmark round {self.count}")
        receipt = self.store.commit([Put(changed)], by="benchmark", at=datetime.now(UTC))
        (self.action,) = receipt.records


def _check_commits_landed(path: Path, change: OneChange, history_before: int) -> None:
    """Outside the timing: every round was a real, durable commit."""
    assert TinyDBStore(path, create=True).get(Action, ACTION_ID) == change.action
    assert _history_lines(path) == history_before + change.count


def _history_lines(path: Path) -> int:
    with open(path.with_name(path.stem + ".history.jsonl"), "rb") as file:
        return sum(1 for _ in file)


def _commit_benchmark(benchmark: Any, path: Path, rounds: int = ROUNDS) -> OneChange:
    history_before = _history_lines(path)
    store = TinyDBStore(path, create=True)
    change = OneChange(store)
    version_before = change.action.version
    benchmark.pedantic(change, rounds=rounds, warmup_rounds=WARMUP)
    assert change.action.version == version_before + change.count
    _check_commits_landed(path, change, history_before)
    return change


# -- (a) commit vs one atomic json dump ------------------------------------


class AtomicDump:
    """The baseline: the same store's data, one field changed, dumped atomically."""

    def __init__(self, source: Path, target: Path) -> None:
        with open(source, "rb") as file:
            self.data = json.load(file)
        self.target = target
        self.temporary = target.with_name(f".{target.name}.tmp")
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        self.data["actions"][ACTION_ID]["title"] = f"Retitled in benchmark round {self.count}"
        payload = json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode()
        fd = os.open(self.temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self.temporary, self.target)
        folder = os.open(self.target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


@pytest.fixture(scope="module")
def commit_size(request: pytest.FixtureRequest) -> str:
    disabled = request.config.getoption("benchmark_disable", default=False)
    return "partnership" if disabled else "national"


def test_commit_baseline_atomic_json_dump(
    benchmark: Any, store_copy: Callable[..., Path], commit_size: str
) -> None:
    benchmark.group = "commit"
    benchmark.extra_info["role"] = "baseline"
    path = store_copy(commit_size)
    dump = AtomicDump(path, path)
    benchmark.pedantic(dump, rounds=_rounds(commit_size), warmup_rounds=WARMUP)
    with open(path, "rb") as file:
        assert json.load(file)["actions"][ACTION_ID]["title"].endswith(f" {dump.count}")


def test_commit_one_change(
    benchmark: Any, store_copy: Callable[..., Path], commit_size: str
) -> None:
    benchmark.group = "commit"
    benchmark.extra_info |= {"role": "subject", "target": 1.5}
    _commit_benchmark(benchmark, store_copy(commit_size), rounds=_rounds(commit_size))


def _rounds(size: str) -> int:
    return ROUNDS if size == "partnership" else NATIONAL_ROUNDS


# -- (b) commit with 30,000 vs 300,000 history entries ---------------------


@pytest.mark.parametrize(
    ("history_factor", "role"),
    [pytest.param(1, "baseline", id="history-30k"), pytest.param(10, "subject", id="history-300k")],
)
def test_commit_history_length(
    benchmark: Any, store_copy: Callable[..., Path], history_factor: int, role: str
) -> None:
    benchmark.group = "commit-history"
    benchmark.extra_info["role"] = role
    if role == "subject":
        benchmark.extra_info["target"] = 1.5
    path = store_copy("partnership", history_factor=history_factor)
    lines = _history_lines(path)
    assert lines >= 29_000 * history_factor  # ~30,000 or ~300,000 entries
    fresh = TinyDBStore(path, create=True).snapshot()
    assert len(fresh.actions) == 3_000
    assert len(fresh) > 15_000
    _commit_benchmark(benchmark, path)
