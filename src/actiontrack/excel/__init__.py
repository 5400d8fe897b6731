"""The Excel round-trip for partner leads: export a workbook, import it back safely.

::

    from actiontrack.excel import export_workbook, import_workbook

    export_workbook(store, Path("police.xlsx"), agency="police", by="Business unit", at=now)
    # ... the partner lead edits it in Excel or LibreOffice and sends it back ...
    result = import_workbook(store, Path("police.xlsx"), by="Business unit", at=now)
    result.exit_code  # 0 applied (or nothing to apply), 1 problems: nothing was written

Export signs the workbook's hidden part (its scope and every row as
exported) with the store's key (:mod:`.signing`). Import checks the file
before anything parses it (:mod:`.safety`), reads the cells (:mod:`.reading`),
checks the signature, merges the cells three ways with the plan as it is now
(:mod:`.merge`), and commits every change in one unit of work, or none. A
workbook that cannot be read, is unsafe, was not exported by actiontrack or
whose hidden part was changed raises :class:`~actiontrack.errors.WorkbookError`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from actiontrack import convert
from actiontrack.domain.clocks import local_date
from actiontrack.domain.models import Action
from actiontrack.domain.rag import RagPolicy
from actiontrack.domain.replay import replay
from actiontrack.errors import NotFoundError, WorkbookError
from actiontrack.excel import layout
from actiontrack.excel.annotate import annotate_workbook
from actiontrack.excel.export import Progress, write_workbook
from actiontrack.excel.files import replace_atomically
from actiontrack.excel.layout import ExportInfo
from actiontrack.excel.merge import Change, MergeResult, Notice, Problem, merge_workbook
from actiontrack.excel.reading import read_workbook
from actiontrack.excel.safety import Limits, check_workbook_file
from actiontrack.excel.signing import check_signature
from actiontrack.store.protocol import Put, Store

__all__ = [
    "Change",
    "ExportResult",
    "ImportResult",
    "Limits",
    "Notice",
    "Problem",
    "Progress",
    "export_workbook",
    "import_workbook",
]


@attrs.frozen(kw_only=True)
class ExportResult:
    path: Path
    export_id: str
    actions: int
    evidence: int


def _check_suffix(path: Path) -> None:
    """Refuse a name that does not end in ``.xlsx`` (in any case)."""
    if path.suffix.lower() != ".xlsx":
        raise WorkbookError(f"{path.name}: a partner workbook is an .xlsx file; name it"
                            f" {path.stem or path.name}.xlsx")


def _same_file(one: Path, other: Path) -> bool:
    """Whether two names are one file: the same path, or a link or another spelling of it."""
    if one.resolve() == other.resolve():
        return True
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist (yet): not the same file
        return False


def export_workbook(
    store: Store,
    path: Path,
    *,
    by: str,
    at: datetime,
    agency: str | None = None,
    review: str | None = None,
    return_to: str | None = None,
    progress: Progress | None = None,
    policy: RagPolicy = RagPolicy(),  # noqa: B008  (frozen: one shared default is safe)
) -> ExportResult:
    """Write the partner workbook for the whole plan, one agency, or one review.

    The file appears whole or not at all. An empty plan gives the blank
    template a partnership can paste an existing tracker into. The RAG column
    follows ``policy``, the partnership's RAG policy (``Settings.rag``). The
    hidden part is signed with ``store.sign`` (:mod:`.signing`).
    """
    _check_suffix(path)
    plan = store.snapshot()
    if agency is not None and agency not in plan.agencies:
        raise NotFoundError("agency", agency)
    if review is not None and review not in plan.reviews:
        raise NotFoundError("review", review)
    info = ExportInfo(export_id=str(uuid.uuid4()), exported_at=at, exported_by=by,
                      store=store.identity, agency=agency, review=review, return_to=return_to)
    with replace_atomically(path) as temporary:
        actions, evidence = write_workbook(plan, temporary, info, today=local_date(at),
                                           policy=policy, progress=progress,
                                           sign=store.sign)
    return ExportResult(path=path, export_id=info.export_id, actions=actions,
                        evidence=evidence)


def _history_lookup(store: Store) -> Callable[[str, int], Action | None]:
    """Actions as they were at a version, rebuilt from each one's own history (read when asked)."""
    entries: dict[str, list[dict[str, Any]]] = {}

    def record_at(action_id: str, version: int) -> Action | None:
        if action_id not in entries:
            entries[action_id] = [convert.unstructure(entry) for entry in
                                  store.history(kind="actions", record_id=action_id)]
        plain = replay(item for item in entries[action_id]
                       if item["version"] <= version)["actions"].get(action_id)
        return None if plain is None else convert.structure(plain, Action)

    return record_at


