"""Stores written by an earlier release open in this one, upgraded, with nothing lost.

tests/store/data holds the demo as release 0.1.0 wrote it (store layout 1,
before agencies had contacts), loaded at 2026-11-26T09:00:00+00:00 into a
SQLite file and into the JSON file store; ``layout-2.db``, the demo as the
release before chases wrote it (layout 2), loaded at 2026-12-04T09:00:00+00:00;
``layout-3.db``, the demo as the release before adopt wrote it (layout 3),
loaded at 2026-12-06T01:00:00+00:00, with its first chases at 01:05; and
``layout-4.db``, the demo as the release before the hash chain wrote it (layout
4), loaded at 2026-12-06T04:00:00+00:00, with an update naming someone and an
edit at 04:05: ``data/make_layout_4.py``, run on a worktree of that release; and
``layout-5.db`` and ``layout-5.json`` (with its history and digest), the demo as
the release before measures wrote it (layout 5, the hash chain), loaded at
2026-12-06T08:00:00+00:00, with a progress update added to DEMO-SCP/A001 and its
success measure reworded at 08:05: ``data/make_layout_5.py``; and ``layout-6.db``,
the demo as the release before the ``history_created`` index wrote it (layout 6,
measures), loaded at 2026-12-06T08:00:00+00:00, with a progress update and a figure
for DEMO-SCP/A001/M1 at 08:05: ``data/make_layout_6.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sql_servers import postgres_schemas, postgres_url

from actiontrack import convert, service
from actiontrack.domain import additions
from actiontrack.domain.chain import GENESIS, check_chain, link, redaction_digests
from actiontrack.domain.models import (
    Action,
    Agency,
    Chase,
    Measure,
    Measurement,
    PartnershipKind,
    ProgressUpdate,
    Want,
)
from actiontrack.domain.redaction import marker
from actiontrack.errors import StoreVersionError
from actiontrack.store import Put, Redact, Store, TinyDBStore, open_store
from actiontrack.store.copy import contents_of
from actiontrack.store.core import plan_from_tables, replay
from actiontrack.store.sql import SCHEMA_VERSION as SQL_LAYOUT
from actiontrack.store.tinydb import SCHEMA_VERSION as FILE_LAYOUT
from actiontrack.verify import verify_store

DATA = Path(__file__).parent / "data"
BY = "Business unit"
AFTER = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # after the fixtures' history, not in the future


def _meta(url: str, key: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        value = connection.execute(
            sa.text("SELECT value FROM store_meta WHERE key = :key"), {"key": key}).scalar()
    engine.dispose()
    assert isinstance(value, str)
    return value


def _release_json(tmp_path: Path) -> TinyDBStore:
    for name in ("layout-1.json", "layout-1.history.jsonl"):
        shutil.copy(DATA / name, tmp_path / name)
    return TinyDBStore(tmp_path / "layout-1.json")


def _contacts_can_be_kept(store: Store) -> None:
    """An agency of the old store takes an email and aliases; history holds just those."""
    service.edit(store, "DEMO-POL", {"email": "lead@police.example.org", "aliases": "Police"},
                 reason="Contacts for reminders", by=BY, at=AFTER)
    agency = store.get(Agency, "DEMO-POL")
    assert (agency.email, agency.aliases) == ("lead@police.example.org", ("Police",))
    latest = store.history(record_id="DEMO-POL")[-2:]
    assert sorted((entry.field, entry.old, entry.new) for entry in latest) == [
        ("aliases", [], ["Police"]), ("email", None, "lead@police.example.org")]


def _past_views_are_the_replayed_ones(store: Store) -> None:
    """Views of the past, newest first (each rewound from the last), equal history replayed."""
    history = [convert.unstructure(entry) for entry in store.history()]
    moments = sorted({entry.at for entry in store.history()}, reverse=True)
    for moment in [*moments[:3], moments[len(moments) // 2], moments[-1]]:
        earlier = moment - timedelta(seconds=1)
        assert store.snapshot(as_of=earlier) == plan_from_tables(replay(history, earlier))


def test_a_release_0_1_sqlite_store_is_upgraded_with_its_plan_and_history(tmp_path: Path) -> None:
    """The SQLite store release 0.1.0 wrote opens at today's layout, holding what it held."""
    shutil.copy(DATA / "layout-1.db", tmp_path / "plan.db")
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    assert _meta(url, "schema_version") == "1"
    expected = contents_of(_release_json(tmp_path))  # the same demo, the same release
    store = open_store(url)
    assert _meta(url, "schema_version") == str(SQL_LAYOUT)
    assert _meta(url, "ordered_before") == ""  # its history is in time order
    assert contents_of(store) == expected
    _past_views_are_the_replayed_ones(store)
    _contacts_can_be_kept(store)
    store.close()
    assert open_store(url).get(Agency, "DEMO-POL").aliases == ("Police",)  # nothing left to do


