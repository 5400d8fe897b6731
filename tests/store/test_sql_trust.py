"""SQL stores keep the hash chain, notice raw SQL, settle it, redact, and sign (issue 13).

Each test runs on a real SQLite file and on the real PostgreSQL server
(``$ACTIONTRACK_TEST_POSTGRES``; skipped without it), changing the database
the way a person with a SQL client would: a plain statement on a connection
of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sql_servers import new_store_url, postgres_schemas, postgres_url
from two_agencies import AT, seed

from actiontrack import Action, ProgressUpdate, convert
from actiontrack.domain.chain import GENESIS, check_chain, redaction_digests
from actiontrack.domain.models import Measure, Measurement, Want
from actiontrack.domain.redaction import marker
from actiontrack.errors import ConflictError, OutsideEditError, ScopeError, StoreError
from actiontrack.store import Put, Redact, Store, open_store
from actiontrack.store.core import plan_from_tables, replay
from actiontrack.store.sql import SQLStore

BY = "Business unit"
LATER = AT + timedelta(hours=1)
NAME = "Jayden Smith"  # personal data typed by mistake (ASCII: SQLite's JSON escapes the rest)


@attrs.frozen
class Seeded:
    """A seeded SQL store, its URL, and a raw connection to its database."""

    url: str
    store: SQLStore
    raw: sa.Engine
    folder: Path

    def run(self, statement: str) -> None:
        """One statement, committed, as from a SQL client: not through actiontrack."""
        with self.raw.begin() as connection:
            connection.exec_driver_sql(statement)

    def scalar(self, query: str) -> Any:
        with self.raw.connect() as connection:
            return connection.exec_driver_sql(query).scalar()


def _driver(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Seeded]:
    """Two agencies, one action each, an update of the ICB's, in a new SQL store."""
    with new_store_url(request.param, tmp_path) as url:
        store = open_store(url, create=True)
        assert isinstance(store, SQLStore)
        seed(store)
        raw = sa.create_engine(_driver(url), poolclass=sa.pool.NullPool)
        try:
            yield Seeded(url, store, raw, tmp_path)
        finally:
            store.close()
            raw.dispose()


def _plain_history(store: SQLStore) -> list[dict[str, Any]]:
    return [convert.unstructure(entry) for entry in store.history()]


def _assert_intact(store: SQLStore) -> None:
    """The chain checks to the head, and history rebuilds the records: what verify asks."""
    history = _plain_history(store)
    assert check_chain(history, store.head, redaction_digests(history)) == []
    assert plan_from_tables(replay(history)) == store.snapshot()
    assert store.outside_edits() == []


def _retitle(store: Store, title: str = "renamed", at: datetime = LATER) -> None:
    action = store.get(Action, "A-POL")
    store.commit([Put(attrs.evolve(action, title=title))], by=BY, at=at)


# -- the chain, as commits keep it ---------------------------------------------------


def test_every_commit_links_its_entries_and_keeps_the_head(seeded: Seeded) -> None:
    """Each entry has a hash; the head is the last one's; the chain checks; nothing logged."""
    history = seeded.store.history()
    assert all(entry.hash is not None and len(entry.hash) == 64 for entry in history)
    assert seeded.store.head == history[-1].hash != GENESIS
    _retitle(seeded.store)
    assert seeded.store.head == seeded.store.history()[-1].hash
    _assert_intact(seeded.store)
    assert seeded.scalar("SELECT count(*) FROM outside_edits") == 0


def test_a_new_store_s_head_is_genesis(tmp_path: Path) -> None:
    """Before any history, the head is the chain's start."""
    store = open_store(f"sqlite:///{tmp_path / 'new.db'}", create=True)
    assert (store.head, store.outside_edits()) == (GENESIS, [])
    store.close()


