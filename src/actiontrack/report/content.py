"""The committee progress report as data, worked out from a plan; no I/O.

:func:`build_report` turns a plan (already the plan as of the report's day)
and the open actions at each month end into a :class:`Report`: per review, its
recommendations, its actions by status and RAG, what is overdue and why,
its evidence and learning; across reviews, the themes that recur, each
agency's position, and the open actions at each of the last 12 month ends.
The Markdown and Excel writers only lay this out.

Order is deterministic: records are sorted by id, with runs of digits
compared as numbers so that ``R2`` comes before ``R10``.
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import attrs

from actiontrack.domain.clocks import add_months
from actiontrack.domain.impact import Reading, readings
from actiontrack.domain.lifecycle import OPEN_STATUSES
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    EvidenceKind,
    EvidenceTier,
    LearningActivityKind,
    ProgressUpdate,
    Response,
    ReviewKind,
    TargetRevision,
    Want,
)
from actiontrack.domain.plan import Plan
from actiontrack.domain.rag import Rag, RagPolicy, RecommendationStatus, rag, recommendation_status
from actiontrack.errors import NotFoundError
from actiontrack.formatting import long_date, plural, reading_summary

__all__ = [
    "TREND_MONTHS",
    "ActionLine",
    "AgencyPosition",
    "EvidenceLine",
    "LearningLine",
    "MeasureLine",
    "MeasurePoint",
    "PaperDetails",
    "RecommendationLine",
    "Report",
    "ReviewSection",
    "ThemeCarrier",
    "ThemeLine",
    "TrendPoint",
    "build_report",
    "count_by_rag",
    "count_by_status",
    "describe",
    "headline",
    "recommendations_to_committee",
    "sort_key",
    "trend_days",
]

#: How many month ends the open-actions trend covers, the last one being the report's day.
TREND_MONTHS = 12

_DIGITS = re.compile(r"(\d+)")


def sort_key(record_id: str) -> tuple[str | int, ...]:
    """Sort ids by their text, comparing runs of digits as numbers (``R2`` before ``R10``)."""
    # re.split puts text at even positions and digits at odd ones, so parts always
    # compare text with text and number with number.
    parts: list[str | int] = list(_DIGITS.split(record_id))
    parts[1::2] = map(int, parts[1::2])
    return tuple(parts)


class _SortKeys(dict[str, tuple[str | int, ...]]):
    """:func:`sort_key` of each id asked for, worked out once: a report sorts ids many times."""

    def __missing__(self, record_id: str) -> tuple[str | int, ...]:
        key = self[record_id] = sort_key(record_id)
        return key


_WORDS: dict[enum.Enum, str] = {
    ReviewKind.RAPID_REVIEW: "rapid review",
    ReviewKind.LCSPR: "local child safeguarding practice review",
    ReviewKind.LOCAL_THEMATIC: "local thematic review",
    ReviewKind.NATIONAL: "national review",
    ReviewKind.SAR: "safeguarding adults review",
    ReviewKind.DHR: "domestic homicide review",
    ReviewKind.MULTI_AGENCY_AUDIT: "multi-agency audit",
    ReviewKind.NATIONAL_REPORT: "national report adopted locally",
    Response.PENDING: "awaiting a response",
    RecommendationStatus.NO_ACTIONS: "no actions yet",
}
# Keyed by class too: members of different StrEnums with the same value are equal.
_WORDS_BY_CLASS = {(type(member), member.value): words for member, words in _WORDS.items()}


def describe(value: enum.Enum) -> str:
    """The words the report uses for an enumeration value (``"in progress"``)."""
    words = _WORDS_BY_CLASS.get((type(value), value.value))
    return words or str(value.value).replace("_", " ")


def count_by_status(actions: Iterable[ActionLine]) -> dict[ActionStatus, int]:
    """How many actions are in each status, every status listed in lifecycle order."""
    counts = dict.fromkeys(ActionStatus, 0)
    for action in actions:
        counts[action.status] += 1
    return counts


def count_by_rag(actions: Iterable[ActionLine]) -> dict[Rag, int]:
    """How many actions have each RAG, every colour listed (red, amber, green, blue, grey)."""
    counts = dict.fromkeys(Rag, 0)
    for action in actions:
        counts[action.rag] += 1
    return counts


@attrs.frozen(kw_only=True)
class ActionLine:
    """One action as the report shows it on the day.

    ``days_overdue`` is set only for a red action: how many days it is past
    its current target. ``latest_update`` is its most recent progress update.
    """

    id: str
    title: str
    review_ids: tuple[str, ...]
    review_references: tuple[str, ...]
    lead_agency_id: str
    lead_agency: str  # the agency's current name
    status: ActionStatus
    rag: Rag
    original_target_date: date
    target_date: date
    days_overdue: int | None
    target_revisions: tuple[TargetRevision, ...]
    latest_update: ProgressUpdate | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class _ActionCounts:
    """What a group of action lines adds up to; for classes with an ``actions`` field."""

    actions: tuple[ActionLine, ...]

    @property
    def by_status(self) -> dict[ActionStatus, int]:
        return count_by_status(self.actions)

    @property
    def by_rag(self) -> dict[Rag, int]:
        return count_by_rag(self.actions)

    @property
    def overdue(self) -> tuple[ActionLine, ...]:
        """The actions past their current target and not complete, by id."""
        return tuple(action for action in self.actions if action.days_overdue is not None)


@attrs.frozen(kw_only=True)
class RecommendationLine:
    """A recommendation, the partnership's response and its derived status."""

    id: str
    number: str
    text: str
    themes: tuple[str, ...]
    response: Response
    response_reason: str | None
    status: RecommendationStatus
    action_ids: tuple[str, ...]
    repeats: tuple[str, ...]
    #: Whether any of its actions has got under way (in progress, or further).
    progressed: bool = False
    #: Why its actions on hold are held, as their owners gave it.
    hold_reasons: tuple[str, ...] = ()

    @property
    def implemented(self) -> bool:
        """Every action is complete (completed, assured or embedded)."""
        return self.status in _IMPLEMENTED

    @property
    def not_progressed(self) -> bool:
        """Accepted (or awaiting a response) but nothing under way: no action has started."""
        return self.status in _NOT_STARTED or (
            self.status == RecommendationStatus.OPEN and not self.progressed)

    @property
    def not_implemented_reason(self) -> str | None:
        """Why it is not (fully) being implemented, for the Care Act's question; else None.

        Not accepted or partly accepted: the partnership's reason. Accepted
        but stalled (no action under way, or actions on hold): the hold
        reasons, or what is missing.
        """
        if self.response in (Response.NOT_ACCEPTED, Response.PARTLY_ACCEPTED):
            return self.response_reason or "No reason recorded."
        if self.implemented:
            return None
        if self.hold_reasons:
            return "On hold: " + "; ".join(self.hold_reasons)
        if self.status == RecommendationStatus.NO_ACTIONS:
            return "No action planned yet."
        if self.status == RecommendationStatus.AWAITING_RESPONSE:
            return None  # not decided yet, so not "not implemented"
        return None