def test_a_layout_2_sqlite_store_is_upgraded_and_keeps_chases(tmp_path: Path) -> None:
    """The store the release before chases wrote gains the chases tables and keeps its plan."""
    shutil.copy(DATA / "layout-2.db", tmp_path / "plan.db")
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    assert _meta(url, "schema_version") == "2"
    before = open_store(url, create=False)
    before.close()  # opening it upgraded it
    assert _meta(url, "schema_version") == str(SQL_LAYOUT)
    store = open_store(url)
    assert store.count("actions") == 10
    assert store.count("chases") == 0
    _past_views_are_the_replayed_ones(store)
    plan = store.snapshot()
    chase = additions.new_chase(plan, agency_id="DEMO-POL", action_ids=[
        a.id for a in plan.actions.values() if a.lead_agency_id == "DEMO-POL"][:1],
        sent_on=AFTER.date(), sent_by=BY, sent_to="lead@police.example.org",
        message_id="<1@example.org>")
    store.commit([Put(chase)], by=BY, at=AFTER)
    store.close()
    assert open_store(url).get(Chase, "DEMO-POL/C1").action_ids == chase.action_ids


def test_a_layout_3_sqlite_store_is_upgraded_and_keeps_action_references(
    tmp_path: Path,
) -> None:
    """The store the release before adopt wrote gains actions' references, losing nothing."""
    shutil.copy(DATA / "layout-3.db", tmp_path / "plan.db")
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    assert _meta(url, "schema_version") == "3"
    store = open_store(url)
    assert _meta(url, "schema_version") == str(SQL_LAYOUT)
    assert (store.count("actions"), store.count("chases")) == (10, 3)
    assert store.get(Chase, "DEMO-POL/C1").agency_id == "DEMO-POL"
    assert {action.reference for action in store.find(Action)} == {None}
    _past_views_are_the_replayed_ones(store)
    service.edit(store, "DEMO-SCP/A001", {"reference": "2.1a"}, reason="Tracker reference",
                 by=BY, at=datetime(2026, 12, 6, 2, 0, tzinfo=UTC))
    store.close()
    store = open_store(url)
    assert store.get(Action, "DEMO-SCP/A001").reference == "2.1a"
    (entry,) = store.history(record_id="DEMO-SCP/A001")[-1:]
    assert (entry.field, entry.old, entry.new) == ("reference", None, "2.1a")


