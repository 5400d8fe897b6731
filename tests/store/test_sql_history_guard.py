"""No forged history on PostgreSQL: agency roles append history only through the guard."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
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
    convert,
    service,
)
from actiontrack.domain.chain import check_chain, redaction_digests
from actiontrack.domain.models import Measure, Measurement, Want
from actiontrack.domain.redaction import marker
from actiontrack.errors import OutsideEditError, ScopeError, StoreError
from actiontrack.store import Put, Redact, Store, open_store
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
            "old": "action of DEMO-POL", "new": "real",
            # Its link in the chain, as the function checks it (the form, not the value).
            "hash": "ab" * 32} | overrides


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
    "dated by a word PostgreSQL reads as a moment": (None, RETITLE, {"at": "now"},
                                                      "is not an ISO 8601"),
    "dated without a UTC offset": (None, RETITLE, {"at": "2026-11-27T09:00:00"},
                                   "is not an ISO 8601"),
    "dated in another spelling": (None, RETITLE, {"at": "2026-11-27 09:00:00+00"},
                                  "is not an ISO 8601"),
    "without its hash in the chain": (None, RETITLE, {"hash": None}, "needs its hash"),
    "with a hash that is not one": (None, RETITLE, {"hash": "forged"}, "needs its hash"),
    "creating a record without all its fields": (
        None, "INSERT INTO progress_updates (id, action_id, \"on\", by, text, version)"
        " VALUES ('U-X', 'A-POL', '2026-11-20', 'police', 'never in history', 1)",
        {"kind": "progress_updates", "record_id": "U-X", "version": 1, "change": "create",
         "field": None, "old": None, "new": {"id": "U-X", "version": 1}},
        "a creation holds every field"),
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
        # The function advanced the counters itself.
        counters = _counters(connection)
    assert (counters["last_seq"], counters["last_commit"]) == (
        str(entry["seq"]), str(entry["commit"]))
    owner = open_store(guarded.url)
    assert owner.history()[-1].new == "real"
    _assert_history_rebuilds_the_plan(owner)
    owner.close()


def test_the_lower_bound_on_at_comes_from_history_not_store_meta(guarded: Guarded) -> None:
    """A store_meta whose last_at was set far back does not let an entry be backdated."""
    with guarded.owner.begin() as connection:  # as an agency role could, before this release
        connection.exec_driver_sql(
            "UPDATE store_meta SET value = '1900-01-01T00:00:00+00:00' WHERE key = 'last_at'")
    before = _history_rows(guarded.owner)
    with pytest.raises(sa.exc.DBAPIError, match="before the latest commit"):
        _append(guarded.police, {"at": "2020-01-01T09:00:00+00:00"}, change=RETITLE)
    assert _history_rows(guarded.owner) == before


@pytest.mark.parametrize("key", ["last_at", "last_seq", "last_commit", "ordered_before",
                                 "identity"])
def test_an_agency_role_cannot_change_store_meta(guarded: Guarded, key: str) -> None:
    """No agency role can set the counters back (or change any key): it would stop every
    writer, or date history back. It can still take the write lock."""
    with guarded.police.begin() as connection:
        assert connection.exec_driver_sql(
            "SELECT count(*) FROM (SELECT 1 FROM store_meta FOR UPDATE) locked").scalar()
    with pytest.raises(sa.exc.ProgrammingError, match="row-level security"), \
            guarded.police.begin() as connection:
        connection.execute(sa.text("UPDATE store_meta SET value = '1' WHERE key = :key"),
                           {"key": key})


def test_an_agency_commit_advances_the_counters_through_the_function(
    guarded: Guarded,
) -> None:
    """The police's commit, its counters written by the function, leaves them as the
    library would (last_seq, last_commit, last_at), and the next writer commits after it."""
    police = open_store(guarded.police_url, agency=POLICE)
    receipt = police.commit([Put(attrs.evolve(police.get(Action, "A-POL"), title="real"))],
                            by="police lead", at=AT)
    police.close()
    with guarded.owner.connect() as connection:
        counters = _counters(connection)
    last = receipt.entries[-1]
    assert (counters["last_seq"], counters["last_commit"], counters["last_at"]) == (
        str(last.seq), str(receipt.commit), AT.isoformat())
    assert counters["ordered_before"] == ""
    owner = open_store(guarded.url)  # the counters agree with history: the next writer's
    owner.commit([Put(attrs.evolve(owner.get(Action, "A-ICB"), title="next"))],
                 by="business unit", at=AT)
    assert [entry.seq for entry in owner.history()] == list(range(1, last.seq + 2))
    _assert_history_rebuilds_the_plan(owner)
    owner.close()


def test_an_agency_commit_dated_before_last_at_keeps_ordered_before(guarded: Guarded) -> None:
    """After a commit dated a little ahead of the clock, the police's commit (dated now)
    is out of time order: the function records where, as the library would."""
    now = datetime.now(UTC)
    owner = open_store(guarded.url)
    owner.commit([Put(attrs.evolve(owner.get(Action, "A-ICB"), title="ahead"))],
                 by="business unit", at=now + timedelta(minutes=4))
    owner.close()
    police = open_store(guarded.police_url, agency=POLICE)
    receipt = police.commit([Put(attrs.evolve(police.get(Action, "A-POL"), title="real"))],
                            by="police lead", at=now)
    police.close()
    with guarded.owner.connect() as connection:
        counters = _counters(connection)
    assert counters["ordered_before"] == str(receipt.entries[0].seq)
    assert counters["last_at"] == (now + timedelta(minutes=4)).isoformat()
    assert counters["last_seq"] == str(receipt.entries[-1].seq)


def test_an_agency_withdraws_its_action_with_updates_and_evidence(guarded: Guarded) -> None:
    """Withdrawing its own action removes its update and evidence too, and leaves no
    orphan rows (children go before their action, while row-level security finds them)."""
    store = open_store(guarded.police_url, agency=POLICE)
    kw: dict[str, Any] = {"by": "police lead", "at": AT}
    service.add_progress_update(store, "A-POL", "briefed all officers", **kw)
    service.add_evidence(
        store, "A-POL", tier=EvidenceTier.COMPLETION, kind=EvidenceKind.BRIEFING,
        title="briefing slides", about_date=date(2026, 11, 20), **kw)
    withdrawn = service.withdraw(store, "A-POL", kind="actions", reason="made by mistake",
                                 **kw)
    assert {type(item).__name__ for item in withdrawn.gone} == {
        "Action", "ProgressUpdate", "Evidence"}
    plan = store.snapshot()
    assert "A-POL" not in plan.actions
    assert not [u for u in plan.progress_updates.values() if u.action_id == "A-POL"]
    _assert_history_rebuilds_the_plan(store)
    store.close()
    with guarded.owner.connect() as connection:
        for table in ("progress_updates", "evidence"):
            assert connection.exec_driver_sql(
                f"SELECT count(*) FROM {table} WHERE action_id = 'A-POL'").scalar() == 0


def _add_measure(store: Store, action_id: str, by: str) -> Measure:
    """A measure whose figures are given as whole numbers (history holds 40, the row 40.0)."""
    return service.add_measure(
        store, action_id, name="Referrals with a chronology", unit="%", baseline=40,
        baseline_on=date(2026, 1, 5), target=85, target_on=date(2027, 3, 31),
        want=Want.HIGHER, by=by, at=AT)


def test_an_agency_role_records_figures_of_its_own_actions_only(guarded: Guarded) -> None:
    """The police role adds a measure and figures to its action (the guard compares the
    rows' double precision with history's numbers: 40 and 40.0 alike); the ICB's measure
    is refused by the database, the library not scoped."""
    theirs = _add_measure(open_store(guarded.url), "A-ICB", "business unit")
    store = open_store(guarded.police_url)  # unscoped in the library: only the database stops it
    kw: dict[str, Any] = {"by": "police lead", "at": AT}
    measure = _add_measure(store, "A-POL", "police lead")
    whole = service.record_measurement(store, measure.id, 40, on=date(2026, 11, 2), **kw)
    summed = service.record_measurement(store, measure.id, 0.1 + 0.2, on=date(2026, 11, 3),
                                        **kw)
    edited = attrs.evolve(store.get(Measure, measure.id), target=90.5)
    store.commit([Put(edited)], **kw)
    assert store.get(Measurement, whole.id).value == 40.0
    assert store.get(Measurement, summed.id).value == 0.1 + 0.2
    assert [e.new["value"] for e in store.history(kind="measurements")] == [40, 0.1 + 0.2]
    assert {e.by for e in store.history()[-4:]} == {"police lead"}
    _assert_history_rebuilds_the_plan(store)
    before = store.history()
    with pytest.raises(StoreError, match="row-level security"):
        service.record_measurement(store, theirs.id, 12, on=date(2026, 11, 2), **kw)
    with pytest.raises(StoreError, match="row-level security"):
        store.commit([Put(attrs.evolve(theirs, target=1))], **kw)
    with pytest.raises(ScopeError, match="not led by this agency"):  # the library, scoped
        service.record_measurement(open_store(guarded.police_url, agency=POLICE), theirs.id,
                                   12, on=date(2026, 11, 2), **kw)
    assert store.history() == before
    assert store.find(Measurement, measure_id=theirs.id) == []
    store.close()


def test_figures_pass_the_guard_whatever_the_sessions_float_digits(guarded: Guarded) -> None:
    """A session with extra_float_digits 0 (figures shown to 15 digits) still records
    0.1 + 0.2 exactly: the guard reads the row at full precision."""
    measure = _add_measure(open_store(guarded.url), "A-POL", "business unit")
    url = guarded.police_url + "%20-cextra_float_digits%3D0"  # options is the URL's last part
    with _engine(url).connect() as connection:
        assert connection.exec_driver_sql("SHOW extra_float_digits").scalar() == "0"
    store = open_store(url)
    figure = service.record_measurement(store, measure.id, 0.1 + 0.2, on=date(2026, 11, 3),
                                        by="police lead", at=AT)
    store.close()
    owner = open_store(guarded.url)
    assert owner.get(Measurement, figure.id).value == 0.1 + 0.2
    _assert_history_rebuilds_the_plan(owner)
    owner.close()


def test_an_agency_withdraws_its_action_with_its_measures(guarded: Guarded) -> None:
    """Withdrawing its own action removes its measures and figures (figures first, while
    row-level security still finds their measure and action)."""
    store = open_store(guarded.police_url, agency=POLICE)
    measure = _add_measure(store, "A-POL", "police lead")
    service.record_measurement(store, measure.id, 55.5, on=date(2026, 11, 2),
                               by="police lead", at=AT)
    withdrawn = service.withdraw(store, "A-POL", kind="actions", reason="made by mistake",
                                 by="police lead", at=AT)
    assert {type(item).__name__ for item in withdrawn.gone} == {
        "Action", "Measure", "Measurement"}
    _assert_history_rebuilds_the_plan(store)
    store.close()
    with guarded.owner.connect() as connection:
        for table in ("measures", "measurements"):
            assert connection.exec_driver_sql(
                f"SELECT count(*) FROM {table} WHERE action_id = 'A-POL'").scalar() == 0


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


def test_the_grant_sql_without_a_schema_refuses_a_dollar_in_the_current_schema() -> None:
    """A current schema whose name holds '$' cannot end the function's body early."""
    (create,) = [statement for statement in grant_agency_role_sql("demo_pol", POLICE)
                 .split(";\n\n") if statement.startswith("DO $create$")]
    schema = f"at_test_$actiontrack$_{uuid.uuid4().hex[:8]}"
    engine = _engine(postgres_url())
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        with engine.begin() as connection:
            connection.exec_driver_sql(f'SET LOCAL search_path = "{schema}"')
            with pytest.raises(sa.exc.DBAPIError, match="cannot create the history function"):
                connection.exec_driver_sql(create, execution_options={"no_parameters": True})
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


