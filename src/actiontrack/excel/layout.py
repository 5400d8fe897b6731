"""What the partner workbook holds, column by column: the one place both export and import read.

A workbook has these sheets:

- **Instructions**: plain English for the partner lead;
- **Actions**: one row per action, then blank rows for new actions;
- **Evidence**: the evidence already recorded, then blank rows for new items;
- **Measures**: each measure of the actions, with its baseline, target and
  latest figure, and cells for a new figure; then blank rows for more figures;
- **Lists** (hidden): the values the drop-down lists offer, and beside the
  recommendations offered (their numbers and opening words) the id each one stands for,
  and the ids of the measures exported (the only ones a figure may be recorded for);
- **Export** (very hidden): who exported what, when, from which store, and
  the signature over the hidden part (the Lists, Export and As exported
  sheets: :mod:`.signing`), so that import can trust them;
- **As exported** (very hidden): every action row as it was exported, with
  its record id and version: the base of the three-way merge on import.

Import finds columns by their header, so a partner may move, sort, filter or
add columns; headers must keep their text. A column showing an enumeration
(``labels``) shows each member's label (``In progress``), and import reads a
label or a value in any case (:mod:`actiontrack.labels`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from actiontrack.domain.models import ActionStatus, EvidenceKind, EvidenceTier, Want
from actiontrack.domain.rag import Rag, RagPolicy

__all__ = [
    "ACTIONS",
    "ACTION_COLUMNS",
    "AS_EXPORTED",
    "EVIDENCE",
    "EVIDENCE_COLUMNS",
    "EXPORT",
    "FORMAT",
    "INSTRUCTIONS",
    "LISTS",
    "MEASURES",
    "MEASURE_COLUMNS",
    "MEASURE_IDS",
    "RECOMMENDATION_IDS",
    "SIGNATURE",
    "Column",
    "ExportInfo",
    "ValueKind",
    "column_named",
    "rag_help",
]

FORMAT = "actiontrack-workbook/1"

INSTRUCTIONS = "Instructions"
ACTIONS = "Actions"
EVIDENCE = "Evidence"
MEASURES = "Measures"
LISTS = "Lists"
EXPORT = "Export"
AS_EXPORTED = "As exported"
#: The Lists sheet column holding the id of each recommendation the drop-down offers.
RECOMMENDATION_IDS = "recommendation ids"
#: The Lists sheet column holding the ids of the measures exported (signed with the rest).
MEASURE_IDS = "measures"
#: The Export sheet's key for the signature over the hidden part (:mod:`.signing`).
SIGNATURE = "signature"


class ValueKind(enum.Enum):
    TEXT = "text"  # free text, kept as typed (trimmed)
    DATE = "date"  # a real Excel date
    NUMBER = "number"  # a real number
    LIST = "list"  # one of a drop-down list's values


@attrs.frozen
class Column:
    """One column of a sheet.

    ``key`` names the record field it shows, or an input that is not a field
    (``new_update``, ``target_reason``) or a value worked out for the reader
    (``rag``, ``review``). ``editable`` cells of existing rows may be changed;
    ``new`` cells may be filled in on blank rows to add a record.
    """

    key: str
    header: str
    width: int
    kind: ValueKind = ValueKind.TEXT
    editable: bool = False
    new: bool = False
    wrap: bool = False
    #: The Lists sheet column a drop-down takes its values from.
    choices: str | None = None
    #: The enumeration whose members the column shows, by label (``In progress``).
    labels: type[enum.Enum] | None = None
    #: What the Instructions sheet says of it.
    help: str = ""
    #: How a number is shown (``0%``); dates are always shown as 31/03/2027.
    number_format: str | None = None
    #: For a date a partner types: not after today, and not before the date in the
    #: column with this key on the same row (``None``: no such column).
    past: bool = False
    not_before: str | None = None


def rag_help(policy: RagPolicy) -> str:
    """What the RAG column's header note says each colour means under ``policy``."""
    slipped = ", moved from its original date," if policy.slipped_is_amber else ""
    return (f"Red: overdue. Amber: due within {policy.due_soon_days} days{slipped} or on"
            " hold. Green: on track. Blue: done. Grey: replaced.")


