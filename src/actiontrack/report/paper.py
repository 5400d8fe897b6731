"""The committee paper: the report as a Word document shaped like a council committee report.

:func:`paper_bytes` lays a :class:`~actiontrack.report.content.Report` out
with python-docx, in this order: a title block (partnership, meeting and
its date, author), **Summary** (the headline counts in words),
**Recommendations to the committee**, **Purpose**, **Background**, one
section per review (**Progress by review**), **Impact measures** (each with
a chart), **Themes across reviews**, **Learning activities and their
reach**, **Recommendations not accepted or not implemented** (each with its
reason, as the Care Act asks adults boards to give), and **Appendix A**, the
full action table, on landscape pages.

Headings use Word's own Heading 1 and Heading 2 styles (a table of contents
picks them up); every table's first row is marked to repeat at the top of
each page; the footer numbers the pages with a PAGE field; charts are
pictures. The same report always gives the same bytes: the document's
dates are the report's day and the zip's entries are dated that day too.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row
from docx.shared import Cm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from actiontrack.domain.models import ActionStatus
from actiontrack.domain.rag import Rag
from actiontrack.formatting import figure, long_date, plural
from actiontrack.report.charts import measure_chart, measure_chart_caption
from actiontrack.report.content import (
    ActionLine,
    MeasureLine,
    PaperDetails,
    Report,
    ReviewSection,
    ThemeLine,
    describe,
    headline,
    recommendations_to_committee,
)

__all__ = ["CHART_WIDTH", "build_paper", "chart_images", "normalise_docx", "paper_bytes", "table"]

#: How wide a chart is on the page.
CHART_WIDTH = Cm(15.5)
_FONT = "Arial"  # what councils' templates use; LibreOffice draws it as Liberation Sans


def chart_images(report: Report) -> dict[str, bytes]:
    """Each measure's chart as PNG bytes, by measure id."""
    return {measure.id: measure_chart(measure) for measure in report.measures}


def paper_bytes(report: Report, details: PaperDetails) -> bytes:
    """The paper as the bytes of a .docx file; the same report and details, the same bytes."""
    document = build_paper(report, details, chart_images(report))
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_docx(buffer.getvalue(), report.as_of)


def normalise_docx(data: bytes, day: date) -> bytes:
    """``data`` re-zipped with every entry dated ``day``, so that saving twice gives one file.

    python-docx (and docxtpl through it) date each zip entry with the time of
    saving; nothing else in the file depends on when it was written.
    """
    stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)  # zip dates start in 1980
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


def build_paper(report: Report, details: PaperDetails,
                charts: Mapping[str, bytes]) -> DocumentObject:
    """The paper as a python-docx document, not yet saved; ``charts`` by measure id (PNG)."""
    document = Document()
    _set_up(document, report, details)
    _title_block(document, report, details)
    _summary(document, report)
    _numbered(document, "Recommendations to the committee",
              recommendations_to_committee(report))
    _purpose_and_background(document, report)
    _heading(document, "Progress by review", 1)
    if not report.reviews:
        document.add_paragraph("There are no reviews in the plan yet.")
    for number, section in enumerate(report.reviews, start=1):
        _review(document, section, number)
    _measures(document, report, charts)
    _themes(document, report)
    _learning(document, report)
    _not_implemented(document, report)
    _appendix(document, report)
    return document


# -- the document's frame ----------------------------------------------------------


def _set_up(document: DocumentObject, report: Report, details: PaperDetails) -> None:
    normal = document.styles["Normal"]
    normal.font.name = _FONT
    normal.font.size = Pt(11)
    for name in ("Heading 1", "Heading 2", "Title"):
        document.styles[name].font.name = _FONT
    document.styles["Table Grid"].font.size = Pt(9)
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.2))
    _page_numbers(section.footer.paragraphs[0])
    # The document's own dates are the report's day: nothing in it says when it was made.
    moment = datetime.combine(report.as_of, time(), tzinfo=UTC)
    properties = document.core_properties
    properties.title = details.title
    properties.subject = f"{report.title}, as of {long_date(report.as_of)}"
    properties.author = details.author or report.title
    properties.last_modified_by = details.author or report.title
    properties.created = moment
    properties.modified = moment
    properties.last_printed = moment
    properties.revision = 1
    properties.comments = ""
    properties.keywords = "case reviews; action plan; committee paper"


def _page_numbers(paragraph: Paragraph) -> None:
    """"Page N of M" with real PAGE and NUMPAGES fields, which Word and LibreOffice fill in."""
    paragraph.add_run("Page ")
    _field(paragraph, "PAGE", "1")
    paragraph.add_run(" of ")
    _field(paragraph, "NUMPAGES", "1")