def test_a_layout_4_sqlite_store_is_upgraded_and_chained(tmp_path: Path) -> None:
    """The store the release before the chain wrote: its head links its history, as it was.

    Its rows keep no hash (they are linked as they are read), its first
    commit goes on from the head, a redaction reaches its old rows, and raw
    SQL on it is caught from then on.
    """
    shutil.copy(DATA / "layout-4.db", tmp_path / "plan.db")
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    assert _meta(url, "schema_version") == "4"
    store = open_store(url)
    assert _meta(url, "schema_version") == str(SQL_LAYOUT)
    history = [convert.unstructure(entry) for entry in store.history()]
    assert len(history) == 84
    assert {entry["hash"] for entry in history} == {None}  # not rewritten
    assert store.head == _meta(url, "head") == link([dict(e) for e in history], GENESIS)
    assert check_chain(history, store.head, redaction_digests(history)) == []
    assert store.outside_edits() == []
    _past_views_are_the_replayed_ones(store)
    at = datetime(2026, 12, 6, 4, 30, tzinfo=UTC)  # after its history, before today
    service.edit(store, "DEMO-SCP/A001", {"reference": "2.1a"}, reason="Tracker reference",
                 by=BY, at=at)
    update = store.get(ProgressUpdate, "DEMO-SCP/A002/U1")
    assert "Jayden Smith" in update.text
    store.commit([Redact("progress_updates", update.id, update.version, "text",
                         marker(by=BY, at=at, reason="a child's name"))], by=BY, at=at)
    history = [convert.unstructure(entry) for entry in store.history()]
    assert store.head == history[-1]["hash"]
    assert check_chain(history, store.head, redaction_digests(history)) == []
    assert "Jayden Smith" not in str(history)
    assert len(store.sign(b"workbook")) == 64  # the upgrade gave it a secret
    store.close()
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE actions SET title = 'x' WHERE id = 'DEMO-SCP/A001'")
    engine.dispose()
    store = open_store(url)
    assert [(edit.kind, edit.record_id) for edit in store.outside_edits()] == [
        ("actions", "DEMO-SCP/A001")]
    store.close()


#: After the layout 5 fixtures' history (08:05), before today.
AFTER_5 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _layout_5_json(tmp_path: Path) -> TinyDBStore:
    for name in ("layout-5.json", "layout-5.history.jsonl", "layout-5.json.digest"):
        shutil.copy(DATA / name, tmp_path / name)
    return TinyDBStore(tmp_path / "layout-5.json")


