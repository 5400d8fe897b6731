"""SQLStore at national size: a commit stays flat, and loading costs little more than a SELECT.

Targets (DESIGN.md, docs/performance.md):

- ``sql-commit-postgresql`` and ``sql-commit-sqlite``: one change committed
  to the national plan (100,000 actions, about 1,000,000 history entries)
  <= 1.5x the same change committed to the partnership plan (3,000 actions,
  about 30,000 entries): a commit must not grow with the size of the store.
- ``sql-load-postgresql`` and ``sql-load-sqlite``: loading the national plan
  for an audit, ``SQLStore(url, create=True).snapshot()`` on a fresh store object, <= 2x
  a raw ``SELECT *`` of every table the snapshot reads (each record table,
  each list table and ``store_meta``; not ``history`` or ``tombstones``, which
  a snapshot does not read), fetched into Python tuples through the
  database driver itself (psycopg or sqlite3), with no SQLAlchemy and no models.

The PostgreSQL pairs need a server named by ``$ACTIONTRACK_TEST_POSTGRES``
(as the tests do, see tests/store/sql_servers.py); without one they skip and
say why. The SQLite pairs always run.

The full national plan and history are used, not a trimmed variant. Restoring
them (about 540,000 records and 1,000,000 history entries) takes minutes, so it
is done once and kept: in PostgreSQL as a schema named after the size, seed and
a fingerprint of the sources that make the data (``bench_national_s0_<hash>``,
created only when missing, built under another name and renamed when whole),
and for SQLite as ``benchmarks/.cache/<size>-seed<seed>-sql-<hash>.db``. The
fingerprint covers the generator, models, converter and store core and the SQL
layout version (``SCHEMA_VERSION``), not the whole of ``store/sql.py``, so a
change there that keeps the layout reuses the kept copy. A new fingerprint
drops the older ``bench_*`` schemas and ``.db`` files of the same size.
The kept copies are never written to. The commit benchmarks work on a
scratch copy: in PostgreSQL a new schema filled with ``INSERT ... SELECT`` from
the kept one (on the server, a few seconds) and dropped afterwards; for
SQLite a copy of the file in ``tmp_path``.

The smoke run (``--benchmark-disable``, what CI runs once) uses the
partnership size on both sides of every pair, so it stays within its budget.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

import actiontrack
from actiontrack.domain.models import Action
from actiontrack.domain.plan import RECORD_KINDS, HistoryEntry, Plan
from actiontrack.generate import generate_plan
from actiontrack.store.protocol import Put

sa = pytest.importorskip("sqlalchemy", reason="the SQL benchmarks need actiontrack[sql]")
from actiontrack.store.sql import METADATA, SCHEMA_VERSION, SQLStore  # noqa: E402

POSTGRES_ENV = "ACTIONTRACK_TEST_POSTGRES"
COMMIT_ROUNDS = 30
LOAD_SUBJECT_ROUNDS = 3
LOAD_BASELINE_ROUNDS = 5
SEED = 0
ACTION_ID = "P000/A01500"  # in both sizes
#: Raise to rebuild every kept benchmark database (a change in how they are built).
BUILD = 1

CACHE = Path(__file__).parent / ".cache"
_SOURCES = (
    "generate.py", "convert.py", "domain/models.py", "domain/plan.py", "domain/lifecycle.py",
    "store/core.py",
)


def _fingerprint() -> str:
    digest = hashlib.sha256(f"layout {SCHEMA_VERSION} build {BUILD}".encode())
    root = Path(actiontrack.__file__).parent
    for name in _SOURCES:
        source = root / name
        digest.update(name.encode())
        digest.update(source.read_bytes() if source.exists() else b"")
    return digest.hexdigest()[:12]


FINGERPRINT = _fingerprint()

# -- the data, generated once and pickled ------------------------------------------


def _generated_plan(size: str) -> tuple[Plan, list[HistoryEntry]]:
    """The plan and history at ``size``; only needed when a kept copy is missing.

    Generating the national plan takes over a minute, so it is pickled under
    ``benchmarks/.cache/`` (plain dicts: a Plan's mapping proxies do not pickle).
    Nothing keeps it once the copy is restored: millions of records left alive
    in this process would slow every later measurement (the cycle collector
    walks them on each full collection), so each restore loads the pickle again.
    """
    prefix = f"{size}-seed{SEED}-full-"
    path = CACHE / f"{prefix}{FINGERPRINT}.pickle"
    if path.exists():
        with open(path, "rb") as file:
            tables, history = pickle.load(file)
        return Plan(**tables), history
    plan, history = generate_plan(size, seed=SEED)  # type: ignore[arg-type]
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob(prefix + "*.pickle"):
        stale.unlink(missing_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".building-", dir=CACHE)
    try:
        with os.fdopen(handle, "wb") as file:
            tables = {kind: dict(plan.of_kind(kind)) for kind in RECORD_KINDS}
            pickle.dump((tables, history), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return plan, history


def _restore(url: str, size: str) -> None:
    plan, history = _generated_plan(size)
    store = SQLStore(url, create=True)
    try:
        store.restore(plan, history)
    finally:
        store.close()


# -- PostgreSQL ------------------------------------------------------------------


def _postgres_url() -> str:
    """The server's URL, or skip with the reason (as tests/store/sql_servers.py does)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"no PostgreSQL server: set ${POSTGRES_ENV} to a postgresql:// URL")
    try:
        engine = sa.create_engine(_driver(url))
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # the driver, the network, the password: all say why
        pytest.skip(f"the PostgreSQL server at ${POSTGRES_ENV} does not answer: {exc}")
    return url


def _driver(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def _in_schema(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


class Postgres:
    """The server: kept national and partnership schemas, and scratch copies of them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = sa.create_engine(_driver(url), isolation_level="AUTOCOMMIT")
        self.scratch: list[str] = []

    def _schemas(self) -> set[str]:
        with self.admin.connect() as connection:
            return set(connection.execute(sa.text(
                "SELECT schema_name FROM information_schema.schemata")).scalars())

    def kept(self, size: str) -> str:
        """The kept schema holding ``size``, restored now if it is missing."""
        prefix = f"bench_{size}_s{SEED}_"
        name = prefix + FINGERPRINT
        schemas = self._schemas()
        if name in schemas:
            return name
        with self.admin.connect() as connection:
            for stale in schemas:
                if stale.startswith((prefix, f"building_{size}_")):
                    connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{stale}" CASCADE')
            building = f"building_{size}_{uuid.uuid4().hex[:8]}"
            connection.exec_driver_sql(f'CREATE SCHEMA "{building}"')
        try:
            _restore(_in_schema(self.url, building), size)
            with self.admin.connect() as connection:
                connection.exec_driver_sql(f'ALTER SCHEMA "{building}" RENAME TO "{name}"')
        except BaseException:
            with self.admin.connect() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{building}" CASCADE')
            raise
        return name

    def copy(self, source: str) -> str:
        """A new schema holding what ``source`` holds; dropped by :meth:`close`."""
        name = f"t_bench_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        self.scratch.append(name)
        SQLStore(_in_schema(self.url, name), create=True).close()  # the tables, indexes and keys
        # One transaction (the admin engine autocommits), which is a copy of the store, not
        # a change made outside actiontrack: its triggers log nothing (docs/storage.md,
        # "SQL stores: changes made outside actiontrack").
        with self.admin.connect().execution_options(
                isolation_level="READ COMMITTED") as connection, connection.begin():
            connection.exec_driver_sql("SELECT set_config('actiontrack.writing', 'on', true)")
            connection.exec_driver_sql(f'DELETE FROM "{name}".store_meta')
            connection.exec_driver_sql(f'DELETE FROM "{name}".store_secret')
            for table in METADATA.sorted_tables:  # parents first
                connection.exec_driver_sql(
                    f'INSERT INTO "{name}"."{table.name}" SELECT * FROM "{source}"."{table.name}"')
            connection.exec_driver_sql(f'ANALYZE "{name}".history')
        return name

    def close(self) -> None:
        with self.admin.connect() as connection:
            for name in self.scratch:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        self.admin.dispose()


# -- SQLite -----------------------------------------------------------------------


def kept_sqlite(size: str) -> Path:
    """The kept SQLite file holding ``size``, restored now if it is missing."""
    prefix = f"{size}-seed{SEED}-sql-"
    path = CACHE / f"{prefix}{FINGERPRINT}.db"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob(prefix + "*.db*"):
        stale.unlink(missing_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".building-", dir=CACHE))
    try:
        building = folder / "plan.db"
        _restore(f"sqlite:///{building}", size)
        with sqlite3.connect(building) as connection:  # fold the WAL into the file
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode = DELETE")
        os.replace(building, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return path


# -- fixtures -----------------------------------------------------------------------


def _sizes(config: pytest.Config) -> tuple[str, str]:
    """(baseline size, subject size): partnership for both in the smoke run."""
    disabled = config.getoption("benchmark_disable", default=False)
    return "partnership", "partnership" if disabled else "national"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = Postgres(_postgres_url())
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def load_size(request: pytest.FixtureRequest) -> str:
    return _sizes(request.config)[1]


Writable = Callable[[str], str]  # size -> URL of a scratch store holding that size


@pytest.fixture(params=["postgresql", "sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def writable(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Writable:
    """``writable(size)``: the URL of a scratch copy of the kept store at ``size``."""
    if backend == "postgresql":
        server: Postgres = request.getfixturevalue("postgres")
        return lambda size: _in_schema(server.url, server.copy(server.kept(size)))

    def sqlite_copy(size: str) -> str:
        target = tmp_path / f"{size}.db"
        shutil.copyfile(kept_sqlite(size), target)
        return f"sqlite:///{target}"

    return sqlite_copy


@pytest.fixture
def readable(backend: str, request: pytest.FixtureRequest, load_size: str) -> str:
    """The URL of the kept store at the load size (read only)."""
    if backend == "postgresql":
        server: Postgres = request.getfixturevalue("postgres")
        return _in_schema(server.url, server.kept(load_size))
    return f"sqlite:///{kept_sqlite(load_size)}"


# -- (a) one change committed: national vs partnership --------------------------------


class OneChange:
    """Each call commits a new title for one action, keeping its version current."""

    def __init__(self, store: SQLStore, action_id: str = ACTION_ID) -> None:
        self.store = store
        self.action = store.get(Action, action_id)
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        changed = attrs.evolve(self.action, title=f"Retitled in benchmark round {self.count}")
        receipt = self.store.commit([Put(changed)], by="benchmark", at=datetime.now(UTC))
        (record,) = receipt.records
        assert isinstance(record, Action)
        self.action = record


def _history_count(url: str) -> int:
    connection = _raw_connection(url)
    try:
        (count,) = connection.execute("SELECT count(*) FROM history").fetchone()
        return int(count)
    finally:
        connection.close()


@pytest.mark.parametrize("role", ["baseline", "subject"],
                         ids=["partnership", "national"])
def test_sql_commit(benchmark: Any, backend: str, writable: Writable, role: str,
                    request: pytest.FixtureRequest) -> None:
    baseline_size, subject_size = _sizes(request.config)
    size = baseline_size if role == "baseline" else subject_size
    benchmark.group = f"sql-commit-{backend}"
    benchmark.extra_info |= {"role": role, "size": size}
    if role == "subject":
        benchmark.extra_info["target"] = 1.5
    url = writable(size)
    store = SQLStore(url, create=True)
    try:
        history_before = _history_count(url)
        assert history_before >= (900_000 if size == "national" else 25_000)
        change = OneChange(store)
        version_before = change.action.version
        benchmark.pedantic(change, rounds=COMMIT_ROUNDS, warmup_rounds=2)
        assert change.action.version == version_before + change.count
        # Outside the timing: every round was a real commit, seen by a fresh store object.
        fresh = SQLStore(url, create=True)
        try:
            assert fresh.get(Action, ACTION_ID) == change.action
            assert _history_count(url) == history_before + change.count
        finally:
            fresh.close()
    finally:
        store.close()


# -- (b) load the plan for an audit vs a raw SELECT -------------------------------------


#: What a snapshot reads: every record table and list table, and the meta row.
_READ_TABLES = [table.name for table in METADATA.sorted_tables
                if table.name not in ("history", "tombstones")]


def _raw_connection(url: str) -> Any:
    if url.startswith("sqlite:///"):
        return sqlite3.connect(url.removeprefix("sqlite:///"))
    import psycopg

    return psycopg.connect(url)


def raw_select(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The baseline: ``SELECT *`` of each table, fetched into tuples, in one transaction."""
    connection = _raw_connection(url)
    try:
        cursor = connection.cursor()
        fetched = {}
        for name in _READ_TABLES:
            cursor.execute(f'SELECT * FROM "{name}"')
            fetched[name] = cursor.fetchall()
        connection.rollback()
        return fetched
    finally:
        connection.close()


def snapshot_counted(url: str) -> dict[str, int]:
    """The subject: what ``actiontrack audit`` pays to get the plan from a SQL store.

    Returns the number of records of each kind, letting the plan go inside
    the round (its freeing is timed too), as in a process that loads a plan
    once: a round that returned the plan would keep the last round's 540,000
    records alive while the next one loads, and the cycle collector would
    walk them again and again, which no user pays.
    """
    store = SQLStore(url, create=True)
    try:
        plan = store.snapshot()
    finally:
        store.close()
    return {kind: len(plan.of_kind(kind)) for kind in RECORD_KINDS}


def test_sql_load_baseline_raw_select(benchmark: Any, backend: str, readable: str) -> None:
    benchmark.group = f"sql-load-{backend}"
    benchmark.extra_info["role"] = "baseline"
    fetched = benchmark.pedantic(raw_select, args=(readable,), rounds=LOAD_BASELINE_ROUNDS,
                                 warmup_rounds=1)
    assert len(fetched["actions"]) >= 3_000


def test_sql_load_snapshot(benchmark: Any, backend: str, readable: str,
                           load_size: str) -> None:
    benchmark.group = f"sql-load-{backend}"
    benchmark.extra_info |= {"role": "subject", "target": 2.0, "size": load_size}
    counted = benchmark.pedantic(snapshot_counted, args=(readable,),
                                 rounds=LOAD_SUBJECT_ROUNDS, warmup_rounds=1)
    # Outside the timing: the snapshot holds every row the baseline fetched.
    fetched = raw_select(readable)
    assert counted["actions"] == len(fetched["actions"]) == (
        100_000 if load_size == "national" else 3_000)
    for kind in RECORD_KINDS:
        assert counted[kind] == len(fetched[kind])
