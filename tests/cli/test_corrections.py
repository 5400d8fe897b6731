"""Correcting the plan from the command line: edit every field that may change, withdraw.

Every test runs the real ``actiontrack`` command on a real JSON store holding
the demo, and a refusal is checked by a byte digest of the store's files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from actiontrack.cli import cli
from actiontrack.domain.edits import EDITABLE, OWNED

NOW = "2026-11-26T09:00:00+00:00"
REASON = "Corrected from the signed-off minutes"


def run(store: Path, *args: str, now: str = NOW) -> Result:
    return CliRunner().invoke(cli, ["--store", str(store), *args],
                              env={"ACTIONTRACK_NOW": now, "ACTIONTRACK_USER": "Business manager"})


def digest(store: Path) -> bytes:
    """Every file of the store but its lock, as bytes: equal means nothing was written."""
    return b"\0".join(path.name.encode() + path.read_bytes()
                      for path in sorted(store.parent.glob(store.stem + "*"))
                      if not path.name.endswith((".lock", "-shm")))


def shown(store: Path, record_id: str, kind: str | None = None) -> dict[str, Any]:
    result = run(store, "show", record_id, "--format", "json",
                 *(("--kind", kind) if kind else ()))
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo in a JSON store, with a completion evidence item on in-progress A008."""
    store = tmp_path / "plan.json"
    assert run(store, "demo").exit_code == 0
    added = run(store, "add-evidence", "DEMO-SCP/A008", "--tier", "completion", "--kind",
                "briefing", "--title", "Briefing register", "--about", "2026-11-20")
    assert added.exit_code == 0, added.output
    return store


MEASURE = "DEMO-SCP/A008/M1"
ALEX = "DEMO-SCP/CSPR-ALEX"  # aware 2025-01-05, notified 2025-01-08, sent 2025-01-27,
#                             decided 2025-02-04, published 2025-07-24 (demo loaded at NOW)