def _raw_history(url: str) -> list[dict[str, object]]:
    """The history rows as the database holds them, read with plain SQL."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            'SELECT seq, "commit", "at", "by", reason, kind, record_id, version, change, field,'
            " old, new, hash FROM history ORDER BY seq").columns(old=sa.JSON, new=sa.JSON))
        found = [dict(row._mapping) for row in rows]
    engine.dispose()
    return found


def _measures_can_be_kept(store: Store, reopen: Callable[[], Store]) -> None:
    """The upgraded store takes a measure and its figures, reads them back, and verifies."""
    measure = service.add_measure(
        store, "DEMO-SCP/A001", name="Referrals with a chronology", unit="%", baseline=40,
        baseline_on=date(2026, 9, 1), target=85.5, target_on=date(2027, 9, 1),
        want=Want.HIGHER, source="Case-file audit", by=BY, at=AFTER_5)
    figure = service.record_measurement(store, measure.id, 0.1 + 0.2, on=date(2026, 12, 1),
                                        by=BY, at=AFTER_5)
    for view in (store, reopen()):
        assert view.get(Measure, measure.id) == measure
        assert view.find(Measurement, measure_id=measure.id) == [figure]
        assert view.get(Measurement, figure.id).value == 0.1 + 0.2
        assert view.head == view.history()[-1].hash
        assert verify_store(view).intact, verify_store(view).findings
        assert view.outside_edits() == []


def test_a_layout_5_sqlite_store_is_upgraded_and_takes_measures(tmp_path: Path) -> None:
    """The store the release before measures wrote opens at this release's layout with the
    plan and the history it held, row for row; it then keeps measures, and raw SQL on them is
    caught."""
    shutil.copy(DATA / "layout-5.db", tmp_path / "plan.db")
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    assert _meta(url, "schema_version") == "5"
    held, head = _raw_history(url), _meta(url, "head")
    expected = contents_of(_layout_5_json(tmp_path))  # the same demo, the same release
    store = open_store(url)
    assert _meta(url, "schema_version") == str(SQL_LAYOUT) == "7"
    assert _raw_history(url) == held
    assert (store.head, _meta(url, "head")) == (head, head)
    assert contents_of(store) == expected
    assert (store.count("measures"), store.count("measurements")) == (0, 0)
    action = store.get(Action, "DEMO-SCP/A001")
    assert action.success_measure == "Share of referrals with a chronology"
    assert "Audit of 20 cases booked for January" in [
        update.text for update in store.find(ProgressUpdate, action_id=action.id)]
    assert verify_store(store).intact
    assert store.outside_edits() == []
    _past_views_are_the_replayed_ones(store)
    _measures_can_be_kept(store, lambda: open_store(url))
    store.close()
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE measures SET target = 99 WHERE id = 'DEMO-SCP/A001/M1'")
        connection.exec_driver_sql("DELETE FROM measurements")
    engine.dispose()
    store = open_store(url)
    assert sorted((edit.kind, edit.record_id) for edit in store.outside_edits()) == [
        ("measurements", "DEMO-SCP/A001/M1/V1"), ("measures", "DEMO-SCP/A001/M1")]
    store.close()


def test_a_layout_5_json_store_is_read_as_it_is_and_marked_by_its_first_commit(
    tmp_path: Path,
) -> None:
    """The JSON store the release before measures wrote reads unchanged (and intact); its
    first commit, a measure, marks layout 6."""
    store = _layout_5_json(tmp_path)
    path = tmp_path / "layout-5.json"
    before = path.read_bytes()
    assert b'"schema_version":5' in before
    assert store.get(Action, "DEMO-SCP/A001").success_measure == (
        "Share of referrals with a chronology")
    assert verify_store(store).intact
    assert store.snapshot().measures == {}
    assert path.read_bytes() == before  # reading changed nothing
    _past_views_are_the_replayed_ones(store)
    _measures_can_be_kept(store, lambda: TinyDBStore(path))
    assert f'"schema_version":{FILE_LAYOUT}'.encode() in path.read_bytes()
    assert FILE_LAYOUT == 6
    store.close()


def _schema(url: str) -> dict[str, object]:
    """Each table's columns and indexes, and the triggers, as the database describes them."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    inspector = sa.inspect(engine)
    schema: dict[str, object] = {
        table: (sorted((c["name"], str(c["type"]), c["nullable"])
                       for c in inspector.get_columns(table)),
                sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table)))
        for table in inspector.get_table_names()}
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            found = connection.exec_driver_sql(
                "SELECT t.tgname, c.relname, replace(pg_get_triggerdef(t.oid),"
                " current_schema() || '.', '') FROM pg_trigger t JOIN pg_class c"
                " ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
                " AND c.relnamespace = current_schema()::regnamespace").all()
        else:
            found = connection.exec_driver_sql(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    schema["triggers"] = sorted(tuple(row) for row in found)
    engine.dispose()
    return schema


def test_a_layout_6_sqlite_store_is_upgraded_and_answers_creation_days_from_an_index(
    tmp_path: Path,
) -> None:
    """The store the release before wrote (layout 6) opens at layout 7 with its records and
    history row for row, and when each record was created is read from the new index: the
    same days the history gives."""
    shutil.copy(DATA / "layout-6.db", tmp_path / "plan.db")
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    assert _meta(url, "schema_version") == "6"
    held, head = _raw_history(url), _meta(url, "head")
    store = open_store(url)
    assert _meta(url, "schema_version") == str(SQL_LAYOUT) == "7"
    assert _raw_history(url) == held
    assert store.head == head
    assert verify_store(store).intact
    assert store.outside_edits() == []
    figures = store.find(Measurement, measure_id="DEMO-SCP/A001/M1")
    (added,) = [figure for figure in figures if figure.on == date(2026, 12, 5)]
    assert added.value == 0.7
    for kind in ("actions", "measurements"):
        first: dict[str, datetime] = {}
        for entry in store.history(kind=kind):
            if entry.change == "create":
                first.setdefault(entry.record_id, entry.at)
        assert store.created(kind) == first
    assert store.created("measurements")[added.id] == datetime(2026, 12, 6, 8, 5, tzinfo=UTC)
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT record_id, at FROM history WHERE kind = 'actions'"
            " AND change = 'create' ORDER BY kind, change, seq").all()
    engine.dispose()
    assert any("COVERING INDEX history_created" in str(row[-1]) for row in plan), plan
    store.close()