def test_sqlite_s_writing_flag_is_down_after_every_transaction(tmp_path: Path) -> None:
    """After a commit, and after one refused, the flag row is 0: raw writes are logged."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    store = open_store(url, create=True)
    seed(store)
    stale = store.get(Action, "A-POL")
    _retitle(store)
    with pytest.raises(ConflictError):
        store.commit([Put(attrs.evolve(stale, title="stale"))], by=BY, at=LATER)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT writing FROM store_writing").scalar() == 0
    engine.dispose()
    store.close()


# -- changes made outside actiontrack ----------------------------------------------------

#: name: (the raw statement, (kind, id) it must name, words the edit says)
RAW_EDITS: dict[str, tuple[str, tuple[str, str], str]] = {
    "a record's field": (
        "UPDATE actions SET title = 'changed by hand' WHERE id = 'A-POL'",
        ("actions", "A-POL"), "its row changed"),
    "a list field's row": (
        "UPDATE actions_recommendation_ids SET recommendation_id = 'R9'"
        " WHERE action_id = 'A-ICB'",
        ("actions", "A-ICB"), "its recommendation_ids (a row of actions_recommendation_ids)"
                              " changed"),
    "a record inserted": (
        "INSERT INTO agencies (id, name, version) VALUES ('DEMO-X', 'Made up', 1)",
        ("agencies", "DEMO-X"), "its row added"),
    "a record deleted": (
        "DELETE FROM progress_updates WHERE id = 'U-ICB'",
        ("progress_updates", "U-ICB"), "its row removed"),
    "a history entry changed": (
        "UPDATE history SET by = 'someone else' WHERE seq = 2",
        ("agencies", "DEMO-POL"), "history entry 2 changed"),
    "the last history entry deleted": (
        "DELETE FROM history WHERE seq = 8",
        ("progress_updates", "U-ICB"), "history entry 8 removed"),
    "a tombstone made up": (
        "INSERT INTO tombstones (kind, record_id, version) VALUES ('actions', 'A-OLD', 3)",
        ("actions", "A-OLD"), "its tombstone added"),
}


@pytest.mark.parametrize("case", list(RAW_EDITS))
def test_raw_sql_is_named_and_blocks_every_commit(seeded: Seeded, case: str) -> None:
    """outside_edits() names the record; commit raises OutsideEditError; nothing is written."""
    statement, (kind, record_id), words = RAW_EDITS[case]
    seeded.run(statement)
    edits = seeded.store.outside_edits()
    assert any(edit.kind == kind and edit.record_id == record_id and words in edit.what
               for edit in edits), edits
    before = (seeded.store.snapshot(), seeded.store.history(), seeded.store.head)
    with pytest.raises(OutsideEditError, match=f"{record_id}.*accept-edits") as caught:
        _retitle(seeded.store)
    assert "was changed outside actiontrack" in str(caught.value)
    assert "actiontrack:actiontrack@" not in str(caught.value)  # the URL, without its password
    assert (kind, record_id) in {(edit.kind, edit.record_id) for edit in edits}
    assert [str(edit) for edit in caught.value.edits] == [str(edit) for edit in edits]
    assert (seeded.store.snapshot(), seeded.store.history(), seeded.store.head) == before
    # Another store object, another process: the same refusal.
    other = SQLStore(seeded.url)
    with pytest.raises(OutsideEditError):
        other.commit([Put(attrs.evolve(other.get(Action, "A-ICB"), title="x"))], by=BY,
                     at=LATER)
    other.close()


def test_a_head_that_no_longer_matches_the_last_entry_blocks_commits(seeded: Seeded) -> None:
    """store_meta is not logged, but its head is checked against the last entry."""
    seeded.run("UPDATE store_meta SET value = '" + "0" * 63 + "1' WHERE key = 'head'")
    (edit,) = seeded.store.outside_edits()
    assert (edit.kind, edit.record_id) == ("progress_updates", "U-ICB")
    assert "head does not match" in edit.what
    with pytest.raises(OutsideEditError, match="U-ICB"):
        _retitle(seeded.store)


def test_accepting_a_raw_update_records_it_with_who_and_why(seeded: Seeded) -> None:
    """settle(accept=True): a history entry by whoever accepted it, with the reason; intact."""
    seeded.run("UPDATE actions SET title = 'changed by hand' WHERE id = 'A-POL'")
    receipt = seeded.store.settle(accept=True, by="Business manager", at=LATER,
                                  reason="typo fixed by J. Smith")
    (entry,) = receipt.entries
    assert (entry.kind, entry.record_id, entry.field, entry.old, entry.new) == (
        "actions", "A-POL", "title", "action of DEMO-POL", "changed by hand")
    assert entry.by == "Business manager"
    assert "typo fixed by J. Smith" in str(entry.reason)
    assert seeded.store.get(Action, "A-POL").title == "changed by hand"
    assert seeded.store.head == seeded.store.history()[-1].hash
    _assert_intact(seeded.store)
    _retitle(seeded.store, "after", LATER + timedelta(minutes=1))  # commits work again
    _assert_intact(seeded.store)


@pytest.mark.parametrize("statement", [
    "UPDATE history SET by = 'someone else' WHERE seq = 2",
    "DELETE FROM history WHERE seq = 3",
    "DELETE FROM history WHERE seq = 8",
    "UPDATE actions_recommendation_ids SET recommendation_id = 'RV' WHERE action_id = 'A-ICB'",
    "DELETE FROM progress_updates WHERE id = 'U-ICB'",
    "INSERT INTO tombstones (kind, record_id, version) VALUES ('actions', 'A-OLD', 3)",
])
def test_accepting_relinks_the_chain_and_commits_work_again(
    seeded: Seeded, statement: str
) -> None:
    """After any raw change is accepted, the chain checks over history as it now stands."""
    seeded.run(statement)
    seeded.store.settle(accept=True, by="Business manager", at=LATER, reason="agreed")
    _assert_intact(seeded.store)
    assert seeded.scalar("SELECT count(*) FROM outside_edits") == 0
    _retitle(seeded.store, "after", LATER + timedelta(minutes=1))
    _assert_intact(seeded.store)


def test_an_accepted_history_change_leaves_an_accept_entry(seeded: Seeded) -> None:
    """A changed history entry is kept, and an accept entry says what was found and who."""
    seeded.run("UPDATE history SET by = 'someone else' WHERE seq = 2")
    receipt = seeded.store.settle(accept=True, by="Business manager", at=LATER,
                                  reason="agreed")
    (entry,) = receipt.entries
    assert (entry.change.value, entry.kind, entry.record_id) == ("accept", "agencies",
                                                                 "DEMO-POL")
    assert entry.old["seq"] == 2
    assert seeded.store.history()[1].by == "someone else"


def test_reverting_puts_back_what_history_says(seeded: Seeded) -> None:
    """settle(accept=False): each record as history has it again; no entry; commits work."""
    before = seeded.store.snapshot()
    history = seeded.store.history()
    seeded.run("UPDATE actions SET title = 'changed by hand' WHERE id = 'A-POL'")
    seeded.run("DELETE FROM progress_updates WHERE id = 'U-ICB'")
    seeded.run("INSERT INTO agencies (id, name, version) VALUES ('DEMO-X', 'Made up', 1)")
    seeded.run("UPDATE actions_recommendation_ids SET recommendation_id = 'R9'"
               " WHERE action_id = 'A-ICB'")
    seeded.run("INSERT INTO tombstones (kind, record_id, version) VALUES ('actions', 'A-X', 3)")
    receipt = seeded.store.settle(accept=False, by=BY, at=LATER, reason="not agreed")
    assert not receipt.changed
    assert seeded.store.snapshot() == before
    assert seeded.store.history() == history
    assert seeded.store.used_ids("actions") == {"A-POL", "A-ICB"}  # the tombstone went too
    _assert_intact(seeded.store)
    _retitle(seeded.store)


def test_revert_cannot_put_back_history(seeded: Seeded) -> None:
    """A changed history entry cannot be reverted: StoreError, and the store is as it was."""
    seeded.run("UPDATE history SET by = 'someone else' WHERE seq = 2")
    with pytest.raises(StoreError, match="history itself was changed"):
        seeded.store.settle(accept=False, by=BY, at=LATER, reason="no")
    assert seeded.store.outside_edits() != []


def test_a_change_made_and_undone_by_hand_settles_to_nothing(seeded: Seeded) -> None:
    """Logged but no different: settling clears the log and records nothing."""
    seeded.run("UPDATE actions SET title = 'x' WHERE id = 'A-POL'")
    seeded.run("UPDATE actions SET title = 'action of DEMO-POL' WHERE id = 'A-POL'")
    assert seeded.store.outside_edits() != []
    assert not seeded.store.settle(accept=True, by=BY, at=LATER, reason="none").changed
    _assert_intact(seeded.store)


def test_an_agency_scoped_store_may_not_settle(seeded: Seeded) -> None:
    """Settling is the business unit's: a store opened with agency= is refused."""
    seeded.run("UPDATE actions SET title = 'x' WHERE id = 'A-POL'")
    scoped = SQLStore(seeded.url, agency="DEMO-POL")
    with pytest.raises(ScopeError, match="only the business unit"):
        scoped.settle(accept=True, by=BY, at=LATER, reason="mine")
    scoped.close()


