"""Personal data in a report: what people typed that looks like a name's details.

The report carries what owners typed (titles, progress updates, reasons).
:func:`personal_data_in` runs the check the audit's ``personal-data`` rule
and the chase's guard use (:mod:`actiontrack.personal_data`) over every
piece of typed text the report shows, in every form (Markdown, workbook,
paper, PDF), and says where each finding is, masked, never the data itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from actiontrack.personal_data import find_personal_data
from actiontrack.report.content import Report

__all__ = ["PersonalDataFinding", "personal_data_in"]


@attrs.frozen(kw_only=True)
class PersonalDataFinding:
    """Something that looks like personal data: in which record and field, what kind, masked."""

    record_id: str
    field: str
    kind: str
    hint: str

    def __str__(self) -> str:
        return f"{self.record_id} {self.field}: {self.kind} ({self.hint})"


def personal_data_in(report: Report) -> tuple[PersonalDataFinding, ...]:
    """Every place in ``report``'s typed text that looks like personal data, each once."""
    found: dict[tuple[str, str, str, str], None] = {}
    for record_id, field, text in _texts(report):
        for kind, hint in find_personal_data(text):
            found[record_id, field, kind, hint] = None
    return tuple(PersonalDataFinding(record_id=r, field=f, kind=k, hint=h)
                 for r, f, k, h in found)


def _texts(report: Report) -> Iterator[tuple[str, str, str]]:
    for section in report.reviews:
        yield section.id, "title", section.title
        if section.subject:
            yield section.id, "subject", section.subject
        for line in section.recommendations:
            yield line.id, "text", line.text
            if line.response_reason:
                yield line.id, "response reason", line.response_reason
            for reason in line.hold_reasons:
                yield line.id, "hold reason of an action", reason
        for item in (*section.completion_evidence, *section.impact_evidence):
            yield item.id, "title", item.title
        for activity in section.learning:
            yield activity.id, "title", activity.title
        for measure in section.measures:
            yield measure.id, "name", measure.name
            if measure.source:
                yield measure.id, "source", measure.source
    for action in report.actions:
        yield action.id, "title", action.title
        for revision in action.target_revisions:
            yield action.id, "target move reason", revision.reason
        if action.latest_update is not None:
            yield action.latest_update.id, "text", action.latest_update.text
    for theme in report.themes:
        yield theme.theme, "theme", theme.theme