#: (record, field, text typed, value stored, a bad text or None, its exit code, its message)
FIELDS: list[tuple[str, str, str, Any, str | None, int, str]] = [
    ("DEMO-SCP", "name", "Demoshire SCP", "Demoshire SCP", " ", 1, "partnership.needs-name"),
    ("DEMO-SCP", "kind", "adults", "adults", "teenagers", 2, "expected one of children"),
    ("DEMO-CC", "former_names", "Demoshire CC,  Old County ", ["Demoshire CC", "Old County"],
     None, 0, ""),
    ("DEMO-CC", "email", "lead@council.example.org", "lead@council.example.org",
     "the lead's address", 1, "agency.email"),
    ("DEMO-CC", "aliases", "CSC, Council", ["CSC", "Council"], "CSC, Police", 1,
     "agency.alias-taken"),
    (ALEX, "kind", "sar", "sar", "inquest", 2, "expected one of rapid_review"),
    (ALEX, "title", "Child Alex: injuries to a baby", "Child Alex: injuries to a baby", "  ", 1,
     "review.needs-title"),
    (ALEX, "subject", "Baby Alex", "Baby Alex", None, 0, ""),
    (ALEX, "became_aware_on", "2025-01-04", "2025-01-04", "2025-01-09", 1, "review.dates-order"),
    (ALEX, "notified_on", "2025-01-07", "2025-01-07", "2025-01-04", 1, "review.dates-order"),
    (ALEX, "rapid_review_sent_on", "2025-01-28", "2025-01-28", "2025-02-30", 2,
     "not a real day"),
    (ALEX, "decided_on", "2025-02-05", "2025-02-05", "2025-07-25", 1, "review.dates-order"),
    (ALEX, "published_on", "2025-07-25", "2025-07-25", "2025-02-03", 1, "review.dates-order"),
    (f"{ALEX}/R1", "text", "Partners share one understanding of thresholds.",
     "Partners share one understanding of thresholds.", "", 1, "recommendation.needs-text"),
    (f"{ALEX}/R1", "themes", "Thresholds, Escalation ,thresholds", ["escalation", "thresholds"],
     None, 0, ""),
    (f"{ALEX}/R1", "scope", "national", "national", "galactic", 2, "expected one of"),
    (f"{ALEX}/R1", "repeats", "DEMO-SCP/NATIONAL-MEN-NAI/R1", ["DEMO-SCP/NATIONAL-MEN-NAI/R1"],
     f"{ALEX}/R1", 1, "recommendation.repeats-itself"),
    ("DEMO-SCP/A008", "title", "Health visitors engage fathers", "Health visitors engage fathers",
     " ", 1, "action.needs-title"),
    ("DEMO-SCP/A008", "recommendation_ids", "DEMO-SCP/CSPR-CHARLIE/R5",
     ["DEMO-SCP/CSPR-CHARLIE/R5"], "", 1, "action.needs-recommendation"),
    ("DEMO-SCP/A008", "lead_agency_id", "DEMO-POL", "DEMO-POL", "DEMO-NOPE", 2,
     "no agency with id 'DEMO-NOPE'"),
    ("DEMO-SCP/A008", "lead_officer", "Named nurse", "Named nurse", None, 0, ""),
    ("DEMO-SCP/A008", "deliverable", "A recording template", "A recording template", None, 0,
     ""),
    ("DEMO-SCP/A008", "success_measure", "", None, None, 0, ""),
    ("DEMO-SCP/A008", "reference", "2.1a", "2.1a", None, 0, ""),
    ("DEMO-SCP/A008/U1", "on", "2026-10-30", "2026-10-30", "yesterday", 2,
     "expected a date as YYYY-MM-DD"),
    ("DEMO-SCP/A008/U1", "by", "Health visiting lead", "Health visiting lead", " ", 1,
     "update.needs-by"),
    ("DEMO-SCP/A008/U1", "text", "Template agreed.", "Template agreed.", "", 1, "update.empty"),
    ("DEMO-SCP/A008/E1", "tier", "impact", "impact", "eventually", 2, "expected one of"),
    ("DEMO-SCP/A008/E1", "kind", "audit", "audit", "gossip", 2, "expected one of"),
    ("DEMO-SCP/A008/E1", "title", "Briefing attendance register",
     "Briefing attendance register", " ", 1, "evidence.needs-title"),
    ("DEMO-SCP/A008/E1", "about_date", "2026-11-19", "2026-11-19", "2026-12-25", 1,
     "evidence.future-date"),
    ("DEMO-SCP/A008/E1", "link", "https://intranet.example.org/register",
     "https://intranet.example.org/register", None, 0, ""),
    ("DEMO-SCP/A007/D1", "decided_on", "2026-08-19", "2026-08-19", "2026-12-25", 1,
     "decision.future-date"),
    ("DEMO-SCP/A007/D1", "decided_by", "Vice-chair, case review subgroup (demo)",
     "Vice-chair, case review subgroup (demo)", "Designated Nurse, safeguarding children (demo)",
     1, "gate.assured-by-someone-else"),
    ("DEMO-SCP/A007/D1", "body", "Executive", "Executive", " ", 1,
     "decision.needs-who-body-seen"),
    ("DEMO-SCP/A007/D1", "seen", "The signed agreement", "The signed agreement", "", 1,
     "decision.needs-who-body-seen"),
    ("DEMO-SCP/A007/D1", "evidence_ids", "DEMO-SCP/A007/E1", ["DEMO-SCP/A007/E1"],
     "DEMO-SCP/A001/E1", 1, "decision.evidence-of-action"),
    ("DEMO-SCP/L1", "kind", "training", "training", "party", 2, "expected one of"),
    ("DEMO-SCP/L1", "title", "Twilight session on thresholds", "Twilight session on thresholds",
     " ", 1, "learning.needs-title"),
    ("DEMO-SCP/L1", "held_on", "2025-09-01", "2025-09-01", "01/09/2025", 2,
     "expected a date as YYYY-MM-DD"),
    ("DEMO-SCP/L1", "reach", "40", 40, "-3", 1, "learning.reach"),
    ("DEMO-SCP/L1", "recommendation_ids", f"{ALEX}/R1, {ALEX}/R2", [f"{ALEX}/R1", f"{ALEX}/R2"],
     "DEMO-SCP/NOPE/R1", 2, "no recommendation with id"),
    # Days to record the father, lower is better: 30 on 30 January 2026, 10 by 14 June 2027;
    # its first figure (V1) taken on 18 August 2026.
    (MEASURE, "name", "Days to record the father", "Days to record the father", " ", 1,
     "measure.needs-name"),
    (MEASURE, "unit", "working days", "working days", "", 1, "measure.needs-unit"),
    (MEASURE, "baseline", "32.5", 32.5, "many", 2, "expected a number"),
    (MEASURE, "baseline_on", "2026-01-15", "2026-01-15", "2026-09-01", 1,
     "measure.baseline-after-figures"),
    (MEASURE, "target", "5", 5.0, "40", 1, "measure.target-better-than-baseline"),
    (MEASURE, "target_on", "2027-03-31", "2027-03-31", "2025-12-31", 1,
     "measure.target-after-baseline"),
    (MEASURE, "source", "Records audit", "Records audit", None, 0, ""),
    (f"{MEASURE}/V1", "on", "2026-08-19", "2026-08-19", "2026-12-25", 1,
     "measurement.future-date"),
    (f"{MEASURE}/V1", "value", "22.5", 22.5, "twenty", 2, "expected a number"),
    (f"{MEASURE}/V1", "by", "Audit lead", "Audit lead", " ", 1, "measurement.needs-by"),
    (f"{MEASURE}/V1", "note", "Sample of 30", "Sample of 30", None, 0, ""),
]
#: Editable fields that change only together with another (``want`` turns the target round).
TOGETHER = {("measures", "want")}