# -- measures (layout 6) ---------------------------------------------------------------


def _measured(store: SQLStore) -> None:
    """A measure of the police action (figures given as whole numbers) and one figure."""
    store.commit([
        Put(Measure(id="A-POL/M1", action_id="A-POL", name="Referrals with a chronology",
                    unit="%", baseline=40, baseline_on=date(2026, 1, 5), target=85,
                    target_on=date(2027, 3, 1), want=Want.HIGHER)),
        Put(Measurement(id="A-POL/M1/V1", action_id="A-POL", measure_id="A-POL/M1",
                        on=date(2026, 11, 1), value=0.1 + 0.2, by="Audit lead")),
    ], by=BY, at=AT)


def test_raw_sql_on_measures_is_named_and_reverted(seeded: Seeded) -> None:
    """A measure changed and a figure removed by hand: both named, commits refused, and
    reverting puts back the figures history holds, exactly."""
    _measured(seeded.store)
    before = seeded.store.snapshot()
    seeded.run("UPDATE measures SET target = 99 WHERE id = 'A-POL/M1'")
    seeded.run("DELETE FROM measurements WHERE id = 'A-POL/M1/V1'")
    edits = {(edit.kind, edit.record_id): edit.what for edit in seeded.store.outside_edits()}
    assert "its row changed" in edits["measures", "A-POL/M1"]
    assert "its row removed" in edits["measurements", "A-POL/M1/V1"]
    with pytest.raises(OutsideEditError, match="A-POL/M1"):
        _retitle(seeded.store)
    seeded.store.settle(accept=False, by=BY, at=LATER, reason="not agreed")
    assert seeded.store.snapshot() == before
    assert seeded.store.get(Measurement, "A-POL/M1/V1").value == 0.1 + 0.2
    _assert_intact(seeded.store)
    _retitle(seeded.store)


