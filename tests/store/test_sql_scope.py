"""Agency scope: a scoped store (library) and agency roles (PostgreSQL row-level security)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sql_servers import postgres_schemas, postgres_url
from two_agencies import AT, ICB, POLICE, action_of, seed

from actiontrack import (
    Action,
    Agency,
    Evidence,
    EvidenceKind,
    EvidenceTier,
    ProgressUpdate,
    Review,
    ScopeError,
    StoreError,
    StoreNotAvailableError,
)
from actiontrack.domain.models import Measure, Measurement, Want
from actiontrack.store import Delete, Put, open_store
from actiontrack.store.sql import SQLStore
from actiontrack.store.sql_scope import (
    agency_scope_sql,
    apply_agency_scope,
    grant_agency_role,
    grant_agency_role_sql,
)


def _scoped_store_checks(url: str) -> None:
    """What a store scoped to the police may and may not change."""
    owner = open_store(url, create=True)
    seed(owner)
    owner.close()
    store = open_store(url, agency=POLICE, create=True)
    assert isinstance(store, SQLStore)
    assert store.agency == POLICE
    plan = store.snapshot()
    assert {a.id for a in plan.actions.values()} == {"A-POL", "A-ICB"}  # reads everything

    mine = store.get(Action, "A-POL")
    store.commit([Put(attrs.evolve(mine, title="renamed"))], by="police lead", at=AT)
    store.commit([
        Put(ProgressUpdate(id="U-POL", action_id="A-POL", on=date(2026, 11, 20),
                           by="police lead", text="briefed all officers")),
        Put(Evidence(id="E-POL", action_id="A-POL", tier=EvidenceTier.COMPLETION,
                     kind=EvidenceKind.BRIEFING, title="briefing slides",
                     about_date=date(2026, 11, 19), recorded_on=date(2026, 11, 20),
                     recorded_by="police lead")),
        Put(action_of("A-POL-2", POLICE)),
        Put(ProgressUpdate(id="U-POL-2", action_id="A-POL-2", on=date(2026, 11, 20),
                           by="police lead", text="planned")),
    ], by="police lead", at=AT)

    theirs = store.get(Action, "A-ICB")
    refused: list[list[Any]] = [
        [Put(attrs.evolve(theirs, title="taken over"))],
        [Put(attrs.evolve(theirs, lead_agency_id=POLICE))],
        [Delete("actions", "A-ICB", theirs.version)],
        [Put(attrs.evolve(store.get(Action, "A-POL"), lead_agency_id=ICB))],
        [Put(action_of("A-NEW", ICB))],
        [Put(ProgressUpdate(id="U-X", action_id="A-ICB", on=date(2026, 11, 20), by="police",
                            text="not ours"))],
        [Put(attrs.evolve(store.get(ProgressUpdate, "U-ICB"), action_id="A-POL"))],
        [Put(attrs.evolve(store.get(ProgressUpdate, "U-POL"), action_id="A-ICB"))],
        [Put(ProgressUpdate(id="U-Y", action_id="A-MISSING", on=date(2026, 11, 20),
                            by="police", text="no such action"))],
        [Put(Agency(id="DEMO-NEW", name="A new agency"))],
        [Put(attrs.evolve(store.get(Review, "RV"), title="changed"))],
    ]
    history = len(store.history())
    for changes in refused:
        with pytest.raises(ScopeError) as caught:
            store.commit(changes, by="police lead", at=AT)
        assert POLICE in str(caught.value)
        assert caught.value.agency == POLICE
        assert isinstance(caught.value, PermissionError)
    assert "review 'RV'" in str(caught.value)
    assert len(store.history()) == history  # nothing was written
    assert store.get(Action, "A-ICB") == theirs
    assert store.get(Review, "RV").title == "Child Alex (illustrative)"
    store.close()


def test_a_scoped_sqlite_store_changes_only_its_agencys_records(tmp_path: Path) -> None:
    """On SQLite the library keeps a scoped store to its agency's actions and their records."""
    _scoped_store_checks(f"sqlite:///{tmp_path / 'plan.db'}")


def test_a_scoped_postgresql_store_changes_only_its_agencys_records() -> None:
    """On PostgreSQL the library keeps a scoped store to its agency's actions and their records."""
    with postgres_schemas(postgres_url()) as new_schema_url:
        assert callable(new_schema_url)
        _scoped_store_checks(new_schema_url())


