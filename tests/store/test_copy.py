"""copy_store moves a whole plan with its history between backends, and checks the copy."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sql_servers import postgres_schemas, postgres_url

from actiontrack.demo import build_demo
from actiontrack.domain.plan import RECORD_KINDS, HistoryEntry, Plan
from actiontrack.errors import StoreError, StoreMissingError, StoreNotEmptyError
from actiontrack.generate import Size, generate_plan
from actiontrack.store import Delete, Store, TinyDBStore, open_store
from actiontrack.store.copy import CopyReport, contents_of, copy_store, verify_copy

Source = tuple[Plan, list[HistoryEntry]]


def _demo() -> Source:
    return build_demo(date(2026, 11, 26))


def _generated() -> Source:
    return generate_plan(Size(partnerships=1, actions=200))


@pytest.fixture(scope="module", params=[_demo, _generated], ids=["demo", "generated"])
def source(request: pytest.FixtureRequest) -> Source:
    """A plan and its history: the demo, or a generated partnership of 200 actions."""
    make: Callable[[], Source] = request.param
    return make()


def _filled(url: str, plan: Plan, history: list[HistoryEntry]) -> str:
    store = open_store(url, create=True)
    try:
        store.restore(plan, history)
    finally:
        store.close()
    return url


def _read(url: str) -> tuple[Plan, list[HistoryEntry], str]:
    store = open_store(url, create=False)
    try:
        return store.snapshot(), store.history(), store.identity
    finally:
        store.close()


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.fixture
def new_postgres_url() -> Iterator[Callable[[], str]]:
    """Make URLs of fresh, empty PostgreSQL schemas (skips without a server)."""
    with postgres_schemas(postgres_url()) as new_schema_url:
        assert callable(new_schema_url)
        yield new_schema_url


def _round_trip(tmp_path: Path, source: Source, middle: str) -> None:
    plan, history = source
    first = _filled(str(tmp_path / "first.json"), plan, history)
    back = str(tmp_path / "back.json")
    there = copy_store(first, middle)
    again = copy_store(middle, back)
    original, copied = _read(first), _read(back)
    assert copied[0] == original[0] == plan
    assert copied[1] == original[1] == history
    assert copied[2] != original[2]
    assert _read(middle)[2] not in (original[2], copied[2])
    assert there.checksum == again.checksum == contents_of_url(first).checksum
    assert there.counts == again.counts
    assert there.history_entries == again.history_entries == len(history)


def contents_of_url(url: str) -> CopyReport:
    store = open_store(url, create=False)
    try:
        found = contents_of(store)
    finally:
        store.close()
    return CopyReport(counts=found.counts, history_entries=found.history_entries,
                      checksum=found.checksum, seconds=0.0)


def test_tinydb_to_postgresql_and_back_gives_the_same_plan_and_history(
    tmp_path: Path, source: Source, new_postgres_url: Callable[[], str]
) -> None:
    """TinyDB -> PostgreSQL -> TinyDB gives back an equal plan and history, new identities."""
    _round_trip(tmp_path, source, new_postgres_url())


def test_tinydb_to_sqlite_and_back_gives_the_same_plan_and_history(
    tmp_path: Path, source: Source
) -> None:
    """TinyDB -> SQLite -> TinyDB gives back an equal plan and history, new identities."""
    _round_trip(tmp_path, source, f"sqlite:///{tmp_path / 'middle.db'}")


def test_measures_and_their_figures_go_through_every_backend_exactly(
    tmp_path: Path, new_postgres_url: Callable[[], str]
) -> None:
    """A measure and figures no decimal writes (0.1 + 0.2), whole (40) or tiny (1e-9) go
    TinyDB -> SQLite -> PostgreSQL -> TinyDB and come back equal, checksum and all."""
    from actiontrack.domain.models import Action, Measure, Measurement, Want
    from actiontrack.store import Put

    first = str(tmp_path / "first.json")
    store = open_store(first, create=True)
    store.commit([
        Put(Action(id="A1", partnership_id="P", recommendation_ids=("R1",),
                   lead_agency_id="POL", title="Audit chronologies",
                   original_target_date=date(2027, 3, 31), target_date=date(2027, 3, 31))),
        Put(Measure(id="A1/M1", action_id="A1", name="Referrals with a chronology", unit="%",
                    baseline=40, baseline_on=date(2026, 1, 5), target=85.5,
                    target_on=date(2027, 3, 31), want=Want.HIGHER)),
        *(Put(Measurement(id=f"A1/M1/V{n}", action_id="A1", measure_id="A1/M1",
                          on=date(2026, 2, n), value=value, by="Audit lead"))
          for n, value in enumerate((0.1 + 0.2, 40, 1e-9), start=1)),
    ], by="Business unit", at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    store.close()
    sqlite, postgres, back = (f"sqlite:///{tmp_path / 'middle.db'}", new_postgres_url(),
                              str(tmp_path / "back.json"))
    reports = [copy_store(first, sqlite), copy_store(sqlite, postgres),
               copy_store(postgres, back)]
    assert {report.checksum for report in reports} == {contents_of_url(first).checksum}
    assert reports[-1].counts["measurements"] == 3
    original, copied = _read(first), _read(back)
    assert copied[:2] == original[:2]
    assert [m.value for m in copied[0].measurements_for("A1/M1")] == [0.1 + 0.2, 40.0, 1e-9]


def test_the_demo_copies_its_measures(tmp_path: Path) -> None:
    """The demo's measures and figures are counted and copied like every other kind."""
    plan, history = _demo()
    first = _filled(str(tmp_path / "first.json"), plan, history)
    report = copy_store(first, f"sqlite:///{tmp_path / 'copy.db'}")
    assert report.counts["measures"] == len(plan.measures) > 0
    assert report.counts["measurements"] == len(plan.measurements) > 0
    assert _read(f"sqlite:///{tmp_path / 'copy.db'}")[0] == plan