def _field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    parts: list[tuple[str, str | None]] = [
        ("begin", None), ("instr", instruction), ("separate", None), ("text", shown),
        ("end", None)]
    for kind, value in parts:
        run = paragraph.add_run()
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {value} "
            run._r.append(element)
        elif kind == "text":
            run.text = value or ""
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)


def _heading(document: DocumentObject, text: str, level: int) -> Paragraph:
    heading: Paragraph = document.add_heading(text, level=level)
    return heading


def _plain(text: str) -> str:
    """People's text on one line, without characters an XML document cannot hold."""
    return "".join(ch for ch in " ".join(text.split()) if ch >= " ")


def _bullets(document: DocumentObject, lines: Iterable[str]) -> None:
    for line in lines:
        document.add_paragraph(line, style="List Bullet")


def _numbered(document: DocumentObject, title: str, lines: Sequence[str]) -> None:
    _heading(document, title, 1)
    for line in lines:
        document.add_paragraph(line, style="List Number")


def table(document: DocumentObject, header: Sequence[str],
          rows: Iterable[Sequence[str]], *, widths: Sequence[float] | None = None) -> Table:
    """A bordered table whose header row repeats at the top of every page it runs onto."""
    grid: Table = document.add_table(rows=1, cols=len(header))
    grid.style = "Table Grid"
    head = grid.rows[0]
    _repeat_header(head._tr)
    for cell, title in zip(head.cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(title).bold = True
    for values in rows:
        cells = grid.add_row().cells  # type: ignore[no-untyped-call]
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
    if widths:
        for column, width in zip(grid.columns, widths, strict=True):
            column.width = Cm(width)
    return grid


def _repeat_header(row: CT_Row) -> None:
    """Mark a table row as a header row (``w:tblHeader``): Word repeats it on each page."""
    tr_pr = row.get_or_add_trPr()
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    tr_pr.append(marker)


# -- the parts ------------------------------------------------------------------------


def _title_block(document: DocumentObject, report: Report, details: PaperDetails) -> None:
    document.add_paragraph(report.title, style="Title")
    lines = [
        ("Report to", details.meeting or "Safeguarding partnership executive"),
        ("Date of meeting", long_date(details.meeting_date) if details.meeting_date
         else "to be confirmed"),
        ("Report of", details.author or "The partnership business unit"),
        ("Subject", details.title),
        ("Position as of", long_date(report.as_of)),
    ]
    for label, value in lines:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(_plain(value))


def _summary(document: DocumentObject, report: Report) -> None:
    _heading(document, "Summary", 1)
    document.add_paragraph(headline(report))
    counts = report.by_rag
    document.add_paragraph(
        f"Of the {plural(len(report.actions), 'action')}, {report.open_actions} are open and"
        f" {len(report.overdue)} overdue. By RAG: "
        + ", ".join(f"{describe(colour)} {n}" for colour, n in counts.items())
        + ".")
    measures = report.measures
    if measures:
        met = sum(1 for m in measures if m.met)
        worse = sum(1 for m in measures if m.worsened)
        document.add_paragraph(
            f"{plural(len(measures), 'impact measure')} show whether the work changed"
            f" practice: {met} met {'its' if len(measures) == 1 else 'their'} target, and"
            f" {worse} got worse since the figure before.")
    else:
        document.add_paragraph("No impact measures have been set yet: there is no figure to"
                               " show that the work changed practice.")


def _purpose_and_background(document: DocumentObject, report: Report) -> None:
    _heading(document, "Purpose", 1)
    document.add_paragraph(
        "This paper reports progress on the actions the partnership agreed in response to"
        " safeguarding case reviews, and the evidence that they were completed and made a"
        f" difference to practice. It shows the action plan as it stood at the end of"
        f" {long_date(report.as_of)}.")
    _heading(document, "Background", 1)
    document.add_paragraph(
        "Each case review makes recommendations; the partner agencies agree actions in"
        " response, each with a lead agency, a target date and a measure of success. An action"
        " is completed when there is evidence of the work, assured when someone other than its"
        " lead accepts that evidence, and embedded when there is evidence of impact."
        " RAG is derived from each action's status and dates, never typed: red is past its"
        f" target and not complete; amber is due within {report.policy.due_soon_days} days,"
        " on hold or moved later; green is on track; blue is complete; grey is superseded.")
    if report.reviews:
        document.add_paragraph(f"This paper covers {plural(len(report.reviews), 'review')}:")
        _bullets(document, (
            f"{_plain(s.title)} ({describe(s.kind)}, {_plain(s.reference)})"
            + (f", subject {_plain(s.subject)}" if s.subject else "")
            for s in report.reviews))


def _review(document: DocumentObject, section: ReviewSection, number: int) -> None:
    _heading(document, f"{number}. {_plain(section.title)} ({_plain(section.reference)})", 2)
    about = describe(section.kind).capitalize() + f", reference {_plain(section.reference)}"
    if section.subject:
        about += f"; subject {_plain(section.subject)}"
    document.add_paragraph(about + ".")
    if section.recommendations:
        table(document, ["No.", "Recommendation", "Response", "Status"],
              [[_plain(line.number), _plain(line.text), describe(line.response),
                describe(line.status)] for line in section.recommendations],
              widths=[1.0, 10.2, 2.8, 2.6])
    else:
        document.add_paragraph("No recommendations yet.")
    if section.actions:
        document.add_paragraph(
            f"{plural(len(section.actions), 'action')}. By status: "
            + _counts(section.by_status) + ". By RAG: " + _counts(section.by_rag) + ".")
        table(document, ["Action", "Title", "Lead agency", "Status", "RAG", "Target date"],
              [_action_row(a) for a in section.actions], widths=[2.6, 5.4, 3.2, 2.2, 1.4, 1.8])
    else:
        document.add_paragraph("No actions yet.")
    overdue = section.overdue
    paragraph = document.add_paragraph()
    paragraph.add_run("Overdue: ").bold = True
    paragraph.add_run(f"{plural(len(overdue), 'action')}." if overdue else "nothing is overdue.")
    _bullets(document, (_overdue(action) for action in overdue))
    for label, items in (("completion", section.completion_evidence),
                         ("impact", section.impact_evidence)):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"Evidence of {label}: ").bold = True
        paragraph.add_run(f"{plural(len(items), 'item')}." if items else "none yet.")
        _bullets(document, (f"{_plain(item.title)} ({_plain(item.action_id)},"
                            f" {describe(item.kind)}, about {long_date(item.about_date)})"
                            for item in items))
    if section.measures:
        paragraph = document.add_paragraph()
        paragraph.add_run("Impact measures: ").bold = True
        paragraph.add_run(f"{plural(len(section.measures), 'measure')}, charted below.")
        _bullets(document, (f"{_plain(m.name)} ({_plain(m.action_id)}): {_plain(m.summary)}"
                            for m in section.measures))


