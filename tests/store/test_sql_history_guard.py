"""No forged history on PostgreSQL: agency roles append history only through the guard."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sql_servers import postgres_schemas, postgres_url
from two_agencies import AT, ICB, POLICE, seed

from actiontrack import (
    Action,
    ActionStatus,
    Agency,
    AssuranceOutcome,
    EvidenceKind,
    EvidenceTier,
    Review,
    service,
)
from actiontrack.store import Put, Store, open_store
from actiontrack.store.sql_scope import (
    apply_agency_scope,
    grant_agency_role,
    grant_agency_role_sql,
)

APPEND = "SELECT actiontrack_append_history(CAST(:entries AS json))"


@attrs.frozen
class Guarded:
    """A seeded store with agency scope on, and login roles for the police and the ICB."""

    url: str  # the owner's
    owner: sa.Engine
    police: sa.Engine
    police_url: str
    icb_role: str


def _engine(url: str) -> sa.Engine:
    return sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1],
                            poolclass=sa.pool.NullPool)


@pytest.fixture
def guarded() -> Iterator[Guarded]:
    """A new schema with a seeded store, row-level security and two agency roles."""
    admin_url = postgres_url()
    roles: list[str] = []
    engines: list[sa.Engine] = []
    with postgres_schemas(admin_url) as new_schema_url:
        assert callable(new_schema_url)
        url = new_schema_url()
        owner = open_store(url, create=True)
        seed_with_officer(owner)
        owner.close()
        apply_agency_scope(url)

        def role_url(agency: str) -> str:
            role, password = f"at_test_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
            roles.append(role)
            grant_agency_role(url, role, agency, password)
            return url.replace("actiontrack:actiontrack@", f"{role}:{password}@")

        police_url = role_url(POLICE)
        role_url(ICB)
        engines += [_engine(url), _engine(police_url)]
        try:
            yield Guarded(url, engines[0], engines[1], police_url, roles[1])
        finally:
            for engine in engines:
                engine.dispose()
            admin = sa.create_engine("postgresql+psycopg://" + admin_url.split("://", 1)[1],
                                     isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                for role in roles:
                    connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                    connection.exec_driver_sql(f'DROP ROLE "{role}"')
            admin.dispose()


def _history_rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return list(connection.exec_driver_sql(
            "SELECT seq, kind, record_id, version, change, field, old::text, new::text"
            " FROM history ORDER BY seq").all())


def _assert_history_rebuilds_the_plan(store: Store) -> None:
    """The history alone rebuilds the stored plan (a restore checks exactly that)."""
    copy = open_store("memory:")
    copy.restore(store.snapshot(), store.history())
    assert copy.snapshot() == store.snapshot()


# -- (1) an agency role's own commits ------------------------------------------------


def test_an_agency_roles_own_commits_land_with_their_history(guarded: Guarded) -> None:
    """Updates, evidence, status changes, edits and withdrawals by the police role all land."""
    with guarded.police.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT has_table_privilege('history', 'INSERT')").scalar() is False
    store = open_store(guarded.police_url, agency=POLICE)
    before = len(store.history())
    kw: dict[str, Any] = {"by": "police lead", "at": AT}
    update = service.add_progress_update(store, "A-POL", "briefed all officers", **kw)
    service.set_status(store, "A-POL", ActionStatus.AGREED, **kw)
    service.revise_target_date(store, "A-POL", date(2027, 6, 30), reason="training slipped",
                               **kw)
    service.edit(store, "A-POL", {"title": "Brief every officer"}, reason="clearer", **kw)
    evidence = service.add_evidence(
        store, "A-POL", tier=EvidenceTier.COMPLETION, kind=EvidenceKind.BRIEFING,
        title="briefing slides", about_date=date(2026, 11, 20), **kw)
    service.set_status(store, "A-POL", ActionStatus.COMPLETED, **kw)
    service.record_assurance_decision(
        store, "A-POL", outcome=AssuranceOutcome.ACCEPTED, decided_by="Board chair",
        body="LSCP board", seen="the slides", evidence_ids=[evidence.id], **kw)
    service.withdraw(store, update.id, reason="added to the wrong action", **kw)
    # Two changes to one record in one commit: two versions, each with its entries.
    action = store.get(Action, "A-POL")
    once = attrs.evolve(action, deliverable="slides")
    store.commit([Put(once), Put(attrs.evolve(once, deliverable="slides and notes",
                                              success_measure="all briefed",
                                              version=action.version + 1))], **kw)

    entries = store.history()[before:]
    assert {entry.by for entry in entries} == {"police lead"}
    assert [(entry.kind, entry.change.value) for entry in entries if entry.field is None] == [
        ("progress_updates", "create"), ("evidence", "create"),
        ("assurance_decisions", "create"), ("progress_updates", "delete")]
    assert {entry.field for entry in entries} >= {
        "status", "target_date", "target_revisions", "title", "deliverable"}
    assert store.get(Action, "A-POL").version == action.version + 2
    _assert_history_rebuilds_the_plan(store)
    store.close()
    owner = open_store(guarded.url)
    assert owner.history()[before:] == entries  # everyone reads the same history
    owner.close()
    # The function stores the JSON text a direct insert stores.
    for *_, old, new in _history_rows(guarded.owner):
        for text in (old, new):
            assert text == json.dumps(json.loads(text))


def test_a_store_can_be_scoped_in_the_library_only_too(guarded: Guarded) -> None:
    """Opened without agency=, an agency role's commit of its own action still lands."""
    store = open_store(guarded.police_url)
    mine = store.get(Action, "A-POL")
    store.commit([Put(attrs.evolve(mine, title="renamed"))], by="police lead", at=AT)
    assert store.history(record_id="A-POL")[-1].new == "renamed"
    store.close()


