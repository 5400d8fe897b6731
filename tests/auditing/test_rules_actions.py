"""The action rules: overdue, due soon, target drift, no recent update, not SMART.

The small plan's action is due on 31 March 2026 and was stored on
5 January 2026 (see audit_plans.py).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from audit_plans import (
    ACTION,
    AGENCY,
    LEAD_OFFICER,
    STORED_AT,
    action,
    found,
    plan_store,
    put_all,
    run_audit,
    subjects,
    update,
)

from actiontrack.auditing import AuditConfig, ConfigError, Severity, registered_rules
from actiontrack.domain.models import ActionStatus, Chase, TargetRevision
from actiontrack.domain.rag import RagPolicy

BUILT_IN_RULES = {
    "accepted-without-actions", "action-due-soon", "action-overdue", "chased-without-response",
    "closed-without-evidence", "embedded-without-impact", "measure-not-measured",
    "measure-wrong-way",
    "no-impact-evidence", "no-recent-update", "not-accepted-without-reason", "not-smart",
    "notification-clock", "personal-data", "publication-clock", "rapid-review-clock",
    "recurring-theme", "self-assured", "target-drift", "target-moved-to-past",
}


def test_the_built_in_rules_are_the_ones_these_tests_cover() -> None:
    """Every built-in rule has tests (here, or the measure rules in test_rules_measures.py)."""
    built_in = {spec.id for spec in registered_rules() if spec.origin.startswith("actiontrack.")}
    assert built_in == BUILT_IN_RULES


def test_a_clean_plan_gives_no_findings() -> None:
    """A SMART action on track, audited a month after it was added, finds nothing at all."""
    result = run_audit(plan_store(action()), date(2026, 2, 1))
    assert result.findings == ()
    assert result.failures == ()
    assert {spec.id for spec in result.rules} == BUILT_IN_RULES
    assert result.exit_code(Severity.INFO) == 0


# -- action-overdue ---------------------------------------------------------------


def test_overdue_from_the_day_after_the_target_date() -> None:
    """An open action is overdue from the day after its target date, with the days counted."""
    store = plan_store(action())
    assert found(store, "action-overdue", date(2026, 3, 31)) == []
    [finding] = found(store, "action-overdue", date(2026, 4, 10))
    assert finding.subject == ACTION
    assert finding.severity == Severity.ERROR
    assert finding.facts["days_overdue"] == 10
    assert finding.facts["target_date"] == "2026-03-31"
    assert "10 days past its target date of 31 March 2026" in finding.message


@pytest.mark.parametrize("status", [ActionStatus.PROPOSED, ActionStatus.AGREED,
                                    ActionStatus.REOPENED, ActionStatus.ON_HOLD])
def test_overdue_counts_every_open_status(status: ActionStatus) -> None:
    """Proposed, agreed, reopened and on-hold actions past their date are overdue too."""
    store = plan_store(action(status=status, hold_reason="Waiting for funding",
                              hold_review_date=date(2026, 6, 1)))
    assert subjects(found(store, "action-overdue", date(2026, 4, 1))) == [ACTION]


@pytest.mark.parametrize("status", [ActionStatus.COMPLETED, ActionStatus.ASSURED,
                                    ActionStatus.EMBEDDED, ActionStatus.SUPERSEDED])
def test_overdue_ignores_complete_and_superseded_actions(status: ActionStatus) -> None:
    """A complete or superseded action past its date is not overdue."""
    store = plan_store(action(status=status, successor_id="TEST-SCP/A002"))
    assert found(store, "action-overdue", date(2026, 6, 1)) == []


# -- action-due-soon --------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "days_left"), [
    (date(2026, 3, 3), 28),  # 28 days before 31 March: the first day inside the window
    (date(2026, 3, 20), 11),
    (date(2026, 3, 31), 0),  # due today is still due soon, not overdue
])
def test_due_soon_inside_the_window(as_of: date, days_left: int) -> None:
    """An action due within 28 days (both ends included) is due soon, with the days left."""
    [finding] = found(plan_store(action()), "action-due-soon", as_of)
    assert finding.severity == Severity.WARNING
    assert finding.facts["days_left"] == days_left
    assert finding.message.startswith(f"due in {days_left} days, on 31 March 2026")


@pytest.mark.parametrize("as_of", [date(2026, 3, 2), date(2026, 4, 1)])
def test_due_soon_outside_the_window(as_of: date) -> None:
    """29 days ahead is not due soon yet, and a day late is overdue rather than due soon."""
    assert found(plan_store(action()), "action-due-soon", as_of) == []


def test_due_soon_window_comes_from_the_rag_policy() -> None:
    """A RAG policy of 21 days moves the edge of the window to 21 days before."""
    store = plan_store(action())
    policy = RagPolicy(due_soon_days=21)
    assert found(store, "action-due-soon", date(2026, 3, 9), rag=policy) == []
    assert subjects(found(store, "action-due-soon", date(2026, 3, 10), rag=policy)) == [ACTION]


def test_due_soon_is_no_longer_an_audit_threshold() -> None:
    """thresholds={"due_soon_days": 21} is refused, pointing at the RAG policy."""
    config = AuditConfig(thresholds={"due_soon_days": 21})
    with pytest.raises(ConfigError, match=r"due_soon_days is no longer an audit threshold;"
                       r" set it in the RAG policy \(\[rag\]"):
        found(plan_store(action()), "action-due-soon", date(2026, 3, 9), config)


def test_due_soon_ignores_complete_actions() -> None:
    """A completed action near its date is not due soon."""
    store = plan_store(action(status=ActionStatus.COMPLETED))
    assert found(store, "action-due-soon", date(2026, 3, 20)) == []


# -- target-drift -----------------------------------------------------------------


def _moves(*to_dates: date) -> tuple[TargetRevision, ...]:
    """Target revisions from 31 March 2026 through ``to_dates``, each with a reason."""
    revisions, previous = [], date(2026, 3, 31)
    for number, to_date in enumerate(to_dates, start=1):
        revisions.append(TargetRevision(from_date=previous, to_date=to_date,
                                        reason=f"Reason {number}", by=LEAD_OFFICER,
                                        on=date(2026, 1, number)))
        previous = to_date
    return tuple(revisions)


def test_a_target_moved_to_a_day_already_past_is_flagged() -> None:
    """A move made on 10 January to 5 January is flagged; a move to a later day is not."""
    past = TargetRevision(from_date=date(2026, 3, 31), to_date=date(2026, 1, 5),
                          reason="The date the board set", by=LEAD_OFFICER, on=date(2026, 1, 10))
    store = plan_store(action(target_revisions=(past,), target_date=date(2026, 1, 5)))
    [finding] = found(store, "target-moved-to-past", date(2026, 2, 1))
    assert finding.severity == Severity.WARNING
    assert finding.message == ("its target was moved on 10 January 2026 to 5 January 2026, a day"
                               " already past: it was overdue as soon as it was moved")
    assert finding.facts["to_date"] == "2026-01-05"
    assert "reason" not in finding.facts  # free text may hold personal data: never echoed
    ahead = plan_store(action(target_revisions=_moves(date(2026, 4, 30)),
                              target_date=date(2026, 4, 30)))
    assert found(ahead, "target-moved-to-past", date(2026, 2, 1)) == []
    done = plan_store(action(target_revisions=(past,), target_date=date(2026, 1, 5),
                             status=ActionStatus.SUPERSEDED, successor_id=ACTION))
    assert found(done, "target-moved-to-past", date(2026, 2, 1)) == []


def test_drift_by_number_of_revisions() -> None:
    """Three moves (more than the default two) is drift, even when the date barely moved."""
    moves = _moves(date(2026, 4, 10), date(2026, 4, 20), date(2026, 4, 30))
    store = plan_store(action(target_revisions=moves, target_date=date(2026, 4, 30)))
    [finding] = found(store, "target-drift", date(2026, 2, 1))
    assert finding.severity == Severity.WARNING
    assert finding.message == "target date moved 3 times (more than 2)"
    assert finding.facts["revisions"] == 3
    assert finding.facts["drift_days"] == 30
    assert finding.facts["original_target_date"] == "2026-03-31"
    assert "reasons" not in finding.facts  # free text may hold personal data: never echoed


def test_two_revisions_are_not_drift() -> None:
    """Two moves within 90 days of the original date are allowed."""
    moves = _moves(date(2026, 4, 10), date(2026, 4, 30))
    store = plan_store(action(target_revisions=moves, target_date=date(2026, 4, 30)))
    assert found(store, "target-drift", date(2026, 2, 1)) == []


def test_drift_by_days_from_the_original_date() -> None:
    """One move of 91 days is drift; 90 days is not."""
    # 31 March 2026 + 90 days = 29 June 2026 (30 + 31 + 29); + 91 days = 30 June.
    within = plan_store(action(target_revisions=_moves(date(2026, 6, 29)),
                               target_date=date(2026, 6, 29)))
    assert found(within, "target-drift", date(2026, 2, 1)) == []
    beyond = plan_store(action(target_revisions=_moves(date(2026, 6, 30)),
                               target_date=date(2026, 6, 30)))
    [finding] = found(beyond, "target-drift", date(2026, 2, 1))
    assert finding.message == "target date 91 days after its original date (more than 90)"


def test_drift_names_both_reasons_when_both_apply() -> None:
    """Too many moves and too far: the message gives both."""
    moves = _moves(date(2026, 5, 1), date(2026, 6, 1), date(2026, 9, 30))
    store = plan_store(action(target_revisions=moves, target_date=date(2026, 9, 30)))
    [finding] = found(store, "target-drift", date(2026, 2, 1))
    assert finding.message == ("target date moved 3 times (more than 2) and 183 days after"
                               " its original date (more than 90)")


def test_drift_thresholds_are_configurable() -> None:
    """max_target_revisions = 0 makes a single move drift."""
    moves = _moves(date(2026, 4, 10))
    store = plan_store(action(target_revisions=moves, target_date=date(2026, 4, 10)))
    config = AuditConfig(thresholds={"max_target_revisions": 0})
    assert subjects(found(store, "target-drift", date(2026, 2, 1), config)) == [ACTION]


def test_drift_ignores_superseded_actions() -> None:
    """A superseded action's drift no longer matters: its successor carries the work."""
    moves = _moves(date(2026, 5, 1), date(2026, 6, 1), date(2026, 9, 30))
    store = plan_store(action(target_revisions=moves, target_date=date(2026, 9, 30),
                              status=ActionStatus.SUPERSEDED, successor_id="TEST-SCP/A002"))
    assert found(store, "target-drift", date(2026, 2, 1)) == []


