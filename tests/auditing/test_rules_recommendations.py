"""The recommendation rules: accepted without actions, not accepted without a reason,
and themes that recur across reviews."""

from __future__ import annotations

from datetime import date

import pytest
from audit_plans import (
    ACTION,
    PARTNERSHIP,
    RECOMMENDATION,
    REVIEW,
    action,
    found,
    plan_store,
    recommendation,
    review,
    subjects,
)

from actiontrack.auditing import AuditConfig, Severity
from actiontrack.domain.models import ActionStatus, Recommendation, Response, Review
from actiontrack.store import MemoryStore

# -- accepted-without-actions -----------------------------------------------------


@pytest.mark.parametrize("response", [Response.ACCEPTED, Response.PARTLY_ACCEPTED])
def test_accepted_with_no_action(response: Response) -> None:
    """An accepted (or partly accepted) recommendation that no action answers."""
    store = plan_store(recommendation(response=response))
    [finding] = found(store, "accepted-without-actions", date(2026, 2, 1))
    assert finding.subject == RECOMMENDATION
    assert finding.severity == Severity.WARNING
    assert finding.message == f"is {response.value} but no action answers it"
    assert finding.facts == {"review_id": REVIEW}


@pytest.mark.parametrize("response", [Response.PENDING, Response.NOT_ACCEPTED])
def test_no_action_needed_unless_accepted(response: Response) -> None:
    """Pending and not-accepted recommendations need no action."""
    store = plan_store(recommendation(response=response, response_reason="A national matter"))
    assert found(store, "accepted-without-actions", date(2026, 2, 1)) == []


def test_a_superseded_action_does_not_answer_a_recommendation() -> None:
    """Only a superseded action answers it: flagged; a live one: quiet."""
    superseded = plan_store(action(status=ActionStatus.SUPERSEDED, successor_id="X/A9"))
    assert subjects(found(superseded, "accepted-without-actions", date(2026, 2, 1))) == [
        RECOMMENDATION]
    assert found(plan_store(action()), "accepted-without-actions", date(2026, 2, 1)) == []


# -- not-accepted-without-reason --------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "  \n "])
def test_not_accepted_needs_a_reason(reason: str | None) -> None:
    """Not accepted with no reason, or a blank one, is an error."""
    store = plan_store(recommendation(response=Response.NOT_ACCEPTED, response_reason=reason))
    [finding] = found(store, "not-accepted-without-reason", date(2026, 2, 1))
    assert finding.subject == RECOMMENDATION
    assert finding.severity == Severity.ERROR
    assert finding.message == "is not accepted and no reason is recorded"


def test_not_accepted_with_a_reason_is_fine() -> None:
    """A recorded reason satisfies the rule; accepted ones need none."""
    store = plan_store(recommendation(response=Response.NOT_ACCEPTED,
                                      response_reason="For national government"))
    assert found(store, "not-accepted-without-reason", date(2026, 2, 1)) == []
    assert found(plan_store(action()), "not-accepted-without-reason", date(2026, 2, 1)) == []


# -- recurring-theme --------------------------------------------------------------


def _review_with_theme(reference: str, *, themes: tuple[str, ...] = ("information-sharing",),
                       recommendations: int = 1, **dates: date) -> list[Review | Recommendation]:
    """A review (no statutory clock) and its recommendations, all with ``themes``."""
    review_id = f"{PARTNERSHIP}/{reference}"
    records: list[Review | Recommendation] = [
        review(id=review_id, reference=reference, title=f"Review {reference}", **dates)]
    for number in range(1, recommendations + 1):
        records.append(recommendation(
            id=f"{review_id}/R{number}", review_id=review_id, number=f"R{number}",
            themes=themes, response=Response.PENDING))
    return records


def _theme_store(*reviews: list[Review | Recommendation]) -> MemoryStore:
    records = [record for group in reviews for record in group]
    # The background's accepted recommendation has an action, so nothing else is found.
    return plan_store(action(), *records)


