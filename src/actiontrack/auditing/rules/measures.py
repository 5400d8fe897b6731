"""Rules about impact in figures: measures left unmeasured, moving the wrong way, and
embedded actions that show no impact at all."""

from __future__ import annotations

from collections.abc import Iterator

from actiontrack.auditing.context import AuditContext, Flag
from actiontrack.auditing.findings import Severity
from actiontrack.auditing.registry import rule
from actiontrack.domain.clocks import add_months
from actiontrack.domain.impact import Reading
from actiontrack.domain.lifecycle import shows_impact
from actiontrack.domain.models import ActionStatus
from actiontrack.formatting import figure, long_date


def _readings(context: AuditContext) -> Iterator[Reading]:
    """Every measure's reading, action by action, but those of superseded actions."""
    measured = context.measured_actions
    for action in context.actions:
        if action.id in measured and action.status != ActionStatus.SUPERSEDED:
            yield from context.readings(action.id)


@rule("measure-not-measured", severity=Severity.WARNING,
      description="A measure whose figure has not been taken for months",
      thresholds={"measure_months": 6})
def measure_not_measured(context: AuditContext) -> Iterator[Flag]:
    months = context.threshold("measure_months")
    for reading in _readings(context):
        last = reading.last_measured_on
        due = add_months(last, months)
        if context.as_of > due:
            what = "last measured" if reading.figures else "not measured since its baseline"
            yield Flag(
                subject=reading.measure.id,
                message=f"{what} on {long_date(last)}, more than {months} months ago"
                f" ({reading.measure.name})",
                facts={"last_measured_on": last, "figure_due": due},
            )


@rule("measure-wrong-way", severity=Severity.WARNING,
      description="A measure whose latest figure is worse than the one before it")
def measure_wrong_way(context: AuditContext) -> Iterator[Flag]:
    for reading in _readings(context):
        latest = reading.latest
        if latest is None or not reading.worsened:
            continue
        measure = reading.measure
        yield Flag(
            subject=measure.id,
            message=f"moved away from its target of {figure(measure.target, measure.unit)}:"
            f" {figure(reading.previous, measure.unit)} before,"
            f" {figure(latest.value, measure.unit)} on {long_date(latest.on)}"
            f" ({measure.name}; {measure.want.value} is better)",
            facts={"previous": reading.previous, "latest": latest.value,
                   "target": measure.target},
        )


@rule("embedded-without-impact", severity=Severity.ERROR,
      description="An embedded action with neither impact evidence nor a measure at its target")
def embedded_without_impact(context: AuditContext) -> Iterator[Flag]:
    for action in context.closed_actions:
        if action.status != ActionStatus.EMBEDDED:
            continue
        measures = context.readings(action.id)
        if shows_impact(action, context.plan.evidence_for(action.id), measures):
            continue
        off_target = [r for r in measures if r.figures]
        why = "" if not off_target else "; its measures are off target now: " + ", ".join(
            f"{r.measure.name} {figure(r.value, r.measure.unit)} against"
            f" {figure(r.measure.target, r.measure.unit)}" for r in off_target)
        yield Flag(
            subject=action.id,
            message="is embedded with neither impact evidence nor a measure at its target"
            + why,
            facts={"measures": [r.measure.id for r in measures]},
        )