def test_only_sql_stores_take_an_agency(tmp_path: Path) -> None:
    """memory: and TinyDB stores cannot be scoped: StoreNotAvailableError."""
    for url in ("memory:", str(tmp_path / "plan.json")):
        with pytest.raises(StoreNotAvailableError):
            open_store(url, agency=POLICE, create=True)


def test_the_scope_sql_quotes_names() -> None:
    """Schema and role names are quoted identifiers; the agency id is a quoted literal."""
    assert 'CREATE TABLE IF NOT EXISTS "odd ""schema".agency_roles' in agency_scope_sql(
        'odd "schema')
    assert "ENABLE ROW LEVEL SECURITY" in agency_scope_sql(None)
    text = grant_agency_role_sql('po"l', "O'BRIEN-AGENCY", "s")
    assert 'CREATE ROLE "po""l" LOGIN' in text
    assert "'O''BRIEN-AGENCY'" in text


# -- the database enforces the scope for agency roles ---------------------------


def _as_role(url: str, role: str, password: str) -> sa.Engine:
    """An engine that logs in as ``role`` to the same database and schema as ``url``."""
    parsed = sa.engine.make_url("postgresql+psycopg://" + url.split("://", 1)[1])
    return sa.create_engine(parsed.set(username=role, password=password),
                            poolclass=sa.pool.NullPool)