_IMPLEMENTED = frozenset({RecommendationStatus.COMPLETED, RecommendationStatus.ASSURED,
                          RecommendationStatus.EMBEDDED})
_NOT_STARTED = frozenset({RecommendationStatus.NO_ACTIONS,
                          RecommendationStatus.AWAITING_RESPONSE})
_UNDER_WAY = frozenset({ActionStatus.IN_PROGRESS, ActionStatus.COMPLETED, ActionStatus.ASSURED,
                        ActionStatus.EMBEDDED, ActionStatus.REOPENED})


@attrs.frozen(kw_only=True)
class MeasurePoint:
    """One figure of a measure: its value on the day it was taken."""

    on: date
    value: float


@attrs.frozen(kw_only=True)
class MeasureLine:
    """An impact measure as the report shows it: baseline, target, its figures and what they say.

    ``latest_value`` and ``latest_on`` are ``None`` before any figure;
    ``progress`` is the fraction of the way from baseline (0) to target (1),
    ``None`` before any figure (see :class:`~actiontrack.domain.impact.Reading`).
    ``summary`` is the one line ``show`` gives.
    """

    id: str
    action_id: str
    action_title: str
    name: str
    unit: str
    baseline: float
    baseline_on: date
    target: float
    target_on: date
    want: Want
    source: str | None
    figures: tuple[MeasurePoint, ...]
    progress: float | None
    met: bool
    worsened: bool
    summary: str

    @property
    def latest_value(self) -> float | None:
        return self.figures[-1].value if self.figures else None

    @property
    def latest_on(self) -> date | None:
        return self.figures[-1].on if self.figures else None