# -- no-recent-update -------------------------------------------------------------


def test_no_update_since_the_action_was_added() -> None:
    """Never updated: stale from 91 days after it was stored (5 January 2026)."""
    store = plan_store(action(target_date=date(2026, 12, 31)))
    # 5 January + 90 days = 5 April 2026 (26 + 28 + 31 + 5).
    assert found(store, "no-recent-update", date(2026, 4, 5)) == []
    [finding] = found(store, "no-recent-update", date(2026, 4, 6))
    assert finding.severity == Severity.WARNING
    assert finding.message == ("no update since it was added on 5 January 2026, 91 days ago"
                               " (more than 90)")
    assert finding.facts == {"days": 91, "last_update_on": None}


def test_no_update_counts_from_the_latest_update() -> None:
    """Updated on 1 February and 1 March: stale from 91 days after 1 March."""
    store = plan_store(action(target_date=date(2026, 12, 31)))
    put_all(store, [update(on=date(2026, 2, 1))], at=STORED_AT.replace(month=2, day=1))
    put_all(store, [update(id=f"{ACTION}/U2", on=date(2026, 3, 1), text="Template piloted.")],
            at=STORED_AT.replace(month=3, day=1))
    # 1 March + 90 days = 30 May 2026 (30 + 30 + 30).
    assert found(store, "no-recent-update", date(2026, 5, 30)) == []
    [finding] = found(store, "no-recent-update", date(2026, 5, 31))
    assert finding.facts == {"days": 91, "last_update_on": "2026-03-01"}
    assert finding.message.startswith("the last update was on 1 March 2026, 91 days ago")


