"""Illustrative demo data: a county partnership's plan after two baby-injury reviews.

Built from the published shape of a county partnership's 2021 progress report
to a scrutiny committee (see DOMAIN.md): three statutory partners, two local
CSPRs about non-accidental injuries to babies (Child Alex and Child Charlie),
a national review on men and non-accidental injury, a local thematic review
just starting, and the learning spread through briefings and a forum week.

**Every name, date and figure here is illustrative.** The story is dated
relative to the day it is loaded, so it always shows a live mix: some actions
embedded, some overdue, some due soon. Loaded into an empty store, its
history is real history, change by change in date order, so ``--as-of``
shows the plan as it grew.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import attrs

from actiontrack import service
from actiontrack.domain.clocks import end_of_day, local_date
from actiontrack.domain.models import (
    ActionStatus,
    AssuranceOutcome,
    EvidenceKind,
    EvidenceTier,
    LearningActivityKind,
    PartnershipKind,
    RecommendationScope,
    Response,
    ReviewKind,
    Want,
)
from actiontrack.domain.plan import HistoryEntry, Plan, kind_of
from actiontrack.errors import RuleViolation
from actiontrack.store.memory import MemoryStore
from actiontrack.store.protocol import Put, Store

__all__ = ["DEMO_PARTNERSHIP", "DemoResult", "build_demo", "load_demo"]

DEMO_PARTNERSHIP = "DEMO-SCP"
BUSINESS_UNIT = "Business unit (demo)"

COUNCIL = "Head of Safeguarding, children's services (demo)"
HEALTH = "Designated Nurse, safeguarding children (demo)"
POLICE = "Detective Inspector, public protection (demo)"
SUBGROUP = "Chair, case review subgroup (demo)"


@attrs.frozen
class DemoResult:
    """What :func:`load_demo` did: how many records it added (0 when already loaded)."""

    added: int
    plan: Plan


class _Story:
    """Steps of the demo, each on its day; told in date order whatever order they are written."""

    def __init__(self, today: date) -> None:
        self.today = today
        # The story is told on its own timeline, up to the end of its today.
        self.store = MemoryStore(clock=lambda: end_of_day(today))
        self._steps: list[tuple[int, int, Callable[..., object]]] = []

    def day(self, days_from_today: int) -> date:
        return self.today + timedelta(days=days_from_today)

    def on(self, days_ago: int, step: Callable[..., object]) -> None:
        """Schedule ``step(at=...)`` for ``days_ago`` days before today, at 10:00 UTC."""
        self._steps.append((-days_ago, len(self._steps), step))

    def tell(self) -> tuple[Plan, list[HistoryEntry]]:
        for days, _, step in sorted(self._steps, key=lambda s: (s[0], s[1])):
            step(at=datetime.combine(self.day(days), time(10, 0), tzinfo=UTC))
        return self.store.snapshot(), self.store.history()


def build_demo(today: date) -> tuple[Plan, list[HistoryEntry]]:
    """Build the demo plan and its history, dated so that ``today`` is the present."""
    story = _Story(today)
    store, day, by = story.store, story.day, BUSINESS_UNIT

    story.on(700, lambda at: service.add_partnership(
        store, id=DEMO_PARTNERSHIP, kind=PartnershipKind.CHILDREN,
        name="Demoshire Safeguarding Children Partnership (illustrative data)", by=by, at=at))
    for agency_id, name, email, aliases in (
        ("DEMO-CC", "Demoshire County Council (children's services)",
         "safeguarding.lead@council.example.org", ("CSC", "Children's Social Care")),
        ("DEMO-CCG", "Demoshire Clinical Commissioning Group",
         "designated.nurse@icb.example.org", ("ICB", "Health")),
        ("DEMO-POL", "Demoshire Police", "public.protection@police.example.org", ("Police",)),
    ):
        story.on(700, partial(service.add_agency, store, id=agency_id, name=name, email=email,
                              aliases=aliases, by=by))
    story.on(400, lambda at: service.rename_agency(
        store, "DEMO-CCG", "Demoshire Integrated Care Board",
        reason="Clinical commissioning groups became integrated care boards", by=by, at=at))

    _reviews(story)
    _recommendations(story)
    _actions(story)

    for kind, title, days_ago, reach, recommendations in (
        (LearningActivityKind.TWILIGHT_SESSION, "Twilight session: learning from Child Alex",
         470, 85, ("CSPR-ALEX/R1", "CSPR-ALEX/R3", "CSPR-ALEX/R4")),
        (LearningActivityKind.LEARNING_EVENT, "Online session: learning from Child Charlie",
         360, 140, ("CSPR-CHARLIE/R1", "CSPR-CHARLIE/R4", "CSPR-CHARLIE/R5")),
        (LearningActivityKind.FORUM_WEEK, "Forum week: fathers and male carers", 160, 420,
         ("CSPR-CHARLIE/R5", "NATIONAL-MEN-NAI/R1")),
        (LearningActivityKind.BRIEFING, "7-minute briefing: escalation", 70, 300,
         ("CSPR-ALEX/R3",)),
    ):
        story.on(days_ago, partial(
            service.add_learning_activity, store, partnership_id=DEMO_PARTNERSHIP, kind=kind,
            title=title, held_on=day(-days_ago), reach=reach,
            recommendation_ids=[f"{DEMO_PARTNERSHIP}/{r}" for r in recommendations], by=by))
    return story.tell()


def _reviews(story: _Story) -> None:
    store, day, by = story.store, story.day, BUSINESS_UNIT
    for days_ago, reference, kind, title, subject, clock_days in (
        (690, "CSPR-ALEX", ReviewKind.LCSPR,
         "Child Alex: inflicted injuries to a baby of 10 weeks", "Child Alex",
         (-690, -687, -668, -660, -490)),
        (640, "CSPR-CHARLIE", ReviewKind.LCSPR,
         "Child Charlie: a baby of 16 weeks who died in the father's care", "Child Charlie",
         (-640, -634, -615, -610, -380)),
        (550, "NATIONAL-MEN-NAI", ReviewKind.NATIONAL_REPORT,
         "National review: men and non-accidental injury to babies (adopted locally)", None,
         (None, None, None, None, -560)),
        (40, "THEMATIC-NEGLECT", ReviewKind.LOCAL_THEMATIC,
         "Local thematic review of neglect in families with babies (just started)", None,
         (None, None, None, -40, None)),
    ):
        aware, notified, sent, decided, published = (
            None if d is None else day(d) for d in clock_days
        )
        story.on(days_ago, partial(
            service.add_review, store, partnership_id=DEMO_PARTNERSHIP, reference=reference,
            kind=kind, title=title, subject=subject, became_aware_on=aware,
            notified_on=notified, rapid_review_sent_on=sent, decided_on=decided,
            published_on=published, by=by))


def _recommendations(story: _Story) -> None:
    store = story.store
    alex, charlie = f"{DEMO_PARTNERSHIP}/CSPR-ALEX", f"{DEMO_PARTNERSHIP}/CSPR-CHARLIE"
    national = f"{DEMO_PARTNERSHIP}/NATIONAL-MEN-NAI"
    accepted: dict[str, object] = {"response": Response.ACCEPTED}
    for days_ago, review, text, themes, extra in (
        (480, alex, "Partners build a shared understanding of thresholds for referral to"
         " children's social care.", ("thresholds",), accepted),
        (480, alex, "Strategy discussions include health and police every time and record"
         " who shared what.", ("strategy-discussions", "information-sharing"), accepted),
        (480, alex, "Professionals use the escalation policy when they disagree about risk.",
         ("escalation",), accepted),
        (480, alex, "Pre-birth assessments identify risk from every adult in the household,"
         " including fathers and male carers.",
         ("pre-birth-risk", "fathers-and-male-carers"), accepted),
        (370, charlie, "Cases transferred between councils keep their history and their"
         " plan.", ("case-transfer", "information-sharing"), accepted),
        (370, charlie, "Governance for children living with domestic abuse is clear and"
         " tested.", ("domestic-abuse",), accepted),
        (370, charlie, "Practice focuses on outcomes for the child rather than single"
         " incidents.", ("child-focus",), accepted),
        (370, charlie, "Agencies share information about a baby's household promptly.",
         ("information-sharing",), accepted | {"repeats": (f"{alex}/R2",)}),
        (370, charlie, "Services engage fathers and male carers, not only mothers.",
         ("fathers-and-male-carers",), accepted | {"repeats": (f"{alex}/R4",)}),
        (540, national, "Engage fathers and male carers routinely in universal and targeted"
         " services.", ("fathers-and-male-carers",),
         accepted | {"scope": RecommendationScope.NATIONAL}),
        (540, national, "Support expectant fathers who have risk factors.",
         ("fathers-and-male-carers", "pre-birth-risk"),
         accepted | {"scope": RecommendationScope.NATIONAL}),
        (540, national, "Commission research into men and non-accidental injury.",
         ("research",), {"scope": RecommendationScope.NATIONAL,
                         "response": Response.NOT_ACCEPTED,
                         "response_reason": "A recommendation for national government;"
                         " the partnership will contribute when asked."}),
    ):
        story.on(days_ago, partial(
            service.add_recommendation, store, review_id=review, text=text, themes=themes,
            by=BUSINESS_UNIT, **extra))


def _actions(story: _Story) -> None:
    store, day, by = story.store, story.day, BUSINESS_UNIT

    def rec(reference: str) -> str:
        return f"{DEMO_PARTNERSHIP}/{reference}"

    def act(number: int, recommendations: tuple[str, ...], agency: str, title: str,
            target_in: int, days_ago: int, officer: str, measure: str) -> str:
        action_id = f"{DEMO_PARTNERSHIP}/A{number:03d}"
        story.on(days_ago, lambda at: service.add_action(
            store, id=action_id, recommendation_ids=[rec(r) for r in recommendations],
            lead_agency_id=agency, title=title, target_date=day(target_in),
            lead_officer=officer, deliverable=title, success_measure=measure, by=by, at=at))
        move(action_id, ActionStatus.AGREED, days_ago - 5)
        return action_id

    def move(action_id: str, status: ActionStatus, days_ago: int, **extra: object) -> None:
        story.on(days_ago, lambda at: service.set_status(
            store, action_id, status, by=by, at=at, **extra))  # type: ignore[arg-type]

    def evidence(action_id: str, tier: EvidenceTier, kind: EvidenceKind, title: str,
                 days_ago: int, owner: str) -> None:
        story.on(days_ago, lambda at: service.add_evidence(
            store, action_id, tier=tier, kind=kind, title=title,
            about_date=day(-days_ago - 3), by=owner, at=at))

    def update(action_id: str, text: str, days_ago: int, owner: str) -> None:
        story.on(days_ago, lambda at: service.add_progress_update(
            store, action_id, text, by=owner, at=at))

    def revise(action_id: str, target_in: int, reason: str, days_ago: int) -> None:
        story.on(days_ago, lambda at: service.revise_target_date(
            store, action_id, day(target_in), reason=reason, by=by, at=at))

    def measure(action_id: str, days_ago: int, name: str, unit: str, want: Want,
                baseline: float, target: float, target_in: int, source: str,
                figures: tuple[tuple[int, float], ...], owner: str) -> None:
        measure_id = f"{action_id}/M1"
        story.on(days_ago, lambda at: service.add_measure(
            store, action_id, name=name, unit=unit, baseline=baseline,
            baseline_on=day(-days_ago - 10), target=target, target_on=day(target_in),
            want=want, source=source, by=owner, at=at))
        for taken_ago, value in figures:
            story.on(taken_ago, lambda at, value=value: service.record_measurement(
                store, measure_id, value, note=source, by=owner, at=at))

    def assure(action_id: str, seen: str, days_ago: int) -> None:
        story.on(days_ago, lambda at: service.record_assurance_decision(
            store, action_id, outcome=AssuranceOutcome.ACCEPTED, decided_by=SUBGROUP,
            body="Case review subgroup", seen=seen, by=by, at=at))

    thresholds = act(1, ("CSPR-ALEX/R1",), "DEMO-CC",
                     "Relaunch the threshold document with multi-agency briefings",
                     -300, 470, COUNCIL, "Referrals judged appropriate rise to 85%")
    move(thresholds, ActionStatus.IN_PROGRESS, 460)
    measure(thresholds, 455, "Referrals judged appropriate", "%", Want.HIGHER, 62, 85, -120,
            "Quarterly multi-agency audit of 40 referrals",
            ((300, 71), (200, 80), (125, 87), (20, 86)), COUNCIL)
    evidence(thresholds, EvidenceTier.COMPLETION, EvidenceKind.POLICY,
             "Threshold document v3 published", 330, COUNCIL)
    move(thresholds, ActionStatus.COMPLETED, 325)
    assure(thresholds, "Published document, briefing attendance lists", 300)
    evidence(thresholds, EvidenceTier.IMPACT, EvidenceKind.AUDIT,
             "Multi-agency audit: 87% of referrals met the threshold", 120, COUNCIL)
    move(thresholds, ActionStatus.EMBEDDED, 110)

    strategy = act(2, ("CSPR-ALEX/R2",), "DEMO-POL",
                   "Audit attendance of health and police at strategy discussions",
                   -210, 470, POLICE, "Both present at 95% of strategy discussions")
    move(strategy, ActionStatus.IN_PROGRESS, 450)
    revise(strategy, -30, "Audit tool delayed by the records system upgrade", 200)
    update(strategy, "Audit of 40 discussions half done.", 90, POLICE)

    escalation = act(3, ("CSPR-ALEX/R3",), "DEMO-CC", "Relaunch the escalation policy",
                     -60, 470, COUNCIL, "Escalations logged and resolved within 10 days")
    move(escalation, ActionStatus.IN_PROGRESS, 440)
    evidence(escalation, EvidenceTier.COMPLETION, EvidenceKind.BRIEFING,
             "7-minute briefing on escalation issued", 70, COUNCIL)
    move(escalation, ActionStatus.COMPLETED, 65)

    prebirth = act(4, ("CSPR-ALEX/R4", "NATIONAL-MEN-NAI/R2"), "DEMO-CCG",
                   "Pre-birth assessment pathway covers fathers and male carers",
                   14, 470, HEALTH, "Fathers recorded in 90% of pre-birth assessments")
    move(prebirth, ActionStatus.IN_PROGRESS, 430)
    update(prebirth, "Pathway drafted; midwifery sign-off due.", 30, HEALTH)

    act(5, ("CSPR-CHARLIE/R1",), "DEMO-CC",
        "Agree a transfer-in protocol with neighbouring councils",
        150, 360, COUNCIL, "Every transfer-in has a meeting within 15 days")

    domestic = act(6, ("CSPR-CHARLIE/R2",), "DEMO-POL",
                   "Domestic abuse notifications reach schools and health visitors in 24 hours",
                   -300, 360, POLICE, "95% of notifications sent within 24 hours")
    move(domestic, ActionStatus.IN_PROGRESS, 350)
    revise(domestic, -200, "Partner systems not linked", 260)
    revise(domestic, -120, "Staffing gap in the hub", 190)
    measure(domestic, 340, "Notifications sent within 24 hours", "%", Want.HIGHER, 55, 95, -120,
            "Police notifications log", ((260, 63), (200, 58)), POLICE)
    update(domestic, "Pilot live in the north of the county.", 150, POLICE)

    sharing = act(7, ("CSPR-CHARLIE/R4", "CSPR-ALEX/R2"), "DEMO-CCG",
                  "Information sharing agreement for GP records in strategy discussions",
                  -90, 360, HEALTH, "GP information available at 90% of discussions")
    move(sharing, ActionStatus.IN_PROGRESS, 340)
    evidence(sharing, EvidenceTier.COMPLETION, EvidenceKind.POLICY,
             "Information sharing agreement signed by all practices", 130, HEALTH)
    move(sharing, ActionStatus.COMPLETED, 125)
    assure(sharing, "Signed agreement; sample of 10 discussions", 100)

    visitors = act(8, ("CSPR-CHARLIE/R5", "NATIONAL-MEN-NAI/R1"), "DEMO-CCG",
                   "Health visitors record and engage fathers at every contact",
                   200, 360, HEALTH, "Father's details recorded at 80% of contacts")
    move(visitors, ActionStatus.IN_PROGRESS, 300)
    update(visitors, "Recording template changed.", 200, HEALTH)
    measure(visitors, 290, "Days from birth to father's details recorded", "days", Want.LOWER,
            30, 10, 200, "Health visiting records system", ((100, 24), (15, 18)), HEALTH)
    update(visitors, "Training for 120 health visitors booked.", 20, HEALTH)

    forum = act(9, ("NATIONAL-MEN-NAI/R1",), "DEMO-CC",
                "Hold a forum week on fathers and male carers",
                -150, 520, COUNCIL, "500 practitioners reached")
    move(forum, ActionStatus.IN_PROGRESS, 500)
    evidence(forum, EvidenceTier.COMPLETION, EvidenceKind.LEARNING_EVENT,
             "Forum week programme and attendance", 160, COUNCIL)
    move(forum, ActionStatus.COMPLETED, 155)

    training = act(10, ("CSPR-CHARLIE/R3",), "DEMO-POL",
                   "Child-focused risk assessment training for response officers",
                   60, 350, POLICE, "All response officers trained")
    move(training, ActionStatus.ON_HOLD, 100,
         hold_reason="Waiting for the national training package", hold_review_date=day(30))


def load_demo(store: Store, *, now: datetime, by: str = BUSINESS_UNIT) -> DemoResult:
    """Load the demo into ``store``, idempotently.

    An empty store receives the demo with its dated history; a store that
    holds part of the demo (and nothing else) receives what it lacks in one
    commit; a store that holds it all is left alone. A store that holds a
    plan of its own is refused (:class:`RuleViolation` ``demo.store-in-use``):
    made-up records must never mix with a real plan.
    """
    plan, history = build_demo(local_date(now))
    current = store.snapshot()
    if len(current) == 0:
        store.restore(plan, history)
        return DemoResult(added=len(plan), plan=store.snapshot())
    foreign = [
        record.id for record in current.records()
        if record.id not in plan.of_kind(kind_of(record))
    ]
    if foreign:
        raise RuleViolation(
            "demo.store-in-use",
            f"this store holds a plan of its own ({len(foreign)} records that are not demo"
            " data, such as " + ", ".join(foreign[:3]) + "); load the demo into a new store"
            " (actiontrack --store demo.json demo)",
        )
    missing = [
        Put(attrs.evolve(record, version=0))
        for record in plan.records()
        if record.id not in current.of_kind(kind_of(record))
    ]
    if missing:
        store.commit(missing, by=by, at=now, reason="actiontrack demo")
    return DemoResult(added=len(missing), plan=store.snapshot())
