"""The committee progress report: what the business manager takes to the executive.

:func:`read_report` reads what the report needs from a store and works
out its content (:func:`build_report` does that part alone, pure, no I/O);
:func:`write_report` writes it as Markdown (``.md``) or as an Excel
workbook with a dashboard (``.xlsx``)::

    report = read_report(store, as_of=date(2026, 3, 31))
    write_report(report, Path("committee.xlsx"))
"""

from __future__ import annotations

from pathlib import Path

from actiontrack.report.content import (
    ActionLine,
    AgencyPosition,
    EvidenceLine,
    LearningLine,
    RecommendationLine,
    Report,
    ReviewSection,
    ThemeCarrier,
    ThemeLine,
    TrendPoint,
    build_report,
)
from actiontrack.report.markdown import render_markdown
from actiontrack.report.reading import open_actions_trend, read_report

__all__ = [
    "FORMATS",
    "ActionLine",
    "AgencyPosition",
    "EvidenceLine",
    "LearningLine",
    "RecommendationLine",
    "Report",
    "ReviewSection",
    "ThemeCarrier",
    "ThemeLine",
    "TrendPoint",
    "build_report",
    "open_actions_trend",
    "read_report",
    "render_markdown",
    "write_report",
]

#: The file endings write_report understands, and what each writes.
FORMATS = {".md": "Markdown", ".xlsx": "Excel workbook"}


def write_report(report: Report, path: Path) -> None:
    """Write ``report`` to ``path``: Markdown for ``.md``, an Excel workbook for ``.xlsx``.

    Any other ending raises ``ValueError`` before anything is written. An
    existing file is replaced.
    """
    suffix = path.suffix.lower()
    if suffix == ".md":
        # newline="" keeps "\n" on every system, so the bytes are the same everywhere.
        path.write_text(render_markdown(report), encoding="utf-8", newline="")
    elif suffix == ".xlsx":
        from actiontrack.report.xlsx import write_workbook  # openpyxl loads only when needed

        write_workbook(report, path)
    else:
        choices = " or ".join(f"{ending} ({name})" for ending, name in FORMATS.items())
        raise ValueError(
            f"cannot tell which format to write for {path.name!r}: a report file must end"
            f" in {choices}"
        )
