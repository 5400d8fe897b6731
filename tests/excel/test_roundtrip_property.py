"""Any plan, exported and imported straight back, changes nothing."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Agency,
    Evidence,
    EvidenceKind,
    EvidenceTier,
    Partnership,
    PartnershipKind,
    ProgressUpdate,
    Recommendation,
    Review,
    ReviewKind,
    TargetRevision,
)
from actiontrack.domain.plan import Record
from actiontrack.excel import export_workbook, import_workbook
from actiontrack.store.memory import MemoryStore
from actiontrack.store.protocol import Put

EXPORTED_AT = datetime(2026, 11, 26, 10, tzinfo=UTC)
IMPORTED_AT = datetime(2026, 12, 1, 10, tzinfo=UTC)

#: Any text a record may hold: control characters, line breaks, a leading "=", spaces.
texts = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                max_size=30)
some_texts = texts.filter(str.strip)
dates = st.dates(date(2019, 1, 1), date(2030, 12, 31))
ids = st.from_regex(r"[A-Z][A-Z0-9]{0,5}", fullmatch=True)


@st.composite
def plans(draw: st.DrawFn) -> list[Record]:
    agencies = [Agency(id=agency_id, name=draw(some_texts))
                for agency_id in draw(st.lists(ids, min_size=1, max_size=3, unique=True))]
    records: list[Record] = [Partnership(id="P", name=draw(some_texts),
                                         kind=PartnershipKind.CHILDREN), *agencies]
    review = Review(id="P/REV", partnership_id="P", reference="REV", kind=ReviewKind.LCSPR,
                    title=draw(some_texts))
    recommendations = [
        Recommendation(id=f"P/REV/R{n}", review_id=review.id, number=str(n),
                       text=draw(some_texts))
        for n in range(1, draw(st.integers(1, 3)) + 1)
    ]
    records += [review, *recommendations]
    count = draw(st.integers(1, 6))
    for n in range(1, count + 1):
        action_id = f"P/A{n:03d}"
        original = draw(dates)
        status = draw(st.sampled_from(ActionStatus))
        revisions = tuple(draw(st.lists(st.builds(
            TargetRevision, from_date=dates, to_date=dates, reason=some_texts, by=some_texts,
            on=dates), max_size=2)))
        action = Action(
            id=action_id, partnership_id="P",
            recommendation_ids=tuple(r.id for r in draw(st.lists(
                st.sampled_from(recommendations), min_size=1, max_size=2, unique=True))),
            lead_agency_id=draw(st.sampled_from(agencies)).id, title=draw(some_texts),
            original_target_date=original,
            target_date=revisions[-1].to_date if revisions else original,
            target_revisions=revisions, status=status,
            lead_officer=draw(st.none() | texts), deliverable=draw(st.none() | texts),
            success_measure=draw(st.none() | texts),
            hold_reason=draw(some_texts) if status == ActionStatus.ON_HOLD else None,
            hold_review_date=draw(dates) if status == ActionStatus.ON_HOLD else None,
            successor_id="P/A001" if status == ActionStatus.SUPERSEDED else None,
        )
        records.append(action)
        for u in range(1, draw(st.integers(0, 2)) + 1):
            records.append(ProgressUpdate(id=f"{action_id}/U{u}", action_id=action_id,
                                          on=draw(dates), by=draw(some_texts),
                                          text=draw(some_texts)))
        for e in range(1, draw(st.integers(0, 2)) + 1):
            records.append(Evidence(
                id=f"{action_id}/E{e}", action_id=action_id,
                tier=draw(st.sampled_from(EvidenceTier)), kind=draw(st.sampled_from(EvidenceKind)),
                title=draw(some_texts), about_date=draw(dates), recorded_on=draw(dates),
                recorded_by=draw(some_texts), link=draw(st.none() | texts)))
    return records


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=plans(), agency_slice=st.booleans())
def test_any_plan_exported_and_imported_back_changes_nothing(
    records: list[Record], agency_slice: bool
) -> None:
    """Any plan, whole or one agency's, exported and imported straight back changes nothing."""
    store = MemoryStore()
    store.commit([Put(record) for record in records], by="test", at=EXPORTED_AT)
    agency = next(r.id for r in records if isinstance(r, Agency)) if agency_slice else None
    before = store.history()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.xlsx"
        export_workbook(store, path, by="test", at=EXPORTED_AT, agency=agency)
        result = import_workbook(store, path, by="partner", at=IMPORTED_AT)
    assert result.problems == ()
    assert result.changes == ()
    assert store.history() == before
    assert [attrs.evolve(r, version=1) for r in records] == [
        store.get(type(r), r.id) for r in records]