def _kind(record_id: str) -> str:
    return {
        "DEMO-SCP": "partnerships", "DEMO-CC": "agencies", ALEX: "reviews",
        f"{ALEX}/R1": "recommendations", "DEMO-SCP/A008": "actions",
        "DEMO-SCP/A008/U1": "progress_updates", "DEMO-SCP/A008/E1": "evidence",
        "DEMO-SCP/A007/D1": "assurance_decisions", "DEMO-SCP/L1": "learning_activities",
        MEASURE: "measures", f"{MEASURE}/V1": "measurements",
    }[record_id]


def test_the_table_covers_every_field_edit_may_change() -> None:
    """Each kind's editable fields, and only those, are in the table below."""
    assert {(_kind(row[0]), row[1]) for row in FIELDS} | TOGETHER == {
        (kind, field) for kind, fields in EDITABLE.items() for field in fields}


def test_which_way_is_better_turns_round_with_the_target(demo: Path) -> None:
    """want alone would leave the target behind the baseline; with the target it changes."""
    unchanged = digest(demo)
    alone = run(demo, "edit", MEASURE, "--set", "want=higher", "--reason", REASON)
    assert alone.exit_code == 1
    assert "higher is better, so the target must be above the baseline (30)" in alone.output
    assert digest(demo) == unchanged
    both = run(demo, "edit", MEASURE, "--set", "want=higher", "--set", "target=60",
               "--reason", REASON)
    assert both.exit_code == 0, both.output
    record = shown(demo, MEASURE)["record"]
    assert (record["want"], record["target"]) == ("higher", 60.0)


@pytest.mark.parametrize(("record_id", "field", "typed", "stored", "bad", "code", "message"),
                         FIELDS, ids=[f"{_kind(row[0])}.{row[1]}" for row in FIELDS])
def test_every_editable_field_changes_with_its_history_and_refuses_a_bad_value(
    demo: Path, record_id: str, field: str, typed: str, stored: Any, bad: str | None,
    code: int, message: str,
) -> None:
    """edit sets the field, history says old -> new with the reason; a bad value changes nothing."""
    kind = _kind(record_id)
    before = shown(demo, record_id, kind)
    result = run(demo, "edit", record_id, "--kind", kind, "--set", f"{field}={typed}",
                 "--reason", REASON)
    assert result.exit_code == 0, result.output
    after = shown(demo, record_id, kind)
    assert after["record"][field] == stored
    assert after["record"]["version"] == before["record"]["version"] + 1
    (entry,) = [e for e in after["history"] if e["version"] == after["record"]["version"]]
    assert (entry["change"], entry["field"], entry["reason"]) == ("update", field, REASON)
    assert (entry["old"], entry["new"]) == (before["record"][field], stored)
    if bad is None:
        return  # any value of this field is one a person may mean
    unchanged = digest(demo)
    refused = run(demo, "edit", record_id, "--kind", kind, "--set", f"{field}={bad}",
                  "--reason", REASON)
    assert refused.exit_code == code, refused.output
    assert message in refused.output
    assert digest(demo) == unchanged