# -- (2) no raw writes to history ------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "INSERT INTO history (seq, \"commit\", at, by, kind, record_id, version, change, field,"
    " old, new) VALUES (100, 100, '2026-11-26T09:00:00+00:00', 'police lead', 'actions',"
    " 'A-ICB', 2, 'update', 'title', '\"action of DEMO-ICB\"', '\"forged\"')",
    "UPDATE history SET by = 'someone else'",
    "DELETE FROM history WHERE record_id = 'A-ICB'",
])
def test_raw_sql_on_history_by_an_agency_role_is_refused(
    guarded: Guarded, statement: str
) -> None:
    """INSERT, UPDATE and DELETE on history as the police role: permission denied."""
    before = _history_rows(guarded.owner)
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied for table history"), \
            guarded.police.begin() as connection:
        connection.exec_driver_sql(statement)
    assert _history_rows(guarded.owner) == before


# -- (3) made-up entries through the function ------------------------------------------


def _counters(connection: sa.Connection) -> dict[str, str]:
    return dict(connection.exec_driver_sql("SELECT key, value FROM store_meta").all())


def _title_entry(counters: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """The entry the police's change of A-POL's title to 'real' (version 2) makes."""
    return {"seq": int(counters["last_seq"]) + 1, "commit": int(counters["last_commit"]) + 1,
            "at": AT.isoformat(), "by": "police lead", "reason": None, "kind": "actions",
            "record_id": "A-POL", "version": 2, "change": "update", "field": "title",
            "old": "action of DEMO-POL", "new": "real"} | overrides


def _append(engine: sa.Engine, differences: dict[str, Any], *, change: str | None = None,
            caller: str | None = None) -> int:
    """In one transaction: make ``change``, then append the title entry with ``differences``."""
    with engine.begin() as connection:
        if change:
            connection.exec_driver_sql(change)
        entry = _title_entry(_counters(connection), **differences)
        call = APPEND if caller is None else (
            "SELECT actiontrack_append_history(CAST(:entries AS json), :caller)")
        appended = connection.execute(sa.text(call), {"entries": json.dumps([entry]),
                                                      "caller": caller}).scalar_one()
    assert isinstance(appended, int)
    return appended


RETITLE = "UPDATE actions SET title = 'real', version = version + 1 WHERE id = 'A-POL'"
REMOVAL = {"change": "delete", "field": None, "new": None, "old": "the record as stored"}

#: name: (the owner's change first, the police's change, the entry's differences, message)
MADE_UP: dict[str, tuple[str | None, str | None, dict[str, Any], str]] = {
    "for another agency's action": (
        None, RETITLE, {"record_id": "A-ICB", "old": "action of DEMO-ICB"},
        "its row holds title"),
    "for another agency's action changed outside history": (
        "UPDATE actions SET title = 'real', version = 2 WHERE id = 'A-ICB'", None,
        {"record_id": "A-ICB", "old": "action of DEMO-ICB"}, "not a record of DEMO-POL"),
    "for another agency's update": (
        None, None, {"kind": "progress_updates", "record_id": "U-ICB", "field": "text",
                     "old": "started", "new": "forged"}, "its row holds text"),
    "at a version the record is not at": (None, RETITLE, {"version": 3}, "version must be 2"),
    "at the version, when the row moved two": (
        None, "UPDATE actions SET title = 'real', version = 3 WHERE id = 'A-POL'", {},
        "its row holds version = 3"),
    "whose new value is not the row's": (None, RETITLE, {"new": "forged"},
                                         "its row holds title"),
    "whose old value is not what history holds": (None, RETITLE, {"old": "forged"},
                                                  "old title"),
    "with a seq that does not continue": (None, RETITLE, {"seq": 99}, "seq must be"),
    "with a commit that does not continue": (None, RETITLE, {"commit": 99},
                                             "commit must be"),
    "with nobody as its author": (None, RETITLE, {"by": " "}, "names nobody"),
    "dated before the latest commit": (None, RETITLE, {"at": "2026-01-01T00:00:00+00:00"},
                                       "before the latest commit"),
    "for a kind an agency may not change": (
        None, None, {"kind": "reviews", "record_id": "RV", "field": "title"},
        "may not change reviews"),
    "removing a record that is still there": (None, None, REMOVAL,
                                              "but its row is there"),
}


@pytest.mark.parametrize("case", list(MADE_UP))
def test_a_made_up_entry_is_refused_and_nothing_is_written(
    guarded: Guarded, case: str
) -> None:
    """The function refuses an entry that is not the change the role made; all rolls back."""
    owner_change, police_change, differences, message = MADE_UP[case]
    if owner_change:
        with guarded.owner.begin() as connection:
            connection.exec_driver_sql(owner_change)
    before = _history_rows(guarded.owner)
    with guarded.owner.connect() as connection:
        rows_before = connection.exec_driver_sql("SELECT * FROM actions ORDER BY id").all()
        created = connection.exec_driver_sql(
            "SELECT new FROM history WHERE record_id = 'A-POL' AND change = 'create'").scalar()
    if differences.get("old") == "the record as stored":
        differences = differences | {"old": created}
    with pytest.raises(sa.exc.DBAPIError, match=message) as caught:
        _append(guarded.police, differences, change=police_change)
    assert "actiontrack history guard" in str(caught.value)
    assert _history_rows(guarded.owner) == before
    with guarded.owner.connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT * FROM actions ORDER BY id").all() == rows_before


def test_the_true_entry_is_taken_and_the_store_stays_whole(guarded: Guarded) -> None:
    """The entry that matches the police's change lands, and the store replays it."""
    with guarded.police.begin() as connection:
        connection.exec_driver_sql(RETITLE)
        entry = _title_entry(_counters(connection))
        assert connection.execute(sa.text(APPEND), {"entries": json.dumps([entry])}).scalar() == 1
        for key in ("seq", "commit"):
            connection.execute(sa.text("UPDATE store_meta SET value = :value WHERE key = :key"),
                               {"key": f"last_{key}", "value": str(entry[key])})
    owner = open_store(guarded.url)
    assert owner.history()[-1].new == "real"
    _assert_history_rebuilds_the_plan(owner)
    owner.close()


def test_a_role_cannot_append_as_another_agencys_role(guarded: Guarded) -> None:
    """Naming the ICB's role as the caller is refused: the session is not that role."""
    with pytest.raises(sa.exc.DBAPIError, match="may not append history as"):
        _append(guarded.police, {"record_id": "A-ICB", "old": "action of DEMO-ICB"},
                caller=guarded.icb_role)


def test_only_agency_roles_may_call_the_function(guarded: Guarded) -> None:
    """A role not linked to an agency (here the owner) is refused by the function."""
    with pytest.raises(sa.exc.DBAPIError, match="is not an agency role"):
        _append(guarded.owner, {}, change=RETITLE)


# -- (4) the owner, and the grants -----------------------------------------------------


def test_the_owners_commits_are_unaffected(guarded: Guarded) -> None:
    """The owner changes any agency's records and read-only kinds, as before."""
    owner = open_store(guarded.url)
    before = len(owner.history())
    theirs = owner.get(Action, "A-ICB")
    owner.commit([
        Put(attrs.evolve(theirs, title="renamed by the business unit")),
        Put(attrs.evolve(owner.get(Review, "RV"), title="Child Alex")),
        Put(Agency(id="DEMO-LA", name="Demo council")),
    ], by="business unit", at=AT)
    assert len(owner.history()) == before + 3
    assert owner.get(Action, "A-ICB").title == "renamed by the business unit"
    _assert_history_rebuilds_the_plan(owner)
    owner.close()


def test_granting_again_takes_back_an_older_insert_on_history(guarded: Guarded) -> None:
    """A role granted INSERT on history by an older release loses it when granted again."""
    with guarded.police.connect() as connection:
        role = connection.exec_driver_sql("SELECT current_user").scalar()
    assert isinstance(role, str)
    with guarded.owner.begin() as connection:
        connection.exec_driver_sql(f'GRANT INSERT ON history TO "{role}"')
    grant_agency_role(guarded.url, role, POLICE, "new-password")
    police = sa.create_engine(guarded.police.url.set(password="new-password"),
                              poolclass=sa.pool.NullPool)
    try:
        with police.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT has_table_privilege('history', 'INSERT')").scalar() is False
    finally:
        police.dispose()


def test_the_grant_sql_names_the_function_and_no_insert_on_history() -> None:
    """grant_agency_role_sql revokes writes to history and grants EXECUTE on the function."""
    text = grant_agency_role_sql("demo_pol", POLICE, "plans")
    assert "GRANT SELECT ON plans.history TO demo_pol" in text
    assert "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON plans.history FROM demo_pol" in text
    assert "SECURITY DEFINER" in text
    assert "SET search_path = pg_catalog, pg_temp" in text
    assert "REVOKE ALL ON FUNCTION plans.actiontrack_append_history(json, name) FROM PUBLIC" in text
    assert ("GRANT EXECUTE ON FUNCTION plans.actiontrack_append_history(json, name)"
            " TO demo_pol") in text
    with pytest.raises(ValueError):
        grant_agency_role_sql("demo_pol", POLICE, "odd$actiontrack$schema")


def test_the_grant_sql_without_a_schema_guards_the_owners_current_schema() -> None:
    """Run as psql would, the schema-less SQL makes a function that guards the store."""
    with postgres_schemas(postgres_url()) as new_schema_url:
        assert callable(new_schema_url)
        url = new_schema_url()
        owner = open_store(url, create=True)
        seed_with_officer(owner)
        owner.close()
        apply_agency_scope(url)
        role, password = f"at_test_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
        engine = _engine(url)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    grant_agency_role_sql(role, POLICE),
                    execution_options={"no_parameters": True})
                connection.exec_driver_sql(f"ALTER ROLE \"{role}\" PASSWORD '{password}'")
                # Without a schema the SQL grants none: a DBA grants the store's schema.
                schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
                connection.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
            store = open_store(url.replace("actiontrack:actiontrack@", f"{role}:{password}@"))
            mine = store.get(Action, "A-POL")
            store.commit([Put(attrs.evolve(mine, title="renamed"))], by="police lead", at=AT)
            store.close()
        finally:
            with engine.begin() as connection:
                connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                connection.exec_driver_sql(f'DROP ROLE "{role}"')
            engine.dispose()


def seed_with_officer(store: Store) -> None:
    seed(store, lead_officer="DI Shaw")