# -- (5) trust: the chain, the secret, outside edits, redaction -----------------------


def _police_role(guarded: Guarded) -> str:
    with guarded.police.connect() as connection:
        role = connection.exec_driver_sql("SELECT current_user").scalar()
    assert isinstance(role, str)
    return role


def _chain_checks(store: Store) -> None:
    history = [convert.unstructure(entry) for entry in store.history()]
    assert check_chain(history, store.head, redaction_digests(history)) == []
    assert store.outside_edits() == []


def test_an_agency_role_cannot_read_the_secret_and_signs_as_the_owner_does(
    guarded: Guarded,
) -> None:
    """SELECT on store_secret is refused; sign() goes through the function, same signature."""
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied for table"
                       " store_secret"), guarded.police.connect() as connection:
        connection.exec_driver_sql("SELECT secret FROM store_secret")
    payload = b"export 7 of DEMO-POL"
    owner = open_store(guarded.url)
    expected = owner.sign(payload)
    owner.close()
    for agency in (POLICE, None):
        police = open_store(guarded.police_url, agency=agency)
        assert police.sign(payload) == expected
        police.close()
    with guarded.police.connect() as connection:
        signed = connection.execute(sa.text("SELECT actiontrack_sign(:payload)"),
                                    {"payload": payload}).scalar()
    assert signed == expected


