"""What a tracker's columns mean, guessed from the headings trackers really use.

Partnerships' trackers follow published templates: an adults board's SAR
action plan (recommendation, relevant agencies, actions, timescale and
progress, supporting evidence, RAG), a council's LCSPR tracker (Rec No,
Recommendation, Action(s), Lead Agency, Lead Officer, Target Date, Revised
Target Date, Progress Update, Evidence, RAG, Date Closed), a police plan
(Ref, Requirements, Deliverables, Tasks, Owner, End Date, Task Status,
Progress / Evidence). :data:`HEADINGS` holds those headings and their
variants; a heading is compared as :func:`heading_key` writes it, so case,
punctuation and spacing do not matter. A column whose heading is not here
is mapped by the partnership's map file, never guessed.
"""

from __future__ import annotations

import re

from actiontrack.domain.models import ActionStatus

__all__ = ["HEADINGS", "REPEATABLE", "STATUS_WORDS", "TARGETS", "guess", "heading_key"]

#: What a column can hold, as a map file names it.
TARGETS = (
    "recommendation.number",
    "recommendation.text",
    "recommendation.themes",
    "action.reference",
    "action.title",
    "action.lead_agency",
    "action.lead_officer",
    "action.deliverable",
    "action.success_measure",
    "action.target_date",
    "action.revised_target_date",
    "action.status",
    "action.closed_on",
    "update.text",
    "evidence.title",
    "reported_rag",
    "ignore",
)
#: Targets several columns may feed: each column's text is a note, or an item, of its own.
REPEATABLE = frozenset({"update.text", "evidence.title", "ignore"})

_SEPARATORS = re.compile(r"[^\w]+")


def heading_key(heading: str) -> str:
    """A heading as headings are compared: lower case words, ``&`` as ``and``, no punctuation."""
    words = _SEPARATORS.sub(" ", heading.replace("&", " and ").replace("(s)", "s"))
    return " ".join(words.split()).casefold()


_GUESSES: dict[str, tuple[str, ...]] = {
    "recommendation.number": (
        "rec no", "rec number", "rec ref", "recommendation no", "recommendation number",
        "recommendation ref", "rec", "no", "number", "recommendation reference"),
    "recommendation.text": (
        "recommendation", "recommendations", "requirement", "requirements", "finding",
        "findings", "learning", "learning point", "recommendation finding",
        "sar recommendation", "lcspr recommendation", "cspr recommendation",
        "dhr recommendation", "recommendations made",
        "recommendation text", "key learning", "review recommendation"),
    "recommendation.themes": ("theme", "themes", "key theme", "key themes"),
    "action.reference": (
        "ref", "reference", "action ref", "action no", "action number", "action reference",
        "action id", "task ref", "task no"),
    "action.title": (
        "action", "actions", "action required", "actions required", "agreed action",
        "agreed actions", "actions to be taken", "action to be taken", "task", "tasks",
        "what will be done", "what we will do", "planned action", "actions agreed"),
    "action.lead_agency": (
        "lead agency", "agency", "agencies", "relevant agency", "relevant agencies",
        "organisation", "lead organisation", "responsible agency", "partner agency",
        "lead partner", "lead agency partner", "lead partner agency", "lead agencies",
        "agency lead", "responsible agencies"),
    "action.lead_officer": (
        "lead officer", "lead", "owner", "action owner", "task owner", "responsible officer",
        "lead person", "named lead", "responsible person", "lead manager"),
    "action.deliverable": ("deliverable", "deliverables", "output", "outputs"),
    "action.success_measure": (
        "success measure", "success measures", "measure of success", "measures of success",
        "success criteria", "how will we know", "outcome measure", "impact measure",
        "intended outcome", "expected outcome", "intended impact"),
    "action.target_date": (
        "target date", "timescale", "timescales", "deadline", "due date", "due", "end date",
        "target completion date", "completion target", "by when", "date due",
        "target", "timescale for completion"),
    "action.revised_target_date": (
        "revised target date", "revised target", "revised date", "revised timescale",
        "revised deadline", "new target date", "revised end date", "revised due date"),
    "action.status": ("status", "task status", "action status", "progress status", "state"),
    "action.closed_on": (
        "date closed", "closed", "closed on", "date completed", "completed on",
        "completion date", "closure date", "date of completion", "closed date",
        "date signed off"),
    "update.text": (
        "progress", "progress update", "progress updates", "update", "updates",
        "progress to date", "latest update", "latest progress", "progress evidence",
        "progress and evidence", "progress comments",
        "update on progress", "commentary"),
    "evidence.title": (
        "evidence", "supporting evidence", "evidence of completion", "evidence provided",
        "evidence to support completion", "evidence of progress", "evidence held"),
    "reported_rag": ("rag", "rag status", "rag rating", "brag", "brag status", "rating",
                     "red amber green"),
}
#: Heading key -> target, for every heading above.
HEADINGS: dict[str, str] = {
    heading_key(heading): target for target, headings in _GUESSES.items() for heading in headings
}


def guess(heading: str) -> str | None:
    """The target a heading means, or ``None`` when it is not one trackers use."""
    return HEADINGS.get(heading_key(heading))


#: What trackers write in a status column, as statuses (the statuses' own words work too).
STATUS_WORDS: dict[str, ActionStatus] = {
    heading_key(words): status for words, status in (
        ("not started", ActionStatus.AGREED),
        ("not yet started", ActionStatus.AGREED),
        ("open", ActionStatus.IN_PROGRESS),
        ("ongoing", ActionStatus.IN_PROGRESS),
        ("on track", ActionStatus.IN_PROGRESS),
        ("started", ActionStatus.IN_PROGRESS),
        ("in hand", ActionStatus.IN_PROGRESS),
        ("underway", ActionStatus.IN_PROGRESS),
        ("under way", ActionStatus.IN_PROGRESS),
        ("progressing", ActionStatus.IN_PROGRESS),
        ("complete", ActionStatus.COMPLETED),
        ("closed", ActionStatus.COMPLETED),
        ("done", ActionStatus.COMPLETED),
        ("achieved", ActionStatus.COMPLETED),
        ("finished", ActionStatus.COMPLETED),
        ("paused", ActionStatus.ON_HOLD),
        ("replaced", ActionStatus.SUPERSEDED),
    )
}