def test_an_update_keeps_an_old_action_fresh() -> None:
    """An action added long ago but updated recently is not stale."""
    store = plan_store(action(target_date=date(2026, 12, 31)))
    put_all(store, [update(on=date(2026, 6, 1))], at=STORED_AT.replace(month=6, day=1))
    assert found(store, "no-recent-update", date(2026, 6, 30)) == []


def test_no_update_skips_actions_on_hold() -> None:
    """An action on hold has its own review date: no staleness finding however long."""
    store = plan_store(action(status=ActionStatus.ON_HOLD, target_date=date(2026, 12, 31),
                              hold_reason="Waiting for the national package",
                              hold_review_date=date(2026, 9, 1)))
    assert found(store, "no-recent-update", STORED_AT.date() + timedelta(days=300)) == []


def test_no_update_skips_complete_actions() -> None:
    """A completed action needs no progress updates."""
    store = plan_store(action(status=ActionStatus.COMPLETED))
    assert found(store, "no-recent-update", date(2026, 12, 1)) == []


def test_no_update_threshold_is_configurable() -> None:
    """update_stale_days = 30 flags an action 31 days after it was added."""
    store = plan_store(action())
    config = AuditConfig(thresholds={"update_stale_days": 30})
    assert found(store, "no-recent-update", date(2026, 2, 4), config) == []
    assert subjects(found(store, "no-recent-update", date(2026, 2, 5), config)) == [ACTION]