@attrs.frozen(kw_only=True)
class EvidenceLine:
    id: str
    action_id: str
    tier: EvidenceTier
    kind: EvidenceKind
    title: str
    about_date: date


@attrs.frozen(kw_only=True)
class LearningLine:
    """A learning activity; ``reach`` is ``None`` when nobody counted."""

    id: str
    kind: LearningActivityKind
    title: str
    held_on: date
    reach: int | None


@attrs.frozen(kw_only=True)
class ReviewSection(_ActionCounts):
    """One review: its recommendations, actions, overdue work, evidence and learning."""

    id: str
    reference: str
    kind: ReviewKind
    title: str
    subject: str | None
    recommendations: tuple[RecommendationLine, ...]
    actions: tuple[ActionLine, ...]
    completion_evidence: tuple[EvidenceLine, ...]
    impact_evidence: tuple[EvidenceLine, ...]
    learning: tuple[LearningLine, ...]
    measures: tuple[MeasureLine, ...] = ()

    @property
    def total_reach(self) -> int:
        """People reached by the learning activities, counting only those with a reach."""
        return sum(activity.reach or 0 for activity in self.learning)


@attrs.frozen(kw_only=True)
class ThemeCarrier:
    """A recommendation that carries a theme, and its review."""

    review_id: str
    review_reference: str
    recommendation_id: str
    number: str


@attrs.frozen(kw_only=True)
class ThemeLine:
    """A theme and every recommendation in the plan that carries it."""

    theme: str
    carriers: tuple[ThemeCarrier, ...]

    @property
    def review_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(carrier.review_id for carrier in self.carriers))

    @property
    def review_count(self) -> int:
        return len(self.review_ids)

    @property
    def recommendation_count(self) -> int:
        return len(self.carriers)

    @property
    def recurs(self) -> bool:
        """Whether the theme came back: more than one review carries it."""
        return self.review_count > 1


@attrs.frozen(kw_only=True)
class AgencyPosition(_ActionCounts):
    """The actions one agency leads, under its current name."""

    agency_id: str
    name: str
    former_names: tuple[str, ...]
    actions: tuple[ActionLine, ...]


@attrs.frozen(kw_only=True)
class TrendPoint:
    """How many actions were open at the end of ``on`` (a month end, or the report's day)."""

    on: date
    open_actions: int


@attrs.frozen(kw_only=True)
class Report(_ActionCounts):
    """The content of a committee progress report on ``as_of``.

    With ``review_id`` set, the report covers that review alone: its
    actions, the agencies that lead them, its themes (with every review in
    the plan that carries them) and its own trend.
    """

    title: str
    as_of: date
    policy: RagPolicy
    review_id: str | None
    reviews: tuple[ReviewSection, ...]
    actions: tuple[ActionLine, ...]
    themes: tuple[ThemeLine, ...]
    agencies: tuple[AgencyPosition, ...]
    trend: tuple[TrendPoint, ...]

    @property
    def open_actions(self) -> int:
        return sum(1 for action in self.actions if action.is_open)

    @property
    def recommendations(self) -> tuple[RecommendationLine, ...]:
        """Every recommendation of the reviews reported on, review by review."""
        return tuple(line for section in self.reviews for line in section.recommendations)

    @property
    def measures(self) -> tuple[MeasureLine, ...]:
        """The impact measures of the actions reported on, by id, each once."""
        found = {m.id: m for section in self.reviews for m in section.measures}
        return tuple(found[mid] for mid in sorted(found, key=sort_key))

    @property
    def learning(self) -> tuple[LearningLine, ...]:
        """The learning activities linked to the reviews reported on, by id, each once."""
        found = {a.id: a for section in self.reviews for a in section.learning}
        return tuple(found[aid] for aid in sorted(found, key=sort_key))

    @property
    def not_implemented(self) -> tuple[tuple[ReviewSection, RecommendationLine], ...]:
        """The recommendations not accepted, partly accepted or stalled, each with its review."""
        return tuple((section, line) for section in self.reviews
                     for line in section.recommendations
                     if line.not_implemented_reason is not None)

    @property
    def recurring_themes(self) -> tuple[ThemeLine, ...]:
        """The themes that recur (more than one review carries them), most recurrent first."""
        return tuple(theme for theme in self.themes if theme.recurs)

    @property
    def single_review_themes(self) -> tuple[ThemeLine, ...]:
        """The themes only one review carries, those of most recommendations first."""
        return tuple(theme for theme in self.themes if not theme.recurs)