@pytest.mark.parametrize("layout", ["layout-1.db", "layout-2.db", "layout-3.db",
                                    "layout-4.db", "layout-5.db", "layout-6.db"])
def test_an_upgraded_store_has_the_layout_a_new_one_has(tmp_path: Path, layout: str) -> None:
    """An older release's SQLite store, upgraded, has the tables, columns, indexes, triggers of a
    new one."""
    shutil.copy(DATA / layout, tmp_path / "old.db")
    open_store(f"sqlite:///{tmp_path / 'old.db'}").close()
    open_store(f"sqlite:///{tmp_path / 'new.db'}", create=True).close()
    assert _schema(f"sqlite:///{tmp_path / 'old.db'}") == _schema(
        f"sqlite:///{tmp_path / 'new.db'}")


def test_a_release_0_1_json_store_is_read_as_it_is_and_marked_by_its_first_commit(
    tmp_path: Path,
) -> None:
    """The JSON store release 0.1.0 wrote reads unchanged; its first commit marks today's layout."""
    store = _release_json(tmp_path)
    before = (tmp_path / "layout-1.json").read_bytes()
    assert store.get(Agency, "DEMO-CC").aliases == ()
    assert (tmp_path / "layout-1.json").read_bytes() == before  # reading changed nothing
    _contacts_can_be_kept(store)
    assert f'"schema_version":{FILE_LAYOUT}'.encode() in (tmp_path / "layout-1.json").read_bytes()
    assert b'"ordered_before":null' in (tmp_path / "layout-1.json").read_bytes()
    _past_views_are_the_replayed_ones(store)


def test_a_layout_1_postgresql_store_is_upgraded() -> None:
    """On PostgreSQL too, a layout 1 store gets every later layout's tables and columns."""
    import sqlalchemy as sa

    with postgres_schemas(postgres_url()) as new_schema_url:
        assert callable(new_schema_url)
        url = new_schema_url()
        open_store(url, create=True).close()
        # Take back what layout 2 added, as a layout 1 store was.
        engine = sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP INDEX history_created")  # layout 7
            connection.exec_driver_sql("DROP TABLE measurements")  # layout 6
            connection.exec_driver_sql("DROP TABLE measures")
            # layout 5 (the triggers go with their function)
            connection.exec_driver_sql("DROP FUNCTION actiontrack_outside_edit() CASCADE")
            connection.exec_driver_sql("DROP TABLE outside_edits")
            connection.exec_driver_sql("DROP TABLE store_secret")
            connection.exec_driver_sql("ALTER TABLE history DROP COLUMN hash")
            connection.exec_driver_sql("DELETE FROM store_meta WHERE key = 'head'")
            connection.exec_driver_sql("ALTER TABLE actions DROP COLUMN reference")  # layout 4
            connection.exec_driver_sql("DROP TABLE chases_action_ids")  # what layout 3 added
            connection.exec_driver_sql("DROP TABLE chases")
            connection.exec_driver_sql("DROP TABLE agencies_aliases")
            connection.exec_driver_sql("ALTER TABLE agencies DROP COLUMN email")
            for index in ("progress_updates_action_id", "evidence_action_id",
                          "assurance_decisions_action_id", "recommendations_review_id",
                          "actions_recommendation_ids_item",
                          "learning_activities_recommendation_ids_item"):
                connection.exec_driver_sql(f"DROP INDEX {index}")
            connection.exec_driver_sql(
                "UPDATE store_meta SET value = '1' WHERE key = 'schema_version'")
            connection.exec_driver_sql("DELETE FROM store_meta WHERE key = 'ordered_before'")
        engine.dispose()
        store = open_store(url)
        assert _meta(url, "schema_version") == str(SQL_LAYOUT)
        assert _meta(url, "ordered_before") == ""
        assert _meta(url, "head") == GENESIS
        service.add_partnership(store, id="NSCP", name="North", kind=PartnershipKind.CHILDREN,
                                by=BY, at=AFTER)
        service.add_agency(store, id="POL", name="Police", email="lead@police.example.org",
                           aliases=["Police"], by=BY, at=AFTER)
        assert open_store(url).get(Agency, "POL").aliases == ("Police",)
        assert store.head == store.history()[-1].hash
        new = new_schema_url()
        open_store(new, create=True).close()
        assert _schema(url) == _schema(new)  # the triggers and all


