"""The service layer: each change is one checked unit of work on a store."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

import actiontrack as at

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
BY = "Business unit"


def plan_store(now: datetime = NOW) -> at.MemoryStore:
    """A store with two partnerships, two agencies, a review and an accepted recommendation each."""
    store = at.MemoryStore()
    at.add_partnership(store, id="NSCP", name="North SCP", kind=at.PartnershipKind.CHILDREN,
                       by=BY, at=now)
    at.add_partnership(store, id="SSCP", name="South SCP", kind=at.PartnershipKind.CHILDREN,
                       by=BY, at=now)
    at.add_agency(store, id="POL", name="North Police", by=BY, at=now)
    at.add_agency(store, id="ICB", name="North ICB", by=BY, at=now)
    for partnership in ("NSCP", "SSCP"):
        at.add_review(store, partnership_id=partnership, reference="CSPR-1",
                      kind=at.ReviewKind.LCSPR, title="Child Alex", subject="Child Alex",
                      by=BY, at=now)
        at.add_recommendation(store, review_id=f"{partnership}/CSPR-1", text="Share",
                              response=at.Response.ACCEPTED, by=BY, at=now)
    return store


@pytest.fixture
def store() -> at.MemoryStore:
    """The plan store of :func:`plan_store`, made at NOW."""
    return plan_store()


def new_action(store: at.MemoryStore, **extra: object) -> at.Action:
    fields: dict[str, object] = {
        "recommendation_ids": ["NSCP/CSPR-1/R1"], "lead_agency_id": "POL",
        "title": "Brief officers", "target_date": date(2027, 1, 31),
        "lead_officer": "DI Lead", "by": BY, "at": NOW,
    }
    return at.add_action(store, **(fields | extra))  # type: ignore[arg-type]


def completed_action(store: at.MemoryStore) -> at.Action:
    action = new_action(store, status=at.ActionStatus.IN_PROGRESS)
    at.add_evidence(store, action.id, tier=at.EvidenceTier.COMPLETION,
                    kind=at.EvidenceKind.BRIEFING, title="Register",
                    about_date=date(2026, 11, 20), by="DI Lead", at=NOW)
    return at.set_status(store, action.id, at.ActionStatus.COMPLETED, by=BY, at=NOW)


def test_review_references_collide_across_partnerships_but_ids_do_not(
    store: at.MemoryStore,
) -> None:
    """Two partnerships can both have a CSPR-1: ids are scoped to the partnership."""
    assert set(store.snapshot().reviews) == {"NSCP/CSPR-1", "SSCP/CSPR-1"}


def test_generated_ids_are_readable_and_sequential(store: at.MemoryStore) -> None:
    """Actions are <partnership>/A001, A002; updates <action>/U1, U2."""
    first, second = new_action(store), new_action(store)
    assert (first.id, second.id) == ("NSCP/A001", "NSCP/A002")
    update = at.add_progress_update(store, first.id, "Started.", by="DI Lead", at=NOW)
    again = at.add_progress_update(store, first.id, "Going well.", by="DI Lead", at=NOW)
    assert (update.id, again.id) == ("NSCP/A001/U1", "NSCP/A001/U2")
    assert [u.text for u in store.snapshot().updates_for(first.id)] == ["Started.", "Going well."]


@pytest.mark.parametrize(
    ("extra", "missing"),
    [
        ({"lead_agency_id": "NOPE"}, "no agency with id 'NOPE'"),
        ({"recommendation_ids": ["NSCP/CSPR-1/R9"]}, "no recommendation with id"),
    ],
)
def test_unknown_references_are_refused(
    store: at.MemoryStore, extra: dict[str, object], missing: str
) -> None:
    """An action naming an unknown agency or recommendation raises NotFoundError, writes nothing."""
    before = store.history()
    with pytest.raises(at.NotFoundError, match=missing):
        new_action(store, **extra)
    assert store.history() == before


def test_an_action_cannot_span_partnerships(store: at.MemoryStore) -> None:
    """Recommendations of two partnerships' reviews cannot share an action."""
    with pytest.raises(at.RuleViolation) as caught:
        new_action(store, recommendation_ids=["NSCP/CSPR-1/R1", "SSCP/CSPR-1/R1"])
    assert caught.value.rule == "action.one-partnership"


def test_not_accepted_needs_a_reason(store: at.MemoryStore) -> None:
    """A recommendation not accepted without a reason is refused; with one it is kept."""
    with pytest.raises(at.RuleViolation, match="reason"):
        at.respond_to_recommendation(store, "NSCP/CSPR-1/R1", at.Response.NOT_ACCEPTED,
                                     by=BY, at=NOW)
    rec = at.respond_to_recommendation(store, "NSCP/CSPR-1/R1", at.Response.NOT_ACCEPTED,
                                       reason="National matter", by=BY, at=NOW)
    assert (rec.response, rec.response_reason) == (at.Response.NOT_ACCEPTED, "National matter")


