"""Audits as of a past day: later edits never change them, and the same inputs give
the same bytes. Run on a real TinyDB file store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import attrs
import pytest
from audit_plans import (
    ACTION,
    action,
    background,
    decision,
    evidence,
    put_all,
    recommendation,
    run_audit,
    update,
)

from actiontrack.auditing import AuditConfig, Waiver
from actiontrack.auditing.output import to_json, to_junit, to_text
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    ProgressUpdate,
    Response,
    TargetRevision,
)
from actiontrack.store import Delete, TinyDBStore

AUDIT_DAY = date(2026, 5, 1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def build_history(path: Path) -> TinyDBStore:
    """A plan that grows from January to April 2026, with findings as of 1 May."""
    store = TinyDBStore(path, create=True)
    put_all(store, [*background(), action(target_date=date(2026, 4, 15),
                                          original_target_date=date(2026, 4, 15))],
            at=at(date(2026, 1, 5)))
    put_all(store, [
        action(id="TEST-SCP/A002", title="Escalation policy relaunched", lead_officer=None,
               target_date=date(2026, 5, 20), original_target_date=date(2026, 5, 20)),
        recommendation(id="TEST-SCP/NATIONAL/R2", number="R2", text="Research",
                       response=Response.NOT_ACCEPTED),
    ], at=at(date(2026, 2, 10)))
    put_all(store, [update(on=date(2026, 3, 1))], at=at(date(2026, 3, 1)))
    return store


def edit_after(store: TinyDBStore) -> None:
    """Changes made after the audit day: each would change an audit run today."""
    current = store.get(Action, ACTION)
    moved = attrs.evolve(current, target_date=date(2026, 12, 31), target_revisions=(
        TargetRevision(from_date=date(2026, 4, 15), to_date=date(2026, 12, 31),
                       reason="Pilot extended", by="Jane Smith", on=date(2026, 5, 2)),))
    put_all(store, [moved, update(id=f"{ACTION}/U2", on=date(2026, 5, 2),
                                  text="Call 07700 900123 for the pilot")],
            at=at(date(2026, 5, 2), 0))  # 00:00 UTC is 01:00 BST: the next day in England
    put_all(store, [
        attrs.evolve(store.get(Action, "TEST-SCP/A002"), status=ActionStatus.ASSURED,
                     lead_officer="Jane Smith"),
        evidence(id="TEST-SCP/A002/E1", action_id="TEST-SCP/A002"),
        decision(id="TEST-SCP/A002/D1", action_id="TEST-SCP/A002", decided_by="Jane Smith"),
        recommendation(id="TEST-SCP/NATIONAL/R2", number="R2", text="Research",
                       response=Response.NOT_ACCEPTED, response_reason="National matter"),
    ], at=at(date(2026, 6, 1)))
    old_update = store.get(ProgressUpdate, f"{ACTION}/U1")
    store.commit([Delete("progress_updates", old_update.id, old_update.version)],
                 by="Test business unit", at=at(date(2026, 6, 2)))


def test_later_edits_do_not_change_a_past_audit(tmp_path: Path) -> None:
    """Audit as of 1 May, edit the plan in May and June, audit as of 1 May again: same bytes."""
    store = build_history(tmp_path / "plan.json")
    config = AuditConfig(waivers=(Waiver(rule="not-smart", subject="TEST-SCP/A002",
                                         reason="Officer being appointed", by="Manager",
                                         expires=date(2026, 12, 31)),))
    before = run_audit(store, AUDIT_DAY, config)
    rules = {f.rule for f in before.findings} | {w.finding.rule for w in before.waived}
    assert rules == {"action-overdue", "not-accepted-without-reason", "action-due-soon",
                     "not-smart"}

    edit_after(store)
    after = run_audit(store, AUDIT_DAY, config)
    assert to_json(after) == to_json(before)
    assert to_text(after) == to_text(before)
    assert to_junit(after) == to_junit(before)

    # Reopened from the file by another process, the past is still the same.
    store.close()
    reopened = TinyDBStore(tmp_path / "plan.json", create=True)
    assert to_json(run_audit(reopened, AUDIT_DAY, config)) == to_json(before)

    # The edits are real: an audit as of today sees them.
    today = run_audit(reopened, date(2026, 6, 3), config)
    assert to_json(today) != to_json(before)
    assert {f.rule for f in today.findings} >= {"personal-data", "self-assured"}
    reopened.close()


def test_an_edit_late_on_the_audit_day_counts_and_one_after_midnight_does_not(
        tmp_path: Path) -> None:
    """The audit day ends at midnight in England: 23:30 BST counts, 00:30 BST does not."""
    store = build_history(tmp_path / "plan.json")
    # 1 May 2026 is in British Summer Time: 22:30 UTC is 23:30 on 1 May in England.
    put_all(store, [recommendation(id="TEST-SCP/NATIONAL/R3", number="R3", text="Late")],
            at=datetime(2026, 5, 1, 22, 30, tzinfo=UTC))
    # 23:30 UTC is 00:30 on 2 May in England.
    put_all(store, [recommendation(id="TEST-SCP/NATIONAL/R4", number="R4", text="Later")],
            at=datetime(2026, 5, 1, 23, 30, tzinfo=UTC))
    found = [f.subject for f in run_audit(store, AUDIT_DAY).findings
             if f.rule == "accepted-without-actions"]
    assert found == ["TEST-SCP/NATIONAL/R3"]
    store.close()


def test_the_same_result_prints_the_same_bytes(tmp_path: Path) -> None:
    """to_json, to_text and to_junit of one result are the same every time."""
    store = build_history(tmp_path / "plan.json")
    result = run_audit(store, AUDIT_DAY)
    assert to_json(result) == to_json(result)
    assert to_text(result) == to_text(result)
    assert to_junit(result) == to_junit(result)
    store.close()


def test_two_runs_over_the_same_store_give_the_same_json(tmp_path: Path) -> None:
    """Two separate audits, and two stores built the same way, give byte-identical JSON."""
    first_store = build_history(tmp_path / "one.json")
    second_store = build_history(tmp_path / "two.json")
    first = to_json(run_audit(first_store, AUDIT_DAY))
    assert to_json(run_audit(first_store, AUDIT_DAY)) == first
    assert to_json(run_audit(second_store, AUDIT_DAY)) == first
    first_store.close()
    second_store.close()


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 1, 4), []),  # before anything was stored
    (date(2026, 2, 9), []),
    (date(2026, 2, 10), ["TEST-SCP/NATIONAL/R2", "TEST-SCP/A002"]),  # the day they were stored
])
def test_records_are_audited_from_the_day_they_were_stored(
        tmp_path: Path, day: date, expected: list[str]) -> None:
    """Records stored on 10 February are audited from that day, not before."""
    store = build_history(tmp_path / "plan.json")
    result = run_audit(store, day)
    assert [f.subject for f in result.findings] == expected
    store.close()


def test_no_recent_update_uses_the_day_the_record_was_stored(tmp_path: Path) -> None:
    """An action stored on 10 February and never updated is stale from 12 May (91 days)."""
    store = build_history(tmp_path / "plan.json")
    stale = [f.subject for f in run_audit(store, date(2026, 5, 12)).findings
             if f.rule == "no-recent-update"]
    assert "TEST-SCP/A002" in stale
    fresh = [f.subject for f in run_audit(store, date(2026, 5, 11)).findings
             if f.rule == "no-recent-update"]
    assert "TEST-SCP/A002" not in fresh
    store.close()
