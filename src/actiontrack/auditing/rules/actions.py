"""Rules about actions: dates, drift, progress and whether they are SMART."""

from __future__ import annotations

from collections.abc import Iterator

from actiontrack.auditing.context import AuditContext, Flag
from actiontrack.auditing.findings import Severity
from actiontrack.auditing.registry import rule
from actiontrack.domain.chasing import last_heard, unanswered_chases
from actiontrack.domain.lifecycle import COMPLETE_STATUSES
from actiontrack.domain.models import ActionStatus
from actiontrack.formatting import long_date


@rule("action-overdue", severity=Severity.ERROR,
      description="An action past its current target date and not complete")
def action_overdue(context: AuditContext) -> Iterator[Flag]:
    for action in context.open_actions:
        days = (context.as_of - action.target_date).days
        if days > 0:
            yield Flag(
                subject=action.id,
                message=f"{days} days past its target date of {long_date(action.target_date)}"
                f" ({action.status.value}, led by {action.lead_agency_id})",
                # The status as text (its plain form): a mapping of text, numbers and
                # dates is one the garbage collector need not track.
                facts={"target_date": action.target_date, "days_overdue": days,
                       "status": action.status.value, "lead_agency_id": action.lead_agency_id},
            )


@rule("action-due-soon", severity=Severity.WARNING,
      description="An open action whose target date is near")
def action_due_soon(context: AuditContext) -> Iterator[Flag]:
    # The RAG policy's test, so that this finding and an amber RAG always agree.
    for action in context.open_actions:
        if context.rag.is_due_soon(action.target_date, context.as_of):
            days = (action.target_date - context.as_of).days
            yield Flag(
                subject=action.id,
                message=f"due in {days} days, on {long_date(action.target_date)}",
                facts={"target_date": action.target_date, "days_left": days},
            )


@rule("target-drift", severity=Severity.WARNING,
      description="An action whose target date moved too often or too far from the original",
      thresholds={"max_target_revisions": 2, "max_target_drift_days": 90})
def target_drift(context: AuditContext) -> Iterator[Flag]:
    most_revisions = context.threshold("max_target_revisions")
    most_days = context.threshold("max_target_drift_days")
    for action in context.actions:
        if action.status == ActionStatus.SUPERSEDED:
            continue
        revisions = len(action.target_revisions)
        drift = (action.target_date - action.original_target_date).days
        reasons = []
        if revisions > most_revisions:
            reasons.append(f"moved {revisions} times (more than {most_revisions})")
        if drift > most_days:
            reasons.append(f"{drift} days after its original date (more than {most_days})")
        if reasons:
            yield Flag(
                subject=action.id,
                message="target date " + " and ".join(reasons),
                facts={"revisions": revisions, "drift_days": drift,
                       "original_target_date": action.original_target_date,
                       "target_date": action.target_date},
            )


@rule("no-recent-update", severity=Severity.WARNING,
      description="An open action with no progress update for too long",
      thresholds={"update_stale_days": 90})
def no_recent_update(context: AuditContext) -> Iterator[Flag]:
    stale = context.threshold("update_stale_days")
    for action in context.open_actions:
        if action.status == ActionStatus.ON_HOLD:
            continue  # a hold has its own review date
        last_update_on, added_on = last_heard(context.plan, action, context.as_of,
                                              context.created_on)
        since = last_update_on or added_on
        if since is None:
            continue
        days = (context.as_of - since).days
        if days > stale:
            what = f"the last update was on {long_date(since)}" if last_update_on else (
                f"no update since it was added on {long_date(since)}")
            yield Flag(
                subject=action.id,
                message=f"{what}, {days} days ago (more than {stale})",
                facts={"last_update_on": last_update_on, "days": days},
            )


@rule("chased-without-response", severity=Severity.WARNING,
      description="An open action whose owner was chased several times with no update since",
      thresholds={"chases_without_response": 2})
def chased_without_response(context: AuditContext) -> Iterator[Flag]:
    most = context.threshold("chases_without_response")
    for action in context.open_actions:
        unanswered = unanswered_chases(context.plan, action, context.as_of)
        if unanswered and len(unanswered) >= most:
            latest = unanswered[-1]
            yield Flag(
                subject=action.id,
                message=f"{action.lead_agency_id} was chased {len(unanswered)} times with no"
                f" update since (first on {long_date(unanswered[0].sent_on)}, latest on"
                f" {long_date(latest.sent_on)} to {latest.sent_to})",
                facts={"chases": [chase.id for chase in unanswered],
                       "lead_agency_id": action.lead_agency_id},
            )


@rule("not-smart", severity=Severity.WARNING,
      description="An action without a named lead officer, a deliverable or a success measure")
def not_smart(context: AuditContext) -> Iterator[Flag]:
    for action in context.actions:
        if action.status in COMPLETE_STATUSES or action.status == ActionStatus.SUPERSEDED:
            continue
        missing = [
            label for label, value in (
                ("a named lead officer", action.lead_officer),
                ("a deliverable", action.deliverable),
                ("a success measure", action.success_measure),
            )
            if not (value and value.strip())
        ]
        if missing:
            yield Flag(subject=action.id, message="has no " + ", no ".join(
                m.removeprefix("a ") for m in missing), facts={"missing": missing})


@rule("target-moved-to-past", severity=Severity.WARNING,
      description="An open action whose target date was last moved to a day already past")
def target_moved_to_past(context: AuditContext) -> Iterator[Flag]:
    for action in context.open_actions:
        if not action.target_revisions:
            continue
        latest = action.target_revisions[-1]
        if latest.to_date < latest.on and action.target_date == latest.to_date:
            yield Flag(
                subject=action.id,
                message=f"its target was moved on {long_date(latest.on)} to"
                f" {long_date(latest.to_date)}, a day already past: it was overdue as soon as"
                " it was moved",
                facts={"moved_on": latest.on, "to_date": latest.to_date,
                       "from_date": latest.from_date},
            )