def test_an_agency_role_s_commits_keep_the_chain(guarded: Guarded) -> None:
    """The function stores each entry's hash and moves the head; nothing is logged."""
    police = open_store(guarded.police_url, agency=POLICE)
    service.add_progress_update(police, "A-POL", "briefed all officers", by="police lead",
                                at=AT)
    service.edit(police, "A-POL", {"title": "Brief every officer"}, reason="clearer",
                 by="police lead", at=AT)
    history = police.history()
    assert all(entry.hash for entry in history)
    assert police.head == history[-1].hash
    _chain_checks(police)
    with guarded.owner.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM outside_edits").scalar() == 0
    police.close()


def test_a_raw_update_by_an_agency_role_is_logged_with_the_role(guarded: Guarded) -> None:
    """Its own action changed with raw SQL: named, with the role; every commit refused."""
    with guarded.police.begin() as connection:
        connection.exec_driver_sql("UPDATE actions SET title = 'by hand' WHERE id = 'A-POL'")
    police = open_store(guarded.police_url, agency=POLICE)
    (edit,) = police.outside_edits()
    assert (edit.kind, edit.record_id) == ("actions", "A-POL")
    assert f"by database role {_police_role(guarded)}" in edit.what
    with pytest.raises(OutsideEditError, match="A-POL"):
        service.add_progress_update(police, "A-POL", "x", by="police lead", at=AT)
    with pytest.raises(ScopeError, match="only the business unit"):
        police.settle(accept=False, by="police lead", at=AT, reason="mine")
    owner = open_store(guarded.url)
    owner.settle(accept=False, by="business unit", at=AT, reason="not agreed")
    assert police.get(Action, "A-POL").title == "action of DEMO-POL"
    service.add_progress_update(police, "A-POL", "x", by="police lead", at=AT)
    _chain_checks(owner)
    police.close()
    owner.close()