def _counts(counts: Mapping[ActionStatus, int] | Mapping[Rag, int]) -> str:
    return ", ".join(f"{describe(key)} {n}" for key, n in counts.items() if n) or "none"


def _action_row(action: ActionLine) -> list[str]:
    return [action.id, _plain(action.title), _plain(action.lead_agency), describe(action.status),
            describe(action.rag), long_date(action.target_date)]


def _overdue(action: ActionLine) -> str:
    text = (f"{action.id} {_plain(action.title)} ({_plain(action.lead_agency)}): due"
            f" {long_date(action.target_date)}, {plural(action.days_overdue or 0, 'day')}"
            f" overdue; originally due {long_date(action.original_target_date)}.")
    for revision in action.target_revisions:
        text += (f" Moved on {long_date(revision.on)} to {long_date(revision.to_date)}:"
                 f" {_sentence(revision.reason)}")
    update = action.latest_update
    text += (f" Latest update ({long_date(update.on)}): {_sentence(update.text)}" if update
             else " No progress update recorded.")
    return text


def _sentence(text: str) -> str:
    plain = _plain(text)
    return plain if plain.endswith((".", "!", "?")) else plain + "."


def _measures(document: DocumentObject, report: Report, charts: Mapping[str, bytes]) -> None:
    _heading(document, "Impact measures", 1)
    if not report.measures:
        document.add_paragraph("No impact measures have been set for these actions yet.")
        return
    document.add_paragraph(
        "Each measure shows in figures whether an action changed practice: the figure before"
        " the action (its baseline), the figure it aims for (its target) and each figure"
        " taken since.")
    for number, measure in enumerate(report.measures, start=1):
        _heading(document, f"{_plain(measure.name)} ({measure.action_id})", 2)
        document.add_paragraph(_plain(measure.summary) + ".")
        table(document, ["Baseline", "Target", "Latest", "Progress", "Target met"],
              [_measure_row(measure)], widths=[3.6, 4.2, 3.6, 2.2, 2.4])
        png = charts.get(measure.id)
        if png is not None:
            document.add_picture(io.BytesIO(png), width=CHART_WIDTH)
            document.add_paragraph(f"Figure {number}. {_plain(measure_chart_caption(measure))}",
                                   style="Caption")