@pytest.mark.parametrize(("kind", "field"), [
    # The demo holds no chase: tests/chasing/test_chasing_outbox.py edits one.
    (kind, field) for kind, fields in OWNED.items() if kind != "chases" for field in fields])
def test_fields_edit_leaves_alone_are_refused_with_the_way_they_change(
    demo: Path, kind: str, field: str
) -> None:
    """A field another command owns (or an id) is refused, exit 1, naming how it changes."""
    record_id = {v: k for k, v in {row[0]: _kind(row[0]) for row in FIELDS}.items()}[kind]
    before = digest(demo)
    result = run(demo, "edit", record_id, "--kind", kind, "--set", f"{field}=x",
                 "--reason", REASON)
    assert result.exit_code == 1, result.output
    assert "edit.owned-field" in result.output
    assert f"{field} is not changed by edit: {OWNED[kind][field]}" in " ".join(
        result.output.split())
    assert digest(demo) == before


def test_an_unknown_field_is_bad_usage_naming_the_fields_there_are(demo: Path) -> None:
    """A field the record does not have exits 2 and lists the fields it does have."""
    before = digest(demo)
    result = run(demo, "edit", "DEMO-SCP/A008", "--set", "colour=red", "--set", "titel=x",
                 "--reason", REASON)
    assert result.exit_code == 2
    assert "an action has no field 'colour'" in result.output
    assert "an action has no field 'titel'" in result.output  # every problem at once
    assert "its fields are id, partnership_id, recommendation_ids" in result.output
    assert digest(demo) == before


def test_every_bad_value_of_one_edit_is_reported_at_once(demo: Path) -> None:
    """Two values that are not of their fields' types are both named; nothing is written."""
    before = digest(demo)
    result = run(demo, "edit", "DEMO-SCP/L1", "--set", "reach=many", "--set",
                 "held_on=last week", "--reason", REASON)
    assert result.exit_code == 2
    assert "$.reach: expected a whole number" in result.output
    assert "$.held_on: expected a date" in result.output
    assert digest(demo) == before


def test_an_edit_needs_a_reason_and_a_real_change(demo: Path) -> None:
    """A blank reason, and a value the record already has, are refused with exit 1."""
    before = digest(demo)
    blank = run(demo, "edit", "DEMO-SCP/A008", "--set", "title=New", "--reason", " ")
    assert blank.exit_code == 1
    assert "edit.needs-reason" in blank.output
    same = run(demo, "edit", "DEMO-SCP", "--set", "kind=children", "--reason", REASON)
    assert same.exit_code == 1
    assert "edit.no-change" in same.output
    assert digest(demo) == before


def test_an_edit_of_several_fields_is_one_commit(demo: Path) -> None:
    """Setting two fields at once raises the version once, with both in its history."""
    result = run(demo, "edit", "DEMO-SCP/A008", "--set", "title=Fathers engaged",
                 "--set", "deliverable=A recording template", "--reason", REASON)
    assert result.exit_code == 0, result.output
    record = shown(demo, "DEMO-SCP/A008")
    latest = [e for e in record["history"] if e["version"] == record["record"]["version"]]
    assert sorted(e["field"] for e in latest) == ["deliverable", "title"]
    assert len({e["commit"] for e in latest}) == 1


def test_a_stale_expected_version_is_a_conflict(demo: Path) -> None:
    """--expect-version naming an older version is refused with exit 1 and writes nothing."""
    version = shown(demo, "DEMO-SCP/A008")["record"]["version"]
    assert run(demo, "edit", "DEMO-SCP/A008", "--set", "title=One", "--reason", REASON,
               "--expect-version", str(version)).exit_code == 0
    before = digest(demo)
    stale = run(demo, "edit", "DEMO-SCP/A008", "--set", "title=Two", "--reason", REASON,
                "--expect-version", str(version))
    assert stale.exit_code == 1
    assert "conflict" in stale.output
    assert digest(demo) == before