def test_a_layout_5_postgresql_store_is_upgraded_with_logged_measures(tmp_path: Path) -> None:
    """The layout 5 fixture's plan and history in PostgreSQL, upgraded: kept row for row,
    the new tables as a new store has them (outside-edit triggers and all), and once the
    agency grants are run again, an agency role records a figure of its own action."""
    import uuid

    import sqlalchemy as sa

    from actiontrack.store.copy import copy_store
    from actiontrack.store.sql_scope import apply_agency_scope, grant_agency_role

    shutil.copy(DATA / "layout-5.db", tmp_path / "plan.db")
    expected = contents_of(_layout_5_json(tmp_path))
    admin = postgres_url()
    with postgres_schemas(admin) as new_schema_url:
        assert callable(new_schema_url)
        url = new_schema_url()
        copy_store(f"sqlite:///{tmp_path / 'plan.db'}", url)
        # Take back what layouts 6 and 7 added (the triggers go with their tables), as
        # layout 5 was.
        engine = sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1],
                                  poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP INDEX history_created")
            connection.exec_driver_sql("DROP TABLE measurements")
            connection.exec_driver_sql("DROP TABLE measures")
            connection.exec_driver_sql(
                "UPDATE store_meta SET value = '5' WHERE key = 'schema_version'")
        held, head = _raw_history(url), _meta(url, "head")
        store = open_store(url)
        assert _meta(url, "schema_version") == str(SQL_LAYOUT)
        assert (_raw_history(url), store.head) == (held, head)
        assert contents_of(store) == expected
        assert verify_store(store).intact
        new = new_schema_url()
        open_store(new, create=True).close()
        assert _schema(url) == _schema(new)  # the triggers and all
        store.close()

        apply_agency_scope(url)
        role, password = f"at_test_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
        try:
            grant_agency_role(url, role, "DEMO-CC", password)
            council = open_store(url.replace("actiontrack:actiontrack@", f"{role}:{password}@"))
            _measures_can_be_kept(council, lambda: open_store(url))
            council.close()
        finally:
            with engine.begin() as connection:
                connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                connection.exec_driver_sql(f'DROP ROLE "{role}"')
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE measures SET unit = 'per cent'")
        engine.dispose()
        store = open_store(url)
        assert [(edit.kind, edit.record_id) for edit in store.outside_edits()] == [
            ("measures", "DEMO-SCP/A001/M1")]
        store.close()


def test_this_release_refuses_a_store_marked_by_a_newer_one(tmp_path: Path) -> None:
    """A JSON store of a layout newer than this release's is refused, not misread."""
    store = _release_json(tmp_path)
    store.close()
    path = tmp_path / "layout-1.json"
    newer = f'"schema_version":{FILE_LAYOUT + 1}'.encode()
    path.write_bytes(path.read_bytes().replace(b'"schema_version":1', newer))
    with pytest.raises(StoreVersionError, match="newer actiontrack"):
        TinyDBStore(path)
