"""Shared fixtures for the benchmarks: generated stores, built once and cached.

Benchmarks are outside the default test run (``testpaths = ["tests"]``)::

    python -m pytest benchmarks -p no:cacheprovider    # measure
    python -m pytest benchmarks --benchmark-disable     # smoke run: each target once

Every benchmark is one half of a pair that runs in the same session: a
*subject* (our code) and a *baseline* (what docs/performance.md
measures it against). Absolute times drift on shared machines, so only the
ratio of medians within one run is judged; :mod:`ratios` prints that table
at the end of the session.

Generated stores are cached under ``benchmarks/.cache/`` (gitignored), keyed
by size, seed, history factor and a fingerprint of the ``actiontrack``
sources that make the data (generator, models, converter, store), so a
change to the generator or the store layout rebuilds them.
Tests that write get a copy in ``tmp_path``; the cache is never written to.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

import actiontrack
from actiontrack import convert
from actiontrack.domain.models import Action
from actiontrack.domain.plan import HistoryEntry, Plan, kind_of
from actiontrack.generate import generate_plan
from actiontrack.store.core import PlainTables, StoreState, plan_from_tables, prepare_commit
from actiontrack.store.protocol import Put
from actiontrack.store.tinydb import TinyDBStore
from ratios import Figure, format_table

CACHE = Path(__file__).parent / ".cache"
STORE_FILE = "plan.json"
_FIGURES = pytest.StashKey[list[Figure]]()
_MEMORY = pytest.StashKey[list[str]]()

#: (size, seed, history factor) -> directory holding plan.json and plan.history.jsonl
StoreFactory = Callable[..., Path]


# -- the cache -----------------------------------------------------------


#: The sources that decide what a cached store holds and how it is laid out.
_SOURCES = (
    "generate.py", "convert.py", "domain/models.py", "domain/plan.py", "domain/lifecycle.py",
    "domain/chain.py", "store/core.py", "store/tinydb.py",
)


def _fingerprint() -> str:
    """A short hash of the sources that make the data (and of this file, which lengthens it)."""
    digest = hashlib.sha256()
    root = Path(actiontrack.__file__).parent
    for source in [*(root / name for name in _SOURCES), Path(__file__)]:
        digest.update(source.name.encode())
        digest.update(source.read_bytes() if source.exists() else b"")
    return digest.hexdigest()[:12]


#: Taken once, when the package was imported: the code this session measures.
FINGERPRINT = _fingerprint()


def lengthen_history(
    plan: Plan, history: list[HistoryEntry], factor: int
) -> tuple[Plan, list[HistoryEntry]]:
    """The same records with a history ``factor`` times as long.

    The extra entries are real one-change commits (an action's title revised),
    made by the same versioning code the stores use, so replaying the longer
    history still gives back the returned plan exactly. Only the actions'
    titles and versions differ from ``plan``; the number of records is the same.
    """
    if factor <= 1:
        return plan, history
    tables: PlainTables = {}
    for record in plan.records():
        tables.setdefault(kind_of(record), {})[record.id] = convert.unstructure(record)
    actions: dict[str, Action] = dict(plan.actions)
    order = sorted(actions)
    last = history[-1]
    commit, seq, at = last.commit, last.seq, last.at
    extra: list[dict[str, object]] = []
    wanted = len(history) * (factor - 1)
    revision = 0
    while len(extra) < wanted:
        revision += 1
        for action_id in order:
            if len(extra) >= wanted:
                break
            at += timedelta(minutes=1)
            action = actions[action_id]
            changed = attrs.evolve(action, title=f"Action {action_id} (revision {revision})")
            state = StoreState(
                current=lambda kind, record_id: tables[kind].get(record_id),
                tombstone=lambda kind, record_id: None,
                last_commit=commit, last_seq=seq, last_at=at - timedelta(minutes=1), clock=at,
            )
            prepared = prepare_commit(state, [Put(changed)], by="benchmark", at=at, reason=None)
            for (kind, record_id), plain in prepared.writes.items():
                assert plain is not None
                tables[kind][record_id] = plain
            actions[action_id] = prepared.records[0]
            extra.extend(prepared.entries)
            commit, seq = prepared.commit, prepared.entries[-1]["seq"]
    longer = history + [convert.structure(entry, HistoryEntry) for entry in extra]
    return plan_from_tables(tables), longer


def _build(folder: Path, size: str, seed: int, history_factor: int) -> None:
    plan, history = generate_plan(size, seed=seed)  # type: ignore[arg-type]
    plan, history = lengthen_history(plan, history, history_factor)
    store = TinyDBStore(folder / STORE_FILE, create=True)
    try:
        store.restore(plan, history)
    finally:
        store.close()


def cached_store_dir(size: str = "partnership", seed: int = 0, history_factor: int = 1) -> Path:
    """The cached store for these parameters, built on first use (atomically)."""
    prefix = f"{size}-seed{seed}-history{history_factor}x-"
    folder = CACHE / (prefix + FINGERPRINT)
    if (folder / STORE_FILE).exists():
        return folder
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob(prefix + "*"):
        shutil.rmtree(stale, ignore_errors=True)  # built from older sources
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=CACHE))
    try:
        _build(building, size, seed, history_factor)
        try:
            os.rename(building, folder)
        except OSError:
            if not (folder / STORE_FILE).exists():  # not a concurrent build that won
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def copy_store(source: Path, target: Path) -> Path:
    """Copy a cached store's files into ``target``; the path of the copy's plan.json."""
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_file() and not item.name.endswith(".lock"):
            shutil.copy2(item, target / item.name)
    return target / STORE_FILE


# -- fixtures --------------------------------------------------------------


@pytest.fixture(scope="session")
def store_dir() -> StoreFactory:
    """``store_dir(size, seed=0, history_factor=1)``: a read-only cached store folder."""
    built: dict[tuple[str, int, int], Path] = {}

    def factory(size: str = "partnership", seed: int = 0, history_factor: int = 1) -> Path:
        key = (size, seed, history_factor)
        if key not in built:
            built[key] = cached_store_dir(size, seed, history_factor)
        return built[key]

    return factory


@pytest.fixture
def store_copy(store_dir: StoreFactory, tmp_path: Path) -> Callable[..., Path]:
    """``store_copy(size, seed=0, history_factor=1)``: plan.json of a fresh writable copy."""
    copies = 0

    def factory(size: str = "partnership", seed: int = 0, history_factor: int = 1) -> Path:
        nonlocal copies
        copies += 1
        return copy_store(store_dir(size, seed, history_factor), tmp_path / f"copy{copies}")

    return factory


# -- the ratio table -------------------------------------------------------


@pytest.fixture(autouse=True)
def _collect_figure(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each benchmark, keep its median for the ratio table (see :mod:`ratios`)."""
    yield
    bench = request.node.funcargs.get("benchmark")
    if bench is None or bench.stats is None or not bench.stats.stats.data:
        return
    info = bench.extra_info
    request.config.stash.setdefault(_FIGURES, []).append(Figure(
        pair=bench.group or request.node.name,
        role=info.get("role", "subject"),
        name=request.node.name,
        median=bench.stats.stats.median,
        minimum=bench.stats.stats.min,
        rounds=bench.stats.stats.rounds,
        target=info.get("target"),
    ))


def record_memory(config: pytest.Config, pair: str, subject: int, baseline: int, *,
                  target: float) -> None:
    """Keep a pair of peak memory figures (bytes) for the end of the session."""
    ratio = subject / baseline
    verdict = "MET" if ratio <= target else "MISSED"
    config.stash.setdefault(_MEMORY, []).append(
        f"{pair}: {subject / 2**20:,.0f} MiB against {baseline / 2**20:,.0f} MiB,"
        f" {ratio:.2f}x (target {target:g}x) {verdict}")


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    memory = config.stash.get(_MEMORY, [])
    if memory:
        terminalreporter.section("peak memory (subject against baseline, same run)")
        for line in memory:
            terminalreporter.write_line(line)
    figures = config.stash.get(_FIGURES, [])
    if not figures:
        if config.getoption("benchmark_disable", default=False):
            terminalreporter.write_line("benchmarks disabled: no ratios measured")
        return
    terminalreporter.section("ratios (subject median / baseline median, same run)")
    for line in format_table(figures):
        terminalreporter.write_line(line)
