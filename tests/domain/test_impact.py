"""Measures in the domain: what a measure's figures say, the checks a measure keeps, and how a
measure at its target counts towards the gate into embedded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest

from actiontrack.domain import additions, impact, lifecycle
from actiontrack.domain.edits import edit_record
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    AssuranceDecision,
    Evidence,
    Measure,
    Measurement,
    Want,
)
from actiontrack.domain.plan import Plan
from actiontrack.domain.withdrawals import withdrawal
from actiontrack.errors import NotFoundError, RuleViolation

ACTION_ID = "WSCP/A001"  # the action of conftest's make_action
MEASURE_ID = f"{ACTION_ID}/M1"
TODAY = date(2026, 6, 1)


def measure(**changes: Any) -> Measure:
    """Referrals with a chronology: 40% on 1 January 2026, aiming for 80% by 31 December."""
    return Measure(**{
        "id": MEASURE_ID, "action_id": ACTION_ID, "name": "Referrals with a chronology",
        "unit": "%", "baseline": 40.0, "baseline_on": date(2026, 1, 1), "target": 80.0,
        "target_on": date(2026, 12, 31), "want": Want.HIGHER, "version": 1,
    } | changes)


def figure(number: int, on: date, value: float) -> Measurement:
    return Measurement(id=f"{MEASURE_ID}/V{number}", action_id=ACTION_ID,
                       measure_id=MEASURE_ID, on=on, value=value, by="Audit lead", version=1)


def test_a_reading_before_any_figure() -> None:
    reading = impact.read(measure(), [])
    assert (reading.latest, reading.value, reading.progress) == (None, 40.0, None)
    assert not reading.met
    assert not reading.worsened
    assert reading.last_measured_on == date(2026, 1, 1)


@pytest.mark.parametrize(("want", "baseline", "target", "values", "progress", "met", "worse"), [
    (Want.HIGHER, 40, 80, (60,), 0.5, False, False),
    (Want.HIGHER, 40, 80, (60, 80), 1.0, True, False),
    (Want.HIGHER, 40, 80, (90, 85), 1.125, True, True),  # met, but slipping back
    (Want.HIGHER, 40, 80, (30,), -0.25, False, True),
    (Want.LOWER, 30, 10, (20,), 0.5, False, False),
    (Want.LOWER, 30, 10, (20, 10), 1.0, True, False),
    (Want.LOWER, 30, 10, (20, 25), 0.25, False, True),
])
def test_a_reading_says_how_far_it_has_come(
    want: Want, baseline: float, target: float, values: tuple[float, ...], progress: float,
    met: bool, worse: bool,
) -> None:
    days = [date(2026, 2, 1), date(2026, 3, 1)]
    figures = [figure(n + 1, days[n], v) for n, v in enumerate(values)]
    reading = impact.read(measure(want=want, baseline=baseline, target=target),
                          reversed(figures))  # taken in date order, whatever order given
    assert reading.latest == figures[-1]
    assert reading.progress == pytest.approx(progress)
    assert (reading.met, reading.worsened) == (met, worse)


def _plan(*records: Any) -> Plan:
    return Plan.from_records(records)


def test_a_new_measure_and_figure_get_the_next_ids(make_action: Callable[..., Action]) -> None:
    plan = _plan(make_action(), measure())
    second = additions.new_measure(
        plan, ACTION_ID, name=" Days to strategy ", unit="days", baseline=12,
        baseline_on=date(2026, 1, 1), target=5, target_on=date(2026, 9, 1), want=Want.LOWER,
        source="  ", today=TODAY)
    assert (second.id, second.name, second.source) == (f"{ACTION_ID}/M2", "Days to strategy", None)
    value = additions.new_measurement(plan, MEASURE_ID, value=55, on=TODAY, by="Lead",
                                      today=TODAY, used={f"{MEASURE_ID}/V1"})
    assert (value.id, value.action_id) == (f"{MEASURE_ID}/V2", ACTION_ID)


@pytest.mark.parametrize(("changes", "rule"), [
    ({"target": 30.0}, "measure.target-better-than-baseline"),
    ({"want": Want.LOWER}, "measure.target-better-than-baseline"),
    ({"target": 40.0}, "measure.target-better-than-baseline"),
    ({"target_on": date(2026, 1, 1)}, "measure.target-after-baseline"),
    ({"baseline_on": date(2026, 6, 2)}, "measure.future-baseline"),
    ({"name": " "}, "measure.needs-name"),
    ({"unit": ""}, "measure.needs-unit"),
    ({"baseline": float("nan")}, "measure.number"),
    ({"target": True}, "measure.number"),
])
def test_a_measure_keeps_its_rules(make_action: Callable[..., Action],
                                   changes: dict[str, Any], rule: str) -> None:
    plan = _plan(make_action(), measure())
    with pytest.raises(RuleViolation) as raised:
        edit_record(plan, measure(), changes, today=TODAY)
    assert raised.value.rule == rule


def test_the_target_rule_says_which_way(make_action: Callable[..., Action]) -> None:
    with pytest.raises(RuleViolation, match=r"higher is better, so the target must be above the"
                       r" baseline \(40\), not 30; if a lower figure is better, say so with want"
                       r" lower"):
        edit_record(_plan(make_action(), measure()), measure(), {"target": 30.0}, today=TODAY)


@pytest.mark.parametrize(("on", "value", "rule"), [
    (date(2026, 6, 2), 50.0, "measurement.future-date"),
    (date(2025, 12, 31), 50.0, "measurement.before-baseline"),
    (date(2026, 2, 1), float("inf"), "measurement.number"),
])
def test_a_figure_keeps_its_rules(make_action: Callable[..., Action], on: date, value: float,
                                  rule: str) -> None:
    plan = _plan(make_action(), measure())
    with pytest.raises(RuleViolation) as raised:
        additions.new_measurement(plan, MEASURE_ID, value=value, on=on, by="Lead", today=TODAY)
    assert raised.value.rule == rule


def test_a_figure_needs_its_measure(make_action: Callable[..., Action]) -> None:
    with pytest.raises(NotFoundError, match="measure"):
        additions.new_measurement(_plan(make_action()), MEASURE_ID, value=1, on=TODAY, by="L",
                                  today=TODAY)


# -- the gate into embedded --------------------------------------------------------


@pytest.fixture
def assured(make_action: Callable[..., Action], make_evidence: Callable[..., Evidence],
            make_decision: Callable[..., AssuranceDecision]) -> Plan:
    return _plan(make_action(status=ActionStatus.ASSURED), make_evidence(), make_decision(),
                 measure())


def _embed(plan: Plan) -> Action:
    action = plan.actions[ACTION_ID]
    return lifecycle.move_to(action, ActionStatus.EMBEDDED,
                             evidence=plan.evidence_for(ACTION_ID),
                             decisions=plan.decisions_for(ACTION_ID),
                             measures=impact.readings(plan, ACTION_ID), on=TODAY)


def test_a_measure_at_its_target_lets_an_action_be_embedded(assured: Plan) -> None:
    met = _plan(*assured.records(), figure(1, date(2026, 5, 1), 82))
    assert _embed(met).status == ActionStatus.EMBEDDED


def test_a_measure_short_of_its_target_does_not(assured: Plan) -> None:
    short = _plan(*assured.records(), figure(1, date(2026, 5, 1), 79))
    with pytest.raises(RuleViolation, match="impact-tier evidence item or a measure whose"
                       " latest figure met its target") as raised:
        _embed(short)
    assert raised.value.rule == "gate.embedded-needs-impact-evidence"


def test_after_a_reopen_only_a_figure_taken_since_counts(assured: Plan) -> None:
    action = attrs.evolve(assured.actions[ACTION_ID], reopened_on=date(2026, 5, 2))
    met_before = [impact.read(measure(), [figure(1, date(2026, 5, 1), 90)])]
    met_since = [impact.read(measure(), [figure(1, date(2026, 5, 2), 90)])]
    assert not lifecycle.shows_impact(action, (), met_before)
    assert lifecycle.shows_impact(action, (), met_since)


def test_the_figure_an_embedded_action_stands_on_cannot_be_withdrawn_or_lowered(
        assured: Plan) -> None:
    embedded = attrs.evolve(assured.actions[ACTION_ID], status=ActionStatus.EMBEDDED)
    met = figure(1, date(2026, 5, 1), 82)
    plan = _plan(*(r for r in assured.records() if r.id != ACTION_ID), embedded, met)
    with pytest.raises(RuleViolation) as raised:
        withdrawal(plan, met)
    assert raised.value.rule == "gate.embedded-needs-impact-evidence"
    with pytest.raises(RuleViolation) as edited:
        edit_record(plan, met, {"value": 70.0}, today=TODAY)
    assert edited.value.rule == "gate.embedded-needs-impact-evidence"
    with pytest.raises(RuleViolation):
        withdrawal(plan, plan.measures[MEASURE_ID])
    later = figure(2, date(2026, 5, 20), 95)  # a second figure at target: the first may go
    assert withdrawal(_plan(*plan.records(), later), met).gone == (met,)


def test_a_measure_goes_with_its_figures_and_an_action_with_its_measures(
        make_action: Callable[..., Action]) -> None:
    first, second = figure(1, date(2026, 2, 1), 50), figure(2, date(2026, 3, 1), 60)
    plan = _plan(make_action(), measure(), first, second)
    assert withdrawal(plan, plan.measures[MEASURE_ID]).gone == (measure(), first, second)
    assert withdrawal(plan, plan.actions[ACTION_ID]).gone == (
        plan.actions[ACTION_ID], measure(), first, second)
