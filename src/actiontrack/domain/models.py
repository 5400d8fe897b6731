"""The records actiontrack keeps, as frozen attrs classes.

Every record has a text ``id`` that people can read and type
(``"WSCP/CSPR-ALEX/R3"``) and a ``version``: ``0`` for a record not yet
stored, then the number of changes the store has accepted. A change is a new
object (``attrs.evolve``) that keeps the version it was based on; the store
refuses it if that version is stale.

Enumerations use lower-case snake values: they are what a JSON file, a
workbook drop-down or a command-line option shows.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date

import attrs

__all__ = [
    "Action",
    "ActionStatus",
    "Agency",
    "AssuranceDecision",
    "AssuranceOutcome",
    "Chase",
    "Evidence",
    "EvidenceKind",
    "EvidenceTier",
    "LearningActivity",
    "LearningActivityKind",
    "Measure",
    "Measurement",
    "Partnership",
    "PartnershipKind",
    "ProgressUpdate",
    "Recommendation",
    "RecommendationScope",
    "Response",
    "Review",
    "ReviewKind",
    "TargetRevision",
    "Want",
]


class PartnershipKind(enum.StrEnum):
    """Which statutory partnership owns the plan."""

    CHILDREN = "children"  # safeguarding children partnership (SCP)
    ADULTS = "adults"  # safeguarding adults board (SAB)
    COMMUNITY_SAFETY = "community_safety"  # community safety partnership (CSP)


class ReviewKind(enum.StrEnum):
    """The kind of case review that produced the learning."""

    RAPID_REVIEW = "rapid_review"
    LCSPR = "lcspr"  # local child safeguarding practice review
    LOCAL_THEMATIC = "local_thematic"
    NATIONAL = "national"
    SAR = "sar"  # safeguarding adults review
    DHR = "dhr"  # domestic homicide review
    MULTI_AGENCY_AUDIT = "multi_agency_audit"
    NATIONAL_REPORT = "national_report"  # a national report adopted locally


class RecommendationScope(enum.StrEnum):
    SINGLE_AGENCY = "single_agency"
    PARTNERSHIP = "partnership"
    NATIONAL = "national"


class Response(enum.StrEnum):
    """The partnership's response to a recommendation."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    NOT_ACCEPTED = "not_accepted"


class ActionStatus(enum.StrEnum):
    """Where an action is in its life; see :mod:`actiontrack.domain.lifecycle`."""

    PROPOSED = "proposed"
    AGREED = "agreed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ASSURED = "assured"
    EMBEDDED = "embedded"
    ON_HOLD = "on_hold"
    SUPERSEDED = "superseded"
    REOPENED = "reopened"


class EvidenceTier(enum.StrEnum):
    """Completion evidence shows an action was done; impact evidence that it made a difference."""

    COMPLETION = "completion"
    IMPACT = "impact"


class EvidenceKind(enum.StrEnum):
    POLICY = "policy"
    TRAINING_RECORD = "training_record"
    BRIEFING = "briefing"
    AUDIT = "audit"
    SURVEY = "survey"
    METRIC = "metric"
    CASE_SAMPLE = "case_sample"
    FAMILY_FEEDBACK = "family_feedback"
    LEARNING_EVENT = "learning_event"
    OTHER = "other"  # what an adopted tracker names without saying what kind it is


class AssuranceOutcome(enum.StrEnum):
    ACCEPTED = "accepted"  # the body accepts the action as complete
    RETURNED = "returned"  # the body sends it back to the owner


class LearningActivityKind(enum.StrEnum):
    BRIEFING = "briefing"  # e.g. a 7-minute briefing
    LEARNING_EVENT = "learning_event"
    TWILIGHT_SESSION = "twilight_session"
    FORUM_WEEK = "forum_week"
    TRAINING = "training"
    NEWSLETTER = "newsletter"


class Want(enum.StrEnum):
    """Which way a measure should move: its figure going up is better, or going down."""

    HIGHER = "higher"  # e.g. the share of referrals with a chronology
    LOWER = "lower"  # e.g. days from referral to strategy discussion


def _tuple_of_str(value: Iterable[str]) -> tuple[str, ...]:
    """Let callers pass any iterable of ids; keep a tuple (hashable, frozen)."""
    if isinstance(value, str):
        # A lone string would otherwise become a tuple of its letters.
        raise TypeError(f"expected a list of text values, got the text {value!r}")
    return tuple(value)


@attrs.frozen(kw_only=True)
class Partnership:
    """The safeguarding partnership that owns a plan."""

    id: str
    name: str
    kind: PartnershipKind
    version: int = 0


@attrs.frozen(kw_only=True)
class Agency:
    """A partner organisation that owns actions.

    The id is stable; the name may change (a CCG becoming an ICB), and the
    names it had before are kept in ``former_names``. ``email`` is the
    agency lead's address (reminders go there); ``aliases`` are the other
    names trackers and people use for it ("CSC", "Children's Social Care").
    """

    id: str
    name: str
    former_names: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    email: str | None = None
    aliases: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    version: int = 0


