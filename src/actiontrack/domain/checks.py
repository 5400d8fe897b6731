"""What every record of each kind must satisfy, whether it is new or corrected.

:func:`check_record` is the one place these rules live: adding a record
(:mod:`actiontrack.domain.additions`) and correcting one
(:mod:`actiontrack.domain.edits`) both call it, so a value refused when a
record is added is refused when it is edited, with the same rule id.

Each check takes the plan as it stands (to see that links lead somewhere)
and ``today``, the day of the change (dates of things that happened cannot
be later). A broken rule raises :class:`~actiontrack.errors.RuleViolation`;
a link to a record that does not exist raises
:class:`~actiontrack.errors.NotFoundError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable
from datetime import date
from typing import Any

from actiontrack.domain.agencies import name_key
from actiontrack.domain.impact import better
from actiontrack.domain.models import (
    Action,
    Agency,
    AssuranceDecision,
    Chase,
    Evidence,
    LearningActivity,
    Measure,
    Measurement,
    Partnership,
    ProgressUpdate,
    Recommendation,
    Response,
    Review,
    Want,
)
from actiontrack.domain.plan import Plan, Record
from actiontrack.errors import NotFoundError, RuleViolation

__all__ = ["check_record", "clean_list", "normalise_themes"]

#: An address a reminder can go to: something@somewhere.tld, one address (no spaces,
#: commas, semicolons, brackets or quotes).
_EMAIL = re.compile(r"[^@\s,;<>\"()]+@[^@\s,;<>\"()]+\.[^@\s.,;<>\"()]+")


def _items(items: Iterable[str]) -> list[str]:
    # A lone text would otherwise be a list of its letters (the models refuse it too).
    if isinstance(items, str):
        raise TypeError(f"expected a list of text values, got the text {items!r}")
    return [item.strip() if isinstance(item, str) else item for item in items]


def normalise_themes(themes: Iterable[str]) -> tuple[str, ...]:
    """Themes as the cross-review report compares them: trimmed, lower case, sorted, once each."""
    return tuple(sorted({theme.lower() if isinstance(theme, str) else theme
                         for theme in _items(themes) if theme != ""}))


def clean_list(items: Iterable[str]) -> tuple[str, ...]:
    """Items trimmed, blanks dropped, each kept once in the order first given."""
    return tuple(dict.fromkeys(item for item in _items(items) if item != ""))


# The checks below judge values of the right types; a value of another type (a
# script passing name=12345) is left to the converter, which refuses it with its
# path when the record is committed.


def _needs_text(record: Record, value: str | None, rule: str, what: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RuleViolation(rule, what, record_id=record.id or None)


def _not_after(record: Record, day: date | None, today: date, rule: str, what: str) -> None:
    """``what`` as in "evidence cannot be about": the date of something that has happened."""
    if isinstance(day, date) and day > today:
        raise RuleViolation(
            rule, f"{what} a day that has not happened ({day.isoformat()})",
            record_id=record.id or None)


def _partnership(plan: Plan, partnership: Partnership, today: date, taken: Collection[str]) -> None:
    _needs_text(partnership, partnership.name, "partnership.needs-name",
                "a partnership needs a name")


def _agency(plan: Plan, agency: Agency, today: date, taken: Collection[str]) -> None:
    _needs_text(agency, agency.name, "agency.needs-name", "an agency needs a name")
    if isinstance(agency.email, str) and not _EMAIL.fullmatch(agency.email):
        raise RuleViolation(
            "agency.email", f"{agency.email!r} is not an email address (name@example.org)",
            record_id=agency.id)
    # Names compare as a tracker's text is matched to them (domain/agencies.py): "C.S.C"
    # is "CSC".
    names = {name_key(str(agency.name)), name_key(agency.id)}
    aliases = [alias for alias in agency.aliases if isinstance(alias, str)]
    for other in plan.agencies.values():
        if other.id == agency.id:
            continue
        theirs = {name_key(other.id), name_key(other.name),
                  *(name_key(alias) for alias in other.aliases)}
        for alias in aliases:
            if name_key(alias) in theirs and name_key(alias) not in names:
                raise RuleViolation(
                    "agency.alias-taken",
                    f"{alias!r} already names agency {other.id} ({other.name}); an alias must"
                    " say which agency it is", record_id=agency.id)


#: A review's dates, each with those it cannot come before.
_REVIEW_ORDER = (
    ("notified_on", "became_aware_on", "the notification to the Panel",
     "the day the council became aware"),
    ("rapid_review_sent_on", "notified_on", "sending the rapid review", "the notification"),
    ("published_on", "decided_on", "publication", "the decision to hold the review"),
)


def _review(plan: Plan, review: Review, today: date, taken: Collection[str]) -> None:
    if review.partnership_id not in plan.partnerships:
        raise NotFoundError("partnership", review.partnership_id)
    _needs_text(review, review.title, "review.needs-title", "a review needs a title")
    for later, earlier, later_name, earlier_name in _REVIEW_ORDER:
        later_day, earlier_day = getattr(review, later), getattr(review, earlier)
        if isinstance(later_day, date) and isinstance(earlier_day, date) \
                and later_day < earlier_day:
            raise RuleViolation(
                "review.dates-order",
                f"{later_name} ({later}, {later_day.isoformat()}) cannot come before"
                f" {earlier_name} ({earlier}, {earlier_day.isoformat()})",
                record_id=review.id)


def _recommendation(
    plan: Plan, recommendation: Recommendation, today: date, taken: Collection[str]
) -> None:
    _needs_text(recommendation, recommendation.text, "recommendation.needs-text",
                "a recommendation needs its text")
    if recommendation.review_id not in plan.reviews:
        raise NotFoundError("review", recommendation.review_id)
    for earlier in recommendation.repeats:
        if earlier == recommendation.id:
            raise RuleViolation("recommendation.repeats-itself",
                                "a recommendation cannot repeat itself",
                                record_id=recommendation.id)
        if earlier not in plan.recommendations:
            raise NotFoundError("recommendation", earlier)
    if recommendation.response == Response.NOT_ACCEPTED and not (
        recommendation.response_reason and recommendation.response_reason.strip()
    ):
        raise RuleViolation(
            "recommendation.not-accepted-needs-reason",
            "a recommendation that is not accepted needs the reason why",
            record_id=recommendation.id,
        )


def _action(plan: Plan, action: Action, today: date, taken: Collection[str]) -> None:
    if not action.recommendation_ids:
        raise RuleViolation("action.needs-recommendation",
                            "an action must answer at least one recommendation",
                            record_id=action.id or None)
    _needs_text(action, action.title, "action.needs-title",
                "an action needs a title saying what will be done")
    if action.lead_agency_id not in plan.agencies:
        raise NotFoundError("agency", action.lead_agency_id)
    partnerships = set()
    for recommendation_id in action.recommendation_ids:
        recommendation = plan.recommendations.get(recommendation_id)
        if recommendation is None:
            raise NotFoundError("recommendation", recommendation_id)
        partnerships.add(plan.reviews[recommendation.review_id].partnership_id)
    if len(partnerships) > 1 or (action.partnership_id and partnerships != {action.partnership_id}):
        found = ", ".join(sorted(partnerships))
        raise RuleViolation(
            "action.one-partnership",
            "an action's recommendations must all belong to one partnership's reviews"
            + (f", its own ({action.partnership_id})" if action.partnership_id else "")
            + f" (found {found})",
            record_id=action.id or None,
        )


def _needs_action(plan: Plan, action_id: str, taken: Collection[str]) -> None:
    if action_id not in plan.actions and action_id not in taken:
        raise NotFoundError("action", action_id)


def _progress_update(
    plan: Plan, update: ProgressUpdate, today: date, taken: Collection[str]
) -> None:
    _needs_action(plan, update.action_id, taken)
    _needs_text(update, update.text, "update.empty", "a progress update needs some text")
    _needs_text(update, update.by, "update.needs-by", "a progress update needs who gave it")


def _evidence(plan: Plan, item: Evidence, today: date, taken: Collection[str]) -> None:
    _needs_action(plan, item.action_id, taken)
    _not_after(item, item.about_date, today, "evidence.future-date", "evidence cannot be about")
    _needs_text(item, item.title, "evidence.needs-title",
                "evidence needs a title saying what it is")


def _assurance_decision(
    plan: Plan, decision: AssuranceDecision, today: date, taken: Collection[str]
) -> None:
    _needs_action(plan, decision.action_id, taken)
    for field in ("decided_by", "body", "seen"):
        _needs_text(decision, getattr(decision, field), "decision.needs-who-body-seen",
                    f"an assurance decision needs {field.replace('_', ' ')}: who decided, for"
                    " which body, having seen what")
    _not_after(decision, decision.decided_on, today, "decision.future-date",
               "a decision cannot be made on")
    own = {item.id for item in plan.evidence_for(decision.action_id)}
    for evidence_id in decision.evidence_ids:
        if evidence_id not in own:
            raise RuleViolation(
                "decision.evidence-of-action",
                f"evidence {evidence_id!r} is not recorded against action {decision.action_id}",
                record_id=decision.id or decision.action_id,
            )


def _learning_activity(
    plan: Plan, activity: LearningActivity, today: date, taken: Collection[str]
) -> None:
    if activity.partnership_id not in plan.partnerships:
        raise NotFoundError("partnership", activity.partnership_id)
    _needs_text(activity, activity.title, "learning.needs-title",
                "a learning activity needs a title")
    if isinstance(activity.reach, int) and activity.reach < 0:
        raise RuleViolation("learning.reach", "reach is a number of people, 0 or more",
                            record_id=activity.id or None)
    for recommendation_id in activity.recommendation_ids:
        if recommendation_id not in plan.recommendations:
            raise NotFoundError("recommendation", recommendation_id)


def _chase(plan: Plan, chase: Chase, today: date, taken: Collection[str]) -> None:
    if chase.agency_id not in plan.agencies:
        raise NotFoundError("agency", chase.agency_id)
    _not_after(chase, chase.sent_on, today, "chase.future-date", "a reminder cannot be sent on")
    for field in ("sent_by", "sent_to", "message_id"):
        _needs_text(chase, getattr(chase, field), "chase.needs-who-to-id",
                    f"a chase needs {field.replace('_', ' ')}: who sent it, to whom, and the"
                    " message's id")
    if not chase.action_ids:
        raise RuleViolation("chase.needs-actions", "a chase lists at least one action",
                            record_id=chase.id or None)
    for action_id in chase.action_ids:
        _needs_action(plan, action_id, taken)
        lead = plan.actions[action_id].lead_agency_id if action_id in plan.actions else None
        if lead is not None and lead != chase.agency_id:
            # One agency's reminder never carries another agency's action.
            raise RuleViolation(
                "chase.own-actions",
                f"action {action_id} is led by {lead}, not {chase.agency_id}: a reminder lists"
                " only the actions its agency leads", record_id=chase.id or None)


def _figure(record: Measure | Measurement, value: object, rule: str, what: str) -> None:
    # NaN and infinity are no figure a partnership measures; true and false are not numbers.
    if isinstance(value, bool) or (isinstance(value, float | int) and not math.isfinite(value)):
        raise RuleViolation(rule, f"{what} must be a number, not {value!r}",
                            record_id=record.id or None)


def _measure(plan: Plan, measure: Measure, today: date, taken: Collection[str]) -> None:
    _needs_action(plan, measure.action_id, taken)
    _needs_text(measure, measure.name, "measure.needs-name",
                "a measure needs a name saying what is counted")
    _needs_text(measure, measure.unit, "measure.needs-unit",
                "a measure needs a unit (%, days, referrals)")
    _figure(measure, measure.baseline, "measure.number", "the baseline")
    _figure(measure, measure.target, "measure.number", "the target")
    _not_after(measure, measure.baseline_on, today, "measure.future-baseline",
               "a baseline cannot be taken on")
    if isinstance(measure.target_on, date) and isinstance(measure.baseline_on, date) \
            and measure.target_on <= measure.baseline_on:
        raise RuleViolation(
            "measure.target-after-baseline",
            f"the target date ({measure.target_on.isoformat()}) must come after the baseline's"
            f" ({measure.baseline_on.isoformat()})", record_id=measure.id or None)
    earlier = [f for f in plan.measurements_for(measure.id)
               if isinstance(measure.baseline_on, date) and f.on < measure.baseline_on]
    if earlier:
        raise RuleViolation(
            "measure.baseline-after-figures",
            f"figures were taken before {measure.baseline_on.isoformat()} ({earlier[0].id} on"
            f" {earlier[0].on.isoformat()}): the baseline comes before every figure",
            record_id=measure.id or None)
    if isinstance(measure.baseline, float | int) and isinstance(measure.target, float | int) \
            and not better(measure.want, measure.target, measure.baseline):
        way = "above" if measure.want == Want.HIGHER else "below"
        raise RuleViolation(
            "measure.target-better-than-baseline",
            f"{measure.want.value} is better, so the target must be {way} the baseline"
            f" ({measure.baseline:g}), not {measure.target:g}; if a lower figure is better, say"
            f" so with want {'lower' if measure.want == Want.HIGHER else 'higher'}",
            record_id=measure.id or None)


def _measurement(plan: Plan, figure: Measurement, today: date, taken: Collection[str]) -> None:
    measure = plan.measures.get(figure.measure_id)
    if measure is None and figure.measure_id not in taken:
        raise NotFoundError("measure", figure.measure_id)
    if measure is not None and figure.action_id != measure.action_id:
        raise RuleViolation(
            "measurement.action", f"measure {measure.id} is of action {measure.action_id},"
            f" not {figure.action_id}", record_id=figure.id or None)
    _figure(figure, figure.value, "measurement.number", "a measurement")
    _not_after(figure, figure.on, today, "measurement.future-date",
               "a figure cannot be taken on")
    if measure is not None and isinstance(figure.on, date) and figure.on < measure.baseline_on:
        raise RuleViolation(
            "measurement.before-baseline",
            f"a figure taken on {figure.on.isoformat()} comes before the measure's baseline"
            f" ({measure.baseline_on.isoformat()}); correct the baseline first",
            record_id=figure.id or None)
    _needs_text(figure, figure.by, "measurement.needs-by",
                "a measurement needs who took the figure")


_CHECKS: dict[type[Any], Callable[[Plan, Any, date, Collection[str]], None]] = {
    Partnership: _partnership,
    Agency: _agency,
    Review: _review,
    Recommendation: _recommendation,
    Action: _action,
    ProgressUpdate: _progress_update,
    Evidence: _evidence,
    AssuranceDecision: _assurance_decision,
    LearningActivity: _learning_activity,
    Chase: _chase,
    Measure: _measure,
    Measurement: _measurement,
}


def check_record(plan: Plan, record: Record, *, today: date, taken: Collection[str] = ()) -> None:
    """Raise if ``record`` breaks a rule of its kind, or links to a record not in ``plan``.

    ``taken`` holds the ids of records new in the same unit of work, which
    links may name although the plan does not have them yet.
    """
    _CHECKS[type(record)](plan, record, today, taken)
