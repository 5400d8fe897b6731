"""Turn a tracker's rows into the records of a plan, with every problem found on its cell.

The rules a record must pass are the domain's: recommendations, actions,
progress updates and evidence are built by :mod:`actiontrack.domain.additions`,
statuses reached through :func:`~actiontrack.domain.lifecycle.move_to` and
its gates, revised targets through
:func:`~actiontrack.domain.lifecycle.revise_target`. What is here is how a
tracker says things: which row belongs to which recommendation, how its
dates, agencies, statuses and RAG are written, and which records the plan
already has (adopting the same tracker twice adds nothing).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

import attrs

from actiontrack.adopt.headings import STATUS_WORDS, heading_key
from actiontrack.adopt.mapping import TrackerMap
from actiontrack.adopt.notes import dated_notes
from actiontrack.adopt.table import Column, Problem, Row, not_values, problem_at, rows_of, where
from actiontrack.adopt.tracker import Tracker
from actiontrack.domain import additions, lifecycle
from actiontrack.domain.agencies import AgencyNames, name_key
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Evidence,
    EvidenceKind,
    EvidenceTier,
    Recommendation,
    Response,
)
from actiontrack.domain.plan import Plan, Record
from actiontrack.domain.rag import Rag, RagPolicy, rag
from actiontrack.errors import NotFoundError, RuleViolation
from actiontrack.excel.cells import CellValue, cell_date, cell_text
from actiontrack.labels import from_label

__all__ = ["Adopted", "Adoption", "adopt_rows"]

#: What the map's [defaults] may give: a value for rows whose cell is empty.
DEFAULTABLE = ("recommendation.themes", "action.lead_agency", "action.lead_officer",
               "action.deliverable", "action.success_measure", "action.target_date",
               "action.status", "evidence.tier", "evidence.kind", "update.on",
               "evidence.about_date")
#: Of those, the ones that are dates.
_DATE_DEFAULTS = ("action.target_date", "update.on", "evidence.about_date")
#: Of those, the ones whose default is text used as it is.
_TEXT_DEFAULTS = ("recommendation.themes", "action.lead_officer", "action.deliverable",
                  "action.success_measure")
_NUMBER_PREFIX = re.compile(r"^(?:rec(?:ommendation)?\.?\s*(?:no\.?|number)?\s*|r(?=\d))",
                            re.IGNORECASE)
_NOT_ID = re.compile(r"[^A-Za-z0-9._:-]+")
_RAG_LETTERS = {"r": Rag.RED, "a": Rag.AMBER, "g": Rag.GREEN, "b": Rag.BLUE,
                "complete": Rag.BLUE, "completed": Rag.BLUE}
_RAG_ORDER = (Rag.RED, Rag.AMBER, Rag.GREEN, Rag.BLUE)


@attrs.frozen(kw_only=True)
class Adopted:
    """A new record, the tracker row it came from, and what else the row said of it."""

    record: Record
    row: int
    note: str | None = None  # the tracker's own RAG, kept in the record's history


@attrs.frozen(kw_only=True)
class Adoption:
    """What a tracker would add, the problems that stop it, and what is worth knowing."""

    records: tuple[Adopted, ...]
    problems: tuple[Problem, ...]
    notices: tuple[str, ...]
    already: int  # rows whose action the plan already has
    #: What each agency and status written in the tracker was taken to mean.
    agencies: Mapping[str, str] = attrs.field(factory=dict)
    statuses: Mapping[str, str] = attrs.field(factory=dict)

    def count(self, kind: type[Record]) -> int:
        return sum(1 for item in self.records if isinstance(item.record, kind))


def _text_key(text: str) -> str:
    """Text as two cells holding the same recommendation compare: spacing and case aside."""
    return " ".join(text.split()).casefold()


def _number(text: str) -> str:
    """A recommendation number as an id can hold it: "Rec 1.2" is "1.2", "1 (a)" is "1-a"."""
    return _NOT_ID.sub("-", _NUMBER_PREFIX.sub("", text.strip())).strip("-") or text


class _Builder:
    """Works through the rows; holds what the rows have added so far."""

    def __init__(self, plan: Plan, tracker: Tracker, tracker_map: TrackerMap, *, map_name: str,
                 review_id: str, today: date, by: str, source: str, policy: RagPolicy,
                 used: Mapping[str, frozenset[str]], columns: Sequence[Column]) -> None:
        #: The heading of the column each target is read from.
        self.headings = {column.target: column.heading for column in columns if column.target}
        self.plan, self.tracker, self.map = plan, tracker, tracker_map
        self.review_id, self.today, self.by, self.source = review_id, today, by, source
        self.policy, self.used, self.map_name = policy, used, map_name
        self.names = AgencyNames(plan.agencies.values())
        self.problems: list[Problem] = []
        self.notices: list[str] = []
        self.records: list[Adopted] = []
        self.agencies_read: dict[str, str] = {}
        self.statuses_read: dict[str, str] = {}
        self.already = 0
        self.agencies = {name_key(text): agency for text, agency in tracker_map.agencies.items()}
        self.statuses = {heading_key(text): status for text, status in
                         tracker_map.statuses.items()}
        self.defaults: dict[str, CellValue] = dict(tracker_map.defaults)
        self._check_map()

    # -- the map's own lines ----------------------------------------------------------------

    def _map_problem(self, table: str, message: str) -> None:
        self.problems.append(Problem(where=f"{self.map_name} [{table}]", message=message))

    def _check_map(self) -> None:
        for text, agency_id in self.map.agencies.items():
            if agency_id not in self.plan.agencies:
                self._map_problem("agencies", f"{text!r} = {agency_id!r}: no agency has this id"
                                  " (add it with add-agency first)")
        for text, status in self.map.statuses.items():
            if from_label(ActionStatus, status) is None:
                self._map_problem("statuses", f"{text!r} = {status!r}: not a status (one of"
                                  f" {', '.join(s.value for s in ActionStatus)})")
        for target, value in self.map.defaults.items():
            if target not in DEFAULTABLE:
                self._map_problem("defaults", f"{target!r}: not a target a default can be"
                                  f" given for (those are {', '.join(DEFAULTABLE)})")
            elif target in _DATE_DEFAULTS:
                try:
                    self.defaults[target] = cell_date(value)
                except ValueError as error:
                    self._map_problem("defaults", f"{target!r}: {error}")
        self.default_status: ActionStatus | None = None
        if "action.status" in self.map.defaults:
            text = self.map.defaults["action.status"]
            self.default_status = from_label(ActionStatus, text) or STATUS_WORDS.get(
                heading_key(text))
            if self.default_status is None:
                self._map_problem("defaults", f"'action.status': {text!r} is not a status (one"
                                  f" of {', '.join(s.value for s in ActionStatus)})")
        for target, kind in (("evidence.tier", EvidenceTier), ("evidence.kind", EvidenceKind)):
            if target in self.map.defaults and from_label(kind, self.map.defaults[target]) is None:
                self._map_problem("defaults", f"{target!r}: {self.map.defaults[target]!r} is not"
                                  f" one of {', '.join(member.value for member in kind)}")

    # -- cells ------------------------------------------------------------------------------

    def _heading(self, target: str) -> str:
        return repr(self.headings[target]) if target in self.headings else target

    def missing_columns(self, header: int) -> list[Problem]:
        """One problem for each target every action needs that no column nor default gives.

        Said once for the table, rather than on every row.
        """
        return [Problem(where=where(self.tracker.sheet, f"{header + 1}:{header + 1}"),
                        message=f"no column holds {target}: map one in [columns], or give a"
                        " default for it in [defaults]")
                for target in ("action.lead_agency", "action.target_date")
                if target not in self.headings and target not in self.map.defaults]

    def _fail(self, row: Row, target: str | None, message: str, record: str | None = None,
              ) -> None:
        cell = (row.cell(target) if target else None) or f"A{row.number}"
        self.problems.append(problem_at(self.tracker.sheet, cell, message, record))

    def _date(self, row: Row, target: str) -> date | None:
        """The date in the row's cell; its default where the cell is empty or unreadable."""
        found = row.cells.get(target)
        default = self.defaults.get(target)
        optional = target != "action.target_date"
        if found is None or (optional and row.text(target) is None):
            return default if isinstance(default, date) else None
        try:
            day = cell_date(found[1])
        except ValueError as error:
            written = cell_text(found[1]) or ""
            # A default stands in for words ("Ongoing"), never for a date written wrongly.
            if isinstance(default, date) and not any(ch.isdigit() for ch in written):
                self.notices.append(
                    f"{where(self.tracker.sheet, found[0])}: {cell_text(found[1])!r} is not a"
                    f" date; the map's default {default:%d/%m/%Y} is used")
                return default
            self._fail(row, target, str(error) if isinstance(default, date) else
                       f"{error}; or give a default for {target} in the map's [defaults]")
            return None
        return day if day is not None else default if isinstance(default, date) else None

    def _text(self, row: Row, target: str) -> str | None:
        """The row's text for ``target``, else the map's default for it."""
        default = self.defaults.get(target) if target in _TEXT_DEFAULTS else None
        return row.text(target) or (str(default) if default else None)

    def _agency_text(self, row: Row) -> str:
        return row.text("action.lead_agency") or str(self.defaults.get("action.lead_agency")
                                                      or "")

    def _agency_named(self, row: Row) -> str | None:
        """The id of the agency the row names, by the map or by its names; else None."""
        text = self._agency_text(row)
        mapped = self.agencies.get(name_key(text))
        agency = self.names.match(text)
        return mapped or (agency.id if agency else None)

    def _agency(self, row: Row) -> str | None:
        """The id of the row's lead agency, or a problem on its cell saying why there is none."""
        text = self._agency_text(row)
        if not text:
            if "action.lead_agency" in self.headings:  # else said once, for the table
                self._fail(row, "action.lead_agency", "no lead agency: fill it in, or give a"
                           " default for action.lead_agency in the map's [defaults]")
            return None
        if name_key(text) in self.agencies:
            return self.agencies[name_key(text)]
        shared = self.names.shared(text)
        if shared:
            self._fail(row, "action.lead_agency", f"{text!r} is a name of more than one agency"
                       f" ({', '.join(a.id for a in shared)}): write the agency's id, or map"
                       f' it in [agencies] ("{text}" = "ID")')
            return None
        agency = self.names.match(text)
        if agency is not None:
            self.agencies_read.setdefault(text, agency.id)
            return agency.id
        closest = self.names.closest(text)
        hint = ("; the closest are " + ", ".join(f"{a.id} ({a.name})" for a in closest)
                if closest else "")
        self._fail(row, "action.lead_agency", f"no agency is called {text!r}{hint}: add it as"
                   f' an alias (actiontrack edit ID --set "aliases=..." --reason ...) or'
                   f' map it in [agencies] ("{text}" = "ID")')
        return None

    def _status(self, row: Row) -> ActionStatus | None:
        """The status the row's own cell gives, if any."""
        text = row.text("action.status")
        if not text:
            return None
        key = heading_key(text)
        if key in self.statuses:
            return from_label(ActionStatus, self.statuses[key])
        status = from_label(ActionStatus, text) or STATUS_WORDS.get(key)
        if status is not None:
            self.statuses_read.setdefault(text, status.value)
        else:
            self._fail(row, "action.status", f"{text!r} is not a status adopt knows: map it in"
                       f' [statuses] ("{text}" = "in_progress", for example)')
        return status

    def _rag(self, row: Row) -> Rag | None:
        text = row.text("reported_rag")
        if text is None:
            return None
        found = from_label(Rag, text) or _RAG_LETTERS.get(heading_key(text))
        if found is None:
            self._fail(row, "reported_rag", f"{text!r} is not a RAG rating (red, amber, green,"
                       ' blue, or R, A, G, B); map the column to "ignore" to leave it out')
        return found

    # -- recommendations --------------------------------------------------------------------

    def recommendations(self, rows: Sequence[Row]) -> dict[int, Recommendation]:
        """Each row's recommendation, new ones built; rows with none are problems.

        A row belongs to the recommendation above it when its recommendation
        cells are blank (or were merged) or repeat it; otherwise it names a
        recommendation by its number, else by its text.
        """
        if "recommendation.text" not in self.headings:
            return {}  # find_columns said so, once
        existing = self.plan.recommendations_for(self.review_id)
        by_number = {r.number: r for r in existing}
        by_text = {_text_key(r.text): r for r in existing}
        prefix = f"{self.review_id}/R"
        taken = {r.id for r in existing} | self.used.get("recommendations", frozenset())
        unnumbered = int(additions.next_id(prefix, taken).removeprefix(prefix))
        new: set[str] = set()
        belongs: dict[int, Recommendation] = {}
        current: Recommendation | None = None
        for row in rows:
            number = row.text("recommendation.number")
            text = row.text("recommendation.text")
            key = _text_key(text) if text else None
            if number is None and text is None:
                if current is None:
                    self._fail(row, "recommendation.text", "this row has no recommendation, and"
                               " no row above it has one")
                    continue
                belongs[row.number] = current
                continue
            found = by_number.get(_number(number)) if number else by_text.get(key or "")
            if found is not None:
                if key is not None and key != _text_key(found.text):
                    if found.id in new:
                        self._fail(row, "recommendation.text", f"recommendation {found.number}"
                                   f" appears twice with different text (row"
                                   f" {self._first_row(found)} and here): number them apart")
                        continue
                    self.notices.append(
                        f"{where(self.tracker.sheet, row.cell('recommendation.text') or '')}:"
                        f" recommendation {found.id} reads differently in the plan; the"
                        " plan's text is kept")
                current = found
            elif text is None:
                self._fail(row, "recommendation.text", f"{(number or '')[:40]!r} is under"
                           f" {self._heading('recommendation.number')} with no recommendation"
                           " beside it: if the row is not part of the table (a key, a note),"
                           " delete it from a copy of the tracker")
                continue
            else:
                if number is None:  # numbered in the order the tracker lists them
                    while f"{prefix}{unnumbered}" in taken:
                        unnumbered += 1
                try:
                    current = additions.new_recommendation(
                        self.plan, review_id=self.review_id, text=text,
                        themes=re.split(r"[,;/\n]", self._text(row, "recommendation.themes")
                                        or ""),
                        response=Response.ACCEPTED,
                        number=_number(number) if number else str(unnumbered),
                        today=self.today)
                except (RuleViolation, NotFoundError, ValueError) as error:
                    self._fail(row, "recommendation.text", str(error))
                    continue
                if current.id in taken:
                    self._fail(row, "recommendation.number", f"recommendation {current.number}"
                               " was withdrawn from the plan; give this one another number")
                    continue
                taken.add(current.id)
                new.add(current.id)
                by_number[current.number] = current
                by_text[_text_key(current.text)] = current
                self.records.append(Adopted(record=current, row=row.number))
            belongs[row.number] = current
        return belongs

    def _first_row(self, recommendation: Recommendation) -> int:
        return next(item.row for item in self.records if item.record is recommendation)

    # -- actions ----------------------------------------------------------------------------

    def actions(self, rows: Sequence[Row], belongs: Mapping[int, Recommendation]) -> None:
        plan = self.plan
        new_recommendations = [item.record for item in self.records
                               if isinstance(item.record, Recommendation)]
        if new_recommendations:
            plan = Plan.from_records([*plan.records(), *new_recommendations])
        self.plan = plan
        partnership_id = plan.reviews[self.review_id].partnership_id
        ids = additions.action_ids(plan, partnership_id,
                                   used=self.used.get("actions", frozenset()))
        # An action is known by its reference, else by its recommendation and title (and,
        # where two of the plan's actions share those, by its agency).
        by_reference: dict[str, Action] = {}
        by_title: dict[tuple[str, str], list[Action]] = {}
        for recommendation in plan.recommendations_for(self.review_id):
            for action in plan.actions_for(recommendation.id):
                by_title.setdefault((recommendation.id, heading_key(action.title)),
                                    []).append(action)
                if action.reference:
                    by_reference[action.reference.casefold()] = action
        seen: dict[tuple[str, ...], int] = {}
        for row in rows:
            if row.number not in belongs:
                continue
            title = row.text("action.title")
            if title is None:
                others = [t for t in row.cells if t.startswith("action.") and row.text(t)]
                if others or row.notes or row.evidence:
                    self._fail(row, "action.title", "this row has no action text, but has"
                               f" {(others or ['notes'])[0].removeprefix('action.')}")
                continue
            recommendation = belongs[row.number]
            reference = row.text("action.reference")
            agency = self._agency_named(row)
            key = (("reference", reference.casefold()) if reference else
                   ("title", recommendation.id, heading_key(title), agency or ""))
            if key in seen:
                self._fail(row, "action.title", f"this row repeats the action of row {seen[key]}"
                           " (the same recommendation, action and agency, or reference): give"
                           " each action its own words, or delete the copy")
                continue
            seen[key] = row.number
            if reference:
                stored = by_reference.get(reference.casefold())
            else:
                candidates = by_title.get((recommendation.id, heading_key(title)), [])
                same_agency = [a for a in candidates if a.lead_agency_id == agency]
                stored = (candidates[0] if len(candidates) == 1 else
                          same_agency[0] if len(same_agency) == 1 else None)
            if stored is not None:
                self._known(row, stored)
                continue
            self._new_action(row, recommendation, title, reference, next(ids))


    def _known(self, row: Row, stored: Action) -> None:
        """A row whose action the plan has: only its new notes and evidence are added."""
        self.already += 1
        self.records.extend(self._children(row, stored)[0])
        status = self._status(row)
        closed = self._date(row, "action.closed_on")
        goal = self._goal(status, closed)
        differences = []
        if (status is not None or closed is not None) and goal != stored.status:
            differences.append(("action.status", f"the status {goal.value}, the plan"
                                f" {stored.status.value} (change it with set-status)"))
        agency = self._agency_named(row)
        if agency is not None and agency != stored.lead_agency_id:
            differences.append(("action.lead_agency", f"the lead agency {agency}, the plan"
                                f" {stored.lead_agency_id} (change it with edit)"))
        target = self._date(row, "action.target_date")
        revised = self._date(row, "action.revised_target_date")
        if revised is not None and target is not None \
                and target != stored.original_target_date:
            differences.append(("action.target_date", f"the original target date"
                                f" {target:%d/%m/%Y}, the plan"
                                f" {stored.original_target_date:%d/%m/%Y} (the date first"
                                " agreed never changes)"))
        current, column = ((revised, "action.revised_target_date") if revised is not None
                           else (target, "action.target_date"))
        if current is not None and current != stored.target_date:
            differences.append((column, f"the target date {current:%d/%m/%Y}, the plan"
                                f" {stored.target_date:%d/%m/%Y} (change it with"
                                " revise-target)"))
        for target_name, what in differences:
            cell = row.cell(target_name) or f"A{row.number}"
            self.notices.append(f"{where(self.tracker.sheet, cell)} ({stored.id}): the tracker"
                                f" says {what}; the plan is left as it is")

    def _goal(self, status: ActionStatus | None, closed: date | None) -> ActionStatus:
        """Where the row says the action is: its status, else closed, else the default."""
        if status is not None:
            return status
        if closed is not None:
            return ActionStatus.COMPLETED
        return self.default_status or ActionStatus.AGREED

    def _new_action(self, row: Row, recommendation: Recommendation, title: str,
                    reference: str | None, action_id: str) -> None:
        before = len(self.problems)
        agency = self._agency(row)
        checked = len(self.problems)
        target = self._date(row, "action.target_date")
        if target is None and len(self.problems) == checked \
                and "action.target_date" in self.headings:  # else said once, for the table
            self._fail(row, "action.target_date", "no target date: fill it in, or give a"
                       " default for action.target_date in the map's [defaults]")
        revised = self._date(row, "action.revised_target_date")
        closed = self._date(row, "action.closed_on")
        if closed is not None and closed > self.today:
            self._fail(row, "action.closed_on", f"the action cannot have been closed on"
                       f" {closed:%d/%m/%Y}, after today ({self.today:%d/%m/%Y})")
        status = self._status(row)
        reported = self._rag(row)
        if closed is not None and status is not None and status in lifecycle.OPEN_STATUSES:
            self._fail(row, "action.status", f"the status is {status.value}, but the action has"
                       f" a date closed ({closed:%d/%m/%Y}): clear one of them")
        if len(self.problems) > before or agency is None or target is None:
            return
        goal = self._goal(status, closed)
        start = goal if goal in additions.NEW_ACTION_STATUSES else ActionStatus.IN_PROGRESS
        try:
            action = additions.new_action(
                self.plan, recommendation_ids=[recommendation.id], lead_agency_id=agency,
                title=title, target_date=target,
                lead_officer=self._text(row, "action.lead_officer"),
                deliverable=self._text(row, "action.deliverable"),
                success_measure=self._text(row, "action.success_measure"), status=start,
                reference=reference, id=action_id, today=self.today)
            if revised is not None and revised != target:
                action = lifecycle.revise_target(
                    action, revised, reason=f"revised in the tracker {self.source}", by=self.by,
                    on=self.today)
        except (RuleViolation, NotFoundError) as error:
            self._fail(row, "action.title", str(error), action_id)
            return
        about = self.defaults.get("evidence.about_date")
        children, evidence = self._children(
            row, action, about=closed or (about if isinstance(about, date) else None))
        if len(self.problems) > before:
            return
        if goal != start:
            try:
                action = lifecycle.move_to(action, goal, evidence=evidence, on=closed or self.today)
            except RuleViolation as error:
                target_cell = "action.status" if row.cell("action.status") else "action.closed_on"
                hint = (f"; a tracker cannot give what {goal.value} needs: map this status to"
                        " in_progress in [statuses], then use set-status"
                        if goal in (ActionStatus.ON_HOLD, ActionStatus.SUPERSEDED) else
                        "; put the evidence in a column of its own, mapped to evidence.title"
                        if goal == ActionStatus.COMPLETED else "")
                self._fail(row, target_cell, f"{error} (the tracker's status"
                           f" {goal.value} cannot be reached through the gates{hint})",
                           action_id)
                return
        if reported is not None:
            derived = rag(action, self.today, self.policy)
            if derived in _RAG_ORDER and reported in _RAG_ORDER \
                    and _RAG_ORDER.index(reported) > _RAG_ORDER.index(derived):
                self.notices.append(
                    f"{where(self.tracker.sheet, row.cell('reported_rag') or '')} ({action_id}):"
                    f" the tracker says {reported.value}, but it is {derived.value} on"
                    f" {self.today:%d/%m/%Y} by the partnership's RAG policy"
                    + (" (a RAG is never read as a status: give the action a status or a date"
                       " closed, or use set-status after adopting)"
                       if reported == Rag.BLUE else ""))
        self.records.append(Adopted(record=action, row=row.number, note=None if reported is None
                                    else f"the tracker's RAG: {reported.value}"))
        self.records.extend(children)

    def _children(self, row: Row, action: Action, *, about: date | None = None,
                  ) -> tuple[list[Adopted], list[Evidence]]:
        """The row's progress notes and evidence the action does not have yet; the evidence."""
        children: list[Adopted] = []
        taken = {action.id}
        # An undated note was dated on the day it was adopted: its text alone says it is known.
        known_notes: set[tuple[date | None, str]] = {
            (u.on, heading_key(u.text)) for u in self.plan.updates_for(action.id)}
        known_texts = {key for _, key in known_notes}
        known_evidence = {heading_key(e.title) for e in self.plan.evidence_for(action.id)}
        for cell, text in row.notes:
            try:
                notes = dated_notes(text)
            except ValueError as error:
                self.problems.append(problem_at(self.tracker.sheet, cell, str(error), action.id))
                continue
            for on, note in notes:
                if on is not None and on > self.today:
                    self.problems.append(problem_at(
                        self.tracker.sheet, cell, f"the note {note[:40]!r} is dated"
                        f" {on:%d/%m/%Y}, after today: correct its date", action.id))
                    continue
                key = heading_key(note)
                if (on, key) in known_notes or (on is None and key in known_texts):
                    continue
                undated = self.defaults.get("update.on")
                update = additions.new_progress_update(
                    self.plan, action.id, note,
                    on=on or (undated if isinstance(undated, date) else self.today), by=self.by,
                    taken=taken, used=self.used.get("progress_updates", frozenset()))
                taken.add(update.id)
                known_notes.add((on, key))
                known_texts.add(key)
                children.append(Adopted(record=update, row=row.number))
        items: list[Evidence] = []
        tier = from_label(EvidenceTier, str(self.defaults.get("evidence.tier") or "")) \
            or EvidenceTier.COMPLETION
        kind = from_label(EvidenceKind, str(self.defaults.get("evidence.kind") or "")) \
            or EvidenceKind.OTHER
        for _, text in row.evidence:
            if heading_key(text) in known_evidence:
                continue
            item = additions.new_evidence(
                self.plan, action.id, tier=tier, kind=kind, title=text,
                about_date=min(about or self.today, self.today), today=self.today, by=self.by,
                taken=taken, used=self.used.get("evidence", frozenset()))
            taken.add(item.id)
            known_evidence.add(heading_key(text))
            items.append(item)
            children.append(Adopted(record=item, row=row.number))
        return children, items


def adopt_rows(plan: Plan, tracker: Tracker, header: int, columns: Sequence[Column],
               tracker_map: TrackerMap, *, map_name: str, review_id: str, today: date, by: str,
               source: str, policy: RagPolicy, used: Mapping[str, frozenset[str]]) -> Adoption:
    """The records the rows under ``header`` add to ``plan``, or the problems that stop them."""
    builder = _Builder(plan, tracker, tracker_map, map_name=map_name, review_id=review_id,
                       today=today, by=by, source=source, policy=policy, used=used,
                       columns=columns)
    builder.problems.extend(builder.missing_columns(header))
    problems, notices = not_values(tracker, header, columns)
    builder.problems.extend(problems)
    builder.notices.extend(notices)
    rows = list(rows_of(tracker, header, columns))
    belongs = builder.recommendations(rows)
    builder.actions(rows, belongs)
    return Adoption(records=tuple(builder.records), problems=tuple(builder.problems),
                    notices=tuple(builder.notices), already=builder.already,
                    agencies=builder.agencies_read, statuses=builder.statuses_read)