def _measure_row(measure: MeasureLine) -> list[str]:
    latest = ("not measured yet" if measure.latest_value is None or measure.latest_on is None
              else f"{figure(measure.latest_value, measure.unit)} on"
                   f" {long_date(measure.latest_on)}")
    return [
        f"{figure(measure.baseline, measure.unit)} on {long_date(measure.baseline_on)}",
        f"{figure(measure.target, measure.unit)} by {long_date(measure.target_on)}"
        f" ({measure.want.value} is better)",
        latest,
        "" if measure.progress is None else f"{measure.progress:.0%}",
        "yes" if measure.met else ("no, and worse" if measure.worsened else "no"),
    ]


def _themes(document: DocumentObject, report: Report) -> None:
    _heading(document, "Themes across reviews", 1)
    if not report.themes:
        document.add_paragraph("No themes recorded.")
        return
    recurring = report.recurring_themes
    document.add_paragraph(
        f"{plural(len(recurring), 'theme')} recur (more than one review carries"
        f" {'it' if len(recurring) == 1 else 'them'}): the same findings coming back is a"
        " sign that earlier learning did not change practice." if recurring
        else "No theme recurs yet: each is carried by one review only.")
    table(document, ["Theme", "Reviews", "Recommendations", "Where (recommendation no.)"],
          [[_plain(t.theme), str(t.review_count), str(t.recommendation_count), _where(t)]
           for t in report.themes], widths=[4.6, 1.8, 3.0, 7.2])


def _where(theme: ThemeLine) -> str:
    where: dict[str, list[str]] = {}
    for carrier in theme.carriers:
        where.setdefault(carrier.review_reference, []).append(carrier.number)
    return "; ".join(f"{_plain(ref)} ({', '.join(numbers)})" for ref, numbers in where.items())


def _learning(document: DocumentObject, report: Report) -> None:
    _heading(document, "Learning activities and their reach", 1)
    activities = report.learning
    if not activities:
        document.add_paragraph("No learning activities are linked to these reviews yet.")
        return
    reach = sum(a.reach or 0 for a in activities)
    document.add_paragraph(
        f"{plural(len(activities), 'learning activity', 'learning activities')} spread the"
        f" learning, reaching {plural(reach, 'person', 'people')} in all (where counted).")
    table(document, ["Activity", "Kind", "Held on", "Reach"],
          [[_plain(a.title), describe(a.kind), long_date(a.held_on),
            "not recorded" if a.reach is None else str(a.reach)] for a in activities],
          widths=[8.4, 3.4, 3.0, 1.8])


def _not_implemented(document: DocumentObject, report: Report) -> None:
    _heading(document, "Recommendations not accepted or not implemented", 1)
    found = report.not_implemented
    if not found:
        document.add_paragraph("Every recommendation was accepted and is being acted on.")
        return
    document.add_paragraph(
        "The partnership gives its reason for each recommendation it did not accept, or is not"
        " implementing (a safeguarding adults board must, under the Care Act 2014).")
    table(document, ["Review", "No.", "Recommendation", "Response and status", "Reason"],
          [[_plain(section.reference), _plain(line.number), _plain(line.text),
            f"{describe(line.response)}; {describe(line.status)}",
            _plain(line.not_implemented_reason or "")] for section, line in found],
          widths=[2.8, 1.0, 5.8, 3.0, 4.0])


def _appendix(document: DocumentObject, report: Report) -> None:
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    _heading(document, "Appendix A: every action", 1)
    document.add_paragraph(f"Every action in this paper as of {long_date(report.as_of)},"
                           " by id.")
    table(document, ["Action", "Title", "Reviews", "Lead agency", "Status", "RAG",
                     "Original target", "Current target", "Days overdue"],
          (_appendix_row(a) for a in report.actions),
          widths=[2.6, 6.6, 3.0, 3.4, 2.2, 1.4, 2.3, 2.3, 1.6])


def _appendix_row(action: ActionLine) -> list[str]:
    return [action.id, _plain(action.title), ", ".join(action.review_references),
            _plain(action.lead_agency), describe(action.status), describe(action.rag),
            long_date(action.original_target_date), long_date(action.target_date),
            "" if action.days_overdue is None else str(action.days_overdue)]