def build_report(
    plan: Plan,
    *,
    as_of: date,
    trend: Sequence[TrendPoint],
    review_id: str | None = None,
    policy: RagPolicy = RagPolicy(),  # noqa: B008  (frozen: one shared default is safe)
) -> Report:
    """Work out the report's content from ``plan`` as it stood on ``as_of``.

    ``trend`` is the open actions at each month end (what
    :func:`~actiontrack.report.reading.open_actions_trend` reads from a
    store); the report shows it as given. Raises
    :class:`~actiontrack.errors.NotFoundError` (a ``LookupError``) when
    ``review_id`` names no review in the plan.
    """
    if review_id is not None and review_id not in plan.reviews:
        raise NotFoundError("review", review_id)
    keys = _SortKeys()
    review_ids = ([review_id] if review_id is not None
                  else sorted(plan.reviews, key=keys.__getitem__))
    lines = {
        action.id: _action_line(plan, action, as_of, policy) for action in plan.actions.values()
    }
    parts = _ActionParts(plan, lines, keys)
    sections = tuple(_review_section(plan, rid, parts) for rid in review_ids)
    if review_id is None:
        in_scope = [lines[aid] for aid in sorted(lines, key=keys.__getitem__)]
    else:
        in_scope = list(sections[0].actions)
    partnership_ids = sorted({plan.reviews[rid].partnership_id for rid in review_ids}
                             or set(plan.partnerships))
    names = [plan.partnerships[pid].name if pid in plan.partnerships else pid
             for pid in partnership_ids]
    return Report(
        title=" and ".join(names) or "Action plan",
        as_of=as_of,
        policy=policy,
        review_id=review_id,
        reviews=sections,
        actions=tuple(in_scope),
        themes=_themes(plan, sections, keys),
        agencies=_agencies(plan, in_scope, keys),
        trend=tuple(trend),
    )


def _action_line(plan: Plan, action: Action, as_of: date, policy: RagPolicy) -> ActionLine:
    colour = rag(action, as_of, policy)
    reviews = plan.reviews_of(action)
    agency = plan.agencies.get(action.lead_agency_id)
    updates = plan.updates_for(action.id)
    return ActionLine(
        id=action.id,
        title=action.title,
        review_ids=tuple(review.id for review in reviews),
        review_references=tuple(review.reference for review in reviews),
        lead_agency_id=action.lead_agency_id,
        lead_agency=agency.name if agency else action.lead_agency_id,
        status=action.status,
        rag=colour,
        original_target_date=action.original_target_date,
        target_date=action.target_date,
        days_overdue=(as_of - action.target_date).days if colour == Rag.RED else None,
        target_revisions=action.target_revisions,
        latest_update=updates[-1] if updates else None,
    )


class _ActionParts:
    """An action's evidence and measure lines, worked out once however many reviews it answers."""

    def __init__(self, plan: Plan, lines: Mapping[str, ActionLine], keys: _SortKeys) -> None:
        self._plan = plan
        self.lines = lines
        self.keys = keys
        self._evidence: dict[str, list[EvidenceLine]] = {}
        self._measures: dict[str, list[MeasureLine]] = {}

    def evidence(self, action_id: str) -> list[EvidenceLine]:
        """The action's evidence, by id."""
        found = self._evidence.get(action_id)
        if found is None:
            items = sorted(self._plan.evidence_for(action_id), key=lambda e: self.keys[e.id])
            found = self._evidence[action_id] = [
                EvidenceLine(id=item.id, action_id=item.action_id, tier=item.tier,
                             kind=item.kind, title=item.title, about_date=item.about_date)
                for item in items
            ]
        return found

    def measures(self, action_id: str) -> list[MeasureLine]:
        """The action's impact measures, in id order."""
        found = self._measures.get(action_id)
        if found is None:
            title = self.lines[action_id].title
            found = self._measures[action_id] = [
                _measure_line(reading, title) for reading in readings(self._plan, action_id)
            ]
        return found


