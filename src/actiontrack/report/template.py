"""The committee paper in the partnership's own Word template, filled by docxtpl.

A template is an ordinary .docx holding Jinja tags (``{{ partnership }}``,
``{%tr for action in actions %}``...); :func:`template_context` gives the
variables it may use, every one already worded for the page (dates read
``26 November 2026``), so a template needs no filters. docs/report.md lists
them in a table. :data:`EXAMPLE_TEMPLATE` is a template that uses most of
them, shipped with the package to copy and adapt.

Text is escaped for XML by docxtpl (autoescape), so what people typed is
shown as written.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage  # type: ignore[import-untyped]
from jinja2 import TemplateError

from actiontrack.errors import ActiontrackError
from actiontrack.formatting import figure, long_date
from actiontrack.report.charts import measure_chart_caption
from actiontrack.report.content import (
    ActionLine,
    MeasureLine,
    PaperDetails,
    Report,
    describe,
    headline,
    recommendations_to_committee,
)
from actiontrack.report.paper import chart_images, normalise_docx

__all__ = ["EXAMPLE_TEMPLATE", "TemplateFillError", "fill_template", "template_context"]

#: The example template shipped with the package (docs/examples/ has a copy).
EXAMPLE_TEMPLATE = Path(__file__).parent / "templates" / "committee-paper-template.docx"
_CHART_WIDTH = Mm(155)


class TemplateFillError(ActiontrackError, ValueError):
    """The template could not be filled: not a Word file, or a tag it cannot read."""


def fill_template(report: Report, details: PaperDetails, template: Path) -> bytes:
    """The paper as the bytes of a .docx: ``template`` filled with :func:`template_context`.

    Raises :class:`TemplateFillError` naming the template when it is not a
    Word file or its tags are wrong (an unknown variable shows as empty).
    """
    try:
        document = DocxTemplate(template)
        charts = chart_images(report)

        def picture(png: bytes) -> InlineImage:
            return InlineImage(document, io.BytesIO(png), width=_CHART_WIDTH)

        document.render(template_context(report, details, charts, picture), autoescape=True)
    except TemplateError as exc:
        number = getattr(exc, "lineno", None)
        line = f" (line {number})" if number else ""
        raise TemplateFillError(f"{template}: cannot fill the template{line}: {exc}") from None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        # python-docx raises these for a file that is not a Word document.
        raise TemplateFillError(f"{template}: not a Word (.docx) template ({exc})") from None
    moment = datetime.combine(report.as_of, time(), tzinfo=UTC)
    properties = document.docx.core_properties
    properties.created = properties.modified = properties.last_printed = moment
    properties.revision = 1
    properties.title = details.title
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_docx(buffer.getvalue(), report.as_of)


def template_context(report: Report, details: PaperDetails, charts: dict[str, bytes],
                     picture: Any = None) -> dict[str, Any]:
    """The variables a template may use; ``picture(png)`` makes a chart an InlineImage.

    Without ``picture``, each measure's ``chart`` is ``None``.
    """
    recommendations = report.recommendations
    return {
        "partnership": report.title,
        "title": details.title,
        "meeting": details.meeting or "",
        "meeting_date": long_date(details.meeting_date) if details.meeting_date else "",
        "author": details.author or "",
        "as_of": long_date(report.as_of),
        "headline": headline(report),
        "asks": list(recommendations_to_committee(report)),
        "counts": {
            "reviews": len(report.reviews),
            "recommendations": len(recommendations),
            "implemented": sum(1 for line in recommendations if line.implemented),
            "not_progressed": sum(1 for line in recommendations if line.not_progressed),
            "actions": len(report.actions),
            "open": report.open_actions,
            "overdue": len(report.overdue),
            **{colour.value: n for colour, n in report.by_rag.items()},
            "measures": len(report.measures),
            "measures_met": sum(1 for m in report.measures if m.met),
        },
        "reviews": [
            {
                "reference": s.reference,
                "title": s.title,
                "kind": describe(s.kind),
                "subject": s.subject or "",
                "recommendations": [
                    {"number": line.number, "text": line.text,
                     "response": describe(line.response), "status": describe(line.status),
                     "reason": line.not_implemented_reason or ""}
                    for line in s.recommendations],
                "actions": [_action(a) for a in s.actions],
                "overdue": [_action(a) for a in s.overdue],
                "completion_evidence": [_evidence(e) for e in s.completion_evidence],
                "impact_evidence": [_evidence(e) for e in s.impact_evidence],
                "measures": [_measure(m, charts, picture) for m in s.measures],
            }
            for s in report.reviews
        ],
        "measures": [_measure(m, charts, picture) for m in report.measures],
        "themes": [
            {"theme": t.theme, "reviews": t.review_count,
             "recommendations": t.recommendation_count, "recurs": t.recurs,
             "where": "; ".join(dict.fromkeys(c.review_reference for c in t.carriers))}
            for t in report.themes],
        "learning": [
            {"title": a.title, "kind": describe(a.kind), "held_on": long_date(a.held_on),
             "reach": "not recorded" if a.reach is None else str(a.reach)}
            for a in report.learning],
        "not_implemented": [
            {"review": s.reference, "number": line.number, "text": line.text,
             "response": describe(line.response), "status": describe(line.status),
             "reason": line.not_implemented_reason or ""}
            for s, line in report.not_implemented],
        "actions": [_action(a) for a in report.actions],
    }


def _action(action: ActionLine) -> dict[str, Any]:
    update = action.latest_update
    return {
        "id": action.id,
        "title": action.title,
        "reviews": ", ".join(action.review_references),
        "lead_agency": action.lead_agency,
        "status": describe(action.status),
        "rag": describe(action.rag),
        "original_target": long_date(action.original_target_date),
        "target": long_date(action.target_date),
        "days_overdue": "" if action.days_overdue is None else str(action.days_overdue),
        "moves": [f"{long_date(r.on)}: {long_date(r.from_date)} to {long_date(r.to_date)},"
                  f" {r.reason}" for r in action.target_revisions],
        "latest_update": f"{long_date(update.on)}: {update.text}" if update else "",
    }


def _evidence(item: Any) -> dict[str, str]:
    return {"title": item.title, "action": item.action_id, "kind": describe(item.kind),
            "about": long_date(item.about_date)}


def _measure(measure: MeasureLine, charts: dict[str, bytes], picture: Any) -> dict[str, Any]:
    png = charts.get(measure.id)
    latest = measure.latest_value
    return {
        "id": measure.id,
        "action": measure.action_id,
        "action_title": measure.action_title,
        "name": measure.name,
        "unit": measure.unit,
        "baseline": figure(measure.baseline, measure.unit),
        "baseline_on": long_date(measure.baseline_on),
        "target": figure(measure.target, measure.unit),
        "target_on": long_date(measure.target_on),
        "want": f"{measure.want.value} is better",
        "latest": "" if latest is None else figure(latest, measure.unit),
        "latest_on": "" if measure.latest_on is None else long_date(measure.latest_on),
        "progress": "" if measure.progress is None else f"{measure.progress:.0%}",
        "met": "yes" if measure.met else "no",
        "worsened": "yes" if measure.worsened else "no",
        "summary": measure.summary,
        "caption": measure_chart_caption(measure),
        "chart": picture(png) if picture is not None and png is not None else None,
    }
