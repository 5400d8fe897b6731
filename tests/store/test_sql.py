"""The SQL store keeps every promise of the store contract, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from contract import StoreContract, StoreFactory
from sql_servers import postgres_schemas, postgres_url

from actiontrack.store import Store, open_store
from actiontrack.store.sql import SQLStore


class TestSQLiteStore(StoreContract):
    """SQLStore on a real SQLite file."""

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Iterator[StoreFactory]:
        made: list[SQLStore] = []

        def make() -> Store:
            store = open_store(f"sqlite:///{tmp_path / f'plan{len(made)}.db'}", create=True)
            assert isinstance(store, SQLStore)
            made.append(store)
            return store

        yield make
        for store in made:
            store.close()

    def reopen(self, store: Store) -> Store:
        assert isinstance(store, SQLStore)
        return SQLStore(store.url)


class TestPostgreSQLStore(StoreContract):
    """SQLStore on a real PostgreSQL server, each store in a schema of its own."""

    @pytest.fixture
    def make_store(self) -> Iterator[StoreFactory]:
        with postgres_schemas(postgres_url()) as new_schema_url:
            made: list[SQLStore] = []

            def make() -> Store:
                assert callable(new_schema_url)
                store = open_store(new_schema_url(), create=True)
                assert isinstance(store, SQLStore)
                made.append(store)
                return store

            yield make
            for store in made:
                store.close()

    def reopen(self, store: Store) -> Store:
        assert isinstance(store, SQLStore)
        return SQLStore(store.url)


def test_a_missing_sqlite_store_is_not_created(tmp_path: Path) -> None:
    """open_store on a SQLite path with no store raises StoreMissingError and makes no file."""
    from actiontrack.errors import StoreMissingError

    with pytest.raises(StoreMissingError, match="no store at"):
        open_store(f"sqlite:///{tmp_path / 'missing.db'}")
    assert list(tmp_path.iterdir()) == []



def test_open_store_chooses_sql_for_sql_urls(tmp_path: Path) -> None:
    """sqlite:/// gives an SQLStore; the file is created with the schema."""
    store = open_store(f"sqlite:///{tmp_path / 'plan.db'}", create=True)
    assert isinstance(store, SQLStore)
    assert (tmp_path / "plan.db").exists()
    store.close()


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    """A server that does not answer is a StoreError naming the URL, password hidden."""
    from actiontrack.errors import StoreError

    with pytest.raises(StoreError) as caught:
        open_store("postgresql://someone:s3cret@127.0.0.1:1/plans", lock_timeout=1, create=True)
    assert "s3cret" not in str(caught.value)
    assert "127.0.0.1:1/plans" in str(caught.value)


def _set_layout(url: str, version: int) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE store_meta SET value = '{version}' WHERE key = 'schema_version'")
    engine.dispose()


def test_a_newer_layout_is_refused_and_left_alone(tmp_path: Path) -> None:
    """A database written by a newer release raises StoreVersionError and is not changed."""
    from actiontrack.errors import StoreVersionError

    url = f"sqlite:///{tmp_path / 'plan.db'}"
    SQLStore(url, create=True).close()
    _set_layout(url, 99)
    before = (tmp_path / "plan.db").read_bytes()
    with pytest.raises(StoreVersionError, match="newer actiontrack"):
        SQLStore(url, create=True)
    assert (tmp_path / "plan.db").read_bytes() == before


def test_a_layout_with_no_upgrade_path_is_refused(tmp_path: Path) -> None:
    """An old layout this release has no step for is a StoreVersionError, not a guess."""
    from actiontrack.errors import StoreVersionError

    url = f"sqlite:///{tmp_path / 'plan.db'}"
    SQLStore(url, create=True).close()
    _set_layout(url, 0)
    with pytest.raises(StoreVersionError, match="no upgrade from store layout 0"):
        SQLStore(url, create=True)


def test_a_postgresql_writer_waits_no_longer_than_the_lock_timeout() -> None:
    """While another transaction holds the store's lock, a commit gives up with StoreLockedError."""
    import sqlalchemy as sa
    from contract import T0, recommendation

    from actiontrack.errors import StoreLockedError
    from actiontrack.store import Put

    with postgres_schemas(postgres_url()) as new_schema_url:
        assert callable(new_schema_url)
        url = new_schema_url()
        store = SQLStore(url, lock_timeout=0.5, create=True)
        holder = sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
        with holder.connect() as connection, connection.begin():
            connection.exec_driver_sql("SELECT * FROM store_meta FOR UPDATE").all()
            with pytest.raises(StoreLockedError, match="another writer"):
                store.commit([Put(recommendation())], by="Tester", at=T0)
        holder.dispose()
        assert store.commit([Put(recommendation())], by="Tester", at=T0).commit == 1
        store.close()


@pytest.mark.slow
def test_a_plan_larger_than_one_statement_restores(tmp_path: Path) -> None:
    """More records of one kind than SQLite takes parameters in one statement still restore."""
    from actiontrack.generate import Size, generate_plan

    plan, history = generate_plan(Size(partnerships=1, actions=12_000))
    assert len(plan.progress_updates) > 32_766  # SQLite's limit on one statement's parameters
    store = SQLStore(f"sqlite:///{tmp_path / 'big.db'}", create=True)
    store.restore(plan, history)
    assert SQLStore(store.url, create=True).snapshot() == plan


def test_a_row_edited_in_the_database_is_read_the_strict_way(tmp_path: Path) -> None:
    """Loading builds rows straight from the driver, but a row it cannot make is named."""
    import sqlite3

    from contract import T0, action, recommendation

    from actiontrack.errors import ConversionError
    from actiontrack.store import Put

    path = tmp_path / "plan.db"
    store = SQLStore(f"sqlite:///{path}", create=True)
    store.commit([Put(recommendation()), Put(action("A1")), Put(action("A2"))], by="Tester", at=T0)
    assert SQLStore(store.url).snapshot() == store.snapshot()  # the fast path, as written
    with sqlite3.connect(path) as database:
        database.execute("UPDATE actions SET status = 'finished', target_date = '2026-02-30' "
                         "WHERE id = 'A2'")
    with pytest.raises(ConversionError) as caught:
        SQLStore(store.url).snapshot()
    assert set(caught.value.problems) == {
        '$.actions["A2"].status: expected one of proposed, agreed, in_progress, completed, '
        "assured, embedded, on_hold, superseded, reopened; got 'finished' (str)",
        '$.actions["A2"].target_date: \'2026-02-30\' is not a real day: February 2026 has 28 days',
    }
    store.close()
