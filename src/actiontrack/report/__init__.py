"""The committee progress report: what the business manager takes to the executive.

:func:`read_report` reads what the report needs from a store and works
out its content (:func:`build_report` does that part alone, pure, no I/O);
:func:`write_report` writes it as Markdown (``.md``), as an Excel
workbook with a dashboard (``.xlsx``), as a Word committee paper
(``.docx``, optionally in the partnership's own template) or as that paper
in PDF (``.pdf``, through LibreOffice)::

    report = read_report(store, as_of=date(2026, 3, 31))
    write_report(report, Path("committee.xlsx"))
    write_report(report, Path("paper.docx"), details=PaperDetails(meeting="Scrutiny"))

python-docx, docxtpl and matplotlib are imported only when a paper is written.
"""

from __future__ import annotations

from pathlib import Path

from actiontrack.report.content import (
    ActionLine,
    AgencyPosition,
    EvidenceLine,
    LearningLine,
    MeasureLine,
    MeasurePoint,
    PaperDetails,
    RecommendationLine,
    Report,
    ReviewSection,
    ThemeCarrier,
    ThemeLine,
    TrendPoint,
    build_report,
)
from actiontrack.report.guard import PersonalDataFinding, personal_data_in
from actiontrack.report.markdown import render_markdown
from actiontrack.report.reading import open_actions_trend, read_report

__all__ = [
    "FORMATS",
    "ActionLine",
    "AgencyPosition",
    "EvidenceLine",
    "LearningLine",
    "MeasureLine",
    "MeasurePoint",
    "PaperDetails",
    "PersonalDataFinding",
    "RecommendationLine",
    "Report",
    "ReviewSection",
    "ThemeCarrier",
    "ThemeLine",
    "TrendPoint",
    "build_report",
    "open_actions_trend",
    "paper_document",
    "personal_data_in",
    "read_report",
    "render_markdown",
    "write_report",
]

#: The file endings write_report understands, and what each writes.
FORMATS = {".md": "Markdown", ".xlsx": "Excel workbook", ".docx": "Word committee paper",
           ".pdf": "committee paper in PDF"}


def write_report(report: Report, path: Path, *, details: PaperDetails | None = None,
                 template: Path | None = None) -> None:
    """Write ``report`` to ``path``, in the format its ending names (see :data:`FORMATS`).

    ``details`` (title, meeting, its date, author) and ``template`` (the
    partnership's own .docx, filled by docxtpl) are for the paper, ``.docx``
    and ``.pdf``; a template with another ending raises ``ValueError``. Any
    other ending raises ``ValueError`` before anything is written. An
    existing file is replaced. A PDF needs LibreOffice: where it is absent,
    :class:`~actiontrack.report.pdf.PdfError` says so and nothing is written.
    """
    suffix = path.suffix.lower()
    if template is not None and suffix not in (".docx", ".pdf"):
        raise ValueError("a template is for the paper: write it to a .docx or .pdf file")
    if suffix in (".docx", ".pdf"):
        data = paper_document(report, details or PaperDetails(), template=template)
        if suffix == ".docx":
            path.write_bytes(data)
        else:
            from actiontrack.report.pdf import convert_to_pdf

            convert_to_pdf(data, path)
    elif suffix == ".md":
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


def paper_document(report: Report, details: PaperDetails, *, template: Path | None = None) -> bytes:
    """The committee paper as the bytes of a .docx: built here, or ``template`` filled."""
    if template is not None:
        from actiontrack.report.template import fill_template

        return fill_template(report, details, template)
    from actiontrack.report.paper import paper_bytes  # python-docx and matplotlib load here

    return paper_bytes(report, details)