@attrs.frozen(kw_only=True)
class Review:
    """A case review, scoped to the partnership that holds it.

    The dates start the statutory clocks (:mod:`actiontrack.domain.clocks`):
    ``became_aware_on`` the incident notification, ``notified_on`` the rapid
    review, ``decided_on`` the publication of a local CSPR.
    """

    id: str
    partnership_id: str
    reference: str
    kind: ReviewKind
    title: str
    subject: str | None = None  # a pseudonym such as "Child Alex", never a real name
    became_aware_on: date | None = None
    notified_on: date | None = None
    rapid_review_sent_on: date | None = None
    decided_on: date | None = None
    published_on: date | None = None
    version: int = 0


@attrs.frozen(kw_only=True)
class Recommendation:
    """A finding or recommendation of a review that the partnership must act on."""

    id: str
    review_id: str
    number: str
    text: str
    themes: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    scope: RecommendationScope = RecommendationScope.PARTNERSHIP
    response: Response = Response.PENDING
    response_reason: str | None = None
    repeats: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    version: int = 0


@attrs.frozen(kw_only=True)
class TargetRevision:
    """One move of an action's target date, with the reason for it."""

    from_date: date
    to_date: date
    reason: str
    by: str
    on: date


@attrs.frozen(kw_only=True)
class Action:
    """What a lead agency will do about one or more recommendations.

    ``original_target_date`` never changes; ``target_date`` is the current
    one, and every move between them is in ``target_revisions``.
    ``reference`` is the action's reference in the tracker it was adopted
    from ("2.1a"), so that people can find it there again.
    """

    id: str
    partnership_id: str
    recommendation_ids: tuple[str, ...] = attrs.field(converter=_tuple_of_str)
    lead_agency_id: str
    title: str
    original_target_date: date
    target_date: date
    lead_officer: str | None = None
    deliverable: str | None = None
    success_measure: str | None = None
    status: ActionStatus = ActionStatus.PROPOSED
    target_revisions: tuple[TargetRevision, ...] = ()
    hold_reason: str | None = None
    hold_review_date: date | None = None
    successor_id: str | None = None
    #: When it was last reopened: evidence and decisions from before no longer count.
    reopened_on: date | None = None
    reference: str | None = None
    version: int = 0


@attrs.frozen(kw_only=True)
class ProgressUpdate:
    """A dated note from an action's owner. Updates are added, never overwritten."""

    id: str
    action_id: str
    on: date
    by: str
    text: str
    version: int = 0


@attrs.frozen(kw_only=True)
class Evidence:
    """Proof that an action was done (completion tier) or made a difference (impact tier).

    ``about_date`` is the date the evidence is about (the audit was run, the
    training held); ``recorded_on`` is when it was put on the plan.
    """

    id: str
    action_id: str
    tier: EvidenceTier
    kind: EvidenceKind
    title: str
    about_date: date
    recorded_on: date
    recorded_by: str
    link: str | None = None
    version: int = 0


@attrs.frozen(kw_only=True)
class AssuranceDecision:
    """An assurance body accepting or returning an action as complete."""

    id: str
    action_id: str
    outcome: AssuranceOutcome
    decided_on: date
    decided_by: str
    body: str
    seen: str  # what the body looked at before deciding
    evidence_ids: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    version: int = 0


@attrs.frozen(kw_only=True)
class LearningActivity:
    """A briefing, learning event or forum week that spreads the learning."""

    id: str
    partnership_id: str
    kind: LearningActivityKind
    title: str
    held_on: date
    reach: int | None = None  # how many people attended or received it
    recommendation_ids: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    version: int = 0


@attrs.frozen(kw_only=True)
class Chase:
    """A reminder sent to an agency's lead about the actions it leads that need something.

    Kept so that the same day's reminder is not sent twice, ``show`` can list
    an action's chases, and the audit can name owners who do not answer.
    ``message_id`` is the message's ``Message-ID``, to find it in a mailbox.
    """

    id: str
    agency_id: str
    sent_on: date
    sent_by: str
    sent_to: str
    action_ids: tuple[str, ...] = attrs.field(converter=_tuple_of_str)
    message_id: str
    version: int = 0


@attrs.frozen(kw_only=True)
class Measure:
    """How an action's impact is shown in figures: a baseline, a target, and which way is better.

    ``baseline`` is the figure before the action, as it stood on
    ``baseline_on``; ``target`` the figure it aims for by ``target_on``;
    ``want`` whether a higher or a lower figure is better; ``source`` where
    the figure comes from (a case-file audit, the police system). Its
    figures over time are its :class:`Measurement` records.
    """

    id: str
    action_id: str
    name: str
    unit: str  # "%", "days", "referrals"
    baseline: float
    baseline_on: date
    target: float
    target_on: date
    want: Want
    source: str | None = None
    version: int = 0


@attrs.frozen(kw_only=True)
class Measurement:
    """One figure of a measure, on the day it was taken; added, never overwritten.

    ``action_id`` is the measure's action, so that a measurement belongs to
    an action as its updates and evidence do.
    """

    id: str
    action_id: str
    measure_id: str
    on: date
    value: float
    by: str
    note: str | None = None
    version: int = 0
