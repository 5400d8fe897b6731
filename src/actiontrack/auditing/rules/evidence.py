"""Rules about proof: evidence of completion and of impact, and who assured the action."""

from __future__ import annotations

from collections.abc import Iterator

from actiontrack.auditing.context import AuditContext, Flag
from actiontrack.auditing.findings import Severity
from actiontrack.auditing.registry import rule
from actiontrack.domain.clocks import add_months
from actiontrack.domain.lifecycle import (
    counting_decisions,
    counting_evidence,
    same_person,
    shows_impact,
)
from actiontrack.domain.models import (
    ActionStatus,
    AssuranceOutcome,
    EvidenceTier,
)
from actiontrack.formatting import long_date


@rule("closed-without-evidence", severity=Severity.ERROR,
      description="A completed, assured or embedded action with no completion-tier evidence")
def closed_without_evidence(context: AuditContext) -> Iterator[Flag]:
    for action in context.closed_actions:
        tiers = {e.tier for e in counting_evidence(action, context.plan.evidence_for(action.id))}
        if EvidenceTier.COMPLETION not in tiers:
            yield Flag(
                subject=action.id,
                message=f"is {action.status.value} but has no completion evidence",
                facts={"status": action.status, "evidence": sorted(t.value for t in tiers)},
            )


@rule("self-assured", severity=Severity.ERROR,
      description="An assured action not shown to be assured by someone other than its lead"
      " officer (only the officer accepted it, nobody did, or no officer is named)")
def self_assured(context: AuditContext) -> Iterator[Flag]:
    for action in context.closed_actions:
        if action.status == ActionStatus.COMPLETED:
            continue
        accepted = [d for d in counting_decisions(action, context.plan.decisions_for(action.id))
                    if d.outcome == AssuranceOutcome.ACCEPTED]
        officer = (action.lead_officer or "").strip()
        facts = {"lead_officer": officer or None, "decisions": [d.id for d in accepted]}
        if not accepted:
            yield Flag(subject=action.id, facts=facts,
                       message=f"is {action.status.value} with no decision accepting it")
        elif not officer:
            yield Flag(subject=action.id, facts=facts,
                       message=f"is {action.status.value} but names no lead officer, so"
                       " nobody can see that someone else assured it")
        elif all(same_person(d.decided_by, officer) for d in accepted):
            yield Flag(subject=action.id, facts=facts,
                       message=f"was assured only by its own lead officer ({officer})")


@rule("no-impact-evidence", severity=Severity.WARNING,
      description="An assured action with no impact-tier evidence, and no measure at its"
      " target, months after assurance",
      thresholds={"impact_evidence_months": 6})
def no_impact_evidence(context: AuditContext) -> Iterator[Flag]:
    months = context.threshold("impact_evidence_months")
    for action in context.closed_actions:
        if action.status != ActionStatus.ASSURED:
            continue
        decisions = counting_decisions(action, context.plan.decisions_for(action.id))
        accepted = [d.decided_on for d in decisions if d.outcome == AssuranceOutcome.ACCEPTED]
        if not accepted:
            continue
        assured_on = max(accepted)
        due = add_months(assured_on, months)
        shown = shows_impact(action, context.plan.evidence_for(action.id),
                             context.readings(action.id))
        if not shown and context.as_of > due:
            yield Flag(
                subject=action.id,
                message=f"assured on {long_date(assured_on)} and still no impact evidence"
                f" nor a measure at its target {months} months on",
                facts={"assured_on": assured_on, "impact_evidence_due": due},
            )
