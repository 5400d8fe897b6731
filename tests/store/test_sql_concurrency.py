"""Several processes writing one SQL store at once lose no update and tear nothing.

Each test runs on a SQLite file and on a PostgreSQL schema of its own (skipped,
with the reason, when no server answers; see sql_servers.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sql_servers import new_store_url, postgres_schemas, postgres_url

from actiontrack.domain.models import Recommendation
from actiontrack.store import Put
from actiontrack.store.sql import SQLStore

WORKER = Path(__file__).with_name("helpers") / "sql_counter_worker.py"
WORKERS = 4
INCREMENTS = {"sqlite": 20, "postgresql": 10}  # a PostgreSQL connection per read is slower
COUNTERS = ("A", "B")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty store on each SQL backend."""
    with new_store_url(request.param, tmp_path) as new:
        yield new


def new_counters(url: str) -> None:
    """Make counters ``A`` and ``B`` read ``count=0`` (version 1) in the store at ``url``."""
    store = SQLStore(url, create=True)
    store.commit(
        [Put(Recommendation(id=name, review_id="REVIEW", number="0", text="count=0",
                            themes=("count=0",))) for name in COUNTERS],
        by="setup", at=datetime.now(UTC),
    )
    store.close()


def start(url: str, name: str, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, name, mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def release(workers: list[subprocess.Popen[str]]) -> None:
    """Let every waiting worker go at (nearly) the same moment."""
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()


def finish(worker: subprocess.Popen[str]) -> str:
    output, errors = worker.communicate(timeout=120)
    assert worker.returncode == 0, errors
    assert not errors, errors
    return output


@pytest.mark.parametrize(
    "url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)], indirect=True)
def test_concurrent_increments_lose_no_update(url: str) -> None:
    """Four processes racing read-modify-write increments end with every increment counted once."""
    new_counters(url)
    increments = INCREMENTS[url.split(":", 1)[0]]
    names = [f"worker{number}" for number in range(WORKERS)]
    workers = [start(url, name, str(increments)) for name in names]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline() == "ready\n", finish(worker)
    release(workers)
    results = {name: json.loads(finish(worker))
               for name, worker in zip(names, workers, strict=True)}
    total = sum(result["increments"] for result in results.values())
    assert total == WORKERS * increments
    conflicts = sum(result["conflicts"] for result in results.values())
    torn = sum(result["torn"] for result in results.values())
    assert torn == 0, results  # a read never mixes two versions of a record

    store = SQLStore(url, create=True)
    plan = store.snapshot()
    for name in COUNTERS:
        counter = plan.recommendations[name]
        assert counter.text == f"count={total}"
        assert counter.themes == (f"count={total}",)
        assert counter.version == total + 1
    # Each increment's own record landed with it, and only with it.
    assert set(plan.recommendations) == set(COUNTERS) | {
        f"{name}-{number}" for name in names for number in range(1, increments + 1)}

    history = store.history()
    assert [entry.seq for entry in history] == list(range(1, len(history) + 1))
    # setup: two creates; each increment: text and themes of two counters, one create.
    assert len(history) == 2 + 5 * total
    assert sorted({entry.commit for entry in history}) == list(range(1, total + 2))
    for name in COUNTERS:
        entries = store.history(record_id=name)
        assert [entry.version for entry in entries[::2]] == list(range(1, total + 2))
        texts = [entry for entry in entries[1:] if entry.field == "text"]
        assert [(entry.old, entry.new) for entry in texts] == [
            (f"count={n - 1}", f"count={n}") for n in range(1, total + 1)]
        assert [entry.commit for entry in texts] == list(range(2, total + 2))
        assert Counter(entry.by for entry in texts) == dict.fromkeys(names, increments)
    assert store.snapshot(as_of=datetime.now(UTC)) == plan
    store.close()
    print(f"{total} increments, {conflicts} conflicts retried, {torn} torn reads")


def test_loser_of_a_race_gets_a_conflict(url: str) -> None:
    """Two processes write the same version at once: one lands, the other gets ConflictError."""
    new_counters(url)
    workers = [start(url, f"racer{number}", "race") for number in range(2)]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline() == "1\n", finish(worker)  # both read version 1
    release(workers)
    outcomes = sorted(finish(worker).strip() for worker in workers)
    assert outcomes == ["conflict", "ok"]

    store = SQLStore(url, create=True)
    plan = store.snapshot()
    assert {plan.recommendations[name].text for name in COUNTERS} == {"count=1"}
    assert len(plan.recommendations) == 3  # the two counters and the winner's record
    assert {entry.commit for entry in store.history()} == {1, 2}
    assert [entry.seq for entry in store.history()] == list(range(1, 8))
    store.close()


def test_a_read_never_mixes_two_versions() -> None:
    """PostgreSQL: a get() overlapping a commit returns the old or the new record, never a mix."""
    with postgres_schemas(postgres_url()) as new_schema_url:
        assert callable(new_schema_url)
        url = new_schema_url()
        new_counters(url)
        engine = sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
        read: dict[str, Recommendation] = {}

        def reader() -> None:
            store = SQLStore(url, create=True)
            read["A"] = store.get(Recommendation, "A")
            store.close()

        try:
            with engine.connect() as connection:
                # Another writer's unit of work: the counter's row and its theme, together.
                # It holds the themes table, so the reader gets the row, then waits.
                connection.exec_driver_sql(
                    "LOCK TABLE recommendations_themes IN ACCESS EXCLUSIVE MODE")
                connection.exec_driver_sql(
                    "UPDATE recommendations SET text = 'count=1', version = 2 WHERE id = 'A'")
                connection.exec_driver_sql(
                    "UPDATE recommendations_themes SET theme = 'count=1'"
                    " WHERE recommendation_id = 'A'")
                thread = threading.Thread(target=reader)
                thread.start()
                waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted" \
                          " AND relation = 'recommendations_themes'::regclass"
                deadline = time.monotonic() + 10
                while not connection.exec_driver_sql(waiting).scalar():
                    assert time.monotonic() < deadline, "the reader never reached the lock"
                    time.sleep(0.02)
                connection.commit()
            thread.join(timeout=30)
        finally:
            engine.dispose()
        record = read["A"]
        assert (record.version, record.text, record.themes) in {
            (1, "count=0", ("count=0",)), (2, "count=1", ("count=1",))}, record