def test_an_accepted_figure_is_recorded_in_history(seeded: Seeded) -> None:
    """A figure changed by hand and accepted: an update entry from the old figure to the new."""
    _measured(seeded.store)
    seeded.run("UPDATE measurements SET value = 0.5 WHERE id = 'A-POL/M1/V1'")
    (entry,) = seeded.store.settle(accept=True, by=BY, at=LATER, reason="audit re-run").entries
    assert (entry.kind, entry.field, entry.old, entry.new) == (
        "measurements", "value", 0.1 + 0.2, 0.5)
    _assert_intact(seeded.store)


def test_a_figure_written_again_by_hand_settles_to_nothing(seeded: Seeded) -> None:
    """The same figure written by hand (40, stored 40.0, history 40) is no difference."""
    _measured(seeded.store)
    seeded.run("UPDATE measures SET baseline = 40, target = 85.0 WHERE id = 'A-POL/M1'")
    assert seeded.store.outside_edits() != []
    assert not seeded.store.settle(accept=True, by=BY, at=LATER, reason="none").changed
    _assert_intact(seeded.store)


# -- redaction -----------------------------------------------------------------------


def _with_a_name(store: SQLStore) -> ProgressUpdate:
    update = store.get(ProgressUpdate, "U-ICB")
    store.commit([Put(attrs.evolve(update, text=f"Spoke to {NAME} at home"))], by=BY, at=AT)
    store.commit([Put(attrs.evolve(store.get(ProgressUpdate, "U-ICB"),
                                   text=f"{NAME} moved school"))], by=BY, at=AT)
    return store.get(ProgressUpdate, "U-ICB")


