"""A SQL store survives a writer killed mid-commit and a server lost mid-commit."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sql_servers import postgres_schemas, postgres_url

from actiontrack.store.sql import SQLStore

WRITER = Path(__file__).with_name("helpers") / "sql_crash_writer.py"
SEED = 20260331
PAUSE_LOCK = 731_004  # the advisory lock the pause trigger waits on


def check_store(url: str, known: int, *, landed_unacknowledged: int = 1) -> int:
    """Open the store anew, check it whole, and return its counter value.

    ``known`` is the last acknowledged commit; at most ``landed_unacknowledged``
    more may have landed before the writer could say so.
    """
    store = SQLStore(url, create=True)
    plan = store.snapshot()
    history = store.history()
    record = plan.recommendations.get("counter")
    counter = 0 if record is None else int(record.text.removeprefix("count="))
    assert known <= counter <= known + landed_unacknowledged
    assert set(plan.recommendations) == {f"C{n}" for n in range(1, counter + 1)} | (
        {"counter"} if counter else set())
    assert record is None or record.version == counter
    # Each commit wrote one entry for the counter and one for its new record.
    assert len(history) == sum(item.version for item in plan.records()) == 2 * counter
    assert [entry.seq for entry in history] == list(range(1, len(history) + 1))
    assert [entry.commit for entry in history[::2]] == list(range(1, counter + 1))
    assert store.snapshot(as_of=datetime.now(UTC)) == plan
    store.close()
    return counter


@pytest.mark.parametrize("kills", [6, pytest.param(25, marks=pytest.mark.slow)])
def test_killed_sqlite_writer_never_loses_an_acknowledged_commit(
        tmp_path: Path, kills: int) -> None:
    """SQLite, SIGKILL at random moments: the store opens whole with every acknowledged commit."""
    rng = random.Random(SEED + kills)
    path = tmp_path / "plan.db"
    url = f"sqlite:///{path}"
    counter = acknowledged_in_all = 0
    for _ in range(kills):
        writer = subprocess.Popen([sys.executable, str(WRITER), url],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert writer.stdout is not None
        assert writer.stdout.readline() == "ready\n", writer.communicate()[1]
        try:
            writer.wait(timeout=rng.uniform(0.0, 0.15))
        except subprocess.TimeoutExpired:
            writer.send_signal(signal.SIGKILL)
        output, errors = writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL, errors
        acknowledged = [int(line) for line in output.split()]
        assert acknowledged == list(range(counter + 1, counter + 1 + len(acknowledged)))
        acknowledged_in_all += len(acknowledged)
        counter = check_store(url, acknowledged[-1] if acknowledged else counter)
        with sa.create_engine(url).connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    assert acknowledged_in_all >= kills  # the writers made real progress between kills
    print(f"{counter} commits survived {kills} kills")


class PausedWriter:
    """A child process committing on command, whose next commit can be held mid-transaction.

    The pause is a trigger in the store's schema: before history rows are
    inserted (after the records are written) it waits for an advisory lock the
    test holds, so the child's unit of work stays open, half-done, until released.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1],
                                       poolclass=sa.pool.NullPool)
        self.process = subprocess.Popen(
            [sys.executable, str(WRITER), url, "--on-command"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.read() == "ready"

    def read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, self.process.communicate()[1]
        return line.strip()

    def commit(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("commit\n")
        self.process.stdin.flush()

    def add_pause(self) -> None:
        with self.engine.begin() as connection:
            connection.exec_driver_sql(
                "CREATE FUNCTION pause_commit() RETURNS trigger LANGUAGE plpgsql AS"
                f" $$ BEGIN PERFORM pg_advisory_xact_lock({PAUSE_LOCK}); RETURN NULL; END $$")
            connection.exec_driver_sql(
                "CREATE TRIGGER pause_commit BEFORE INSERT ON history"
                " FOR EACH STATEMENT EXECUTE FUNCTION pause_commit()")

    def drop_pause(self) -> None:
        with self.engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER pause_commit ON history")
            connection.exec_driver_sql("DROP FUNCTION pause_commit()")

    def paused_backend(self, connection: sa.Connection) -> int:
        """The server process of the child's paused commit, once it is waiting."""
        query = ("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                 f" AND objid = {PAUSE_LOCK}")
        deadline = time.monotonic() + 30
        while (pid := connection.exec_driver_sql(query).scalar()) is None:
            assert time.monotonic() < deadline, "the child's commit never reached the pause"
            time.sleep(0.02)
        return int(pid)

    def finish(self) -> None:
        output, errors = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, errors
        assert not errors, errors  # no traceback
        assert not output, output
        self.engine.dispose()


def test_postgresql_backend_terminated_mid_commit_is_a_store_error() -> None:
    """PostgreSQL, the committing backend killed mid-transaction: StoreError, nothing half-done."""
    with postgres_schemas(postgres_url()) as new_schema_url:
        assert callable(new_schema_url)
        url = new_schema_url()
        writer = PausedWriter(url)
        for number in (1, 2, 3):
            writer.commit()
            assert writer.read() == str(number)
        writer.add_pause()
        with writer.engine.connect() as holder:
            holder.exec_driver_sql(f"SELECT pg_advisory_lock({PAUSE_LOCK})")
            writer.commit()
            pid = writer.paused_backend(holder)
            assert holder.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar()
            reply = writer.read()
            assert reply.startswith("StoreError: "), reply
            assert "did not land" in reply, reply
            assert ":actiontrack@" not in reply  # the password is hidden
            holder.exec_driver_sql(f"SELECT pg_advisory_unlock({PAUSE_LOCK})")
            holder.commit()
        writer.drop_pause()
        assert check_store(url, 3, landed_unacknowledged=0) == 3  # nothing of commit 4
        writer.commit()  # the same store object carries on once the server is back
        assert writer.read() == "4"
        writer.finish()
        assert check_store(url, 4, landed_unacknowledged=0) == 4


def _server(action: str) -> None:
    subprocess.run(["pg_ctlcluster", "15", "main", action], check=True, timeout=60,
                   capture_output=True)


@pytest.mark.slow
def test_postgresql_server_stopped_mid_commit_is_a_store_error() -> None:
    """PostgreSQL server stopped mid-commit and while down: StoreErrors; whole after restart."""
    url = postgres_url()
    if subprocess.run(["pg_ctlcluster", "15", "main", "status"], capture_output=True,
                      check=False).returncode != 0:
        pytest.skip("cannot control the server here: pg_ctlcluster 15 main is not ours")
    # Not postgres_schemas(): its pooled admin connection would not outlive the restart.
    admin = sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1],
                             poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    schema = f"t_restart_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        _server_stopped_mid_commit(f"{url}{'&' if '?' in url else '?'}"
                                   f"options=-csearch_path%3D{schema}")
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def _server_stopped_mid_commit(url: str) -> None:
    writer = PausedWriter(url)
    for number in (1, 2):
        writer.commit()
        assert writer.read() == str(number)
    writer.add_pause()
    try:
        with writer.engine.connect() as holder:
            holder.exec_driver_sql(f"SELECT pg_advisory_lock({PAUSE_LOCK})")
            writer.commit()
            writer.paused_backend(holder)
            _server("stop")
            holder.invalidate()  # its server process is gone: nothing to roll back
            reply = writer.read()
            assert reply.startswith("StoreError: "), reply
        writer.commit()  # the server is down: refused, not a traceback
        reply = writer.read()
        assert reply.startswith("StoreError: "), reply
    finally:
        _server("start")
    deadline = time.monotonic() + 30
    while True:
        try:
            writer.drop_pause()
            break
        except sa.exc.OperationalError:
            assert time.monotonic() < deadline, "the server did not come back"
            time.sleep(0.2)
    assert check_store(url, 2, landed_unacknowledged=0) == 2
    writer.commit()
    assert writer.read() == "3"
    writer.finish()
    assert check_store(url, 3, landed_unacknowledged=0) == 3