def test_the_report_counts_every_kind_and_the_history(tmp_path: Path) -> None:
    """The report has a count per kind, the history length, a sha256 and the time taken."""
    plan, history = _demo()
    first = _filled(str(tmp_path / "first.json"), plan, history)
    report = copy_store(first, str(tmp_path / "copy.json"))
    assert list(report.counts) == list(RECORD_KINDS)
    assert report.counts == {kind: len(plan.of_kind(kind)) for kind in RECORD_KINDS}
    assert report.records == len(plan)
    assert report.history_entries == len(history)
    assert len(report.checksum) == 64
    assert int(report.checksum, 16) >= 0
    assert report.seconds > 0


def test_the_source_is_never_written(tmp_path: Path) -> None:
    """The source's files are byte-identical after a copy, and no lock file appears."""
    plan, history = _demo()
    folder = tmp_path / "source"
    folder.mkdir()
    first = _filled(str(folder / "plan.json"), plan, history)
    (folder / "plan.json.lock").unlink()
    before = _files(folder)
    copy_store(first, str(tmp_path / "copy.json"))
    copy_store(first, f"sqlite:///{tmp_path / 'copy.db'}")
    assert _files(folder) == before


def test_a_non_empty_tinydb_destination_is_refused_and_unchanged(tmp_path: Path) -> None:
    """Copying into a TinyDB store that holds a plan raises StoreNotEmptyError; files unchanged."""
    plan, history = _demo()
    first = _filled(str(tmp_path / "first.json"), plan, history)
    folder = tmp_path / "destination"
    folder.mkdir()
    other_plan, other_history = _generated()
    destination = _filled(str(folder / "plan.json"), other_plan, other_history)
    before = _files(folder)
    with pytest.raises(StoreNotEmptyError, match="already holds a plan"):
        copy_store(first, destination)
    assert _files(folder) == before


def test_a_non_empty_sqlite_destination_is_refused_and_unchanged(tmp_path: Path) -> None:
    """Copying into an SQLite store that holds a plan raises StoreNotEmptyError; it is as it was."""
    plan, history = _demo()
    first = _filled(str(tmp_path / "first.json"), plan, history)
    other_plan, other_history = _generated()
    destination = _filled(f"sqlite:///{tmp_path / 'plan.db'}", other_plan, other_history)
    before = _read(destination)
    with pytest.raises(StoreNotEmptyError):
        copy_store(first, destination)
    assert _read(destination) == before


def test_replace_empties_a_tinydb_destination_and_copies(tmp_path: Path) -> None:
    """With replace=True a TinyDB destination is emptied, given a new identity, and copied into."""
    plan, history = _demo()
    first = _filled(str(tmp_path / "first.json"), plan, history)
    destination = _filled(str(tmp_path / "plan.json"), *_generated())
    old_identity = _read(destination)[2]
    report = copy_store(first, destination, replace=True)
    found = _read(destination)
    assert found[:2] == (plan, history)
    assert found[2] != old_identity
    assert report.checksum == contents_of_url(first).checksum


def test_replace_empties_an_sqlite_destination_and_copies(tmp_path: Path) -> None:
    """With replace=True an SQLite destination's tables are dropped, made again and copied into."""
    plan, history = _demo()
    first = _filled(str(tmp_path / "first.json"), plan, history)
    destination = _filled(f"sqlite:///{tmp_path / 'plan.db'}", *_generated())
    old_identity = _read(destination)[2]
    copy_store(first, destination, replace=True)
    found = _read(destination)
    assert found[:2] == (plan, history)
    assert found[2] != old_identity