def test_an_assured_action_keeps_its_lead_officer(demo: Path) -> None:
    """The lead officer of an assured action is part of its assurance record: refused."""
    before = digest(demo)
    result = run(demo, "edit", "DEMO-SCP/A007", "--set", "lead_officer=Someone else",
                 "--reason", REASON)
    assert result.exit_code == 1
    assert "action.lead-officer-frozen" in result.output
    assert digest(demo) == before


def test_evidence_a_status_stands_on_cannot_be_edited_away(demo: Path) -> None:
    """The only completion evidence of a completed action cannot become impact evidence."""
    before = digest(demo)
    result = run(demo, "edit", "DEMO-SCP/A003/E1", "--set", "tier=impact", "--reason", REASON)
    assert result.exit_code == 1
    assert "gate.completed-needs-completion-evidence" in result.output
    assert digest(demo) == before


def test_a_review_s_notification_clock_clears_once_its_date_is_set(tmp_path: Path) -> None:
    """A review added with only the day the council became aware gets notified_on later."""
    store = tmp_path / "plan.json"
    for args in (("init", "--partnership", "NSCP", "--name", "North SCP", "--kind", "children"),
                 ("add-review", "--partnership", "NSCP", "--reference", "RR-1", "--kind",
                  "rapid_review", "--title", "Rapid review 1", "--subject", "Child Bo",
                  "--became-aware-on", "2026-11-02")):
        assert run(store, *args).exit_code == 0
    audit = run(store, "audit", "--format", "json")
    rules = {finding["rule"] for finding in json.loads(audit.output)["findings"]}
    assert "notification-clock" in rules
    assert run(store, "edit", "NSCP/RR-1", "--set", "notified_on=2026-11-05",
               "--reason", "The Panel's acknowledgement came to light").exit_code == 0
    audit = run(store, "audit", "--format", "json")
    rules = {finding["rule"] for finding in json.loads(audit.output)["findings"]}
    assert "notification-clock" not in rules


# -- withdrawing ------------------------------------------------------------------------


@pytest.mark.parametrize("record_id", [
    "DEMO-SCP/A008/U1", "DEMO-SCP/A008/E1", "DEMO-SCP/L1", "DEMO-SCP/THEMATIC-NEGLECT",
    f"{MEASURE}/V2", MEASURE])
def test_a_record_added_by_mistake_is_withdrawn_and_kept_in_history(
    demo: Path, record_id: str
) -> None:
    """withdraw takes it off the plan; its history ends in a delete with the reason."""
    kind = shown(demo, record_id)["kind"]
    result = run(demo, "withdraw", record_id, "--reason", "Added by mistake")
    assert result.exit_code == 0, result.output
    assert run(demo, "show", record_id).exit_code == 2
    last = json.loads(run(demo, "list", "--format", "json").output)
    assert all(row["id"] != record_id for row in last)
    history = shown(demo, "DEMO-SCP/A008")  # the store still reads whole
    assert history["record"]["id"] == "DEMO-SCP/A008"
    from actiontrack.store import open_store

    entries = open_store(str(demo)).history(kind=kind, record_id=record_id)
    assert (entries[-1].change, entries[-1].reason) == ("delete", "Added by mistake")


def test_an_action_is_withdrawn_with_its_updates_and_evidence(demo: Path) -> None:
    """An action not completed goes with its updates and evidence, in one change."""
    result = run(demo, "withdraw", "DEMO-SCP/A008", "--reason", "Duplicate of A004")
    assert result.exit_code == 0, result.output
    assert ("withdrew action DEMO-SCP/A008 and with it DEMO-SCP/A008/U1, DEMO-SCP/A008/U2,"
            " DEMO-SCP/A008/E1") in " ".join(result.output.split())
    assert f"{MEASURE}, {MEASURE}/V1, {MEASURE}/V2" in " ".join(result.output.split())
    for gone in ("DEMO-SCP/A008", "DEMO-SCP/A008/U1", "DEMO-SCP/A008/E1", MEASURE,
                 f"{MEASURE}/V1"):
        assert run(demo, "show", gone).exit_code == 2
    as_before = json.loads(run(demo, "list", "--as-of", "2026-11-25", "--format", "json").output)
    assert "DEMO-SCP/A008" in {row["id"] for row in as_before}  # the past is as it was