def test_revising_a_target_keeps_the_original_and_the_reason(store: at.MemoryStore) -> None:
    """revise_target_date moves the current date, keeps the original, records why and who."""
    action = new_action(store)
    revised = at.revise_target_date(store, action.id, date(2027, 3, 31), reason="Staffing",
                                    by="Chair", at=NOW)
    assert revised.original_target_date == date(2027, 1, 31)
    assert revised.target_date == date(2027, 3, 31)
    assert revised.target_revisions == (
        at.TargetRevision(from_date=date(2027, 1, 31), to_date=date(2027, 3, 31),
                          reason="Staffing", by="Chair", on=NOW.date()),
    )
    entries = store.history(kind="actions", record_id=action.id)
    assert {e.field for e in entries[1:]} == {"target_date", "target_revisions"}
    assert {e.reason for e in entries[1:]} == {"Staffing"}


def test_expected_version_guards_against_a_stale_screen(store: at.MemoryStore) -> None:
    """A change naming the version the caller saw is refused once someone else moved on."""
    action = new_action(store)
    at.set_status(store, action.id, at.ActionStatus.AGREED, by="Someone else", at=NOW)
    with pytest.raises(at.ConflictError):
        at.set_status(store, action.id, at.ActionStatus.ON_HOLD, hold_reason="x",
                      hold_review_date=date(2027, 1, 1), expected_version=action.version,
                      by=BY, at=NOW)
    assert store.get(at.Action, action.id).status == at.ActionStatus.AGREED


def test_accepted_assurance_assures_the_action_in_one_commit(store: at.MemoryStore) -> None:
    """An accepted decision by someone other than the lead officer moves the action to assured."""
    action = completed_action(store)
    decision, assured = at.record_assurance_decision(
        store, action.id, outcome=at.AssuranceOutcome.ACCEPTED, decided_by="Subgroup chair",
        body="Case review subgroup", seen="Register", evidence_ids=[f"{action.id}/E1"],
        by=BY, at=NOW)
    assert assured.status == at.ActionStatus.ASSURED
    assert decision.id == f"{action.id}/D1"
    last = store.history()[-2:]
    assert {e.kind for e in last} == {"assurance_decisions", "actions"}
    assert len({e.commit for e in last}) == 1


def test_returned_assurance_sends_the_action_back(store: at.MemoryStore) -> None:
    """A returned decision moves a completed action back to in_progress."""
    action = completed_action(store)
    _, returned = at.record_assurance_decision(
        store, action.id, outcome=at.AssuranceOutcome.RETURNED, decided_by="Subgroup chair",
        body="Case review subgroup", seen="Register only; no audit", by=BY, at=NOW)
    assert returned.status == at.ActionStatus.IN_PROGRESS


def test_lead_officer_cannot_assure_their_own_action(store: at.MemoryStore) -> None:
    """A decision by the lead officer is refused and nothing is written."""
    action = completed_action(store)
    before = store.history()
    with pytest.raises(at.RuleViolation) as caught:
        at.record_assurance_decision(
            store, action.id, outcome=at.AssuranceOutcome.ACCEPTED, decided_by="di lead",
            body="Subgroup", seen="Register", by=BY, at=NOW)
    assert caught.value.rule == "gate.assured-by-someone-else"
    assert store.history() == before


def test_assurance_needs_a_completed_action(store: at.MemoryStore) -> None:
    """Assurance decides on completed actions only."""
    action = new_action(store)
    with pytest.raises(at.RuleViolation, match="completed"):
        at.record_assurance_decision(
            store, action.id, outcome=at.AssuranceOutcome.ACCEPTED, decided_by="Chair",
            body="Subgroup", seen="x", by=BY, at=NOW)


def test_assurance_evidence_must_belong_to_the_action(store: at.MemoryStore) -> None:
    """A decision citing another action's evidence is refused."""
    action = completed_action(store)
    with pytest.raises(at.RuleViolation, match="not recorded against"):
        at.record_assurance_decision(
            store, action.id, outcome=at.AssuranceOutcome.ACCEPTED, decided_by="Chair",
            body="Subgroup", seen="x", evidence_ids=["NSCP/A999/E1"], by=BY, at=NOW)


def test_evidence_cannot_be_about_the_future(store: at.MemoryStore) -> None:
    """Evidence dated after today is refused: the date it is about must have happened."""
    action = new_action(store)
    with pytest.raises(at.RuleViolation, match="has not happened"):
        at.add_evidence(store, action.id, tier=at.EvidenceTier.IMPACT,
                        kind=at.EvidenceKind.AUDIT, title="Audit",
                        about_date=date(2026, 12, 1), by=BY, at=NOW)