def _review_section(plan: Plan, review_id: str, parts: _ActionParts) -> ReviewSection:
    review = plan.reviews[review_id]
    keys = parts.keys
    recommendations = sorted(plan.recommendations_for(review_id), key=lambda r: keys[r.id])
    action_ids: set[str] = set()
    learning_ids: set[str] = set()
    recommendation_lines = []
    for recommendation in recommendations:
        actions = sorted(plan.actions_for(recommendation.id), key=lambda a: keys[a.id])
        action_ids.update(action.id for action in actions)
        learning_ids.update(activity.id for activity in plan.learning_for(recommendation.id))
        recommendation_lines.append(RecommendationLine(
            id=recommendation.id,
            number=recommendation.number,
            text=recommendation.text,
            themes=recommendation.themes,
            response=recommendation.response,
            response_reason=recommendation.response_reason,
            status=recommendation_status(recommendation, actions),
            action_ids=tuple(action.id for action in actions),
            repeats=recommendation.repeats,
            progressed=any(action.status in _UNDER_WAY for action in actions),
            hold_reasons=tuple(dict.fromkeys(
                action.hold_reason for action in actions
                if action.status == ActionStatus.ON_HOLD and action.hold_reason)),
        ))
    ordered_actions = sorted(action_ids, key=keys.__getitem__)
    evidence = [line for action_id in ordered_actions for line in parts.evidence(action_id)]
    learning = [plan.learning_activities[lid] for lid in sorted(learning_ids, key=keys.__getitem__)]
    return ReviewSection(
        id=review.id,
        reference=review.reference,
        kind=review.kind,
        title=review.title,
        subject=review.subject,
        recommendations=tuple(recommendation_lines),
        actions=tuple(parts.lines[aid] for aid in ordered_actions),
        completion_evidence=tuple(e for e in evidence if e.tier == EvidenceTier.COMPLETION),
        impact_evidence=tuple(e for e in evidence if e.tier == EvidenceTier.IMPACT),
        learning=tuple(
            LearningLine(id=a.id, kind=a.kind, title=a.title, held_on=a.held_on, reach=a.reach)
            for a in learning
        ),
        measures=tuple(line for aid in ordered_actions for line in parts.measures(aid)),
    )


def _measure_line(reading: Reading, action_title: str) -> MeasureLine:
    measure = reading.measure
    return MeasureLine(
        id=measure.id,
        action_id=measure.action_id,
        action_title=action_title,
        name=measure.name,
        unit=measure.unit,
        baseline=measure.baseline,
        baseline_on=measure.baseline_on,
        target=measure.target,
        target_on=measure.target_on,
        want=measure.want,
        source=measure.source,
        figures=tuple(MeasurePoint(on=m.on, value=m.value) for m in reading.figures),
        progress=reading.progress,
        met=reading.met,
        worsened=reading.worsened,
        summary=reading_summary(reading),
    )


def _themes(plan: Plan, sections: Sequence[ReviewSection],
            keys: _SortKeys) -> tuple[ThemeLine, ...]:
    """The themes of the reviews reported on, each with every carrier in the plan.

    Most recurrent first: by how many reviews carry it, then how many
    recommendations, then by name.
    """
    wanted = {theme for section in sections for line in section.recommendations
              for theme in line.themes}
    carriers: dict[str, list[ThemeCarrier]] = {theme: [] for theme in wanted}
    for recommendation in sorted(plan.recommendations.values(), key=lambda r: keys[r.id]):
        review = plan.reviews.get(recommendation.review_id)
        for theme in dict.fromkeys(recommendation.themes):
            if theme in carriers:
                carriers[theme].append(ThemeCarrier(
                    review_id=recommendation.review_id,
                    review_reference=review.reference if review else recommendation.review_id,
                    recommendation_id=recommendation.id,
                    number=recommendation.number,
                ))
    themes = [ThemeLine(theme=theme, carriers=tuple(found)) for theme, found in carriers.items()]
    themes.sort(key=lambda t: (-t.review_count, -t.recommendation_count, t.theme))
    return tuple(themes)