def test_a_theme_in_three_reviews_within_three_years() -> None:
    """Published in 2023, 2024 and 2025: flagged on the latest one, naming the earlier ones."""
    store = _theme_store(
        _review_with_theme("OLDEST", published_on=date(2023, 6, 1), recommendations=2),
        _review_with_theme("MIDDLE", decided_on=date(2024, 6, 1)),
        _review_with_theme("LATEST", notified_on=date(2025, 6, 1)),
    )
    [finding] = found(store, "recurring-theme", date(2026, 2, 1))
    assert finding.severity == Severity.WARNING
    assert finding.subject == f"{PARTNERSHIP}/LATEST/R1"
    earlier = [f"{PARTNERSHIP}/OLDEST/R1", f"{PARTNERSHIP}/OLDEST/R2",
               f"{PARTNERSHIP}/MIDDLE/R1"]
    assert finding.facts["earlier_recommendations"] == earlier
    assert finding.facts["theme"] == "information-sharing"
    assert finding.facts["reviews"] == [f"{PARTNERSHIP}/OLDEST", f"{PARTNERSHIP}/MIDDLE",
                                        f"{PARTNERSHIP}/LATEST"]
    assert "theme 'information-sharing' has come up in 3 reviews" in finding.message
    assert ", ".join(earlier) in finding.message


def test_two_reviews_are_not_a_pattern_yet() -> None:
    """Two reviews with the theme (one with two such recommendations) are not enough."""
    store = _theme_store(
        _review_with_theme("FIRST", published_on=date(2024, 6, 1), recommendations=3),
        _review_with_theme("SECOND", published_on=date(2025, 6, 1)),
    )
    assert found(store, "recurring-theme", date(2026, 2, 1)) == []


def test_reviews_outside_the_window_do_not_count() -> None:
    """A review from 2021, one not yet published by the audit date, one with no date: quiet."""
    store = _theme_store(
        _review_with_theme("OLD", published_on=date(2021, 6, 1)),
        _review_with_theme("RECENT", published_on=date(2025, 6, 1)),
        _review_with_theme("LATER", published_on=date(2026, 6, 1)),
        _review_with_theme("UNDATED"),
        _review_with_theme("NOW", published_on=date(2026, 1, 20)),
    )
    assert found(store, "recurring-theme", date(2026, 2, 1)) == []
    # By mid-2026 the later review is published and counts.
    [finding] = found(store, "recurring-theme", date(2026, 7, 1))
    assert finding.subject == f"{PARTNERSHIP}/LATER/R1"
    assert f"{PARTNERSHIP}/OLD/R1" not in finding.facts["earlier_recommendations"]


def test_recurring_theme_thresholds_are_configurable() -> None:
    """theme_reviews = 2 and theme_years = 10: two reviews eight years apart recur."""
    store = _theme_store(
        _review_with_theme("FIRST", published_on=date(2018, 6, 1)),
        _review_with_theme("SECOND", published_on=date(2025, 6, 1)),
    )
    config = AuditConfig(thresholds={"theme_reviews": 2, "theme_years": 10})
    [finding] = found(store, "recurring-theme", date(2026, 2, 1), config)
    assert finding.facts["earlier_recommendations"] == [f"{PARTNERSHIP}/FIRST/R1"]


def test_each_theme_is_judged_on_its_own() -> None:
    """Three reviews share one theme, only two share another: one finding, for the first."""
    store = _theme_store(
        _review_with_theme("A", published_on=date(2024, 1, 1),
                           themes=("fathers-and-male-carers", "escalation")),
        _review_with_theme("B", published_on=date(2024, 6, 1),
                           themes=("fathers-and-male-carers", "escalation")),
        _review_with_theme("C", published_on=date(2025, 1, 1),
                           themes=("fathers-and-male-carers",)),
    )
    findings = found(store, "recurring-theme", date(2026, 2, 1))
    assert [f.facts["theme"] for f in findings] == ["fathers-and-male-carers"]
    assert ACTION not in subjects(findings)
