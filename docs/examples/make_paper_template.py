"""Make the example committee-paper template (a .docx with Jinja tags for docxtpl).

Run from the repository's root; it writes the template shipped with the
package and its copy beside this script::

    python docs/examples/make_paper_template.py

The template is plain python-docx output with tags typed into it, as a
partnership would type them into its own council template in Word: the
variables are listed in docs/report.md.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "src" / "actiontrack" / "report" / "templates" / "committee-paper-template.docx"
COPY = Path(__file__).with_name("committee-paper-template.docx")


def _table(document: Document, header: list[str], loop: str, cells: list[str]) -> None:  # type: ignore[valid-type]
    """A table: a header row (repeated on each page), then one templated row per item.

    docxtpl's ``{%tr %}`` tags sit in rows of their own, which it removes.
    """
    grid = document.add_table(rows=4, cols=len(header))  # type: ignore[attr-defined]
    grid.style = "Table Grid"
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    grid.rows[0]._tr.get_or_add_trPr().append(marker)
    for cell, title in zip(grid.rows[0].cells, header, strict=True):
        cell.paragraphs[0].add_run(title).bold = True
    grid.rows[1].cells[0].text = "{%tr " + loop + " %}"
    for cell, text in zip(grid.rows[2].cells, cells, strict=True):
        cell.text = text
    grid.rows[3].cells[0].text = "{%tr endfor %}"


def build() -> bytes:
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    document.add_paragraph("{{ partnership }}", style="Title")
    for label, tag in [("Report to", "{{ meeting }}"), ("Date of meeting", "{{ meeting_date }}"),
                       ("Report of", "{{ author }}"), ("Subject", "{{ title }}"),
                       ("Position as of", "{{ as_of }}")]:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(tag)

    document.add_heading("1. Summary", 1)
    document.add_paragraph("{{ headline }} Of the {{ counts.actions }} actions, {{ counts.open }}"
                           " are open and {{ counts.overdue }} overdue; {{ counts.measures_met }}"
                           " of {{ counts.measures }} impact measures met their target.")
    document.add_heading("2. Recommendations to the committee", 1)
    document.add_paragraph("{%p for ask in asks %}")
    document.add_paragraph("{{ ask }}", style="List Number")
    document.add_paragraph("{%p endfor %}")

    document.add_heading("3. Progress by review", 1)
    document.add_paragraph("{%p for review in reviews %}")
    document.add_heading("{{ review.title }} ({{ review.reference }})", 2)
    document.add_paragraph("{{ review.kind|capitalize }}; {{ review.actions|length }} actions,"
                           " {{ review.overdue|length }} overdue.")
    _table(document, ["No.", "Recommendation", "Response", "Status"],
           "for r in review.recommendations",
           ["{{ r.number }}", "{{ r.text }}", "{{ r.response }}", "{{ r.status }}"])
    document.add_paragraph("{%p for a in review.overdue %}")
    document.add_paragraph("{{ a.id }} {{ a.title }} ({{ a.lead_agency }}): due {{ a.target }},"
                           " {{ a.days_overdue }} days overdue. {{ a.latest_update }}",
                           style="List Bullet")
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph("{%p endfor %}")

    document.add_heading("4. Impact measures", 1)
    document.add_paragraph("{%p for m in measures %}")
    document.add_heading("{{ m.name }} ({{ m.action }})", 2)
    document.add_paragraph("Baseline {{ m.baseline }} on {{ m.baseline_on }}; target {{ m.target }}"
                           " by {{ m.target_on }} ({{ m.want }}); latest {{ m.latest }}"
                           " {% if m.latest_on %}on {{ m.latest_on }}{% endif %}. Target met:"
                           " {{ m.met }}.")
    document.add_paragraph("{{ m.chart }}")
    document.add_paragraph("{{ m.caption }}", style="Caption")
    document.add_paragraph("{%p endfor %}")

    document.add_heading("5. Themes across reviews", 1)
    _table(document, ["Theme", "Reviews", "Where"], "for t in themes",
           ["{{ t.theme }}", "{{ t.reviews }}", "{{ t.where }}"])
    document.add_heading("6. Learning activities and their reach", 1)
    _table(document, ["Activity", "Kind", "Held on", "Reach"], "for a in learning",
           ["{{ a.title }}", "{{ a.kind }}", "{{ a.held_on }}", "{{ a.reach }}"])
    document.add_heading("7. Recommendations not accepted or not implemented", 1)
    _table(document, ["Review", "No.", "Recommendation", "Reason"], "for r in not_implemented",
           ["{{ r.review }}", "{{ r.number }}", "{{ r.text }}", "{{ r.reason }}"])

    appendix = document.add_section()
    appendix.orientation = WD_ORIENT.LANDSCAPE
    appendix.page_width, appendix.page_height = Cm(29.7), Cm(21.0)
    document.add_heading("Appendix A: every action", 1)
    _table(document, ["Action", "Title", "Lead agency", "Status", "RAG", "Target"],
           "for a in actions",
           ["{{ a.id }}", "{{ a.title }}", "{{ a.lead_agency }}", "{{ a.status }}", "{{ a.rag }}",
            "{{ a.target }}"])

    properties = document.core_properties
    properties.title = "Committee paper template (actiontrack example)"
    properties.author = "actiontrack"
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_dates(buffer.getvalue())


def _fixed_dates(data: bytes) -> bytes:
    """The same zip with every entry dated 1 January 2027, so a rebuild changes nothing."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=(2027, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


if __name__ == "__main__":
    PACKAGED.parent.mkdir(parents=True, exist_ok=True)
    PACKAGED.write_bytes(build())
    shutil.copy(PACKAGED, COPY)
    print(f"wrote {PACKAGED.relative_to(ROOT)} and {COPY.relative_to(ROOT)}")