@pytest.mark.parametrize("statement", [
    "DELETE FROM outside_edits",
    "INSERT INTO outside_edits (table_name, row_key, change, noticed_at)"
    " VALUES ('actions', '[\"A-ICB\"]', 'UPDATE', 'now')",
    "UPDATE store_meta SET value = 'x' WHERE key = 'head'",
])
def test_an_agency_role_cannot_clear_the_log_or_move_the_head(
    guarded: Guarded, statement: str
) -> None:
    """The log is written by triggers only; the head by the owner's code only."""
    with guarded.police.begin() as connection:
        connection.exec_driver_sql("UPDATE actions SET title = 'by hand' WHERE id = 'A-POL'")
    with pytest.raises(sa.exc.ProgrammingError, match=r"permission denied|row-level security"), \
            guarded.police.begin() as connection:
        connection.exec_driver_sql(statement)
    owner = open_store(guarded.url)
    assert [edit.record_id for edit in owner.outside_edits()] == ["A-POL"]
    owner.close()


def test_an_agency_role_may_not_redact(guarded: Guarded) -> None:
    """Redact from an agency role, scoped in the library or not: ScopeError, nothing written."""
    for agency in (POLICE, None):
        police = open_store(guarded.police_url, agency=agency)
        mine = police.get(Action, "A-POL")
        with pytest.raises(ScopeError, match="only the business unit may redact"):
            police.commit([Redact("actions", "A-POL", mine.version, "lead_officer", "x")],
                          by="police lead", at=AT)
        assert police.get(Action, "A-POL") == mine
        police.close()


