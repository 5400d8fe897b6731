"""The contract every store backend keeps, written once and run against each.

A backend's test module subclasses :class:`StoreContract` and says only how
to build its store: a ``make_store`` fixture that returns a factory of new,
empty stores, and (for a persistent backend) ``reopen``, which opens the
same store afresh as a new object. Backend-specific checks live in that
subclass, never here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from actiontrack import convert
from actiontrack.domain.chain import GENESIS, check_chain, entry_hash, redaction_digests
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Measure,
    Measurement,
    Recommendation,
    Response,
    TargetRevision,
    Want,
)
from actiontrack.domain.plan import ChangeKind, HistoryEntry, Plan, Record
from actiontrack.errors import (
    ActiontrackError,
    ConflictError,
    ConversionError,
    NotFoundError,
    RuleViolation,
    StoreError,
    StoreNotEmptyError,
)
from actiontrack.store import Change, Delete, MemoryStore, Put, Receipt, Redact, Store
from actiontrack.store.protocol import Before

__all__ = ["StoreContract"]

#: The first commit of every test; later ones are an hour apart.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BY = "Priya Shah (WSCP business manager)"

StoreFactory = Callable[[], Store]


def at(hour: int) -> datetime:
    """A commit time ``hour`` hours after T0."""
    return T0 + timedelta(hours=hour)


def recommendation(record_id: str = "R1", text: str = "Share the learning", **changes: Any
                   ) -> Recommendation:
    return Recommendation(
        id=record_id, review_id="WSCP/CSPR-ALEX", number=record_id, text=text, **changes
    )


def action(record_id: str = "A1", title: str = "Refresh the neglect toolkit", **changes: Any
           ) -> Action:
    fields: dict[str, Any] = {
        "id": record_id,
        "partnership_id": "WSCP",
        "recommendation_ids": ("R1",),
        "lead_agency_id": "health",
        "title": title,
        "original_target_date": date(2026, 3, 31),
        "target_date": date(2026, 3, 31),
    }
    return Action(**(fields | changes))


def measure(record_id: str = "A1/M1", action_id: str = "A1", **changes: Any) -> Measure:
    fields: dict[str, Any] = {
        "id": record_id, "action_id": action_id, "name": "Referrals with a chronology",
        "unit": "%", "baseline": 62.5, "baseline_on": date(2026, 1, 5), "target": 85.0,
        "target_on": date(2026, 9, 30), "want": Want.HIGHER, "source": "Case-file audit",
    }
    return Measure(**(fields | changes))


def figure(record_id: str = "A1/M1/V1", value: float = 71.0, measure_id: str = "A1/M1",
           **changes: Any) -> Measurement:
    fields: dict[str, Any] = {
        "id": record_id, "action_id": measure_id.rpartition("/M")[0], "measure_id": measure_id,
        "on": date(2026, 2, 1), "value": value, "by": "Audit lead",
    }
    return Measurement(**(fields | changes))


#: Figures a store must keep exactly: a sum no decimal writes, a whole number, a tiny
#: one, a large one, a negative one.
FIGURES = (0.1 + 0.2, 40.0, 1e-9, 12345678.9, -3.25)


def plain(record: Record) -> dict[str, Any]:
    """A record as the plain data history entries hold."""
    data: dict[str, Any] = convert.unstructure(record)
    return data


def state(store: Store) -> tuple[Plan, list[HistoryEntry]]:
    """Everything a reader can see: the plan now and the whole history (deep copies)."""
    return store.snapshot(), copy.deepcopy(store.history())


class StoreContract:
    """Tests every :class:`~actiontrack.store.Store` backend must pass.

    Subclasses provide the ``make_store`` fixture (a factory of new, empty
    stores) and, where the backend persists, override :meth:`reopen`.
    """

    @pytest.fixture
    def make_store(self) -> StoreFactory:
        raise NotImplementedError("a backend's test class builds its stores")

    def reopen(self, store: Store) -> Store:
        """The same store as a fresh reader would see it; a memory store is only itself."""
        return store

    @pytest.fixture
    def store(self, make_store: StoreFactory) -> Store:
        return make_store()

    def commit(self, store: Store, changes: Sequence[Change], hour: int = 0,
               reason: str | None = None) -> Receipt:
        return store.commit(changes, by=BY, at=at(hour), reason=reason)

    def assert_unchanged(self, store: Store, before: tuple[Plan, list[HistoryEntry]]) -> None:
        """Neither this object nor a fresh reader sees any change since ``before``."""
        assert state(store) == before
        assert state(self.reopen(store)) == before

    # -- the basics ------------------------------------------------------------

    def test_backend_satisfies_the_store_protocol(self, store: Store) -> None:
        """A backend is a Store as far as isinstance can tell."""
        assert isinstance(store, Store)

    def test_new_store_is_empty(self, store: Store) -> None:
        """A new store holds no records and no history."""
        assert len(store.snapshot()) == 0
        assert store.history() == []

    def test_created_record_comes_back_at_version_1(self, store: Store) -> None:
        """A created record is returned by get with every field intact and version 1."""
        revised = action(
            target_date=date(2026, 6, 30),
            status=ActionStatus.IN_PROGRESS,
            lead_officer="Named GP for safeguarding",
            target_revisions=(
                TargetRevision(from_date=date(2026, 3, 31), to_date=date(2026, 6, 30),
                               reason="Toolkit relaunch moved", by="ICB", on=date(2026, 3, 20)),
            ),
        )
        receipt = self.commit(store, [Put(revised), Put(recommendation())])
        expected = attrs.evolve(revised, version=1)
        assert store.get(Action, "A1") == expected
        assert store.get(Recommendation, "R1") == recommendation(version=1)
        assert receipt.records == (expected, recommendation(version=1))
        assert self.reopen(store).get(Action, "A1") == expected
        assert store.snapshot().actions == {"A1": expected}

    def test_text_survives_as_written(self, store: Store) -> None:
        """Text with accents, emoji, quotes, newlines and line separators is stored exactly."""
        text = 'Café "quoted" \\ back\nslash\r\n\t\u2028 line sep \u2029 para 👩‍⚕️ \x01 end'
        self.commit(store, [Put(recommendation(text=text))])
        assert self.reopen(store).get(Recommendation, "R1").text == text
        assert self.reopen(store).history()[0].new["text"] == text

    def test_text_with_a_nul_character_is_refused_everywhere(self, store: Store) -> None:
        """NUL is never typed by a person and some databases cannot store it: refused."""
        self.commit(store, [Put(recommendation())])
        before = state(store)
        with pytest.raises(ConversionError, match="NUL"):
            self.commit(store, [Put(recommendation("R2", text="a\x00b"))], hour=1)
        self.assert_unchanged(store, before)

    @pytest.mark.parametrize("record_id", ["nope", "r1", "R1 ", ""])
    def test_get_unknown_id_raises_not_found(self, store: Store, record_id: str) -> None:
        """get of an id that is not stored raises NotFoundError, which is also a LookupError."""
        self.commit(store, [Put(recommendation("R1"))])
        with pytest.raises(NotFoundError) as caught:
            store.get(Recommendation, record_id)
        assert isinstance(caught.value, LookupError)
        assert caught.value.record_id == record_id
        assert caught.value.kind == "recommendation"

    def test_get_with_the_wrong_kind_raises_not_found(self, store: Store) -> None:
        """An id stored as one kind is not found as another kind."""
        self.commit(store, [Put(recommendation("X1"))])
        with pytest.raises(LookupError):
            store.get(Action, "X1")

    def test_same_id_in_two_kinds_are_two_records(self, store: Store) -> None:
        """Kinds are separate: one id may name a recommendation and an action."""
        self.commit(store, [Put(recommendation("X1")), Put(action("X1"))])
        self.commit(store, [Delete("actions", "X1", 1)], hour=1)
        assert store.get(Recommendation, "X1").version == 1
        assert store.snapshot().actions == {}

    # -- versions and conflicts ------------------------------------------------

    def test_version_goes_up_by_one_per_accepted_change(self, store: Store) -> None:
        """Versions start at 1 and each accepted change raises them by exactly one."""
        current = self.commit(store, [Put(recommendation(text="v1"))]).records[0]
        assert current.version == 1
        for number in range(2, 6):
            changed = attrs.evolve(current, text=f"v{number}")
            current = self.commit(store, [Put(changed)], hour=number).records[0]
            assert current.version == number
            assert store.get(Recommendation, "R1") == current
        assert self.reopen(store).get(Recommendation, "R1").version == 5

    @pytest.mark.parametrize("based_on", [1, 3, 0])
    def test_put_of_stale_version_conflicts_and_writes_nothing(
        self, store: Store, based_on: int
    ) -> None:
        """A put naming any version but the stored one raises ConflictError and writes nothing."""
        first = self.commit(store, [Put(recommendation(text="first"))]).records[0]
        self.commit(store, [Put(attrs.evolve(first, text="second"))], hour=1)
        before = state(store)
        stale = recommendation(text="overwrite", version=based_on)
        with pytest.raises(ConflictError) as caught:
            self.commit(store, [Put(stale)], hour=2)
        assert (caught.value.expected, caught.value.actual) == (based_on, 2)
        assert "R1" in str(caught.value)
        self.assert_unchanged(store, before)

    def test_put_of_a_deleted_record_conflicts(self, store: Store) -> None:
        """Updating a record that has been deleted raises ConflictError, not a re-create."""
        self.commit(store, [Put(recommendation())])
        self.commit(store, [Delete("recommendations", "R1", 1)], hour=1)
        before = state(store)
        with pytest.raises(ConflictError) as caught:
            self.commit(store, [Put(recommendation(text="edited", version=1))], hour=2)
        assert caught.value.actual is None
        self.assert_unchanged(store, before)

    def test_creating_an_existing_id_conflicts(self, store: Store) -> None:
        """A create (version 0) of an id that exists raises ConflictError and writes nothing."""
        self.commit(store, [Put(recommendation(text="original"))])
        before = state(store)
        with pytest.raises(ConflictError) as caught:
            self.commit(store, [Put(recommendation(text="impostor"))], hour=1)
        assert "already exists" in str(caught.value)
        assert store.get(Recommendation, "R1").text == "original"
        self.assert_unchanged(store, before)

    def test_conflict_is_an_actiontrack_error(self) -> None:
        """ConflictError is caught by a handler for the library's root error."""
        assert issubclass(ConflictError, ActiontrackError)

    @pytest.mark.parametrize("position", [0, 1, 2, 3])
    def test_unit_with_one_stale_change_writes_none_of_it(
        self, store: Store, position: int
    ) -> None:
        """If any change in a unit is stale, no change of the unit lands: records and history."""
        self.commit(store, [Put(recommendation("R1")), Put(recommendation("R2")),
                            Put(action("A1"))])
        self.commit(store, [Put(recommendation("R2", text="moved on", version=1))], hour=1)
        before = state(store)
        good: list[Change] = [
            Put(recommendation("R3")),  # a create
            Put(recommendation("R1", text="edited", version=1)),  # an update
            Delete("actions", "A1", 1),  # a delete
        ]
        stale = Put(recommendation("R2", text="stale edit", version=1))
        changes = [*good[:position], stale, *good[position:]]
        with pytest.raises(ConflictError):
            self.commit(store, changes, hour=2)
        self.assert_unchanged(store, before)
        # The good changes alone are fine: the refusal was the stale one's doing.
        assert self.commit(store, good, hour=3).changed

    def test_delete_of_unknown_record_raises_not_found_and_writes_nothing(
        self, store: Store
    ) -> None:
        """Deleting a record that is not stored raises NotFoundError; the unit writes nothing."""
        self.commit(store, [Put(recommendation("R1"))])
        before = state(store)
        with pytest.raises(NotFoundError):
            self.commit(store, [Put(recommendation("R2")), Delete("recommendations", "R9", 1)],
                        hour=1)
        self.assert_unchanged(store, before)

    def test_delete_of_stale_version_conflicts(self, store: Store) -> None:
        """A delete naming a stale version raises ConflictError and keeps the record."""
        first = self.commit(store, [Put(recommendation())]).records[0]
        self.commit(store, [Put(attrs.evolve(first, text="edited"))], hour=1)
        before = state(store)
        with pytest.raises(ConflictError):
            self.commit(store, [Delete("recommendations", "R1", 1)], hour=2)
        self.assert_unchanged(store, before)

    def test_delete_of_unknown_kind_is_refused(self, store: Store) -> None:
        """A delete naming a kind that does not exist raises ValueError and writes nothing."""
        self.commit(store, [Put(recommendation())])
        before = state(store)
        with pytest.raises(ValueError):
            self.commit(store, [Delete("recommendation", "R1", 1)], hour=1)
        self.assert_unchanged(store, before)

    def test_put_that_changes_nothing_writes_nothing(self, store: Store) -> None:
        """A put equal to the stored record adds no history, keeps the version, uses no commit."""
        first = self.commit(store, [Put(recommendation(themes=("neglect",)))])
        before = state(store)
        receipt = self.commit(store, [Put(first.records[0])], hour=1)
        assert not receipt.changed
        assert receipt.entries == ()
        assert receipt.records == ()
        assert store.get(Recommendation, "R1").version == 1
        self.assert_unchanged(store, before)
        # The empty unit did not use up a commit number.
        later = self.commit(store, [Put(recommendation("R2"))], hour=2)
        assert later.commit == first.commit + 1

    def test_empty_unit_writes_nothing(self, store: Store) -> None:
        """Committing no changes is accepted and writes nothing."""
        self.commit(store, [Put(recommendation())])
        before = state(store)
        assert not self.commit(store, [], hour=1).changed
        self.assert_unchanged(store, before)

    # -- history -----------------------------------------------------------------

    def test_create_entry_holds_the_whole_record(self, store: Store) -> None:
        """A create is one history entry whose new value is the whole record at version 1."""
        created = action(lead_officer="Designated nurse")
        receipt = self.commit(store, [Put(created)], reason="Agreed at March board")
        (entry,) = store.history()
        assert attrs.evolve(entry, hash=None) == HistoryEntry(
            seq=1, commit=1, at=at(0), by=BY, reason="Agreed at March board",
            kind="actions", record_id="A1", version=1, change=ChangeKind.CREATE,
            field=None, old=None, new=plain(attrs.evolve(created, version=1)),
        )
        # The first link of the chain: its content after the genesis hash, kept as the head.
        assert entry.hash == entry_hash(plain(entry), GENESIS) == store.head
        assert receipt.entries == (entry,)
        assert self.reopen(store).history() == [entry]

    def test_a_put_may_give_its_own_reason(self, store: Store) -> None:
        """A put's own reason is its entries' reason; the others keep the commit's."""
        first = recommendation()
        adopted = action(reference="2.1a")
        self.commit(store, [Put(first), Put(adopted, reason="tracker.xlsx, 'Plan' row 6")],
                    reason="Adopted tracker.xlsx")
        later = attrs.evolve(store.get(Action, "A1"), title="Refresh the toolkit")
        self.commit(store, [Put(later, reason="tracker.xlsx, 'Plan' row 7")], hour=1,
                    reason="Adopted again")
        assert [(entry.record_id, entry.reason) for entry in self.reopen(store).history()] == [
            ("R1", "Adopted tracker.xlsx"), ("A1", "tracker.xlsx, 'Plan' row 6"),
            ("A1", "tracker.xlsx, 'Plan' row 7")]
        assert self.reopen(store).get(Action, "A1").reference == "2.1a"

    def test_update_has_one_entry_per_changed_field(self, store: Store) -> None:
        """An update writes one entry per changed field, old -> new as plain data."""
        first = self.commit(store, [Put(recommendation(themes=("neglect",)))]).records[0]
        changed = attrs.evolve(first, text="Share the learning widely",
                               themes=("neglect", "voice of the child"),
                               response=Response.ACCEPTED)
        receipt = self.commit(store, [Put(changed)], hour=1, reason="Board response")
        entries = store.history()[1:]
        assert receipt.entries == tuple(entries)
        assert {entry.field: (entry.old, entry.new) for entry in entries} == {
            "text": ("Share the learning", "Share the learning widely"),
            "themes": (["neglect"], ["neglect", "voice of the child"]),
            "response": ("pending", "accepted"),
        }
        for entry in entries:
            assert entry.change == ChangeKind.UPDATE
            assert (entry.kind, entry.record_id, entry.version, entry.commit) == (
                "recommendations", "R1", 2, 2)
            assert (entry.by, entry.at, entry.reason) == (BY, at(1), "Board response")

    def test_date_change_is_recorded_as_text(self, store: Store) -> None:
        """A changed date field is recorded old -> new as ISO date text."""
        first = self.commit(store, [Put(action())]).records[0]
        self.commit(store, [Put(attrs.evolve(first, target_date=date(2026, 9, 30)))], hour=1)
        (entry,) = store.history(kind="actions", record_id="A1")[1:]
        assert (entry.field, entry.old, entry.new) == ("target_date", "2026-03-31", "2026-09-30")

    def test_delete_keeps_the_old_record_in_history(self, store: Store) -> None:
        """A delete removes the record but its history keeps it, whole, in a delete entry."""
        first = self.commit(store, [Put(recommendation())]).records[0]
        second = self.commit(store, [Put(attrs.evolve(first, text="edited"))], hour=1).records[0]
        receipt = self.commit(store, [Delete("recommendations", "R1", 2)], hour=2)
        assert receipt.records == ()
        with pytest.raises(NotFoundError):
            store.get(Recommendation, "R1")
        assert store.snapshot().recommendations == {}
        history = store.history(record_id="R1")
        assert [entry.change for entry in history] == [
            ChangeKind.CREATE, ChangeKind.UPDATE, ChangeKind.DELETE]
        deleted = history[-1]
        assert receipt.entries == (deleted,)
        assert (deleted.old, deleted.new, deleted.field) == (plain(second), None, None)
        assert deleted.version == 3

    def test_deleted_id_can_be_created_again_and_its_versions_go_on(self, store: Store) -> None:
        """After a delete the id can be created again; its versions continue, never restart."""
        self.commit(store, [Put(recommendation(text="old"))])
        self.commit(store, [Delete("recommendations", "R1", 1)], hour=1)
        receipt = self.commit(store, [Put(recommendation(text="new"))], hour=2)
        assert receipt.records[0].version == 3
        assert store.get(Recommendation, "R1").text == "new"
        assert [e.version for e in store.history(record_id="R1")] == [1, 2, 3]
        assert self.reopen(store).get(Recommendation, "R1").version == 3

    def test_writer_holding_a_deleted_record_cannot_overwrite_its_successor(
        self, store: Store
    ) -> None:
        """A stale copy of a deleted record conflicts with the record created again in its place."""
        stale = self.commit(store, [Put(recommendation(text="old"))]).records[0]
        self.commit(store, [Delete("recommendations", "R1", 1)], hour=1)
        self.commit(store, [Put(recommendation(text="new"))], hour=2)
        before = state(store)
        with pytest.raises(ConflictError):
            self.commit(store, [Put(attrs.evolve(stale, text="overwrite"))], hour=3)
        self.assert_unchanged(store, before)

    def test_seq_increases_and_commit_numbers_group_a_unit(self, store: Store) -> None:
        """seq numbers every entry 1, 2, 3...; all entries of one unit share its commit number."""
        one = self.commit(store, [Put(recommendation("R1")), Put(recommendation("R2"))])
        two = self.commit(store, [Put(recommendation("R1", text="a", version=1,
                                                     themes=("x",)))], hour=1)
        three = self.commit(store, [Delete("recommendations", "R2", 1), Put(action())], hour=2)
        assert (one.commit, two.commit, three.commit) == (1, 2, 3)
        history = store.history()
        assert [entry.seq for entry in history] == list(range(1, 7))
        assert [entry.commit for entry in history] == [1, 1, 2, 2, 3, 3]
        assert [entry.at for entry in history] == [at(0), at(0), at(1), at(1), at(2), at(2)]
        assert list(one.entries + two.entries + three.entries) == history
        assert self.reopen(store).history() == history

    def test_history_filters_by_kind_and_record(self, store: Store) -> None:
        """history(kind=, record_id=) returns only that kind's or record's entries, in order."""
        self.commit(store, [Put(recommendation("X1")), Put(action("X1")), Put(action("A2"))])
        self.commit(store, [Put(action("X1", title="retitled", version=1))], hour=1)
        assert [e.seq for e in store.history(kind="actions")] == [2, 3, 4]
        assert [e.seq for e in store.history(record_id="X1")] == [1, 2, 4]
        assert [e.seq for e in store.history(kind="actions", record_id="X1")] == [2, 4]
        assert store.history(kind="evidence") == []

    def test_history_is_append_only(self, store: Store) -> None:
        """Later commits never alter earlier history entries, even for the same records."""
        first = self.commit(store, [Put(recommendation(themes=("a",))), Put(action())])
        second = self.commit(store, [Put(attrs.evolve(first.records[0], themes=("a", "b")))],
                             hour=1)
        earlier = copy.deepcopy(store.history())
        current = second.records[0]
        for hour in range(2, 6):
            current = self.commit(
                store, [Put(attrs.evolve(current, themes=(*current.themes, str(hour))))],
                hour=hour,
            ).records[0]
        self.commit(store, [Delete("recommendations", "R1", current.version),
                            Delete("actions", "A1", 1)], hour=6)
        self.commit(store, [Put(recommendation(text="reborn"))], hour=7)
        for view in (store, self.reopen(store)):
            history = view.history()
            assert history[: len(earlier)] == earlier
            assert len(history) == len(earlier) + 4 + 2 + 1

    def test_changing_a_returned_entry_changes_nothing_stored(self, store: Store) -> None:
        """History entries handed out are copies: editing their data alters no stored record."""
        receipt = self.commit(store, [Put(recommendation(themes=("neglect",)))])
        before = state(store)
        receipt.entries[0].new["text"] = "tampered via receipt"
        receipt.entries[0].new["themes"].append("tampered")
        store.history()[0].new["text"] = "tampered via history"
        store.history()[0].new["themes"].append("tampered")
        self.assert_unchanged(store, before)
        assert store.get(Recommendation, "R1") == recommendation(themes=("neglect",), version=1)

    def test_two_changes_to_one_record_in_a_unit_apply_in_order(self, store: Store) -> None:
        """Changes to one record within a unit apply in order, each based on the one before."""
        self.commit(store, [Put(recommendation(text="v1"))])
        receipt = self.commit(store, [
            Put(recommendation(text="v2", version=1)),
            Put(recommendation(text="v3", version=2)),
        ], hour=1)
        assert store.get(Recommendation, "R1") == recommendation(text="v3", version=3)
        assert [(e.version, e.old, e.new) for e in receipt.entries] == [
            (2, "v1", "v2"), (3, "v2", "v3")]
        assert {e.commit for e in receipt.entries} == {2}

    def test_create_then_update_in_one_unit(self, store: Store) -> None:
        """A record may be created and changed in the same unit."""
        self.commit(store, [Put(recommendation(text="v1")),
                            Put(recommendation(text="v2", version=1))])
        assert store.get(Recommendation, "R1").version == 2
        assert [e.change for e in store.history()] == [ChangeKind.CREATE, ChangeKind.UPDATE]

    def test_second_change_based_on_the_original_version_conflicts(self, store: Store) -> None:
        """Within a unit, a change based on the version before an earlier change is stale."""
        self.commit(store, [Put(recommendation(text="v1"))])
        before = state(store)
        with pytest.raises(ConflictError):
            self.commit(store, [
                Put(recommendation(text="v2", version=1)),
                Put(recommendation(text="other", version=1)),
            ], hour=1)
        self.assert_unchanged(store, before)

    def test_delete_and_create_again_in_one_unit(self, store: Store) -> None:
        """A delete then a create of the same id in one unit continues the record's versions."""
        self.commit(store, [Put(recommendation(text="old"))])
        self.commit(store, [Delete("recommendations", "R1", 1),
                            Put(recommendation(text="new"))], hour=1)
        assert store.get(Recommendation, "R1") == recommendation(text="new", version=3)
        assert store.snapshot(as_of=at(1)) == store.snapshot()
        assert store.snapshot(as_of=at(0)).recommendations["R1"].text == "old"

    def test_snapshot_follows_each_commit_and_earlier_snapshots_stay_as_they_were(
        self, store: Store
    ) -> None:
        """A held snapshot never changes; the next one matches what a fresh reader sees."""
        self.commit(store, [Put(recommendation("R1")), Put(recommendation("R2")),
                            Put(action("A1"))])
        before = store.snapshot()
        self.commit(store, [
            Put(recommendation("R1", text="changed", version=1)),
            Delete("recommendations", "R2", 1),
            Put(recommendation("R3")),
            Delete("recommendations", "R3", 1),  # created and removed in one unit
            Put(action("A2")),
        ], hour=1)
        assert set(before.recommendations) == {"R1", "R2"}
        assert before.recommendations["R1"].text == "Share the learning"
        after = store.snapshot()
        assert after == self.reopen(store).snapshot()
        assert set(after.recommendations) == {"R1"}
        assert after.recommendations["R1"] == recommendation("R1", text="changed", version=2)
        assert set(after.actions) == {"A1", "A2"}

    # -- the past --------------------------------------------------------------------

    def test_snapshot_before_the_first_commit_is_empty(self, store: Store) -> None:
        """snapshot(as_of=) a moment before any commit is an empty plan."""
        assert len(store.snapshot(as_of=at(0))) == 0
        self.commit(store, [Put(recommendation()), Put(action())], hour=1)
        assert store.snapshot(as_of=at(0)) == Plan()
        assert store.snapshot(as_of=at(1) - timedelta(microseconds=1)) == Plan()

    def test_snapshot_as_of_gives_the_plan_as_it_stood(self, store: Store) -> None:
        """snapshot(as_of=t) shows each record with the values and version it had at t."""
        one = self.commit(store, [Put(recommendation(text="first")), Put(action())], hour=1)
        two = self.commit(store, [Put(attrs.evolve(one.records[0], text="second")),
                                  Put(recommendation("R2"))], hour=3)
        self.commit(store, [Put(attrs.evolve(two.records[0], text="third")),
                            Delete("actions", "A1", 1)], hour=5)
        for view in (store, self.reopen(store)):
            at_one = view.snapshot(as_of=at(2))
            assert at_one == Plan.from_records(one.records)
            assert at_one.recommendations["R1"].text == "first"
            assert at_one.actions["A1"] == action(version=1)  # deleted since
            at_two = view.snapshot(as_of=at(4))
            assert at_two.recommendations["R1"] == recommendation(text="second", version=2)
            assert set(at_two.recommendations) == {"R1", "R2"}
            # A commit's own moment includes it.
            assert view.snapshot(as_of=at(3)) == at_two
            assert view.snapshot(as_of=at(5)) == view.snapshot()

    def test_snapshot_as_of_compares_moments_not_clock_readings(self, store: Store) -> None:
        """as_of is a moment: the same instant in another UTC offset gives the same plan."""
        self.commit(store, [Put(recommendation(text="first"))], hour=0)
        self.commit(store, [Put(recommendation(text="second", version=1))], hour=2)
        new_york = timezone(timedelta(hours=-5))
        moment = at(1).astimezone(new_york)
        assert store.snapshot(as_of=moment).recommendations["R1"].text == "first"

    def test_snapshot_as_of_a_naive_moment_is_refused(self, store: Store) -> None:
        """snapshot(as_of=) a moment without a UTC offset raises ValueError, empty store or not."""
        naive = datetime(2026, 3, 2, 12, 0)
        with pytest.raises(ValueError, match="timezone"):
            store.snapshot(as_of=naive)
        self.commit(store, [Put(recommendation())])
        with pytest.raises(ValueError, match="timezone"):
            store.snapshot(as_of=naive)

    def test_backdated_change_is_refused_so_past_snapshots_never_change(
        self, store: Store
    ) -> None:
        """A change dated before the latest commit is refused: as_of a past moment stays put."""
        created = self.commit(store, [Put(recommendation(text="first"))], hour=2).records[0]
        before = state(store)
        then = store.snapshot(as_of=at(2))
        with pytest.raises(RuleViolation) as caught:
            self.commit(store, [Put(attrs.evolve(created, text="second"))], hour=1)
        assert caught.value.rule == "history.forward-only"
        self.assert_unchanged(store, before)
        assert store.snapshot(as_of=at(2)) == then

    def test_writers_at_the_same_moment_share_one_timeline(self, store: Store) -> None:
        """A clock reading a little before the latest commit is recorded at the latest commit."""
        self.commit(store, [Put(recommendation("R1"))], hour=2)
        receipt = store.commit([Put(recommendation("R2"))], by=BY,
                               at=at(2) - timedelta(seconds=5))
        assert receipt.entries[0].at == at(2)
        assert [e.at for e in store.history()] == [at(2), at(2)]

    def test_a_change_dated_ahead_of_the_store_s_clock_is_refused(self, store: Store) -> None:
        """A change dated an hour ahead of the store's clock is refused; minutes ahead are not."""
        self.commit(store, [Put(recommendation())])
        before = state(store)
        ahead = datetime.now(UTC) + timedelta(hours=1)
        with pytest.raises(RuleViolation) as caught:
            store.commit([Put(recommendation("R2"))], by=BY, at=ahead)
        assert caught.value.rule == "history.future-dated"
        self.assert_unchanged(store, before)
        drifted = datetime.now(UTC) + timedelta(minutes=2)  # two machines' clocks a bit apart
        assert store.commit([Put(recommendation("R2"))], by=BY, at=drifted).changed

    def test_future_dated_history_does_not_block_the_plan(self, make_store: StoreFactory) -> None:
        """A store holding history dated ahead of its clock takes changes again; no past changes.

        The history is what a computer whose clock ran ten days fast wrote, before
        the store refused such changes: restored here, as ``copy`` would bring it.
        """
        now = datetime.now(UTC).replace(microsecond=0)
        wrong = MemoryStore(clock=lambda: now + timedelta(days=30))
        first = wrong.commit([Put(recommendation(text="first"))], by=BY,
                             at=now - timedelta(days=2)).records[0]
        wrong.commit([Put(attrs.evolve(first, text="fast clock")), Put(recommendation("R2"))],
                     by=BY, at=now + timedelta(days=10))
        store = make_store()
        store.restore(wrong.snapshot(), wrong.history())
        moments = [now - timedelta(days=3), now - timedelta(days=1), now]
        views = [store.snapshot(as_of=moment) for moment in moments]
        with pytest.raises(RuleViolation) as caught:  # still: history only moves forward
            store.commit([Put(recommendation("R3"))], by=BY, at=now - timedelta(hours=1))
        assert caught.value.rule == "history.forward-only"
        current = store.get(Recommendation, "R1")
        receipt = store.commit([Put(attrs.evolve(current, text="right clock"))], by=BY, at=now)
        assert now <= receipt.entries[0].at <= datetime.now(UTC)
        for view in (store, self.reopen(store)):
            assert [view.snapshot(as_of=moment) for moment in moments] == views
            assert view.get(Recommendation, "R1").text == "right clock"
            later = view.snapshot(as_of=now + timedelta(days=11))
            assert later.recommendations["R1"].text == "right clock"
            assert set(later.recommendations) == {"R1", "R2"}
        assert store.commit([Put(recommendation("R3"))], by=BY, at=datetime.now(UTC)).changed

    def test_used_ids_hold_live_and_withdrawn_ids_of_a_prefix(self, store: Store) -> None:
        """used_ids(kind, prefix) names the ids of that kind and prefix a record has or had."""
        self.commit(store, [Put(recommendation("R1")), Put(recommendation("R2")),
                            Put(recommendation("X1")), Put(action())])
        self.commit(store, [Delete("recommendations", "R1", 1), Delete("actions", "A1", 1)],
                    hour=1)
        for view in (store, self.reopen(store)):
            assert view.used_ids("recommendations", "R") == frozenset({"R1", "R2"})
            assert view.used_ids("recommendations") == frozenset({"R1", "R2", "X1"})
            assert view.used_ids("actions", "A") == frozenset({"A1"})
            assert view.used_ids("evidence", "") == frozenset()
        self.commit(store, [Put(recommendation("R1"))], hour=2)
        assert self.reopen(store).used_ids("recommendations", "R") == frozenset({"R1", "R2"})

    def test_a_made_again_id_leaves_no_tombstone(self, store: Store) -> None:
        """An id withdrawn and made again versions on from its tombstone, which is then gone."""
        self.commit(store, [Put(recommendation("R1"))])
        self.commit(store, [Delete("recommendations", "R1", 1)], hour=1)
        again = self.commit(store, [Put(recommendation("R1"))], hour=2).records[0]
        assert again.version == 3
        self.commit(store, [Delete("recommendations", "R1", 3)], hour=3)
        assert self.commit(store, [Put(recommendation("R1"))], hour=4).records[0].version == 5

    def test_get_many_gives_the_records_there_are(self, store: Store) -> None:
        """get_many returns the records of those ids that exist, by id, as get would."""
        self.commit(store, [Put(recommendation("R1")), Put(recommendation("R2")), Put(action())])
        for view in (store, self.reopen(store)):
            found = view.get_many(Recommendation, ["R2", "R1", "R9", "A1"])
            assert found == {"R1": view.get(Recommendation, "R1"),
                             "R2": view.get(Recommendation, "R2")}
            assert view.get_many(Action, []) == {}

    def test_find_matches_values_sets_list_members_and_days_before(self, store: Store) -> None:
        """find: equal values, any of a set, a list field holding a value, dates before a day."""
        self.commit(store, [
            Put(action("A1", recommendation_ids=("R1", "R2"), status=ActionStatus.AGREED)),
            Put(action("A2", recommendation_ids=("R2",), target_date=date(2026, 6, 30))),
            Put(action("A3", lead_agency_id="police", recommendation_ids=("R3",),
                       target_date=date(2026, 2, 1))),
        ])
        snapshotted = self.reopen(store)
        snapshotted.snapshot()  # a store may answer from the plan it read for a snapshot
        for view in (store, self.reopen(store), snapshotted):
            def ids(view: Store = view, **where: Any) -> list[str]:
                return [record.id for record in view.find(Action, **where)]

            assert ids() == ["A1", "A2", "A3"]
            assert ids(lead_agency_id="health") == ["A1", "A2"]
            assert ids(status=ActionStatus.AGREED) == ["A1"]
            assert ids(status=frozenset({ActionStatus.AGREED, ActionStatus.PROPOSED})) == [
                "A1", "A2", "A3"]
            assert ids(recommendation_ids="R2") == ["A1", "A2"]
            assert ids(recommendation_ids=frozenset({"R1", "R3"})) == ["A1", "A3"]
            assert ids(target_date=Before(date(2026, 3, 31))) == ["A3"]
            assert ids(lead_agency_id="health", target_date=Before(date(2026, 6, 30))) == ["A1"]
            assert ids(successor_id="A9") == []
            assert view.find(Recommendation) == []
            with pytest.raises(ValueError, match="no field"):
                view.find(Action, colour="red")
        # A change since the snapshot, made by another writer: the plan read then no longer
        # answers.
        third = store.get(Action, "A3")
        self.commit(store, [Put(attrs.evolve(third, status=ActionStatus.AGREED))], hour=1)
        assert [a.id for a in snapshotted.find(Action, status=ActionStatus.AGREED)] == [
            "A1", "A3"]
        assert snapshotted.find(Action, status=ActionStatus.AGREED) == [
            snapshotted.get(Action, "A1"), snapshotted.get(Action, "A3")]

    def test_find_get_many_and_count_as_of_a_past_moment(self, store: Store) -> None:
        """find and get_many as of a moment give what the plan held then; count the plan now."""
        self.commit(store, [Put(action("A1")), Put(recommendation("R1"))])
        first = store.get(Action, "A1")
        self.commit(store, [Put(attrs.evolve(first, lead_agency_id="police")),
                            Put(action("A2"))], hour=2)
        self.commit(store, [Delete("recommendations", "R1", 1)], hour=3)
        for view in (store, self.reopen(store)):
            then = view.snapshot(as_of=at(1))
            assert view.find(Action, as_of=at(1)) == [then.actions["A1"]]
            assert view.find(Action, as_of=at(1), lead_agency_id="health") == [
                then.actions["A1"]]
            assert [a.id for a in view.find(Action, lead_agency_id="health")] == ["A2"]
            assert view.get_many(Action, ["A1", "A2"], as_of=at(1)) == {"A1": then.actions["A1"]}
            assert view.get_many(Recommendation, ["R1"], as_of=at(2)) == {
                "R1": view.snapshot(as_of=at(2)).recommendations["R1"]}
            assert view.get_many(Recommendation, ["R1"]) == {}
            assert view.find(Action, as_of=at(9)) == view.find(Action)  # after the latest: now
            assert (view.count("actions"), view.count("recommendations")) == (2, 0)

    def test_history_of_a_set_of_records_and_when_each_was_created(self, store: Store) -> None:
        """history(record_ids=) reads just those records' entries; created() the first creation."""
        self.commit(store, [Put(recommendation("R1")), Put(recommendation("R2"))])
        r1 = store.get(Recommendation, "R1")
        self.commit(store, [Put(attrs.evolve(r1, text="edited")), Put(action())], hour=1)
        self.commit(store, [Delete("actions", "A1", 1)], hour=2)
        self.commit(store, [Put(action())], hour=3)
        for view in (store, self.reopen(store)):
            whole = view.history()
            wanted = [e for e in whole if e.record_id in {"R1", "A1"}]
            assert view.history(record_ids={"R1", "A1"}) == wanted
            assert view.history(kind="actions", record_ids=["A1", "R1"]) == [
                e for e in wanted if e.kind == "actions"]
            assert view.history(record_id="R2", record_ids=["R1"]) == []
            assert view.created("recommendations") == {"R1": at(0), "R2": at(0)}
            assert view.created("actions") == {"A1": at(1)}  # the first creation, not the second

    # make_store gives a new store per example, so sharing the fixture is safe; and
    # each backend's subclass runs this one method, so executors differ by design.
    @settings(max_examples=100, deadline=None, suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.differing_executors])
    @given(units=st.lists(st.lists(st.tuples(
        st.sampled_from(["put"] * 4 + ["delete"]),
        st.sampled_from(["recommendations", "actions"]),
        st.sampled_from(["1", "2", "3"]),
        st.sampled_from([0] * 8 + [-1, 1]),  # how stale the change is
        st.one_of(st.sampled_from(["a", "b"]),
                  st.text(st.characters(codec="utf-8", blacklist_characters="\x00"),
                          max_size=8)),
    ), min_size=1, max_size=3), max_size=12))
    def test_random_commits_replay_to_the_current_plan(
        self, make_store: StoreFactory, units: list[list[tuple[str, str, str, int, str]]]
    ) -> None:
        """After random commits, the store matches a simple model, now and at every past commit."""
        store = make_store()
        model: dict[tuple[str, str], Record] = {}
        removed: dict[tuple[str, str], int] = {}  # the last version of each deleted record
        past: list[tuple[datetime, dict[tuple[str, str], Record]]] = []
        offsets = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-7))]
        for number, unit in enumerate(units):
            moment = (T0 + timedelta(minutes=number)).astimezone(offsets[number % 3])
            working = dict(model)
            working_removed = dict(removed)
            changes: list[Change] = []
            refusal: type[Exception] | None = None
            for operation, kind, record_id, staleness, text in unit:
                key = (kind, record_id)
                stored = working.get(key)
                base = (stored.version if stored else 0) + staleness
                if operation == "delete":
                    changes.append(Delete(kind, record_id, base))
                    if refusal is None and stored is None:
                        refusal = NotFoundError
                    elif refusal is None and stored.version != base:  # type: ignore[union-attr]
                        refusal = ConflictError
                    elif refusal is None:
                        working_removed[key] = working.pop(key).version + 1
                    continue
                record: Record = (recommendation(record_id, text=text, version=base)
                                  if kind == "recommendations"
                                  else action(record_id, title=text, version=base))
                changes.append(Put(record))
                if refusal is None and (stored.version if stored else 0) != base:
                    refusal = ConflictError
                elif refusal is None and stored is None:
                    working[key] = attrs.evolve(
                        record, version=working_removed.get(key, 0) + 1)
                elif refusal is None and attrs.evolve(record, version=0) != attrs.evolve(
                        stored, version=0):
                    working[key] = attrs.evolve(record, version=base + 1)
            if refusal is not None:
                event(f"unit refused with {refusal.__name__}")
                with pytest.raises(refusal):
                    store.commit(changes, by=BY, at=moment)
            else:
                receipt = store.commit(changes, by=BY, at=moment)
                event("unit committed" if receipt.changed else "unit changed nothing")
                model, removed = working, working_removed
                past.append((moment, dict(model)))
            assert store.snapshot() == Plan.from_records(model.values())

        now = T0 + timedelta(days=1)
        history = store.history()
        assert [entry.seq for entry in history] == list(range(1, len(history) + 1))
        for view in (store, self.reopen(store)):
            assert view.snapshot(as_of=now) == view.snapshot()
            assert view.snapshot() == Plan.from_records(model.values())
            assert view.history() == history
            for moment, then in past:
                assert view.snapshot(as_of=moment) == Plan.from_records(then.values())
            for moment, then in reversed(past):  # each view rewound from the one after it
                assert view.snapshot(as_of=moment) == Plan.from_records(then.values())
                assert view.find(Action, as_of=moment) == sorted(
                    (r for r in then.values() if isinstance(r, Action)), key=lambda r: r.id)

    # -- measures (issue 12) ------------------------------------------------------------

    def test_measures_and_their_figures_come_back_exactly(self, store: Store) -> None:
        """A measure and its measurements keep every figure to the last bit, and are found
        by their action and their measure."""
        figures = [figure(f"A1/M1/V{n}", value, on=date(2026, 2, n))
                   for n, value in enumerate(FIGURES, start=1)]
        other = measure("A2/M1", "A2", baseline=30, target=10, want=Want.LOWER, source=None,
                        unit="days")
        self.commit(store, [Put(action()), Put(action("A2")), Put(measure()), Put(other),
                            *(Put(f) for f in figures),
                            Put(figure("A2/M1/V1", 24, measure_id="A2/M1"))])
        for view in (store, self.reopen(store)):
            stored = view.get(Measure, "A1/M1")
            assert stored == attrs.evolve(measure(), version=1)
            assert view.get(Measure, "A2/M1").baseline == 30.0
            assert type(view.get(Measure, "A2/M1").baseline) is float
            assert [m.value for m in view.find(Measurement, measure_id="A1/M1")] == list(FIGURES)
            assert all(type(m.value) is float for m in view.find(Measurement))
            assert [m.id for m in view.find(Measure, action_id="A2")] == ["A2/M1"]
            assert [m.id for m in view.find(Measurement, action_id="A2")] == ["A2/M1/V1"]
            assert [m.id for m in view.find(Measurement, action_id=frozenset({"A1", "A2"}),
                                            measure_id="A2/M1")] == ["A2/M1/V1"]
            assert view.get_many(Measurement, ["A1/M1/V1", "A2/M1/V9"]) == {
                "A1/M1/V1": attrs.evolve(figures[0], version=1)}
            plan = view.snapshot()
            assert [m.id for m in plan.measures_for("A1")] == ["A1/M1"]
            assert [m.value for m in plan.measurements_for("A1/M1")] == list(FIGURES)
            assert (view.count("measures"), view.count("measurements")) == (2, 6)
            created = {e.record_id: e.new for e in view.history(kind="measurements")}
            assert created["A1/M1/V1"]["value"] == 0.1 + 0.2
            assert created["A2/M1/V1"]["value"] == 24

    def test_measures_as_of_a_past_moment(self, store: Store) -> None:
        """Views of the past hold a measure's target and figures as they stood then."""
        self.commit(store, [Put(action()), Put(measure())])
        self.commit(store, [Put(figure("A1/M1/V1", 0.1 + 0.2))], hour=1)
        self.commit(store, [Put(attrs.evolve(store.get(Measure, "A1/M1"), target=90.5))],
                    hour=2)
        self.commit(store, [Put(figure("A1/M1/V2", 88.0, on=date(2026, 3, 1)))], hour=3)
        for view in (store, self.reopen(store)):
            then = view.snapshot(as_of=at(1))
            assert then.measures["A1/M1"].target == 85.0
            assert [m.value for m in then.measurements_for("A1/M1")] == [0.1 + 0.2]
            assert view.snapshot(as_of=at(2)).measures["A1/M1"].target == 90.5
            assert [m.id for m in view.find(Measurement, as_of=at(2), measure_id="A1/M1")] == [
                "A1/M1/V1"]
            assert view.get_many(Measure, ["A1/M1"], as_of=at(0)) == {
                "A1/M1": attrs.evolve(measure(), version=1)}
            assert view.get(Measure, "A1/M1").target == 90.5
            (edit,) = [e for e in view.history(record_id="A1/M1") if e.change == "update"]
            assert (edit.field, edit.old, edit.new) == ("target", 85.0, 90.5)

    def test_withdrawing_an_action_takes_its_measures_and_figures(self, store: Store) -> None:
        """An action withdrawn takes its measures and their measurements with it, in one
        commit; history keeps them, and their ids stay used."""
        from actiontrack import service

        self.commit(store, [Put(action()), Put(action("A2")), Put(measure()),
                            Put(figure()), Put(figure("A1/M1/V2", 40.0)),
                            Put(measure("A2/M1", "A2")), Put(figure("A2/M1/V1", 1.5,
                                                                    measure_id="A2/M1"))])
        withdrawn = service.withdraw(store, "A1", kind="actions", reason="made by mistake",
                                     by=BY, at=at(1))
        assert sorted(item.id for item in withdrawn.gone) == [
            "A1", "A1/M1", "A1/M1/V1", "A1/M1/V2"]
        for view in (store, self.reopen(store)):
            plan = view.snapshot()
            assert set(plan.measures) == {"A2/M1"}
            assert set(plan.measurements) == {"A2/M1/V1"}
            assert view.find(Measurement, action_id="A1") == []
            assert view.used_ids("measurements", "A1/M1/V") == frozenset(
                {"A1/M1/V1", "A1/M1/V2"})
            assert view.snapshot(as_of=at(0)).measurements_for("A1/M1")[1].value == 40.0
            (last,) = {e.commit for e in view.history(record_ids={"A1", "A1/M1", "A1/M1/V1"})
                       if e.change == "delete"}
            assert last == view.history()[-1].commit

    # -- restore ---------------------------------------------------------------------

    def test_restore_fills_an_empty_store(self, make_store: StoreFactory) -> None:
        """restore() copies a plan and its history into an empty store; commits carry on after."""
        source = make_store()
        first = self.commit(source, [Put(recommendation()), Put(action())])
        self.commit(source, [Put(attrs.evolve(first.records[0], text="edited"))], hour=1)
        self.commit(source, [Delete("actions", "A1", 1)], hour=2)
        target = make_store()
        target.restore(source.snapshot(), source.history())
        for view in (target, self.reopen(target)):
            assert view.snapshot() == source.snapshot()
            assert view.history() == source.history()
            assert view.snapshot(as_of=at(0)) == source.snapshot(as_of=at(0))
        receipt = self.commit(target, [Put(recommendation("R2"))], hour=3)
        assert receipt.commit == 4
        assert [entry.seq for entry in receipt.entries] == [5]
        assert target.identity != source.identity

    def test_restore_refuses_a_store_with_records(self, make_store: StoreFactory) -> None:
        """restore() into a store holding records raises StoreNotEmptyError and changes nothing."""
        source = make_store()
        self.commit(source, [Put(action())])
        target = make_store()
        self.commit(target, [Put(recommendation())])
        before = state(target)
        with pytest.raises(StoreNotEmptyError):
            target.restore(source.snapshot(), source.history())
        self.assert_unchanged(target, before)

    def test_restore_refuses_a_store_with_only_history(self, make_store: StoreFactory) -> None:
        """A store whose records were all deleted still has history: restore() refuses it."""
        target = make_store()
        self.commit(target, [Put(recommendation())])
        self.commit(target, [Delete("recommendations", "R1", 1)], hour=1)
        before = state(target)
        with pytest.raises(StoreNotEmptyError):
            target.restore(Plan.from_records([action(version=1)]), [])
        self.assert_unchanged(target, before)

    def test_restore_refuses_history_that_does_not_rebuild_the_plan(
        self, make_store: StoreFactory
    ) -> None:
        """A plan with a history that does not rebuild it would answer as_of wrongly: refused."""
        target = make_store()
        with pytest.raises(StoreError, match="does not rebuild"):
            target.restore(Plan.from_records([action(version=1)]), [])
        assert state(target) == (Plan(), [])

    # -- what a commit refuses ---------------------------------------------------

    def test_commit_refuses_a_record_whose_fields_have_the_wrong_types(
        self, store: Store
    ) -> None:
        """A model built with the wrong types (name=12345) is refused with its path, not stored."""
        self.commit(store, [Put(recommendation())])
        before = state(store)
        with pytest.raises(ConversionError) as caught:
            self.commit(store, [Put(recommendation("R2", text=12345))], hour=1)  # type: ignore[arg-type]
        assert caught.value.problems == (
            '$.recommendations["R2"].text: expected text, got 12345 (int)',)
        self.assert_unchanged(store, before)

    def test_a_closed_store_refuses_to_be_used(self, make_store: StoreFactory) -> None:
        """After close(), reading or writing through that object is a StoreError."""
        store = make_store()
        self.commit(store, [Put(recommendation())])
        store.close()
        with pytest.raises(StoreError):
            store.snapshot()
        with pytest.raises(StoreError):
            self.commit(store, [Put(recommendation("R2"))], hour=1)


    def test_commit_refuses_a_naive_datetime(self, store: Store) -> None:
        """A commit time without a UTC offset raises ValueError and writes nothing."""
        self.commit(store, [Put(recommendation())])
        before = state(store)
        with pytest.raises(ValueError, match="timezone"):
            store.commit([Put(recommendation("R2"))], by=BY, at=datetime(2026, 3, 2, 10, 0))
        self.assert_unchanged(store, before)

    @pytest.mark.parametrize("by", ["", "   "])
    def test_commit_refuses_an_empty_by(self, store: Store, by: str) -> None:
        """A commit without the name of who made it raises ValueError and writes nothing."""
        self.commit(store, [Put(recommendation())])
        before = state(store)
        with pytest.raises(ValueError, match="by"):
            store.commit([Put(recommendation("R2"))], by=by, at=at(1))
        self.assert_unchanged(store, before)

    # -- identity ------------------------------------------------------------------

    def test_identity_is_stable_and_unique(self, make_store: StoreFactory) -> None:
        """A store's identity is fixed text that survives commits and differs between stores."""
        store, other = make_store(), make_store()
        identity = store.identity
        assert isinstance(identity, str)
        assert identity
        self.commit(store, [Put(recommendation())])
        assert store.identity == identity
        assert self.reopen(store).identity == identity
        assert other.identity != identity


    # -- trust: the chain, redaction, signing -------------------------------------------

    def chain_breaks(self, store: Store) -> list[Any]:
        entries = [convert.unstructure(entry) for entry in store.history()]
        return check_chain(entries, store.head, redaction_digests(entries))

    def test_every_entry_is_linked_and_the_store_keeps_the_head(self, store: Store) -> None:
        """Each entry's hash follows the one before; the head is the last, also when reopened."""
        assert store.head == GENESIS
        self.commit(store, [Put(recommendation()), Put(action())])
        self.commit(store, [Put(attrs.evolve(store.get(Action, "A1"), title="New"))], hour=1)
        history = store.history()
        previous = GENESIS
        for entry in history:
            assert entry.hash == entry_hash(convert.unstructure(entry), previous)
            previous = entry.hash
        assert store.head == previous == self.reopen(store).head
        assert self.chain_breaks(store) == []
        assert store.outside_edits() == []

    def test_a_redaction_takes_every_value_out_and_the_chain_still_checks(
            self, store: Store) -> None:
        """Every value the field held becomes the marker, in the record and its history."""
        self.commit(store, [Put(action(title="Call Jo Bloggs"))])
        self.commit(store, [Put(attrs.evolve(store.get(Action, "A1"), title="Call the school"))],
                    hour=1)
        self.commit(store, [Put(attrs.evolve(store.get(Action, "A1"), deliverable="A guide"))],
                    hour=2)
        version = store.get(Action, "A1").version
        receipt = self.commit(store, [Redact("actions", "A1", version, "title", "[gone]")],
                              hour=3, reason="a name")
        (redacted,) = receipt.records
        assert redacted.title == "[gone]"
        assert redacted.version == version + 1
        for reader in (store, self.reopen(store)):
            history = reader.history(record_id="A1")
            assert [e.change for e in history] == [ChangeKind.CREATE, ChangeKind.UPDATE,
                                                   ChangeKind.UPDATE, ChangeKind.REDACT]
            assert history[0].new["title"] == "[gone]"
            assert (history[1].old, history[1].new) == ("[gone]", "[gone]")
            assert history[2].new == "A guide"  # another field: untouched
            assert history[3].reason == "a name"
            assert len(history[3].old["removed"]) == 3
            assert "Jo Bloggs" not in repr(reader.history())
            assert reader.get(Action, "A1").title == "[gone]"
            assert reader.snapshot(as_of=at(0)).actions["A1"].title == "[gone]"
            assert self.chain_breaks(reader) == []
        # The record carries on: the next change is based on the redacted version.
        self.commit(store, [Put(attrs.evolve(store.get(Action, "A1"), title="Call the school"))],
                    hour=4)
        assert self.chain_breaks(store) == []

    def test_a_redaction_is_refused_for_a_stale_version_or_a_field_that_is_not_text(
            self, store: Store) -> None:
        self.commit(store, [Put(action())])
        before = state(store)
        with pytest.raises(ConflictError):
            self.commit(store, [Redact("actions", "A1", 7, "title", "[gone]")], hour=1)
        with pytest.raises(RuleViolation, match=r"redact\.field"):
            self.commit(store, [Redact("actions", "A1", 1, "target_date", "[gone]")], hour=1)
        self.assert_unchanged(store, before)

    def test_restore_keeps_the_chain_and_its_redactions(self, store: Store,
                                                        make_store: StoreFactory) -> None:
        """A copy has the same hashes and head, redactions and all, and still checks."""
        self.commit(store, [Put(action(title="Call Jo Bloggs"))])
        self.commit(store, [Redact("actions", "A1", 1, "title", "[gone]")], hour=1)
        copied = make_store()
        copied.restore(store.snapshot(), store.history())
        assert copied.history() == store.history()
        assert copied.head == store.head
        assert self.chain_breaks(self.reopen(copied)) == []

    def test_settling_a_store_nobody_changed_does_nothing(self, store: Store) -> None:
        self.commit(store, [Put(action())])
        before = state(store)
        for accept in (True, False):
            receipt = store.settle(accept=accept, by=BY, at=at(1), reason="checked")
            assert not receipt.changed
        self.assert_unchanged(store, before)

    def test_signatures_are_the_stores_own(self, store: Store, make_store: StoreFactory) -> None:
        """The same payload signs the same on one store, reopened; another store differs."""
        signature = store.sign(b"export 1")
        assert len(signature) == 64
        assert signature == store.sign(b"export 1")
        assert self.reopen(store).sign(b"export 1") == signature
        assert store.sign(b"export 2") != signature
        assert make_store().sign(b"export 1") != signature