def _redact(store: SQLStore, update: ProgressUpdate) -> str:
    text = marker(by=BY, at=LATER, reason="a child's name")
    store.commit([Redact("progress_updates", update.id, update.version, "text", text)],
                 by=BY, at=LATER, reason="personal data")
    return text


def test_a_redaction_removes_the_value_from_every_row_and_the_chain_checks(
    seeded: Seeded,
) -> None:
    """The record and every entry hold the marker; the chain checks; the past shows it."""
    update = _with_a_name(seeded.store)
    text = _redact(seeded.store, update)
    assert seeded.store.get(ProgressUpdate, "U-ICB").text == text
    assert not any(NAME in str(convert.unstructure(entry))
                   for entry in seeded.store.history())
    assert seeded.store.history()[-1].change.value == "redact"
    assert seeded.store.snapshot(as_of=AT).progress_updates[
        "U-ICB"].text == text
    _assert_intact(seeded.store)
    with seeded.raw.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT CAST(old AS TEXT), CAST(new AS TEXT) FROM history").all()
        texts = connection.exec_driver_sql("SELECT text FROM progress_updates").scalars().all()
    assert not any(NAME in (side or "") for row in rows for side in row)
    assert NAME not in " ".join(texts)


def test_a_redacted_sqlite_file_holds_no_trace_after_a_vacuum(tmp_path: Path) -> None:
    """After the checkpoint and VACUUM docs/storage.md asks for, the bytes are gone."""
    path = tmp_path / "plan.db"
    store = open_store(f"sqlite:///{path}", create=True)
    assert isinstance(store, SQLStore)
    seed(store)
    _redact(store, _with_a_name(store))
    store.close()
    engine = sa.create_engine(f"sqlite:///{path}", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.exec_driver_sql("VACUUM")
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    for file in tmp_path.iterdir():
        assert NAME.encode() not in file.read_bytes(), file.name
    reopened = open_store(f"sqlite:///{path}")
    assert isinstance(reopened, SQLStore)
    _assert_intact(reopened)
    reopened.close()


def test_an_agency_scoped_store_may_not_redact(seeded: Seeded) -> None:
    """Redaction is the business unit's: ScopeError from a store opened with agency=."""
    update = seeded.store.get(ProgressUpdate, "U-ICB")
    scoped = SQLStore(seeded.url, agency="DEMO-ICB")
    with pytest.raises(ScopeError, match="only the business unit may redact"):
        scoped.commit([Redact("progress_updates", update.id, update.version, "text", "x")],
                      by=BY, at=LATER)
    scoped.close()


# -- the store's secret ----------------------------------------------------------------


def test_sign_is_hmac_sha256_under_the_store_s_own_secret(seeded: Seeded) -> None:
    """sign() is the HMAC of the secret in store_secret; it lasts; another store's differs."""
    with seeded.raw.connect() as connection:
        secret = bytes(connection.exec_driver_sql("SELECT secret FROM store_secret").one()[0])
    assert len(secret) == 32
    payload = b"export 1: rows ..."
    signed = seeded.store.sign(payload)
    assert signed == hmac.new(secret, payload, hashlib.sha256).hexdigest()
    again = SQLStore(seeded.url)
    assert again.sign(payload) == signed
    again.close()
    other = open_store(f"sqlite:///{seeded.folder / 'other.db'}", create=True)
    assert other.sign(payload) != signed
    other.close()


def test_a_reader_given_every_new_table_is_not_given_the_secret() -> None:
    """ALTER DEFAULT PRIVILEGES for a reader (docs/postgres.md) stops short of store_secret."""
    admin = sa.create_engine(_driver(postgres_url()), isolation_level="AUTOCOMMIT")
    reader, password = f"at_reader_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    try:
        with postgres_schemas(postgres_url()) as new_schema_url:
            assert callable(new_schema_url)
            url = new_schema_url()
            schema = url.rsplit("%3D", 1)[1]
            with admin.connect() as connection:
                connection.exec_driver_sql(f"CREATE ROLE {reader} LOGIN PASSWORD '{password}'")
                connection.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO {reader}')
                connection.exec_driver_sql(
                    f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT SELECT ON TABLES'
                    f" TO {reader}")
            owned = open_store(url, create=True)
            seed(owned)
            owned.close()
            engine = sa.create_engine(_driver(url.replace("actiontrack:actiontrack@",
                                                          f"{reader}:{password}@")))
            try:
                with engine.connect() as connection:
                    assert connection.exec_driver_sql("SELECT count(*) FROM actions").scalar() == 2
                with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), \
                        engine.connect() as connection:
                    connection.exec_driver_sql("SELECT secret FROM store_secret")
            finally:
                engine.dispose()
            with admin.connect() as connection:
                connection.exec_driver_sql(f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}"'
                                           f" REVOKE SELECT ON TABLES FROM {reader}")
                connection.exec_driver_sql(f'DROP OWNED BY "{reader}"')
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{reader}"')
        admin.dispose()


