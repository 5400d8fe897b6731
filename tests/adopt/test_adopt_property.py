"""Any plan, written out as a partnership's own tracker would have it, adopts back to itself."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trackers import ADOPTED_AT, AGENCIES, MANAGER, REVIEW, set_up

from actiontrack.adopt import adopt_tracker
from actiontrack.domain.models import Action, ActionStatus, Recommendation
from actiontrack.store import MemoryStore

#: Words that say a cell is empty ("None", "TBC"): adopt reads them so, as docs/adopt.md says.
_PLACEHOLDERS = {"na", "none", "nil", "tbc", "tba", "to follow", "to be confirmed"}
_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=3, max_size=30).map(
    lambda text: " ".join(text.split()).capitalize()).filter(
    lambda text: len(text) >= 3 and text.casefold() not in _PLACEHOLDERS)
_DATES = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


def _written(day: date, form: int) -> object:
    """A date as a tracker holds it: a real date cell, or text in one of the UK forms."""
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(
        day.day, "th")
    return [day, f"{day:%d/%m/%Y}", f"{day:%d/%m/%y}", f"{day:%d.%m.%Y}", f"{day:%d-%m-%Y}",
            f"{day.day} {day:%B %Y}", f"{day.day}{suffix} {day:%B %Y}",
            f"{day.day} {day:%b %y}"][form]


def _agency(agency: int, form: int) -> str:
    """An agency as people write it: its id, its name or an alias, in any case."""
    agency_id, name, aliases = AGENCIES[agency]
    written = [agency_id, name, *aliases][form % (2 + len(aliases))]
    return [written, written.upper(), written.lower(), f" {written} "][form % 4]


_ACTION = st.fixed_dictionaries({
    "target": _DATES, "target_form": st.integers(0, 7),
    "agency": st.integers(0, len(AGENCIES) - 1), "agency_form": st.integers(0, 11),
    "status": st.sampled_from([ActionStatus.AGREED, ActionStatus.IN_PROGRESS,
                               ActionStatus.COMPLETED]),
    "closed": st.dates(min_value=date(2024, 1, 1), max_value=ADOPTED_AT.date()),
    "closed_form": st.integers(0, 7),
})
_PLAN = st.lists(st.tuples(_WORDS, st.lists(_ACTION, min_size=1, max_size=3)),
                 min_size=1, max_size=4, unique_by=lambda item: item[0].casefold())

_STATUS_WORDS = {ActionStatus.AGREED: "Not started", ActionStatus.IN_PROGRESS: "In progress",
                 ActionStatus.COMPLETED: "Complete"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=_PLAN)
def test_a_plan_written_as_a_foreign_tracker_adopts_back_to_itself(
    plan: list[tuple[str, list[dict[str, object]]]],
) -> None:
    book = openpyxl.Workbook()
    page = book.active
    assert page is not None
    page.title = "Tracker"
    page.append(["Our action plan"])
    page.append([])
    page.append(["Recommendation", "Action", "Lead agency", "Target date", "Status",
                 "Evidence", "Date closed"])
    expected: dict[str, tuple[str, str, date, ActionStatus]] = {}
    number = 0
    for text, actions in plan:
        first_row = page.max_row + 1
        for action in actions:
            number += 1
            title = f"Action {number}"
            status = action["status"]
            assert isinstance(status, ActionStatus)
            closed = status == ActionStatus.COMPLETED
            page.append([text, title, _agency(action["agency"], action["agency_form"]),
                         _written(action["target"], action["target_form"]),
                         _STATUS_WORDS[status], f"Proof {number}" if closed else None,
                         _written(action["closed"], action["closed_form"]) if closed else None])
            expected[title] = (text, AGENCIES[action["agency"]][0], action["target"], status)
        if page.max_row > first_row:
            page.merge_cells(start_row=first_row, start_column=1, end_row=page.max_row,
                             end_column=1)
    store = MemoryStore()
    set_up(store)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tracker.xlsx"
        book.save(path)
        result = adopt_tracker(store, path, by=MANAGER, at=ADOPTED_AT)
    assert result.problems == ()
    recommendations = {r.id: r.text for r in store.find(Recommendation, review_id=REVIEW)}
    assert sorted(recommendations.values()) == sorted(text for text, _ in plan)
    adopted = {a.title: (recommendations[a.recommendation_ids[0]], a.lead_agency_id,
                         a.target_date, a.status) for a in store.find(Action)}
    assert adopted == expected
