"""Illustrative demo data: a county partnership's plan after two baby-injury reviews.

Built from the published shape of a county partnership's 2021 progress report
to a scrutiny committee (see DOMAIN.md): three statutory partners, two local
CSPRs about non-accidental injuries to babies (Child Alex and Child Charlie),
a national review on men and non-accidental injury, a local thematic review
just starting, and the learning spread through briefings and a forum week.

**Every name, date and figure here is illustrative.** The story is dated
relative to the day it is loaded, so it always shows a live mix: some actions
embedded, some overdue, some due soon. The history is real history: the plan
was built change by change, so ``--as-of`` shows it as it grew.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import attrs

from actiontrack import service
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
)
from actiontrack.domain.plan import HistoryEntry, Plan, kind_of
from actiontrack.store.memory import MemoryStore
from actiontrack.store.protocol import Put, Store

__all__ = ["DEMO_PARTNERSHIP", "DemoResult", "build_demo", "load_demo"]

DEMO_PARTNERSHIP = "DEMO-SCP"
BUSINESS_UNIT = "Business unit (demo)"


@attrs.frozen
class DemoResult:
    """What :func:`load_demo` did: how many records it added (0 when already loaded)."""

    added: int
    plan: Plan


def build_demo(today: date) -> tuple[Plan, list[HistoryEntry]]:
    """Build the demo plan and its history, dated so that ``today`` is the present."""
    store = MemoryStore()

    def on(days_ago: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(10, 0), tzinfo=UTC)

    def day(days_from_today: int) -> date:
        return today + timedelta(days=days_from_today)

    by = BUSINESS_UNIT
    service.add_partnership(
        store, id=DEMO_PARTNERSHIP, kind=PartnershipKind.CHILDREN,
        name="Demoshire Safeguarding Children Partnership (illustrative data)",
        by=by, at=on(700),
    )
    for agency_id, name in (
        ("DEMO-CC", "Demoshire County Council (children's services)"),
        ("DEMO-CCG", "Demoshire Clinical Commissioning Group"),
        ("DEMO-POL", "Demoshire Police"),
    ):
        service.add_agency(store, id=agency_id, name=name, by=by, at=on(700))

    alex = service.add_review(
        store, partnership_id=DEMO_PARTNERSHIP, reference="CSPR-ALEX", kind=ReviewKind.LCSPR,
        title="Child Alex: inflicted injuries to a baby of 10 weeks",
        subject="Child Alex",
        became_aware_on=day(-690), notified_on=day(-687), rapid_review_sent_on=day(-668),
        decided_on=day(-660), published_on=day(-490),
        by=by, at=on(690),
    )
    charlie = service.add_review(
        store, partnership_id=DEMO_PARTNERSHIP, reference="CSPR-CHARLIE",
        kind=ReviewKind.LCSPR,
        title="Child Charlie: a baby of 16 weeks who died in the father's care",
        subject="Child Charlie",
        became_aware_on=day(-640), notified_on=day(-634), rapid_review_sent_on=day(-615),
        decided_on=day(-610), published_on=day(-380),
        by=by, at=on(640),
    )
    national = service.add_review(
        store, partnership_id=DEMO_PARTNERSHIP, reference="NATIONAL-MEN-NAI",
        kind=ReviewKind.NATIONAL_REPORT,
        title="National review: men and non-accidental injury to babies (adopted locally)",
        published_on=day(-560),
        by=by, at=on(550),
    )
    service.add_review(
        store, partnership_id=DEMO_PARTNERSHIP, reference="THEMATIC-NEGLECT",
        kind=ReviewKind.LOCAL_THEMATIC,
        title="Local thematic review of neglect in families with babies (just started)",
        decided_on=day(-40),
        by=by, at=on(40),
    )

    def recommend(review_id: str, text: str, themes: tuple[str, ...], days_ago: int,
                  **extra: object) -> str:
        return service.add_recommendation(
            store, review_id=review_id, text=text, themes=themes,
            response=extra.pop("response", Response.ACCEPTED),  # type: ignore[arg-type]
            by=by, at=on(days_ago), **extra,  # type: ignore[arg-type]
        ).id

    a_thresholds = recommend(alex.id, "Partners build a shared understanding of thresholds"
                             " for referral to children's social care.", ("thresholds",), 480)
    a_strategy = recommend(alex.id, "Strategy discussions include health and police every time"
                           " and record who shared what.",
                           ("strategy-discussions", "information-sharing"), 480)
    a_escalation = recommend(alex.id, "Professionals use the escalation policy when they"
                             " disagree about risk.", ("escalation",), 480)
    a_prebirth = recommend(alex.id, "Pre-birth assessments identify risk from every adult in"
                           " the household, including fathers and male carers.",
                           ("pre-birth-risk", "fathers-and-male-carers"), 480)
    c_transfer = recommend(charlie.id, "Cases transferred between councils keep their history"
                           " and their plan.", ("case-transfer", "information-sharing"), 370)
    c_domestic = recommend(charlie.id, "Governance for children living with domestic abuse is"
                           " clear and tested.", ("domestic-abuse",), 370)
    c_outcomes = recommend(charlie.id, "Practice focuses on outcomes for the child rather than"
                           " single incidents.", ("child-focus",), 370)
    c_sharing = recommend(charlie.id, "Agencies share information about a baby's household"
                          " promptly.", ("information-sharing",), 370, repeats=(a_strategy,))
    c_fathers = recommend(charlie.id, "Services engage fathers and male carers, not only"
                          " mothers.", ("fathers-and-male-carers",), 370, repeats=(a_prebirth,))
    n_engage = recommend(national.id, "Engage fathers and male carers routinely in universal"
                         " and targeted services.", ("fathers-and-male-carers",), 540,
                         scope=RecommendationScope.NATIONAL)
    n_expectant = recommend(national.id, "Support expectant fathers who have risk factors.",
                            ("fathers-and-male-carers", "pre-birth-risk"), 540,
                            scope=RecommendationScope.NATIONAL)
    recommend(national.id, "Commission research into men and non-accidental injury.",
              ("research",), 540, scope=RecommendationScope.NATIONAL,
              response=Response.NOT_ACCEPTED,
              response_reason="A recommendation for national government; the partnership"
              " will contribute when asked.")

    def act(recs: tuple[str, ...], agency: str, title: str, target_in: int, days_ago: int,
            officer: str, measure: str) -> str:
        action = service.add_action(
            store, recommendation_ids=recs, lead_agency_id=agency, title=title,
            target_date=day(target_in), lead_officer=officer, deliverable=title,
            success_measure=measure, by=by, at=on(days_ago),
        )
        service.set_status(store, action.id, ActionStatus.AGREED, by=by, at=on(days_ago - 5))
        return action.id

    def move(action_id: str, status: ActionStatus, days_ago: int, **extra: object) -> None:
        service.set_status(store, action_id, status, by=by, at=on(days_ago),
                           **extra)  # type: ignore[arg-type]

    def evidence(action_id: str, tier: EvidenceTier, kind: EvidenceKind, title: str,
                 days_ago: int, owner: str) -> None:
        service.add_evidence(store, action_id, tier=tier, kind=kind, title=title,
                             about_date=day(-days_ago - 3), by=owner, at=on(days_ago))

    council = "Head of Safeguarding, children's services (demo)"
    health = "Designated Nurse, safeguarding children (demo)"
    police = "Detective Inspector, public protection (demo)"
    subgroup = "Chair, case review subgroup (demo)"

    thresholds = act((a_thresholds, c_outcomes), "DEMO-CC",
                     "Relaunch the threshold document with multi-agency briefings",
                     -300, 470, council, "Referrals judged appropriate rise to 85%")
    move(thresholds, ActionStatus.IN_PROGRESS, 460)
    evidence(thresholds, EvidenceTier.COMPLETION, EvidenceKind.POLICY,
             "Threshold document v3 published", 330, council)
    move(thresholds, ActionStatus.COMPLETED, 325)
    service.record_assurance_decision(
        store, thresholds, outcome=AssuranceOutcome.ACCEPTED, decided_by=subgroup,
        body="Case review subgroup", seen="Published document, briefing attendance lists",
        by=by, at=on(300))
    evidence(thresholds, EvidenceTier.IMPACT, EvidenceKind.AUDIT,
             "Multi-agency audit: 87% of referrals met the threshold", 120, council)
    move(thresholds, ActionStatus.EMBEDDED, 110)

    strategy = act((a_strategy,), "DEMO-POL",
                   "Audit attendance of health and police at strategy discussions",
                   -210, 470, police, "Both present at 95% of strategy discussions")
    move(strategy, ActionStatus.IN_PROGRESS, 450)
    service.revise_target_date(store, strategy, day(-30), reason="Audit tool delayed by the"
                               " records system upgrade", by=by, at=on(200))
    service.add_progress_update(store, strategy, "Audit of 40 discussions half done.",
                                by=police, at=on(90))

    escalation = act((a_escalation,), "DEMO-CC", "Relaunch the escalation policy",
                     -60, 470, council, "Escalations logged and resolved within 10 days")
    move(escalation, ActionStatus.IN_PROGRESS, 440)
    evidence(escalation, EvidenceTier.COMPLETION, EvidenceKind.BRIEFING,
             "7-minute briefing on escalation issued", 70, council)
    move(escalation, ActionStatus.COMPLETED, 65)

    prebirth = act((a_prebirth, n_expectant), "DEMO-CCG",
                   "Pre-birth assessment pathway covers fathers and male carers",
                   14, 470, health, "Fathers recorded in 90% of pre-birth assessments")
    move(prebirth, ActionStatus.IN_PROGRESS, 430)
    service.add_progress_update(store, prebirth, "Pathway drafted; midwifery sign-off due.",
                                by=health, at=on(30))

    act((c_transfer,), "DEMO-CC", "Agree a transfer-in protocol with neighbouring councils",
        150, 360, council, "Every transfer-in has a meeting within 15 days")

    domestic = act((c_domestic,), "DEMO-POL",
                   "Domestic abuse notifications reach schools and health visitors in 24 hours",
                   -300, 360, police, "95% of notifications sent within 24 hours")
    move(domestic, ActionStatus.IN_PROGRESS, 350)
    service.revise_target_date(store, domestic, day(-200), reason="Partner systems not linked",
                               by=by, at=on(260))
    service.revise_target_date(store, domestic, day(-120), reason="Staffing gap in the hub",
                               by=by, at=on(190))
    service.add_progress_update(store, domestic, "Pilot live in the north of the county.",
                                by=police, at=on(150))

    sharing = act((c_sharing, a_strategy), "DEMO-CCG",
                  "Information sharing agreement for GP records in strategy discussions",
                  -90, 360, health, "GP information available at 90% of discussions")
    move(sharing, ActionStatus.IN_PROGRESS, 340)
    evidence(sharing, EvidenceTier.COMPLETION, EvidenceKind.POLICY,
             "Information sharing agreement signed by all practices", 130, health)
    move(sharing, ActionStatus.COMPLETED, 125)
    service.record_assurance_decision(
        store, sharing, outcome=AssuranceOutcome.ACCEPTED, decided_by=subgroup,
        body="Case review subgroup", seen="Signed agreement; sample of 10 discussions",
        by=by, at=on(100))

    visitors = act((c_fathers, n_engage), "DEMO-CCG",
                   "Health visitors record and engage fathers at every contact",
                   200, 360, health, "Father's details recorded at 80% of contacts")
    move(visitors, ActionStatus.IN_PROGRESS, 300)
    service.add_progress_update(store, visitors, "Recording template changed.", by=health,
                                at=on(200))
    service.add_progress_update(store, visitors, "Training for 120 health visitors booked.",
                                by=health, at=on(20))

    forum = act((n_engage,), "DEMO-CC", "Hold a forum week on fathers and male carers",
                -150, 520, council, "500 practitioners reached")
    move(forum, ActionStatus.IN_PROGRESS, 500)
    evidence(forum, EvidenceTier.COMPLETION, EvidenceKind.LEARNING_EVENT,
             "Forum week programme and attendance", 160, council)
    move(forum, ActionStatus.COMPLETED, 155)

    training = act((c_outcomes,), "DEMO-POL",
                   "Child-focused risk assessment training for response officers",
                   60, 350, police, "All response officers trained")
    move(training, ActionStatus.ON_HOLD, 100, hold_reason="Waiting for the national"
         " training package", hold_review_date=day(30))

    service.rename_agency(store, "DEMO-CCG", "Demoshire Integrated Care Board",
                          reason="Clinical commissioning groups became integrated care boards",
                          by=by, at=on(400))
    for kind, title, days_ago, reach, recs in (
        (LearningActivityKind.TWILIGHT_SESSION, "Twilight session: learning from Child Alex",
         470, 85, (a_thresholds, a_escalation, a_prebirth)),
        (LearningActivityKind.LEARNING_EVENT, "Online session: learning from Child Charlie",
         360, 140, (c_transfer, c_sharing, c_fathers)),
        (LearningActivityKind.FORUM_WEEK, "Forum week: fathers and male carers", 160, 420,
         (c_fathers, n_engage)),
        (LearningActivityKind.BRIEFING, "7-minute briefing: escalation", 70, 300,
         (a_escalation,)),
    ):
        service.add_learning_activity(
            store, partnership_id=DEMO_PARTNERSHIP, kind=kind, title=title,
            held_on=day(-days_ago), reach=reach, recommendation_ids=recs, by=by,
            at=on(days_ago),
        )
    return store.snapshot(), store.history()


def load_demo(store: Store, *, now: datetime, by: str = BUSINESS_UNIT) -> DemoResult:
    """Load the demo into ``store``, idempotently.

    An empty store receives the demo with its dated history; a store that
    has other records receives the demo records it lacks in one commit; a
    store that has them all is left alone.
    """
    plan, history = build_demo(now.date())
    current = store.snapshot()
    if len(current) == 0:
        store.restore(plan, history)
        return DemoResult(added=len(plan), plan=store.snapshot())
    missing = [
        Put(attrs.evolve(record, version=0))
        for record in plan.records()
        if record.id not in current.of_kind(kind_of(record))
    ]
    if missing:
        store.commit(missing, by=by, at=now, reason="actiontrack demo")
    return DemoResult(added=len(missing), plan=store.snapshot())