# -- restore and erase ------------------------------------------------------------------


def test_restore_keeps_the_hashes_and_the_head(seeded: Seeded) -> None:
    """A copy made by restore holds the same chain, redactions and all."""
    _redact(seeded.store, _with_a_name(seeded.store))
    copy = open_store(f"sqlite:///{seeded.folder / 'copy.db'}", create=True)
    copy.restore(seeded.store.snapshot(), seeded.store.history())
    assert copy.history() == seeded.store.history()
    assert copy.head == seeded.store.head
    assert isinstance(copy, SQLStore)
    _assert_intact(copy)
    copy.close()


def test_restore_links_history_written_without_hashes(tmp_path: Path) -> None:
    """Entries with no hash (an older release's copy) are linked on the way in."""
    source = open_store("memory:")
    seed(source)
    unlinked = [attrs.evolve(entry, hash=None) for entry in source.history()]
    copy = open_store(f"sqlite:///{tmp_path / 'copy.db'}", create=True)
    copy.restore(source.snapshot(), unlinked)
    assert [entry.hash for entry in copy.history()] == [entry.hash for entry in source.history()]
    assert copy.head == source.head
    copy.close()


def test_erase_leaves_nothing_of_the_store(seeded: Seeded) -> None:
    """Tables, triggers, the flag table and (PostgreSQL) the store's functions all go."""
    postgres = seeded.url.startswith("postgresql")
    SQLStore(seeded.url).erase()
    seeded.store.close()
    with seeded.raw.connect() as connection:
        if postgres:
            left = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
            ).scalar(), connection.exec_driver_sql(
                "SELECT count(*) FROM pg_proc WHERE pronamespace = current_schema()::regnamespace"
            ).scalar()
            assert left == (0, 0)
        else:
            assert connection.exec_driver_sql("SELECT name FROM sqlite_master").all() == []