def _agencies(plan: Plan, actions: Sequence[ActionLine],
              keys: _SortKeys) -> tuple[AgencyPosition, ...]:
    """Each agency that leads an action in the report, by agency id."""
    led: dict[str, list[ActionLine]] = {}
    for action in actions:
        led.setdefault(action.lead_agency_id, []).append(action)
    positions = []
    for agency_id in sorted(led, key=keys.__getitem__):
        agency = plan.agencies.get(agency_id)
        positions.append(AgencyPosition(
            agency_id=agency_id,
            name=agency.name if agency else agency_id,
            former_names=agency.former_names if agency else (),
            actions=tuple(led[agency_id]),
        ))
    return tuple(positions)


def trend_days(as_of: date, months: int = TREND_MONTHS) -> tuple[date, ...]:
    """The last day of each of the ``months`` months up to ``as_of``; the last is ``as_of``.

    Fewer when the calendar begins sooner: the trend never goes before January of year 1.
    """
    first_of_month = as_of.replace(day=1)
    months_in_calendar = (as_of.year - date.min.year) * 12 + as_of.month
    days = []
    for back in range(min(months, months_in_calendar) - 1, -1, -1):
        month = add_months(first_of_month, -back)
        end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        days.append(min(end, as_of))
    return tuple(days)


@attrs.frozen(kw_only=True)
class PaperDetails:
    """What the committee paper says about itself: its title, meeting and author.

    From the ``[paper]`` table of the configuration and the command's
    ``--meeting-date``; ``None`` shows as "to be confirmed" or a general
    wording, never as today.
    """

    title: str = "Progress on the actions from safeguarding case reviews"
    meeting: str | None = None
    meeting_date: date | None = None
    author: str | None = None


def headline(report: Report) -> str:
    """The paper's first sentence: ``Of the 12 recommendations, 3 are implemented and ...``."""
    lines = report.recommendations
    implemented = sum(1 for line in lines if line.implemented)
    stalled = sum(1 for line in lines if line.not_progressed)
    not_accepted = sum(1 for line in lines if line.response == Response.NOT_ACCEPTED)
    if not lines:
        return "There are no recommendations in the plan yet."
    text = (f"Of the {plural(len(lines), 'recommendation')}, {implemented}"
            f" {'is' if implemented == 1 else 'are'} implemented and {stalled}"
            f" {'has' if stalled == 1 else 'have'} not progressed")
    if not_accepted:
        text += f"; {not_accepted} {'was' if not_accepted == 1 else 'were'} not accepted"
    return text + "."


def recommendations_to_committee(report: Report) -> tuple[str, ...]:
    """What the committee is asked to do, one line each, from what the report found."""
    asks = [f"The committee is asked to note the progress made on the actions from"
            f" {plural(len(report.reviews), 'case review')} as of {long_date(report.as_of)}."]
    if report.overdue:
        asks.append(f"The committee is asked to note the {plural(len(report.overdue), 'action')}"
                    " past their target date, and the reasons given, and to seek assurance"
                    " from the lead agencies that they will be completed.")
    measures = report.measures
    if measures:
        met = sum(1 for m in measures if m.met)
        asks.append(f"The committee is asked to note the evidence of impact: {met} of the"
                    f" {plural(len(measures), 'impact measure')} met"
                    f" {'its' if len(measures) == 1 else 'their'} target.")
    else:
        asks.append("The committee is asked to note that no action has an impact measure yet,"
                    " so there is no figure to show the change in practice.")
    if report.not_implemented:
        asks.append(f"The committee is asked to consider the"
                    f" {plural(len(report.not_implemented), 'recommendation')} not accepted or"
                    " not being implemented, and the reasons given.")
    if report.recurring_themes:
        asks.append("The committee is asked to note the themes that recur across reviews.")
    return tuple(asks)