def test_replace_empties_a_postgresql_destination_and_copies(
    tmp_path: Path, new_postgres_url: Callable[[], str]
) -> None:
    """With replace=True a PostgreSQL destination's tables are dropped, remade and copied into."""
    plan, history = _demo()
    first = _filled(str(tmp_path / "first.json"), plan, history)
    destination = _filled(new_postgres_url(), *_generated())
    with pytest.raises(StoreNotEmptyError):
        copy_store(first, destination)
    copy_store(first, destination, replace=True)
    assert _read(destination)[:2] == (plan, history)


def test_replace_into_an_empty_destination_just_copies(tmp_path: Path) -> None:
    """replace=True on a missing destination creates it and copies, nothing to empty."""
    plan, history = _demo()
    first = _filled(str(tmp_path / "first.json"), plan, history)
    copy_store(first, str(tmp_path / "new.json"), replace=True)
    assert _read(str(tmp_path / "new.json"))[:2] == (plan, history)


def test_an_unreadable_source_is_a_store_error_and_writes_nothing(tmp_path: Path) -> None:
    """A damaged source raises StoreError before the destination is even created."""
    broken = tmp_path / "broken.json"
    broken.write_text('{"_meta": {"store": {"schema_version": 1')
    destination = tmp_path / "copy.json"
    with pytest.raises(StoreError, match="not valid JSON"):
        copy_store(str(broken), str(destination))
    with pytest.raises(StoreError):
        copy_store(str(broken), f"sqlite:///{tmp_path / 'copy.db'}")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["broken.json"]


def test_a_missing_source_is_not_created(tmp_path: Path) -> None:
    """A source that does not exist raises StoreMissingError; neither store is created."""
    with pytest.raises(StoreMissingError):
        copy_store(str(tmp_path / "missing.json"), str(tmp_path / "copy.json"))
    assert list(tmp_path.iterdir()) == []


def test_a_store_is_not_copied_into_itself(tmp_path: Path) -> None:
    """The same store as source and destination is refused, even with replace=True."""
    plan, history = _demo()
    first = _filled(str(tmp_path / "first.json"), plan, history)
    before = _files(tmp_path)
    with pytest.raises(StoreError, match="source store itself"):
        copy_store(first, first, replace=True)
    assert _files(tmp_path) == before


def test_verification_names_what_differs(tmp_path: Path) -> None:
    """verify_copy on two different stores raises StoreError naming counts, history, checksum."""
    plan, history = _demo()
    one = open_store(_filled(str(tmp_path / "one.json"), plan, history), create=True)
    other = open_store(_filled(str(tmp_path / "other.json"), *_generated()), create=True)
    try:
        with pytest.raises(StoreError) as raised:
            verify_copy(one, other)
    finally:
        one.close()
        other.close()
    message = str(raised.value)
    assert "actions:" in message
    assert "history:" in message
    assert "checksum:" in message


def test_verification_catches_a_difference_the_counts_miss(tmp_path: Path) -> None:
    """Two demos told on different days have equal counts; only the checksum tells them apart."""
    stores: list[Store] = [
        open_store(_filled(str(tmp_path / f"{day}.json"), *build_demo(date(2026, 11, day))))
        for day in (26, 27)
    ]
    try:
        assert contents_of(stores[0]).counts == contents_of(stores[1]).counts
        with pytest.raises(StoreError, match="checksum") as raised:
            verify_copy(stores[0], stores[1])
        assert "history:" not in str(raised.value)
        assert verify_copy(stores[0], stores[0]).checksum == contents_of(stores[0]).checksum
    finally:
        for store in stores:
            store.close()


def test_a_copy_that_does_not_read_back_the_same_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A destination that loses a record after restoring is caught by the check and named."""
    plan, history = _demo()
    first = _filled(str(tmp_path / "first.json"), plan, history)
    restore = TinyDBStore.restore
    action = next(iter(plan.actions.values()))

    def lossy(self: TinyDBStore, plan: Plan, history: Iterable[HistoryEntry]) -> None:
        restore(self, plan, history)
        self.commit([Delete("actions", action.id, action.version)], by="gremlin",
                    at=datetime.now(UTC))

    monkeypatch.setattr(TinyDBStore, "restore", lossy)
    with pytest.raises(StoreError, match=r"actions: \d+ in the source, \d+ in the copy"):
        copy_store(first, str(tmp_path / "copy.json"))


def test_a_memory_store_is_refused(tmp_path: Path) -> None:
    """memory: lives only in one process, so it is neither a source nor a destination."""
    with pytest.raises(StoreError, match="memory:"):
        copy_store("memory:", str(tmp_path / "copy.json"))
    with pytest.raises(StoreError, match="memory:"):
        copy_store(str(tmp_path / "copy.json"), "memory:")
    assert list(tmp_path.iterdir()) == []
