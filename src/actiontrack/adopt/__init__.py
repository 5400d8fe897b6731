"""Bring a partnership's existing tracker into the plan: ``actiontrack adopt``.

::

    from actiontrack.adopt import adopt_tracker, read_map

    result = adopt_tracker(store, Path("lcspr-tracker.xlsx"), review="NSCP/CSPR-ALEX",
                           tracker_map=read_map(Path("tracker-map.toml")),
                           by="Business unit", at=now)
    result.exit_code  # 0 adopted (or nothing new), 1 problems: nothing was written

The tracker is read (:mod:`.tracker`), its heading row and columns found
(:mod:`.table`, from the headings of :mod:`.headings` as the map file of
:mod:`.mapping` corrects them), and its rows turned into records by the
domain's own rules (:mod:`.build`, its progress notes dated by
:mod:`.notes`). Every record goes in, in one commit, or none does; each
one's history names the file, the sheet and the row it came from.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import attrs

from actiontrack.adopt.build import Adoption, adopt_rows
from actiontrack.adopt.mapping import TrackerMap, map_text, read_map
from actiontrack.adopt.table import Column, Problem, find_columns
from actiontrack.adopt.tracker import Tracker, read_tracker
from actiontrack.domain.clocks import local_date
from actiontrack.domain.models import Review
from actiontrack.domain.rag import RagPolicy
from actiontrack.errors import NotFoundError, WorkbookError
from actiontrack.excel.export import Progress
from actiontrack.excel.safety import Limits
from actiontrack.store.protocol import Put, Store

__all__ = ["AdoptResult", "Problem", "TrackerMap", "adopt_tracker", "read_map"]

@attrs.frozen(kw_only=True)
class AdoptResult:
    """What adopt found and did. Nothing was written unless ``applied``."""

    path: Path
    sheet: str
    review_id: str
    heading_row: int  # as the sheet numbers it, from 1
    columns: tuple[Column, ...]
    adoption: Adoption
    applied: bool
    dry_run: bool
    errors_to: Path | None = None

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.adoption.problems

    @property
    def notices(self) -> tuple[str, ...]:
        return self.adoption.notices

    @property
    def exit_code(self) -> int:
        """0 adopted, nothing new, or a clean dry run; 1 problems (nothing written)."""
        return 1 if self.problems else 0


def _review(store: Store, review: str | None) -> str:
    if review is not None:
        if not store.get_many(Review, [review]):
            raise NotFoundError("review", review)
        return review
    reviews = store.find(Review)
    if len(reviews) != 1:
        known = ", ".join(r.id for r in reviews) or "none yet: add one with add-review"
        raise WorkbookError(f"say which review the tracker is for with --review (the plan's"
                            f" reviews: {known})")
    return reviews[0].id


def _chosen_sheet(trackers: list[Tracker], tracker_map: TrackerMap, map_name: str
                  ) -> tuple[Tracker, int, list[Column], list[Problem]]:
    """The first sheet whose headings hold recommendations and actions, and its columns.

    Failing that, the first with a heading row adopt recognises (its
    problems say what it lacks); with none, the first sheet's refusal.
    """
    found: list[tuple[Tracker, int, list[Column], list[Problem]]] = []
    failure: WorkbookError | None = None
    for tracker in trackers:
        try:
            header, columns, problems = find_columns(tracker, tracker_map, map_name)
        except WorkbookError as error:
            failure = failure or error
            continue
        targets = {column.target for column in columns}
        if {"recommendation.text", "action.title"} <= targets:
            return tracker, header, columns, problems
        found.append((tracker, header, columns, problems))
    if found:
        return found[0]
    assert failure is not None  # read_tracker gives at least one sheet
    raise failure


def adopt_tracker(
    store: Store,
    path: Path,
    *,
    by: str,
    at: datetime,
    review: str | None = None,
    sheet: str | None = None,
    tracker_map: TrackerMap | None = None,
    map_name: str = "the map",
    write_map: Path | None = None,
    dry_run: bool = False,
    errors_to: Path | None = None,
    policy: RagPolicy = RagPolicy(),  # noqa: B008  (frozen: one shared default is safe)
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> AdoptResult:
    """Adopt the tracker at ``path`` into ``review``: every record, in one commit, or none.

    ``review`` may be left out when the plan has one review. ``write_map``
    writes the map used (guesses included) for a person to correct and
    keep; ``errors_to`` writes a copy of the tracker with each problem
    marked on its cell. Raises :class:`~actiontrack.errors.WorkbookError`
    (nothing written) for a file that cannot be read, is unsafe, or has no
    recognisable heading row.
    """
    def step(what: str, done: int) -> None:
        if progress is not None:
            progress(what, done, 4)

    if errors_to is not None and errors_to.suffix.lower() != ".xlsx":
        raise WorkbookError(f"{errors_to.name}: the marked copy is an .xlsx workbook; name it"
                            f" {errors_to.stem}.xlsx")
    for written in (errors_to, write_map):
        if written is not None and written.resolve() == path.resolve():
            raise WorkbookError(f"{written.name} is the tracker itself: give the"
                                f" {'marked copy' if written == errors_to else 'map'} a name of"
                                " its own, so that the tracker is kept as it is")
    tracker_map = tracker_map or TrackerMap()
    review_id = _review(store, review)
    step("Reading the tracker", 0)
    tracker, header, columns, column_problems = _chosen_sheet(
        read_tracker(path, sheet=sheet, limits=limits), tracker_map, map_name)
    step("Reading the rows", 1)
    today = local_date(at)
    plan = store.snapshot()
    adoption = adopt_rows(
        plan, tracker, header, columns, tracker_map, map_name=map_name, review_id=review_id,
        today=today, by=by, source=path.name, policy=policy,
        used={kind: store.used_ids(kind) for kind in
              ("recommendations", "actions", "progress_updates", "evidence")})
    if column_problems:
        adoption = attrs.evolve(adoption, problems=(*column_problems, *adoption.problems))
    if write_map is not None:
        used = TrackerMap(
            columns={column.heading: column.target or "" for column in columns},
            agencies={**adoption.agencies, **tracker_map.agencies},
            statuses={**adoption.statuses, **tracker_map.statuses},
            defaults=tracker_map.defaults)
        write_map.write_text(map_text(used), encoding="utf-8")
    result = AdoptResult(path=path, sheet=tracker.sheet, review_id=review_id,
                         heading_row=header + 1, columns=tuple(columns), adoption=adoption,
                         applied=False, dry_run=dry_run)
    if adoption.problems:
        if errors_to is not None:
            step("Marking the problems", 3)
            from actiontrack.adopt.marks import mark_problems

            mark_problems(path, tracker, errors_to, adoption.problems)
        return attrs.evolve(result, errors_to=errors_to)
    if adoption.records and not dry_run:
        step("Writing the records", 3)
        reason = f"adopted from {path.name} by {by}"
        store.commit([Put(item.record, reason=f"{reason}: sheet {tracker.sheet!r}, row {item.row}"
                          + (f"; {item.note}" if item.note else ""))
                      for item in adoption.records], by=by, at=at, reason=reason)
        result = attrs.evolve(result, applied=True)
    step("Done", 4)
    return result
