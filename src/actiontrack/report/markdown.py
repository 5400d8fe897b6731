"""The committee progress report as Markdown, ready to paste into a committee paper.

Plain Markdown only (headings, short tables, lists), never HTML; dates read
``31 March 2026``. Text typed by people is escaped so that it always shows
as written: a ``|`` cannot break a table and a ``<`` cannot open a tag.
The same report always gives the same text, byte for byte.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from actiontrack.domain.rag import Rag
from actiontrack.formatting import figure, long_date, plural
from actiontrack.report.content import (
    ActionLine,
    EvidenceLine,
    MeasureLine,
    Report,
    ReviewSection,
    ThemeLine,
    describe,
)

__all__ = ["render_markdown"]

E = TypeVar("E", bound=enum.Enum)

# Characters Markdown could read as formatting, links, tables or HTML, each escaped
# with a backslash (a translation table: a national report escapes millions of texts).
_ESCAPED = str.maketrans({character: "\\" + character for character in "\\`*_[]<>|#~"})


def _text(value: str) -> str:
    """User text on one line, with Markdown's special characters escaped."""
    return " ".join(value.split()).translate(_ESCAPED)


def _sentence(value: str) -> str:
    """User text as a sentence: escaped, with a full stop unless it already ends in one."""
    text = _text(value)
    return text if text.endswith((".", "!", "?")) else text + "."


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A Markdown table; numbers are right-aligned. Text cells must be escaped already."""
    cells = [[str(cell) for cell in row] for row in rows]
    numeric = [bool(cells) and all(row[i].isdigit() for row in cells)
               for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if right else "---" for right in numeric) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return [*lines, ""]


def _counts(counts: Mapping[E, int]) -> str:
    """``in progress 2, completed 1``: the non-zero counts in their listed order."""
    return ", ".join(f"{describe(key)} {n}" for key, n in counts.items() if n) or "none"


_RAG_MEANING = (
    "RAG is derived from each action's status and dates on that day, never typed in:"
    " red is past its current target date and not complete; amber is due within"
    " {days} days, on hold, or moved later than its original target{slipped};"
    " green is on track; blue is complete; grey is superseded by another action."
)


def render_markdown(report: Report) -> str:
    """The whole report as Markdown text, ending with a newline."""
    scope = "" if report.review_id is None else f" for {_text(report.reviews[0].reference)}"
    slipped = "" if report.policy.slipped_is_amber else " (not used here)"
    lines = [
        f"# Progress report{scope}: {_text(report.title)}",
        "",
        f"**As of {long_date(report.as_of)}.** This report shows the action plan as it stood"
        " at the end of that day.",
        _RAG_MEANING.format(days=report.policy.due_soon_days, slipped=slipped),
        "",
        *_summary(report),
    ]
    for section in report.reviews:
        lines += _review(section)
    lines += _themes(report)
    lines += _agencies(report)
    lines += _trend(report)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def _summary(report: Report) -> list[str]:
    recommendations = sum(len(section.recommendations) for section in report.reviews)
    overdue = report.overdue
    lines = [
        "## Summary",
        "",
        f"- {plural(len(report.reviews), 'review')}, {plural(recommendations, 'recommendation')}"
        f" and {plural(len(report.actions), 'action')}, of which {report.open_actions} open.",
        "- Overdue: " + (
            f"{plural(len(overdue), 'action')} ("
            + ", ".join(_text(action.id) for action in overdue) + ")."
            if overdue else "nothing."
        ),
        "",
    ]
    counts = report.by_rag
    lines += _table([describe(colour).capitalize() for colour in counts] + ["Total"],
                    [[*counts.values(), len(report.actions)]])
    return lines


def _review(section: ReviewSection) -> list[str]:
    about = describe(section.kind).capitalize() + f", reference {_text(section.reference)}"
    if section.subject:
        about += f"; subject {_text(section.subject)}"
    lines = [f"## {_text(section.title)}", "", about + ".", "", "### Recommendations", ""]
    if section.recommendations:
        lines += _table(
            ["No.", "Recommendation", "Themes", "Response", "Status"],
            [[_text(line.number), _text(line.text), _text(", ".join(line.themes)),
              describe(line.response)
              + (f": {_text(line.response_reason)}" if line.response_reason else ""),
              describe(line.status)]
             for line in section.recommendations],
        )
    else:
        lines += ["No recommendations yet.", ""]
    lines += ["### Actions", ""]
    if section.actions:
        lines += [
            f"{plural(len(section.actions), 'action')}. By status: {_counts(section.by_status)}."
            f" By RAG: {_counts(section.by_rag)}.",
            "",
            *_table(["Action", "Title", "Lead agency", "Status", "RAG", "Target date"],
                    [[_text(a.id), _text(a.title), _text(a.lead_agency), describe(a.status),
                      describe(a.rag), long_date(a.target_date)] for a in section.actions]),
        ]
    else:
        lines += ["No actions yet.", ""]
    lines += ["### Overdue", ""]
    if section.overdue:
        lines += [line for action in section.overdue for line in _overdue(action)]
        lines.append("")
    else:
        lines += ["Nothing is overdue.", ""]
    return lines + _evidence(section) + _measures(section) + _learning(section)


def _overdue(action: ActionLine) -> list[str]:
    lines = [
        f"- **{_text(action.id)}** {_text(action.title)} ({_text(action.lead_agency)}):"
        f" due {long_date(action.target_date)}, {plural(action.days_overdue or 0, 'day')}"
        f" overdue; originally due {long_date(action.original_target_date)}."
    ]
    for revision in action.target_revisions:
        lines.append(
            f"  - Target moved on {long_date(revision.on)} from {long_date(revision.from_date)}"
            f" to {long_date(revision.to_date)}: {_sentence(revision.reason)}"
        )
    update = action.latest_update
    lines.append(
        f"  - Latest update ({long_date(update.on)}): {_sentence(update.text)}"
        if update else "  - No progress update recorded."
    )
    return lines


def _evidence(section: ReviewSection) -> list[str]:
    lines = ["### Evidence", ""]
    for label, items in (("completion", section.completion_evidence),
                         ("impact", section.impact_evidence)):
        if not items:
            lines.append(f"- Evidence of {label}: none yet.")
            continue
        lines.append(f"- Evidence of {label}: {plural(len(items), 'item')}.")
        lines += [f"  - {_evidence_item(item)}" for item in items]
    return [*lines, ""]


def _evidence_item(item: EvidenceLine) -> str:
    return (f"{_text(item.title)} ({_text(item.action_id)}, {describe(item.kind)},"
            f" about {long_date(item.about_date)})")


def _measures(section: ReviewSection) -> list[str]:
    lines = ["### Impact measures", ""]
    if not section.measures:
        return [*lines, "No impact measures set yet.", ""]
    lines += _table(
        ["Measure", "Action", "Baseline", "Target", "Latest", "Progress", "Target met"],
        [[_text(m.name), _text(m.action_id), _baseline(m), _target(m), _latest(m),
          _progress(m), "yes" if m.met else "no"] for m in section.measures],
    )
    worse = [m for m in section.measures if m.worsened]
    lines += [f"- {_text(m.name)} ({_text(m.action_id)}) is worse than the figure before."
              for m in worse]
    return [*lines, ""] if worse else lines


def _baseline(measure: MeasureLine) -> str:
    return (f"{_text(figure(measure.baseline, measure.unit))}"
            f" on {long_date(measure.baseline_on)}")


def _target(measure: MeasureLine) -> str:
    return (f"{_text(figure(measure.target, measure.unit))} by {long_date(measure.target_on)}"
            f" ({measure.want.value} is better)")


def _latest(measure: MeasureLine) -> str:
    if measure.latest_value is None or measure.latest_on is None:
        return "not measured yet"
    return f"{_text(figure(measure.latest_value, measure.unit))} on {long_date(measure.latest_on)}"


def _progress(measure: MeasureLine) -> str:
    return "" if measure.progress is None else f"{measure.progress:.0%}"


def _learning(section: ReviewSection) -> list[str]:
    lines = ["### Learning", ""]
    if not section.learning:
        return [*lines, "No learning activities linked yet.", ""]
    lines.append(f"{plural(len(section.learning), 'learning activity', 'learning activities')},"
                 f" reaching {plural(section.total_reach, 'person', 'people')} in all.")
    lines.append("")
    for activity in section.learning:
        reach = "reach not recorded" if activity.reach is None else plural(
            activity.reach, "person", "people")
        lines.append(f"- {_text(activity.title)} ({describe(activity.kind)},"
                     f" {long_date(activity.held_on)}): {reach}.")
    return [*lines, ""]


def _themes(report: Report) -> list[str]:
    lines = ["## Themes across reviews", ""]
    if not report.themes:
        return [*lines, "No themes recorded.", ""]
    lines += ["A theme recurs when more than one review carries it.", "",
              "### Recurring themes", ""]
    if report.recurring_themes:
        lines += ["Most recurrent first.", ""]
        lines += _table(["Theme", "Reviews", "Recommendations", "Where (recommendation no.)"],
                        [[_text(theme.theme), theme.review_count, theme.recommendation_count,
                          _where(theme)] for theme in report.recurring_themes])
    else:
        lines += ["None yet: each theme is carried by one review only.", ""]
    if report.single_review_themes:
        lines += ["### Themes of one review only", ""]
        lines += _table(["Theme", "Recommendations", "Where (recommendation no.)"],
                        [[_text(theme.theme), theme.recommendation_count, _where(theme)]
                         for theme in report.single_review_themes])
    return lines


def _where(theme: ThemeLine) -> str:
    """``CSPR-ALEX (2); CSPR-CHARLIE (1, 4)``: each review carrying the theme, with the numbers."""
    where: dict[str, list[str]] = {}
    for carrier in theme.carriers:
        where.setdefault(carrier.review_reference, []).append(_text(carrier.number))
    return "; ".join(f"{_text(reference)} ({', '.join(numbers)})"
                     for reference, numbers in where.items())


def _agencies(report: Report) -> list[str]:
    lines = ["## Agencies", ""]
    if not report.agencies:
        return [*lines, "No actions yet.", ""]
    rows = []
    for position in report.agencies:
        counts = position.by_rag
        rows.append([_text(position.name), len(position.actions),
                     sum(1 for action in position.actions if action.is_open),
                     *counts.values()])
    header = ["Agency", "Actions", "Open", *(describe(c).capitalize() for c in Rag)]
    lines += _table(header, rows)
    renamed = [position for position in report.agencies if position.former_names]
    for position in renamed:
        lines.append(f"{_text(position.name)} was formerly "
                     + " and ".join(_text(name) for name in position.former_names) + ".")
    return [*lines, ""] if renamed else lines


def _trend(report: Report) -> list[str]:
    lines = [
        "## Open actions over the last 12 months",
        "",
        "How many actions were open (not yet complete) at the end of each month,"
        " rebuilt from the plan's history; the last row is the report's date.",
        "",
    ]
    return lines + _table(["At the end of", "Open actions"],
                          [[long_date(point.on), point.open_actions] for point in report.trend])