@pytest.fixture
def agency_roles() -> Iterator[tuple[str, Callable[[str], tuple[sa.Engine, str]]]]:
    """A seeded store with row-level security on, and a maker of agency login roles."""
    admin_url = postgres_url()
    made: list[str] = []
    engines: list[sa.Engine] = []
    with postgres_schemas(admin_url) as new_schema_url:
        assert callable(new_schema_url)
        url = new_schema_url()
        owner = open_store(url, create=True)
        seed(owner)
        owner.close()
        apply_agency_scope(url)
        apply_agency_scope(url)  # running it twice does no harm

        def make(agency: str) -> tuple[sa.Engine, str]:
            role, password = f"at_test_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
            made.append(role)
            grant_agency_role(url, role, agency, password)
            engine = _as_role(url, role, password)
            engines.append(engine)
            return engine, url.replace("actiontrack:actiontrack@", f"{role}:{password}@")

        try:
            yield url, make
        finally:
            for engine in engines:
                engine.dispose()
            admin = sa.create_engine("postgresql+psycopg://" + admin_url.split("://", 1)[1],
                                     isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                for role in made:
                    connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                    connection.exec_driver_sql(f'DROP ROLE "{role}"')
            admin.dispose()


def test_an_agency_role_writes_only_its_agencys_rows(
    agency_roles: tuple[str, Callable[[str], tuple[sa.Engine, str]]],
) -> None:
    """With raw SQL, the police role changes its own action and nothing of another agency's."""
    _, make = agency_roles
    police, _ = make(POLICE)
    with police.begin() as connection:
        assert {row[0] for row in connection.exec_driver_sql("SELECT id FROM actions")} == {
            "A-POL", "A-ICB"}
        assert connection.exec_driver_sql(
            "UPDATE actions SET title = 'ours' WHERE id = 'A-POL'").rowcount == 1
        assert connection.exec_driver_sql(
            "UPDATE actions SET title = 'taken' WHERE id = 'A-ICB'").rowcount == 0
        assert connection.exec_driver_sql(
            "DELETE FROM progress_updates WHERE id = 'U-ICB'").rowcount == 0
    refused = [
        "INSERT INTO actions (id, partnership_id, lead_agency_id, title, original_target_date,"
        " target_date, status, version) VALUES ('A-X', 'P', 'DEMO-ICB', 'x', '2027-01-01',"
        " '2027-01-01', 'proposed', 1)",
        "UPDATE actions SET lead_agency_id = 'DEMO-ICB' WHERE id = 'A-POL'",
        "INSERT INTO progress_updates (id, action_id, \"on\", by, text, version)"
        " VALUES ('U-X', 'A-ICB', '2026-11-20', 'police', 'x', 1)",
        "INSERT INTO reviews (id, partnership_id, reference, kind, title, version)"
        " VALUES ('RV-X', 'P', 'X', 'lcspr', 'x', 1)",
        "UPDATE agencies SET name = 'x'",
        "INSERT INTO agency_roles VALUES ('someone', 'DEMO-ICB')",
    ]
    for statement in refused:
        with pytest.raises(sa.exc.DBAPIError), police.begin() as connection:
            connection.exec_driver_sql(statement)
    with police.connect() as connection:
        titles = dict(connection.exec_driver_sql("SELECT id, title FROM actions").all())
    assert titles == {"A-POL": "ours", "A-ICB": "action of DEMO-ICB"}


def test_an_agency_role_writes_only_its_agencys_measures_and_figures(
    agency_roles: tuple[str, Callable[[str], tuple[sa.Engine, str]]],
) -> None:
    """With raw SQL, the police role keeps its own action's measures and figures, and no
    figure of another agency's measure, even filed under its own action."""
    url, make = agency_roles
    owner = open_store(url)
    owner.commit([Put(Measure(id="A-ICB/M1", action_id="A-ICB", name="x", unit="%",
                              baseline=1, baseline_on=date(2026, 1, 1), target=2,
                              target_on=date(2027, 1, 1), want=Want.HIGHER)),
                  Put(Measurement(id="A-ICB/M1/V1", action_id="A-ICB", measure_id="A-ICB/M1",
                                  on=date(2026, 2, 1), value=1.5, by="ICB"))],
                 by="business unit", at=AT)
    owner.close()
    police, _ = make(POLICE)
    measure = ("INSERT INTO measures (id, action_id, name, unit, baseline, baseline_on, target,"
               " target_on, want, version) VALUES ('{id}', '{action}', 'x', 'days', 1.5,"
               " '2026-01-01', 2, '2027-01-01', 'higher', 1)")
    figure = ("INSERT INTO measurements (id, action_id, measure_id, \"on\", value, by, version)"
              " VALUES ('{id}', '{action}', '{measure}', '2026-02-01', 0.25, 'police', 1)")
    with police.begin() as connection:
        connection.exec_driver_sql(measure.format(id="A-POL/M1", action="A-POL"))
        connection.exec_driver_sql(figure.format(id="A-POL/M1/V1", action="A-POL",
                                                 measure="A-POL/M1"))
        assert connection.exec_driver_sql(
            "UPDATE measurements SET value = 0.5 WHERE id = 'A-POL/M1/V1'").rowcount == 1
        assert connection.exec_driver_sql(
            "UPDATE measures SET target = 9 WHERE id = 'A-ICB/M1'").rowcount == 0
        assert connection.exec_driver_sql(
            "DELETE FROM measurements WHERE id = 'A-ICB/M1/V1'").rowcount == 0
    refused = [
        measure.format(id="A-ICB/M2", action="A-ICB"),
        figure.format(id="A-ICB/M1/V2", action="A-ICB", measure="A-ICB/M1"),
        figure.format(id="A-POL/M1/V9", action="A-POL", measure="A-ICB/M1"),  # not its measure
        figure.format(id="A-POL/M1/V8", action="A-POL", measure="A-POL/M9"),  # no such measure
        "UPDATE measurements SET action_id = 'A-ICB' WHERE id = 'A-POL/M1/V1'",
    ]
    for statement in refused:
        refusal = pytest.raises(sa.exc.DBAPIError, match="row-level security")
        with refusal, police.begin() as connection:
            connection.exec_driver_sql(statement)
    with police.connect() as connection:
        figures = dict(connection.exec_driver_sql("SELECT id, value FROM measurements").all())
    assert figures == {"A-POL/M1/V1": 0.5, "A-ICB/M1/V1": 1.5}


def test_a_store_opened_as_an_agency_role_can_commit_its_own_changes(
    agency_roles: tuple[str, Callable[[str], tuple[sa.Engine, str]]],
) -> None:
    """The library works as an agency role: its own changes commit, others' do not land."""
    url, make = agency_roles
    _, role_url = make(POLICE)
    store = open_store(role_url)  # unscoped in the library: only the database stops it
    mine = store.get(Action, "A-POL")
    store.commit([
        Put(attrs.evolve(mine, title="renamed")),
        Put(ProgressUpdate(id="U-POL", action_id="A-POL", on=date(2026, 11, 20),
                           by="police lead", text="done")),
    ], by="police lead", at=AT)
    theirs = store.get(Action, "A-ICB")
    with pytest.raises(StoreError, match="row-level security"):
        store.commit([Put(attrs.evolve(theirs, title="taken"))], by="police lead", at=AT)
    store.close()
    owner = open_store(url, create=True)
    assert owner.get(Action, "A-POL").title == "renamed"
    assert owner.get(Action, "A-ICB").title == "action of DEMO-ICB"
    owner.close()