@pytest.mark.parametrize(("record_id", "rule"), [
    ("DEMO-SCP/A003", "withdraw.action-complete"),
    ("DEMO-SCP/A003/E1", "gate.completed-needs-completion-evidence"),
    ("DEMO-SCP/A001/D1", "gate.assured-needs-decision"),  # A001 is embedded: reopen first
    ("DEMO-SCP/CSPR-ALEX/R1", "withdraw.recommendation-has-actions"),
    ("DEMO-SCP/CSPR-ALEX", "withdraw.review-has-recommendations"),
    ("DEMO-POL", "withdraw.agency-leads-actions"),
    ("DEMO-SCP", "withdraw.partnership"),
])
def test_what_the_plan_stands_on_is_not_withdrawn(demo: Path, record_id: str,
                                                  rule: str) -> None:
    """A completed action, proof a status stands on, or a record others hang on is refused."""
    before = digest(demo)
    result = run(demo, "withdraw", record_id, "--reason", "Tidying up")
    assert result.exit_code == 1, result.output
    assert rule in result.output
    assert digest(demo) == before


def test_the_decision_that_assured_an_action_takes_it_back_to_completed(demo: Path) -> None:
    """Withdrawing A007's accepting decision, made by mistake, leaves A007 completed again."""
    result = run(demo, "withdraw", "DEMO-SCP/A007/D1", "--reason", "Recorded on the wrong action")
    assert result.exit_code == 0, result.output
    assert "DEMO-SCP/A007 is completed again" in result.output
    action = shown(demo, "DEMO-SCP/A007")
    assert action["record"]["status"] == "completed"
    latest = [e for e in action["history"] if e["version"] == action["record"]["version"]]
    assert [(e["field"], e["old"], e["new"], e["reason"]) for e in latest] == [
        ("status", "assured", "completed", "Recorded on the wrong action")]
    assured = run(demo, "assure", "DEMO-SCP/A007", "--outcome", "accepted", "--decided-by",
                  "Chair, case review subgroup (demo)", "--body", "Case review subgroup",
                  "--seen", "The signed agreement")
    assert assured.exit_code == 0, assured.output
    assert "DEMO-SCP/A007/D2" in assured.output  # D1 is never given again


def test_a_withdrawn_id_is_never_given_again(demo: Path) -> None:
    """After U2 is withdrawn, the next update of the action is U3, not a second U2."""
    assert run(demo, "withdraw", "DEMO-SCP/A008/U2", "--reason", "Wrong action").exit_code == 0
    added = run(demo, "add-update", "DEMO-SCP/A008", "Template agreed with the leads.")
    assert added.exit_code == 0, added.output
    assert "DEMO-SCP/A008/U3" in added.output


# -- agencies and learning activities -------------------------------------------------


def test_an_agency_is_added_with_its_lead_s_email_and_other_names(demo: Path) -> None:
    """add-agency keeps --email and each --alias; a bad email is refused, nothing written."""
    before = digest(demo)
    bad = run(demo, "add-agency", "DEMO-EDU", "--name", "Demoshire Schools", "--email",
              "schools at example.org")
    assert bad.exit_code == 1
    assert "agency.email" in bad.output
    assert digest(demo) == before
    added = run(demo, "add-agency", "DEMO-EDU", "--name", "Demoshire Schools", "--email",
                "dsl.lead@schools.example.org", "--alias", "Education", "--alias", "Schools")
    assert added.exit_code == 0, added.output
    record = shown(demo, "DEMO-EDU")["record"]
    assert (record["email"], record["aliases"]) == (
        "dsl.lead@schools.example.org", ["Education", "Schools"])


