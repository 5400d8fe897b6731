"""Rules about recommendations: responses, actions, and findings that keep coming back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from actiontrack.auditing.context import AuditContext, Flag
from actiontrack.auditing.findings import Severity
from actiontrack.auditing.registry import rule
from actiontrack.domain.models import ActionStatus, Response, Review


@rule("accepted-without-actions", severity=Severity.WARNING,
      description="An accepted recommendation that no action answers")
def accepted_without_actions(context: AuditContext) -> Iterator[Flag]:
    plan = context.plan
    for recommendation_id in sorted(plan.recommendations):
        recommendation = plan.recommendations[recommendation_id]
        if recommendation.response not in (Response.ACCEPTED, Response.PARTLY_ACCEPTED):
            continue
        live = [a for a in plan.actions_for(recommendation_id)
                if a.status != ActionStatus.SUPERSEDED]
        if not live:
            yield Flag(subject=recommendation_id,
                       message=f"is {recommendation.response.value} but no action answers it",
                       facts={"review_id": recommendation.review_id})


@rule("not-accepted-without-reason", severity=Severity.ERROR,
      description="A recommendation not accepted, with no reason recorded")
def not_accepted_without_reason(context: AuditContext) -> Iterator[Flag]:
    plan = context.plan
    for recommendation_id in sorted(plan.recommendations):
        recommendation = plan.recommendations[recommendation_id]
        reason = recommendation.response_reason
        if recommendation.response == Response.NOT_ACCEPTED and not (reason and reason.strip()):
            yield Flag(subject=recommendation_id,
                       message="is not accepted and no reason is recorded",
                       facts={"review_id": recommendation.review_id})


def _review_date(review: Review) -> date | None:
    """When a review's findings became known: published, else decided, else notified."""
    return review.published_on or review.decided_on or review.notified_on


@rule("recurring-theme", severity=Severity.WARNING,
      description="A theme that recurs in several reviews within a few years",
      thresholds={"theme_reviews": 3, "theme_years": 3})
def recurring_theme(context: AuditContext) -> Iterator[Flag]:
    plan = context.plan
    least = context.threshold("theme_reviews")
    years = context.threshold("theme_years")
    by_theme: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for recommendation_id in sorted(plan.recommendations):
        recommendation = plan.recommendations[recommendation_id]
        for theme in recommendation.themes:
            by_theme[theme][recommendation.review_id].append(recommendation_id)
    window_start = date(max(1, context.as_of.year - years), context.as_of.month, 1)
    for theme in sorted(by_theme):
        dated = {
            review_id: _review_date(plan.reviews[review_id])
            for review_id in by_theme[theme] if review_id in plan.reviews
        }
        recent = sorted(
            (day, review_id) for review_id, day in dated.items()
            if day is not None and window_start <= day <= context.as_of
        )
        if len(recent) < least:
            continue
        latest_review = recent[-1][1]
        earlier = [rid for _, review_id in recent[:-1] for rid in by_theme[theme][review_id]]
        yield Flag(
            subject=by_theme[theme][latest_review][0],
            message=f"theme '{theme}' has come up in {len(recent)} reviews since"
            f" {window_start:%B %Y}; earlier recommendations: {', '.join(earlier)}",
            facts={"theme": theme, "reviews": [review_id for _, review_id in recent],
                   "earlier_recommendations": earlier},
        )