# -- chased-without-response ------------------------------------------------------


def _chase(number: int, sent_on: date, action_id: str = ACTION) -> Chase:
    return Chase(id=f"{AGENCY}/C{number}", agency_id=AGENCY, sent_on=sent_on,
                 sent_by="Business unit", sent_to="lead@council.example.org",
                 action_ids=(action_id,), message_id=f"<{number}@example.org>")


def test_chased_twice_with_no_update_since_is_found() -> None:
    """Two reminders since the latest update: the owner is named, with both reminders."""
    store = plan_store(action(), update(on=date(2026, 1, 10)))
    put_all(store, [_chase(1, date(2026, 2, 1))], at=STORED_AT + timedelta(days=27))
    assert found(store, "chased-without-response", date(2026, 3, 2)) == []
    put_all(store, [_chase(2, date(2026, 3, 1))], at=STORED_AT + timedelta(days=55))
    [finding] = found(store, "chased-without-response", date(2026, 3, 2))
    assert finding.severity == Severity.WARNING
    assert finding.message == (f"{AGENCY} was chased 2 times with no update since (first on"
                               " 1 February 2026, latest on 1 March 2026 to"
                               " lead@council.example.org)")
    assert finding.facts["chases"] == [f"{AGENCY}/C1", f"{AGENCY}/C2"]
    # As of a day before the second reminder, only one counts.
    assert found(store, "chased-without-response", date(2026, 2, 28)) == []


def test_an_update_answers_the_chases_before_it() -> None:
    """An update on or after a reminder's day answers it; a closed action is not chased."""
    store = plan_store(action(), _chase(1, date(2026, 1, 5)))
    put_all(store, [_chase(2, date(2026, 2, 1)), update(on=date(2026, 2, 1))],
            at=STORED_AT + timedelta(days=27))
    put_all(store, [_chase(3, date(2026, 3, 1))], at=STORED_AT + timedelta(days=55))
    assert found(store, "chased-without-response", date(2026, 3, 2)) == []


def test_the_number_of_unanswered_chases_is_a_threshold() -> None:
    store = plan_store(action(), _chase(1, date(2026, 1, 5)))
    config = AuditConfig(thresholds={"chases_without_response": 1})
    assert subjects(found(store, "chased-without-response", date(2026, 1, 6), config)) == [
        ACTION]


# -- not-smart --------------------------------------------------------------------


def test_not_smart_names_what_is_missing() -> None:
    """No lead officer, a blank deliverable and no success measure: all three named."""
    store = plan_store(action(lead_officer=None, deliverable="   ", success_measure=None))
    [finding] = found(store, "not-smart", date(2026, 2, 1))
    assert finding.severity == Severity.WARNING
    assert finding.message == "has no named lead officer, no deliverable, no success measure"
    assert finding.facts["missing"] == ["a named lead officer", "a deliverable",
                                        "a success measure"]


def test_not_smart_one_missing_part() -> None:
    """A proposed action missing only its success measure is flagged for that alone."""
    store = plan_store(action(status=ActionStatus.PROPOSED, success_measure=""))
    [finding] = found(store, "not-smart", date(2026, 2, 1))
    assert finding.message == "has no success measure"


@pytest.mark.parametrize("status", [ActionStatus.COMPLETED, ActionStatus.SUPERSEDED])
def test_not_smart_ignores_finished_actions(status: ActionStatus) -> None:
    """Complete and superseded actions are past being made SMART."""
    store = plan_store(action(status=status, lead_officer=None, successor_id="TEST-SCP/A002"))
    assert found(store, "not-smart", date(2026, 2, 1)) == []