def test_a_learning_activity_is_added_from_the_command_line(demo: Path) -> None:
    """add-activity records a briefing with its reach and the recommendations it spreads."""
    result = run(demo, "add-activity", "--partnership", "DEMO-SCP", "--kind", "briefing",
                 "--title", "7-minute briefing: fathers", "--held-on", "2026-11-20",
                 "--reach", "120", "--recommendation", "DEMO-SCP/NATIONAL-MEN-NAI/R1")
    assert result.exit_code == 0, result.output
    assert "DEMO-SCP/L5" in result.output
    record = shown(demo, "DEMO-SCP/L5")["record"]
    assert (record["reach"], record["recommendation_ids"]) == (
        120, ["DEMO-SCP/NATIONAL-MEN-NAI/R1"])


# -- statuses, holds and targets -------------------------------------------------------------


def test_set_status_passes_through_in_progress_and_revises_a_hold(demo: Path) -> None:
    """An agreed action with evidence is completed in one go; a hold takes a new review date."""
    assert run(demo, "add-evidence", "DEMO-SCP/A005", "--tier", "completion", "--kind",
               "policy", "--title", "Signed protocol", "--about", "2026-11-20").exit_code == 0
    done = run(demo, "set-status", "DEMO-SCP/A005", "completed")
    assert done.exit_code == 0, done.output
    assert shown(demo, "DEMO-SCP/A005")["record"]["status"] == "completed"
    revised = run(demo, "set-status", "DEMO-SCP/A010", "on_hold", "--review-date", "2027-02-01")
    assert revised.exit_code == 0, revised.output
    held = shown(demo, "DEMO-SCP/A010")["record"]
    assert (held["status"], held["hold_review_date"]) == ("on_hold", "2027-02-01")
    assert held["hold_reason"]  # the reason given before is kept
    before = digest(demo)
    stray = run(demo, "set-status", "DEMO-SCP/A008", "in_progress", "--hold-reason", "x")
    assert stray.exit_code == 1
    assert "lifecycle.hold-needs-on-hold" in stray.output
    assert digest(demo) == before


def test_a_target_moved_to_a_past_day_warns_and_the_audit_flags_it(demo: Path) -> None:
    """revise-target to a day gone warns on standard error; target-moved-to-past flags it."""
    result = run(demo, "revise-target", "DEMO-SCP/A008", "2026-11-01", "--reason",
                 "The date the board agreed")
    assert result.exit_code == 0, result.output
    assert "warning: 1 November 2026 has already passed" in result.output
    audit = json.loads(run(demo, "audit", "--format", "json").output)
    assert {(f["rule"], f["subject"]) for f in audit["findings"]} >= {
        ("target-moved-to-past", "DEMO-SCP/A008")}


def test_an_agency_cannot_edit_an_action_away_from_itself(tmp_path: Path) -> None:
    """Working as one agency, edit may change its own action but not hand it to another."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    assert CliRunner().invoke(cli, ["--store", url, "demo"],
                              env={"ACTIONTRACK_NOW": NOW}).exit_code == 0

    def as_police(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--store", url, "--agency", "DEMO-POL", *args],
                                  env={"ACTIONTRACK_NOW": NOW, "ACTIONTRACK_USER": "DI Jones"})

    assert as_police("edit", "DEMO-SCP/A002", "--set", "title=Audit strategy discussions",
                     "--reason", REASON).exit_code == 0
    before = digest(tmp_path / "plan.db")  # the database and its write-ahead log
    handed = as_police("edit", "DEMO-SCP/A002", "--set", "lead_agency_id=DEMO-CC",
                       "--reason", REASON)
    assert handed.exit_code == 1
    assert "scoped to agency 'DEMO-POL'" in handed.output
    assert digest(tmp_path / "plan.db") == before


def test_a_change_dated_in_the_future_is_refused_and_writes_nothing(demo: Path) -> None:
    """$ACTIONTRACK_NOW set a year ahead: exit 1, history.future-dated, the store as it was."""
    before = digest(demo)
    result = run(demo, "add-update", "DEMO-SCP/A008", "A note from the future",
                 now="2027-12-01T09:00:00+00:00")
    assert result.exit_code == 1
    assert "history.future-dated" in result.output
    assert digest(demo) == before
    assert run(demo, "add-update", "DEMO-SCP/A008", "A note from today").exit_code == 0