@attrs.frozen(kw_only=True)
class ImportResult:
    """What an import found and did. Nothing was written unless ``applied``."""

    export_id: str
    merge: MergeResult
    applied: bool
    dry_run: bool
    errors_to: Path | None = None

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.merge.changes

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.merge.problems

    @property
    def notices(self) -> tuple[Notice, ...]:
        return self.merge.notices

    @property
    def exit_code(self) -> int:
        """0 applied, or nothing to apply, or a clean dry run; 1 problems (nothing written)."""
        return 1 if self.problems else 0


#: actiontrack's own sheets a partner never edits; sheets a partner adds are ignored.
_HIDDEN_SHEETS = (layout.LISTS, layout.EXPORT, layout.AS_EXPORTED)


def import_workbook(
    store: Store,
    path: Path,
    *,
    by: str,
    at: datetime,
    dry_run: bool = False,
    errors_to: Path | None = None,
    agency: str | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Merge a returned workbook into the plan: every change, or none.

    With ``errors_to``, problems are also written as an annotated copy of the
    workbook. ``agency`` refuses any change to another agency's actions,
    whatever scope the workbook was exported with (a workbook for every
    agency, handed to one). Raises :class:`~actiontrack.errors.WorkbookError`
    (nothing written) for a file that is unsafe, unreadable or not an
    actiontrack workbook, that was exported from another store, or whose
    hidden part does not carry this store's signature (:mod:`.signing`):
    changed since export, or exported before workbooks were signed.
    """
    if errors_to is not None:
        _check_suffix(errors_to)
        if _same_file(errors_to, path):
            raise WorkbookError(f"{errors_to.name}: the marked copy needs a name of its own, so"
                                " that the partner's workbook is kept as it came")

    def step(what: str, done: int) -> None:
        if progress is not None:
            progress(what, done, 4)

    step("Checking the file", 0)
    # What the file is comes first, so that an .xls, .ods or .csv file is told how to be
    # saved as .xlsx; then a real workbook under another name is told to be renamed.
    scan = check_workbook_file(path, limits or Limits())
    _check_suffix(path)
    hidden_formulas = [sheet for sheet in _HIDDEN_SHEETS if scan.formula_cells.get(sheet)]
    if hidden_formulas:
        raise WorkbookError(f"{path.name}: the hidden sheet {hidden_formulas[0]!r} has"
                            " formulas, but actiontrack never writes any there; export a fresh"
                            " workbook")
    step("Reading the cells", 1)
    book = read_workbook(path)
    if book.info.store != store.identity:
        raise WorkbookError(
            f"{path.name} was exported from another plan (store {book.info.store!r});"
            " import it into the store it came from"
        )
    # After the store's identity, so that a workbook from another store is told so,
    # rather than that its hidden part was changed; before anything trusts the scope.
    check_signature(store.sign, book.hidden, book.signature, path)
    step("Comparing with the plan", 2)
    if agency is not None and book.info.agency not in (None, agency):
        raise WorkbookError(f"{path.name} was exported for agency {book.info.agency},"
                            f" not {agency}")
    merged = merge_workbook(store.snapshot(), book, today=local_date(at), by=by, agency=agency,
                            record_at=_history_lookup(store), formula_cells=scan.formula_cells,
                            error_cells=scan.error_cells,
                            used={kind: store.used_ids(kind)
                                  for kind in ("actions", "progress_updates", "evidence",
                                               "measurements")})
    export_id = book.info.export_id
    if merged.problems:
        if errors_to is not None:
            step("Marking the problems", 3)
            annotate_workbook(path, errors_to, merged.problems)
        return ImportResult(export_id=export_id, merge=merged, applied=False, dry_run=dry_run,
                            errors_to=errors_to)
    applied = False
    if merged.records and not dry_run:
        step("Writing the changes", 3)
        store.commit([Put(record) for record in merged.records], by=by, at=at,
                     reason=f"workbook {path.name} (export {export_id})")
        applied = True
    step("Done", 4)
    return ImportResult(export_id=export_id, merge=merged, applied=applied, dry_run=dry_run)
