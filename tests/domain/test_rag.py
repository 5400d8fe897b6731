"""Derived status: an action's RAG on a given day, a recommendation's status from its actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from actiontrack.domain.lifecycle import COMPLETE_STATUSES
from actiontrack.domain.models import Action, ActionStatus, Recommendation, Response
from actiontrack.domain.rag import Rag, RagPolicy, RecommendationStatus, rag, recommendation_status
from actiontrack.errors import ConfigError

S = ActionStatus
TARGET = date(2026, 3, 31)
# Hand-counted: March has 31 days, so 3 March is 28 days before 31 March and 2 March 29.
TWENTY_EIGHT_DAYS_BEFORE = date(2026, 3, 3)
TWENTY_NINE_DAYS_BEFORE = date(2026, 3, 2)
FAR_AHEAD = date(2026, 1, 5)  # 85 days before the target
ON_TRACK_STATUSES = sorted([S.PROPOSED, S.AGREED, S.IN_PROGRESS, S.REOPENED])


@pytest.mark.parametrize("status", ON_TRACK_STATUSES, ids=lambda s: s.value)
def test_open_action_far_from_its_target_is_green(
    make_action: Callable[..., Action], status: ActionStatus
) -> None:
    """An open action well before its target, never slipped, is green."""
    assert rag(make_action(status=status), FAR_AHEAD) == Rag.GREEN


@pytest.mark.parametrize("status", ON_TRACK_STATUSES, ids=lambda s: s.value)
def test_open_action_past_its_target_is_red(
    make_action: Callable[..., Action], status: ActionStatus
) -> None:
    """An open action the day after its target is red."""
    assert rag(make_action(status=status), date(2026, 4, 1)) == Rag.RED


def test_action_on_its_target_day_is_amber_not_red(make_action: Callable[..., Action]) -> None:
    """On the target day itself the action is due, not late: amber."""
    assert rag(make_action(), TARGET) == Rag.AMBER


def test_due_in_exactly_28_days_is_amber(make_action: Callable[..., Action]) -> None:
    """With the default 28-day threshold, 28 days before the target is amber."""
    assert rag(make_action(), TWENTY_EIGHT_DAYS_BEFORE) == Rag.AMBER


def test_due_in_29_days_is_green(make_action: Callable[..., Action]) -> None:
    """With the default 28-day threshold, 29 days before the target is still green."""
    assert rag(make_action(), TWENTY_NINE_DAYS_BEFORE) == Rag.GREEN


def test_due_soon_threshold_is_configurable(make_action: Callable[..., Action]) -> None:
    """A 14-day policy makes 14 days before amber and 15 days before green."""
    policy = RagPolicy(due_soon_days=14)
    # 31 March - 14 days = 17 March; - 15 days = 16 March.
    assert rag(make_action(), date(2026, 3, 17), policy) == Rag.AMBER
    assert rag(make_action(), date(2026, 3, 16), policy) == Rag.GREEN
    assert rag(make_action(), TWENTY_EIGHT_DAYS_BEFORE, policy) == Rag.GREEN


def test_default_policy_is_28_days_and_slipped_is_amber() -> None:
    """The default policy is what most partnerships use: 28 days, slipped counts as amber."""
    assert RagPolicy() == RagPolicy(due_soon_days=28, slipped_is_amber=True)


@pytest.mark.parametrize("days", [0, 60, 3650])
def test_a_policy_takes_whole_days_from_0_to_3650(days: int) -> None:
    """0 (amber only on the day itself) to ten years are due-soon periods a policy accepts."""
    assert RagPolicy(due_soon_days=days).due_soon_days == days


@pytest.mark.parametrize(("changes", "message"), [
    ({"due_soon_days": -1}, "due_soon_days: must be a whole number from 0 to 3650, not -1"),
    ({"due_soon_days": 3651}, "due_soon_days: must be a whole number from 0 to 3650, not 3651"),
    ({"due_soon_days": 28.5}, "due_soon_days: must be a whole number from 0 to 3650, not 28.5"),
    ({"due_soon_days": True}, "due_soon_days: must be a whole number from 0 to 3650, not True"),
    ({"slipped_is_amber": 1}, "slipped_is_amber: must be true or false, not 1"),
])
def test_a_policy_refuses_values_that_make_no_sense(changes: dict[str, object],
                                                    message: str) -> None:
    """A bad threshold is a ConfigError (a ValueError) naming the setting and what is allowed."""
    with pytest.raises(ConfigError) as caught:
        RagPolicy(**changes)  # type: ignore[arg-type]
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)
    assert caught.value.setting == next(iter(changes))


@pytest.mark.parametrize("status", sorted(COMPLETE_STATUSES), ids=lambda s: s.value)
@pytest.mark.parametrize("today", [FAR_AHEAD, TARGET, date(2027, 1, 1)])
def test_complete_action_is_blue_even_when_late(
    make_action: Callable[..., Action], status: ActionStatus, today: date
) -> None:
    """Completed, assured and embedded actions are blue whatever the date."""
    assert rag(make_action(status=status), today) == Rag.BLUE


@pytest.mark.parametrize("today", [FAR_AHEAD, date(2027, 1, 1)])
def test_superseded_action_is_grey(make_action: Callable[..., Action], today: date) -> None:
    """A superseded action is grey, even past its target date."""
    assert rag(make_action(status=S.SUPERSEDED, successor_id="WSCP/A002"), today) == Rag.GREY


def test_slipped_action_is_amber_when_on_track(make_action: Callable[..., Action]) -> None:
    """An action whose target moved later is amber by default even when far from due."""
    slipped = make_action(target_date=date(2026, 6, 30))
    assert rag(slipped, FAR_AHEAD) == Rag.AMBER


def test_slipped_action_is_green_when_policy_says_so(make_action: Callable[..., Action]) -> None:
    """With slipped_is_amber off, a slipped action on track is green."""
    slipped = make_action(target_date=date(2026, 6, 30))
    assert rag(slipped, FAR_AHEAD, RagPolicy(slipped_is_amber=False)) == Rag.GREEN


def test_slipped_action_past_its_new_target_is_red(make_action: Callable[..., Action]) -> None:
    """Lateness is judged against the current target: past it is red."""
    slipped = make_action(target_date=date(2026, 6, 30))
    assert rag(slipped, date(2026, 7, 1)) == Rag.RED
    # Past the original but before the new target is not red.
    assert rag(slipped, date(2026, 4, 15)) == Rag.AMBER


def test_target_brought_forward_is_not_slipped(make_action: Callable[..., Action]) -> None:
    """A target moved earlier than the original has not slipped: green when far from due."""
    earlier = make_action(target_date=date(2026, 3, 1))
    assert rag(earlier, FAR_AHEAD) == Rag.GREEN


def test_on_hold_action_is_amber_when_far_from_target(make_action: Callable[..., Action]) -> None:
    """An action on hold is amber even when its target is far off."""
    held = make_action(
        status=S.ON_HOLD, hold_reason="Awaiting Panel", hold_review_date=date(2026, 2, 1)
    )
    assert rag(held, FAR_AHEAD) == Rag.AMBER
    assert rag(held, FAR_AHEAD, RagPolicy(slipped_is_amber=False)) == Rag.AMBER


def test_on_hold_action_past_target_is_red(make_action: Callable[..., Action]) -> None:
    """Being on hold does not hide lateness: past the target it is red."""
    held = make_action(
        status=S.ON_HOLD, hold_reason="Awaiting Panel", hold_review_date=date(2026, 2, 1)
    )
    assert rag(held, date(2026, 4, 1)) == Rag.RED


# Recommendation status

REC_ID = "WSCP/CSPR-ALEX/R3"


def _recommendation(response: Response) -> Recommendation:
    return Recommendation(
        id=REC_ID,
        review_id="WSCP/CSPR-ALEX",
        number="3",
        text="Partners should routinely engage fathers and male carers.",
        response=response,
    )


@pytest.fixture
def actions_with(make_action: Callable[..., Action]) -> Callable[..., list[Action]]:
    """Build one action answering the recommendation per status given."""

    def build(*statuses: ActionStatus) -> list[Action]:
        return [
            make_action(id=f"WSCP/A{n:03}", status=status, recommendation_ids=(REC_ID,))
            for n, status in enumerate(statuses, start=1)
        ]

    return build


A = Response.ACCEPTED
RECOMMENDATION_CASES = [
    (Response.NOT_ACCEPTED, (S.IN_PROGRESS,), RecommendationStatus.NOT_ACCEPTED),
    (Response.NOT_ACCEPTED, (), RecommendationStatus.NOT_ACCEPTED),
    (Response.PENDING, (S.EMBEDDED,), RecommendationStatus.AWAITING_RESPONSE),
    (Response.PENDING, (), RecommendationStatus.AWAITING_RESPONSE),
    (A, (), RecommendationStatus.NO_ACTIONS),
    (A, (S.SUPERSEDED,), RecommendationStatus.NO_ACTIONS),
    (A, (S.PROPOSED,), RecommendationStatus.OPEN),
    (A, (S.COMPLETED, S.ON_HOLD), RecommendationStatus.OPEN),
    (A, (S.EMBEDDED, S.REOPENED), RecommendationStatus.OPEN),
    (A, (S.COMPLETED,), RecommendationStatus.COMPLETED),
    (A, (S.COMPLETED, S.ASSURED, S.EMBEDDED), RecommendationStatus.COMPLETED),
    (A, (S.COMPLETED, S.SUPERSEDED), RecommendationStatus.COMPLETED),
    (A, (S.ASSURED, S.EMBEDDED), RecommendationStatus.ASSURED),
    (A, (S.EMBEDDED, S.EMBEDDED), RecommendationStatus.EMBEDDED),
    (A, (S.EMBEDDED, S.SUPERSEDED), RecommendationStatus.EMBEDDED),
    (Response.PARTLY_ACCEPTED, (), RecommendationStatus.NO_ACTIONS),
    (Response.PARTLY_ACCEPTED, (S.AGREED, S.ASSURED), RecommendationStatus.OPEN),
    (Response.PARTLY_ACCEPTED, (S.ASSURED,), RecommendationStatus.ASSURED),
]


def _case_id(case: tuple[Response, tuple[ActionStatus, ...], RecommendationStatus]) -> str:
    response, statuses, expected = case
    return f"{response.value}:{'+'.join(s.value for s in statuses) or 'none'}->{expected.value}"


@pytest.mark.parametrize(
    ("response", "statuses", "expected"),
    RECOMMENDATION_CASES,
    ids=[_case_id(case) for case in RECOMMENDATION_CASES],
)
def test_recommendation_status(
    actions_with: Callable[..., list[Action]],
    response: Response,
    statuses: tuple[ActionStatus, ...],
    expected: RecommendationStatus,
) -> None:
    """A recommendation's status: its response first, then the weakest of its live actions."""
    status = recommendation_status(_recommendation(response), actions_with(*statuses))
    assert status == expected


def test_every_recommendation_status_is_reached() -> None:
    """The table above reaches every value of RecommendationStatus."""
    assert {expected for _, _, expected in RECOMMENDATION_CASES} == set(RecommendationStatus)


def test_actions_for_other_recommendations_are_ignored(make_action: Callable[..., Action]) -> None:
    """Only actions that answer the recommendation count towards its status."""
    elsewhere = make_action(status=S.IN_PROGRESS, recommendation_ids=("WSCP/CSPR-CHARLIE/R1",))
    status = recommendation_status(_recommendation(Response.ACCEPTED), [elsewhere])
    assert status == RecommendationStatus.NO_ACTIONS


def test_action_answering_several_recommendations_counts_for_each(
    make_action: Callable[..., Action],
) -> None:
    """An action shared by two recommendations counts towards both."""
    shared = make_action(status=S.ASSURED, recommendation_ids=("WSCP/CSPR-CHARLIE/R1", REC_ID))
    status = recommendation_status(_recommendation(Response.ACCEPTED), iter([shared]))
    assert status == RecommendationStatus.ASSURED
