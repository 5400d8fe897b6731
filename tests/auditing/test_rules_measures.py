"""The measure rules: not measured for months, moving the wrong way, embedded without impact.

And how a measure at its target counts as impact, for the no-impact-evidence
rule as for the gate into embedded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from audit_plans import (
    ACTION,
    action,
    decision,
    evidence,
    found,
    measure,
    measurement,
    plan_store,
    put_all,
    subjects,
)

from actiontrack.auditing import AuditConfig, Severity
from actiontrack.domain.models import ActionStatus, EvidenceTier, Want

MEASURE = f"{ACTION}/M1"

# -- measure-not-measured ----------------------------------------------------------


def test_a_measure_never_measured_is_flagged_six_months_after_its_baseline() -> None:
    """Baseline 1 December 2025: due by 1 June 2026, flagged from the day after."""
    store = plan_store(action(), measure())
    assert found(store, "measure-not-measured", date(2026, 6, 1)) == []
    [finding] = found(store, "measure-not-measured", date(2026, 6, 2))
    assert finding.subject == MEASURE
    assert finding.severity == Severity.WARNING
    assert finding.message == ("not measured since its baseline on 1 December 2025, more than"
                               " 6 months ago (Contacts with the father recorded)")
    assert finding.facts == {"last_measured_on": "2025-12-01", "figure_due": "2026-06-01"}


def test_the_latest_figure_restarts_the_clock_and_the_threshold_is_configurable() -> None:
    store = plan_store(action(), measure(), measurement(1, date(2026, 1, 2), 50))
    assert found(store, "measure-not-measured", date(2026, 7, 2)) == []
    [finding] = found(store, "measure-not-measured", date(2026, 7, 3))
    assert finding.message.startswith("last measured on 2 January 2026")
    config = AuditConfig(thresholds={"measure_months": 3})
    assert subjects(found(store, "measure-not-measured", date(2026, 4, 3), config)) == [MEASURE]


def test_a_superseded_actions_measures_are_not_chased() -> None:
    store = plan_store(action(status=ActionStatus.SUPERSEDED, successor_id=ACTION), measure())
    assert found(store, "measure-not-measured", date(2027, 1, 1)) == []


# -- measure-wrong-way -------------------------------------------------------------


@pytest.mark.parametrize(("want", "baseline", "target", "figures", "flagged"), [
    (Want.HIGHER, 40, 80, (50, 45), True),  # up then down
    (Want.HIGHER, 40, 80, (35,), True),  # below the baseline
    (Want.HIGHER, 40, 80, (50, 60), False),
    (Want.HIGHER, 40, 80, (50, 50), False),  # standing still is not the wrong way
    (Want.LOWER, 30, 10, (20, 25), True),
    (Want.LOWER, 30, 10, (20, 15), False),
])
def test_a_figure_worse_than_the_one_before_is_flagged(
    want: Want, baseline: float, target: float, figures: tuple[float, ...], flagged: bool,
) -> None:
    days = [date(2026, 1, 2), date(2026, 1, 3)]
    store = plan_store(action(), measure(want=want, baseline=baseline, target=target),
                       *(measurement(n + 1, days[n], v) for n, v in enumerate(figures)))
    findings = found(store, "measure-wrong-way", date(2026, 2, 1))
    assert subjects(findings) == ([MEASURE] if flagged else [])


def test_the_wrong_way_message_names_the_figures() -> None:
    store = plan_store(action(), measure(), measurement(1, date(2026, 1, 2), 63),
                       measurement(2, date(2026, 1, 3), 58.5))
    [finding] = found(store, "measure-wrong-way", date(2026, 2, 1))
    assert finding.message == ("moved away from its target of 80%: 63% before, 58.5% on"
                               " 3 January 2026 (Contacts with the father recorded; higher is"
                               " better)")


def test_the_audit_as_of_a_past_day_reads_the_figures_of_that_day() -> None:
    """A later, worse figure is not seen by an audit as of the day before it was stored."""
    store = plan_store(action(), measure(), measurement(1, date(2026, 1, 2), 60))
    put_all(store, [measurement(2, date(2026, 2, 2), 50)],
            at=datetime(2026, 2, 2, 10, 0, tzinfo=UTC))
    assert found(store, "measure-wrong-way", date(2026, 2, 1)) == []
    assert subjects(found(store, "measure-wrong-way", date(2026, 2, 2))) == [MEASURE]


# -- embedded-without-impact and no-impact-evidence ---------------------------------


def test_embedded_with_neither_impact_evidence_nor_a_met_measure_is_an_error() -> None:
    store = plan_store(action(status=ActionStatus.EMBEDDED), evidence(), decision(), measure(),
                       measurement(1, date(2026, 1, 2), 70))
    [finding] = found(store, "embedded-without-impact", date(2026, 2, 1))
    assert finding.subject == ACTION
    assert finding.severity == Severity.ERROR
    assert finding.message == (
        "is embedded with neither impact evidence nor a measure at its target; its measures"
        " are off target now: Contacts with the father recorded 70% against 80%")


@pytest.mark.parametrize("proof", ["impact evidence", "met measure"])
def test_impact_evidence_or_a_met_measure_shows_impact(proof: str) -> None:
    shown = (evidence(id=f"{ACTION}/E2", tier=EvidenceTier.IMPACT),) if proof == \
        "impact evidence" else (measure(), measurement(1, date(2026, 1, 2), 80))
    embedded = plan_store(action(status=ActionStatus.EMBEDDED), evidence(), decision(), *shown)
    assert found(embedded, "embedded-without-impact", date(2026, 2, 1)) == []
    assured = plan_store(action(status=ActionStatus.ASSURED), evidence(), decision(), *shown)
    assert found(assured, "no-impact-evidence", date(2026, 8, 1)) == []


def test_a_measure_met_before_a_reopen_no_longer_counts() -> None:
    """After a reopen only figures taken since count, as only evidence recorded since does."""
    store = plan_store(
        action(status=ActionStatus.EMBEDDED, reopened_on=date(2026, 1, 3)), evidence(
            recorded_on=date(2026, 1, 4)), decision(decided_on=date(2026, 1, 4)), measure(),
        measurement(1, date(2026, 1, 2), 85))
    assert subjects(found(store, "embedded-without-impact", date(2026, 2, 1))) == [ACTION]