ACTION_COLUMNS: tuple[Column, ...] = (
    Column("id", "Action id", 16, help="The action's reference. Leave it as it is; leave it"
           " empty on a new row."),
    Column("review", "Review", 18, help="The review the action comes from."),
    Column("recommendation_ids", "Recommendations", 22, new=True, choices="recommendations",
           help="The recommendation(s) the action answers; on a new row, pick one (the list"
           " shows each one's number and opening words) or type several ids separated by"
           " commas."),
    Column("recommendation_text", "Recommendation", 40, wrap=True,
           help="What the review recommended."),
    Column("lead_agency_id", "Lead agency", 14, kind=ValueKind.LIST, new=True,
           choices="agencies", help="The agency that leads the action."),
    Column("title", "Action", 40, wrap=True, new=True, help="What will be done."),
    Column("deliverable", "Deliverable", 28, wrap=True, new=True,
           help="What will exist when it is done."),
    Column("success_measure", "Success measure", 28, wrap=True, new=True,
           help="How the partnership will know it made a difference."),
    Column("original_target_date", "Original target", 13, kind=ValueKind.DATE,
           help="The target date first agreed; it never changes."),
    # The RAG's help is the default policy's; export says the policy in use.
    Column("rag", "RAG", 8, labels=Rag, help=rag_help(RagPolicy())),
    Column("status", "Status", 14, kind=ValueKind.LIST, editable=True, new=True,
           choices="statuses", labels=ActionStatus,
           help="Where the action is. Pick from the list."),
    Column("target_date", "Target date", 13, kind=ValueKind.DATE, editable=True, new=True,
           help="The current target date. To move it, type the new date and the reason"
           " in the next column."),
    Column("target_reason", "Reason for new date", 28, wrap=True, editable=True,
           help="Why the target date moved; needed whenever you change it."),
    Column("lead_officer", "Lead officer", 18, editable=True, new=True,
           help="The named person responsible (a role is fine)."),
    Column("hold_reason", "On hold: reason", 24, wrap=True, editable=True,
           help="Needed when you put an action on hold."),
    Column("hold_review_date", "On hold: review date", 13, kind=ValueKind.DATE, editable=True,
           help="When an action on hold will be looked at again."),
    Column("successor_id", "Replaced by action", 16, editable=True,
           help="When an action is superseded, the action id that replaces it."),
    Column("latest_update", "Latest update", 40, wrap=True,
           help="The most recent progress update already on the plan."),
    Column("new_update", "New progress update", 40, wrap=True, editable=True, new=True,
           help="Type what has happened since the last update. It is added with today's"
           " date; earlier updates are kept."),
)

EVIDENCE_COLUMNS: tuple[Column, ...] = (
    Column("id", "Evidence id", 18, help="The evidence reference; empty on a new row."),
    Column("action_id", "Action id", 16, new=True, choices="actions",
           help="The action the evidence is for."),
    Column("tier", "Tier", 12, kind=ValueKind.LIST, new=True, choices="tiers",
           labels=EvidenceTier,
           help="Completion: it was done. Impact: it made a difference."),
    Column("kind", "Kind", 16, kind=ValueKind.LIST, new=True, choices="kinds",
           labels=EvidenceKind, help="What sort of evidence it is."),
    Column("title", "Title", 40, wrap=True, new=True, help="What the evidence is."),
    Column("about_date", "Evidence date", 13, kind=ValueKind.DATE, new=True,
           help="The day the evidence is about (the audit was run, the training held)."),
    Column("link", "Link", 30, new=True, help="Where the evidence is kept, if it has a link."),
    Column("recorded_on", "Recorded on", 13, kind=ValueKind.DATE,
           help="When it was put on the plan."),
    Column("recorded_by", "Recorded by", 16, help="Who put it on the plan."),
)