def test_renaming_an_agency_keeps_its_id_and_former_names(store: at.MemoryStore) -> None:
    """A CCG becoming an ICB keeps its id; the old name is kept."""
    renamed = at.rename_agency(store, "ICB", "North Integrated Care Board", reason="2022 reform",
                               by=BY, at=NOW)
    assert renamed.id == "ICB"
    assert renamed.former_names == ("North ICB",)


def test_superseding_needs_an_existing_successor(store: at.MemoryStore) -> None:
    """A superseded action names a successor that exists."""
    old, new = new_action(store), new_action(store)
    with pytest.raises(at.NotFoundError):
        at.set_status(store, old.id, at.ActionStatus.SUPERSEDED, successor_id="NSCP/A404",
                      by=BY, at=NOW)
    done = at.set_status(store, old.id, at.ActionStatus.SUPERSEDED, successor_id=new.id,
                         by=BY, at=NOW)
    assert done.successor_id == new.id


def test_bad_ids_are_refused_as_bad_input(store: at.MemoryStore) -> None:
    """Ids are printable text without spaces: a partner can type and read them."""
    with pytest.raises(at.ConversionError, match="must start with a letter or digit"):
        at.add_agency(store, id="north police", name="x", by=BY, at=NOW)


def test_a_generated_id_taken_meanwhile_is_not_a_conflict(store: at.MemoryStore) -> None:
    """Two people adding an update at once both get theirs: the second takes the next id."""
    action = new_action(store)
    held = store.snapshot()  # the first writer's view, taken before the second commits
    at.add_progress_update(store, action.id, "From the second writer.", by="B", at=NOW)

    class StaleFirstRead:
        """The store as the first writer saw it on its first read, then as it is."""

        def __init__(self) -> None:
            self.reads = 0

        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

        def snapshot(self, as_of: datetime | None = None) -> at.Plan:
            self.reads += 1
            return held if self.reads == 1 else store.snapshot(as_of)

    update = at.add_progress_update(StaleFirstRead(), action.id,  # type: ignore[arg-type]
                                    "From the first writer.", by="A", at=NOW)
    assert update.id == f"{action.id}/U2"
    assert [u.text for u in store.snapshot().updates_for(action.id)] == [
        "From the second writer.", "From the first writer."]


def test_days_are_english_days() -> None:
    """At 00:30 in an English summer (23:30 UTC the day before) it is already the next day."""
    store = plan_store(datetime(2026, 7, 1, 9, 0, tzinfo=UTC))
    action = new_action(store, at=datetime(2026, 7, 1, 9, 0, tzinfo=UTC))
    late = datetime(2026, 7, 14, 23, 30, tzinfo=UTC)
    evidence = at.add_evidence(store, action.id, tier=at.EvidenceTier.COMPLETION,
                               kind=at.EvidenceKind.BRIEFING, title="Register",
                               about_date=date(2026, 7, 15), by=BY, at=late)
    assert evidence.recorded_on == date(2026, 7, 15)
    update = at.add_progress_update(store, action.id, "Late note.", by=BY, at=late)
    assert update.on == date(2026, 7, 15)


@pytest.mark.parametrize(("call", "path"), [
    (lambda s: at.add_agency(s, id="NICB", name=12345, by=BY, at=NOW),
     '$.agencies["NICB"].name: expected text'),
    (lambda s: at.add_agency(s, id="NICB", name="ICB", email=5, by=BY, at=NOW),
     '$.agencies["NICB"].email: expected text'),
    (lambda s: at.add_review(s, partnership_id="NSCP", reference="R2", kind=at.ReviewKind.LCSPR,
                             title="T", became_aware_on="31/01/2026", by=BY, at=NOW),
     '$.reviews["NSCP/R2"].became_aware_on: expected a date as YYYY-MM-DD'),
    (lambda s: new_action(s, title=7), ".title: expected text"),
])
def test_a_value_of_the_wrong_type_is_refused_with_its_path(
    store: at.MemoryStore, call: Any, path: str
) -> None:
    """A script passing a number for text, or a date in another form, gets a ConversionError."""
    before = store.history()
    with pytest.raises(at.ConversionError, match=re.escape(path)):
        call(store)
    assert store.history() == before


def test_a_lone_text_for_a_list_is_refused() -> None:
    """aliases="ICB" would be a list of letters: a TypeError, as the models give."""
    store = plan_store()
    with pytest.raises(TypeError, match="expected a list of text values"):
        at.add_agency(store, id="NICB", name="ICB", aliases="ICB", by=BY, at=NOW)  # type: ignore[arg-type]
