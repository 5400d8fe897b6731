"""Trackers as partnerships really keep them, written as real files for adopt to read.

Three layouts after the published templates: a council's LCSPR tracker, an
adults board's SAR action plan (recommendation merged over its action rows,
a column for timescale and progress together), and a police plan. Each has
title rows above its headings and dates typed as text in UK forms.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import openpyxl

from actiontrack.domain.models import PartnershipKind, ReviewKind
from actiontrack.service import add_agency, add_partnership, add_review
from actiontrack.store import Store

#: When the plan was set up, and when the tracker is adopted.
SET_UP_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ADOPTED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
MANAGER = "Sam Patel, business unit"
REVIEW = "NSCP/CSPR-SAM"

#: (id, name, aliases) of the partnership's agencies.
AGENCIES = (
    ("NSCP-CSC", "Children's Social Care", ("CSC", "Childrens Services")),
    ("POL", "Northshire Police", ("Police",)),
    ("ICB", "Northshire Integrated Care Board", ("ICB", "Health")),
    ("EDU", "Education Safeguarding Team", ()),
)


def set_up(store: Store) -> None:
    """The partnership, its agencies with the names trackers use, and the review."""
    add_partnership(store, id="NSCP", name="Northshire Safeguarding Children Partnership",
                    kind=PartnershipKind.CHILDREN, by=MANAGER, at=SET_UP_AT)
    for agency_id, name, aliases in AGENCIES:
        add_agency(store, id=agency_id, name=name, aliases=aliases, by=MANAGER, at=SET_UP_AT)
    add_review(store, partnership_id="NSCP", reference="CSPR-SAM", kind=ReviewKind.LCSPR,
               title="Child Sam", by=MANAGER, at=SET_UP_AT)


LCSPR_HEADINGS = ["Rec No", "Recommendation", "Action(s)", "Lead Agency", "Lead Officer",
                  "Target Date", "Revised Target Date", "Progress Update", "Evidence", "RAG",
                  "Date Closed"]
LCSPR_ROWS: list[list[object]] = [
    [1, "Professionals should escalate disagreements about thresholds",
     "Refresh the escalation policy", "Northshire Police", "DI Jones", "31/03/2026",
     "Sept 2026", "12/02/2026: draft shared with partners\n15/05/2026 - signed off by the board",
     "Escalation policy v2 on the website", "Green", "30.06.2026"],
    [None, None, "Train staff on the escalation policy", "Children's Social Care",
     "Team manager", "Q4 2026/27", None, "Sessions booked", None, "G", None],
    [2, "Health visitors should see the child alone", "Update the health visiting guidance",
     "ICB", "Named nurse", "31st March 2027", None, None, None, "Amber", None],
    [None, None, "Audit seen-alone recording", "health", "Named nurse", "31-01-2027", None,
     None, None, None, None],
]


def lcspr_tracker(path: Path, rows: Sequence[Sequence[object]] = LCSPR_ROWS,
                  headings: Sequence[str] = LCSPR_HEADINGS, sheet: str = "Action Plan") -> Path:
    """A council LCSPR tracker: a title, a 'last updated' line and a blank row, then the table."""
    book = openpyxl.Workbook()
    page = book.active
    assert page is not None
    page.title = sheet
    page.append(["Northshire LCSPR action plan: Child Sam"])
    page.append(["Last updated 01/11/2026"])
    page.append([])
    page.append(list(headings))
    for row in rows:
        page.append(list(row))
    book.save(path)
    return path


def sar_tracker(path: Path) -> Path:
    """An adults board's SAR template: the recommendation merged over its actions' rows."""
    book = openpyxl.Workbook()
    page = book.active
    assert page is not None
    page.title = "SAR Action Plan"
    page.append(["Safeguarding Adults Review: action plan template"])
    page.append([])
    page.append(["Recommendation", "Relevant agencies", "Actions", "Timescale",
                 "Timescale and progress", "Supporting evidence", "RAG status"])
    page.append(["Agencies should share information on self-neglect", "CSC",
                 "Write a self-neglect protocol", "Mar 27", "1 October 2026 first draft",
                 None, "Green"])
    page.append([None, "Police", "Brief response officers", "Q3 2026/27", None,
                 "Briefing attendance list", "Blue"])
    page.append(["Agencies should share information on self-neglect", "Health",
                 "Add self-neglect to GP training", "30/04/27", None, None, "Green"])
    page.merge_cells("A4:A5")
    book.save(path)
    return path


def police_tracker(path: Path) -> Path:
    """A police plan: Ref, Requirements, Deliverables, Tasks, Owner, dates and Task Status."""
    book = openpyxl.Workbook()
    page = book.active
    assert page is not None
    page.title = "Plan"
    page.append(["Ref", "Requirements", "Deliverables", "Tasks", "Owner", "End Date",
                 "Task Status", "Progress / Evidence"])
    page.append(["P1.1", "Improve attendance at strategy discussions", "Attendance data",
                 "Set a duty rota for strategy discussions", "DS Khan", datetime(2027, 1, 31),
                 "On track", "Rota drafted"])
    page.append(["P1.2", "Improve attendance at strategy discussions", None,
                 "Report attendance monthly", "DS Khan", "28 February 2027", "Not started",
                 None])
    book.save(path)
    return path


def as_csv(rows: Sequence[Sequence[object]], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as file:
        csv.writer(file).writerows(rows)
    return path