MEASURE_COLUMNS: tuple[Column, ...] = (
    Column("action_id", "Action id", 16, help="The action the measure belongs to."),
    Column("action_title", "Action", 32, wrap=True, help="What the action does."),
    Column("measure_id", "Measure id", 20, kind=ValueKind.LIST, new=True, choices=MEASURE_IDS,
           help="The measure's reference. Leave it as it is; on an empty row, pick the"
           " measure a further figure is for."),
    Column("name", "Measure", 32, wrap=True, help="What is counted."),
    Column("unit", "Unit", 10, help="What the figures count in (%, days, referrals)."),
    Column("baseline", "Baseline", 10, kind=ValueKind.NUMBER,
           help="The figure before the action."),
    Column("baseline_on", "Baseline date", 13, kind=ValueKind.DATE,
           help="When the baseline was taken; a new figure cannot be taken before it."),
    Column("target", "Target", 10, kind=ValueKind.NUMBER, help="The figure aimed for."),
    Column("target_on", "Target date", 13, kind=ValueKind.DATE,
           help="When the target should be met."),
    Column("want", "Better if", 10, labels=Want,
           help="Higher: a higher figure is better. Lower: a lower figure is better."),
    Column("source", "Source", 24, wrap=True, help="Where the figure comes from."),
    Column("latest", "Latest figure", 11, kind=ValueKind.NUMBER,
           help="The most recent figure already on the plan."),
    Column("latest_on", "Latest taken on", 13, kind=ValueKind.DATE,
           help="When the latest figure was taken."),
    Column("progress", "Progress", 10, kind=ValueKind.NUMBER, number_format="0%",
           help="How far the latest figure has come from the baseline to the target: 0% at"
           " the baseline, 100% at the target."),
    Column("met", "Target met", 9, help="Yes when the latest figure is at the target or"
           " better."),
    Column("new_figure", "New figure", 11, kind=ValueKind.NUMBER, editable=True, new=True,
           help="A new figure: the number only, in the measure's unit (62, not 62%)."),
    Column("taken_on", "Taken on", 13, kind=ValueKind.DATE, editable=True, new=True,
           past=True, not_before="baseline_on",
           help="The day the new figure was taken (empty: the day it is imported). Not a"
           " day to come, nor before the baseline."),
    Column("note", "Note", 30, wrap=True, editable=True, new=True,
           help="Anything to know about the new figure, such as the sample it is from."),
)


@attrs.frozen(kw_only=True)
class ExportInfo:
    """What the Export sheet records, so that import can check where a workbook came from."""

    export_id: str
    exported_at: datetime
    exported_by: str
    store: str
    agency: str | None = None
    review: str | None = None
    return_to: str | None = None

    def rows(self) -> list[list[str]]:
        """The Export sheet's rows: a key and its value, starting with the format.

        Export adds the :data:`SIGNATURE` row after them.
        """
        return [
            ["format", FORMAT],
            ["export_id", self.export_id],
            ["exported_at", self.exported_at.isoformat()],
            ["exported_by", self.exported_by],
            ["store", self.store],
            ["agency", self.agency or ""],
            ["review", self.review or ""],
            ["return_to", self.return_to or ""],
        ]

    @classmethod
    def from_rows(cls, values: Mapping[str, str]) -> ExportInfo:
        """The info back from the Export sheet's keys and values; ``ValueError`` if unreadable."""
        return cls(
            export_id=values.get("export_id", ""),
            exported_at=datetime.fromisoformat(values.get("exported_at", "")),
            exported_by=values.get("exported_by", ""),
            store=values.get("store", ""),
            agency=values.get("agency") or None,
            review=values.get("review") or None,
            return_to=values.get("return_to") or None,
        )


def column_named(columns: tuple[Column, ...], key: str) -> Column:
    for column in columns:
        if column.key == key:
            return column
    raise KeyError(key)