def test_an_agency_role_commits_after_a_redaction_and_an_accepted_edit(
    guarded: Guarded,
) -> None:
    """The function rebuilds a record through past redact entries, and skips accept entries."""
    owner = open_store(guarded.url)
    mine = owner.get(Action, "A-POL")
    owner.commit([Redact("actions", "A-POL", mine.version, "lead_officer",
                         marker(by="business unit", at=AT, reason="a name"))],
                 by="business unit", at=AT)
    with guarded.owner.begin() as connection:
        connection.exec_driver_sql("UPDATE actions SET deliverable = 'slides' WHERE id = 'A-POL'")
        connection.exec_driver_sql("UPDATE history SET reason = 'reworded by hand'"
                                   " WHERE record_id = 'A-POL' AND change = 'create'")
    owner.settle(accept=True, by="business unit", at=AT, reason="agreed at the board")
    assert {entry.change.value for entry in owner.history(record_id="A-POL")} >= {
        "redact", "update", "accept"}
    police = open_store(guarded.police_url, agency=POLICE)
    service.edit(police, "A-POL", {"title": "Brief every officer"}, reason="clearer",
                 by="police lead", at=AT)
    assert str(police.get(Action, "A-POL").lead_officer).startswith("[redacted")
    _chain_checks(police)
    police.close()
    owner.close()


def test_an_old_history_function_that_keeps_no_chain_is_refused(guarded: Guarded) -> None:
    """A function from before the chain (no head) rolls the commit back, asking for grants."""
    with guarded.owner.begin() as connection:
        connection.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION actiontrack_append_history(entries json, caller name"
            " DEFAULT current_user) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER AS $f$"
            " BEGIN INSERT INTO history (seq, \"commit\", \"at\", \"by\", reason, kind,"
            " record_id, version, change, field, old, new) SELECT (x->>'seq')::int,"
            " (x->>'commit')::int, x->>'at', x->>'by', x->>'reason', x->>'kind',"
            " x->>'record_id', (x->>'version')::int, x->>'change', x->>'field', x->'old',"
            " x->'new' FROM json_array_elements(entries) x;"
            " UPDATE store_meta SET value = (SELECT max(seq) FROM history)::text"
            " WHERE key = 'last_seq'; RETURN 1; END $f$",
            execution_options={"no_parameters": True})
    before = _history_rows(guarded.owner)
    police = open_store(guarded.police_url, agency=POLICE)
    with pytest.raises(StoreError, match="run the agency grants again"):
        service.edit(police, "A-POL", {"title": "x"}, reason="r", by="police lead", at=AT)
    police.close()
    assert _history_rows(guarded.owner) == before


def test_the_grant_sql_keeps_the_secret_from_the_role() -> None:
    """No privilege on store_secret, SELECT only on outside_edits, EXECUTE on the sign function."""
    text = grant_agency_role_sql("demo_pol", POLICE, "plans")
    assert "REVOKE ALL ON plans.store_secret FROM demo_pol" in text
    assert "store_secret TO demo_pol" not in text
    assert "GRANT SELECT ON plans.outside_edits TO demo_pol" in text
    assert "GRANT EXECUTE ON FUNCTION plans.actiontrack_sign(bytea) TO demo_pol" in text
    assert "REVOKE ALL ON FUNCTION plans.actiontrack_sign(bytea) FROM PUBLIC" in text


def seed_with_officer(store: Store) -> None:
    seed(store, lead_officer="DI Shaw")
