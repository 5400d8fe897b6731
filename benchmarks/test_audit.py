"""The full audit at national size, against a hand-written single loop over the same plan.

Target (DESIGN.md, docs/performance.md): <= 3x. The subject is what
``actiontrack audit`` pays once it has the plan: :func:`run_rules` with every
registered rule (the built-in ones; this session loads no others), findings
built, sorted and waivers applied. Each round gets a fresh :class:`Plan`
over the same records, so it also pays for the plan's look-up index, as
every real audit of a new snapshot does.

The baseline is a hand-written script that finds everything the built-in
rules find, and nothing more: one pass over each kind of child record
(updates, chases, evidence, decisions, measures and their figures) keeping
only what the checks need (an action's latest update, its latest evidence of
each tier, its accepted decisions), then one loop over the actions for the
action, evidence and measure rules, one over the reviews for the statutory
clocks, one over the recommendations for responses and recurring themes, and
one over every free-text field for personal data, looking at each distinct
text once (as the rule does). Where the answer is a domain rule a script
writer would call rather than copy, it calls it: the RAG policy's due-soon
test, ``review_deadlines`` and a deadline's state, ``add_months``,
``same_person``, a :class:`Reading`'s ``met_since`` and ``better``,
``find_personal_data``. It makes no messages, no facts and no findings, only
the sorted list of (rule id, subject id) pairs, one per finding (a record
with two kinds of personal data in it appears twice). The subject test
checks that this list equals the audit's, so both sides answer the same
question. Like the subject, it uses the default thresholds and RAG policy,
and no record's creation day (the benchmark passes none, so
``no-recent-update`` only counts progress updates). In the generated plan
nine of the twenty rules find something; the others find nothing on either
side.

The generator's lifecycle never closes an action without completion
evidence, so the fixture drops the completion evidence of one closed action
in :data:`DROP_EVERY`: both sides then have something to find.

The plan is generated once and pickled under ``benchmarks/.cache/``, keyed
by size, seed and a fingerprint of the sources that make it (generating the
national plan takes about a minute; loading the pickle a few seconds).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest

import actiontrack
from actiontrack.auditing import AuditResult, RuleSpec, registered_rules, run_rules
from actiontrack.domain.clocks import (
    ClockState,
    StatutoryClock,
    WorkingDays,
    add_months,
    review_deadlines,
)
from actiontrack.domain.impact import Reading, better
from actiontrack.domain.lifecycle import COMPLETE_STATUSES, OPEN_STATUSES, same_person
from actiontrack.domain.models import (
    ActionStatus,
    AssuranceDecision,
    AssuranceOutcome,
    EvidenceTier,
    Measure,
    Measurement,
    Response,
)
from actiontrack.domain.plan import RECORD_KINDS, Plan
from actiontrack.domain.rag import RagPolicy
from actiontrack.generate import generate_plan
from actiontrack.personal_data import find_personal_data

SUBJECT_ROUNDS = 5
BASELINE_ROUNDS = 20
TARGET = 3.0
AS_OF = date(2026, 11, 26)
DROP_EVERY = 25
_CLOCK_RULES = {
    StatutoryClock.NOTIFICATION: "notification-clock",
    StatutoryClock.RAPID_REVIEW: "rapid-review-clock",
    StatutoryClock.CSPR_PUBLICATION: "publication-clock",
}

CACHE = Path(__file__).parent / ".cache"
#: The sources that decide what the pickled plan holds (and the classes it unpickles to).
_SOURCES = (
    "generate.py", "convert.py", "domain/models.py", "domain/plan.py", "domain/lifecycle.py",
    "store/core.py",
)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    root = Path(actiontrack.__file__).parent
    for name in _SOURCES:
        source = root / name
        digest.update(name.encode())
        digest.update(source.read_bytes() if source.exists() else b"")
    return digest.hexdigest()[:12]


def cached_plan(size: str, seed: int = 0) -> Plan:
    """The generated plan at ``size`` (no history), from the pickle cache or built now."""
    prefix = f"{size}-seed{seed}-plan-"
    path = CACHE / f"{prefix}{_fingerprint()}.pickle"
    if not path.exists():
        plan, _ = generate_plan(size, seed=seed)  # type: ignore[arg-type]
        # A Plan holds read-only mapping proxies, which do not pickle: keep plain dicts.
        tables = {kind: dict(plan.of_kind(kind)) for kind in RECORD_KINDS}
        CACHE.mkdir(parents=True, exist_ok=True)
        for stale in CACHE.glob(prefix + "*.pickle"):
            stale.unlink(missing_ok=True)  # built from older sources
        handle, temporary = tempfile.mkstemp(prefix=".building-", dir=CACHE)
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump(tables, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
    with open(path, "rb") as file:
        return Plan(**pickle.load(file))


def _with_some_evidence_missing(plan: Plan) -> Plan:
    """The same plan without the completion evidence of every DROP_EVERY-th closed action."""
    closed = sorted(a.id for a in plan.actions.values() if a.status in COMPLETE_STATUSES)
    stripped = set(closed[::DROP_EVERY])
    evidence = {
        item_id: item for item_id, item in plan.evidence.items()
        if not (item.action_id in stripped and item.tier == EvidenceTier.COMPLETION)
    }
    tables: dict[str, Any] = {kind: plan.of_kind(kind) for kind in RECORD_KINDS}
    return Plan(**(tables | {"evidence": evidence}))


def fresh(plan: Plan) -> Plan:
    """A new Plan over the same records: its look-up index is not built yet."""
    return Plan(**{kind: plan.of_kind(kind) for kind in RECORD_KINDS})  # type: ignore[arg-type]


def audit_all_rules(plan: Plan, rules: list[RuleSpec]) -> AuditResult:
    """The subject: every rule, as ``actiontrack audit`` runs them."""
    return run_rules(plan, as_of=AS_OF, rules=rules)


def by_hand(plan: Plan, as_of: date = AS_OF) -> list[tuple[str, str]]:
    """The baseline: every built-in rule's (rule id, subject id) pairs, sorted."""
    rag, working_days = RagPolicy(), WorkingDays()
    found: list[tuple[str, str]] = []
    add = found.append

    # One pass over each kind of child record, keeping only what the checks need.
    last_update: dict[str, date] = {}
    for update in plan.progress_updates.values():
        if update.on <= as_of and update.on >= last_update.get(update.action_id, date.min):
            last_update[update.action_id] = update.on
    chased_on: dict[str, list[date]] = defaultdict(list)
    for chase in plan.chases.values():
        if chase.sent_on <= as_of:
            for action_id in chase.action_ids:
                chased_on[action_id].append(chase.sent_on)
    latest_evidence: dict[tuple[str, EvidenceTier], date] = {}
    for item in plan.evidence.values():
        key = (item.action_id, item.tier)
        latest = latest_evidence.get(key)
        if latest is None or item.recorded_on > latest:
            latest_evidence[key] = item.recorded_on
    accepted: dict[str, list[AssuranceDecision]] = defaultdict(list)
    for decision in plan.assurance_decisions.values():
        if decision.outcome == AssuranceOutcome.ACCEPTED:
            accepted[decision.action_id].append(decision)
    figures: dict[str, list[Measurement]] = defaultdict(list)
    for figure in sorted(plan.measurements.values(), key=attrgetter("on", "id")):
        figures[figure.measure_id].append(figure)
    measures: dict[str, list[Measure]] = defaultdict(list)
    for measure in plan.measures.values():
        measures[measure.action_id].append(measure)
    answered: set[str] = set()  # recommendations with an action that is not superseded

    for action in plan.actions.values():
        action_id, status, target = action.id, action.status, action.target_date
        revisions = action.target_revisions
        if status != ActionStatus.SUPERSEDED:
            answered.update(action.recommendation_ids)
            if len(revisions) > 2 or (target - action.original_target_date).days > 90:
                add(("target-drift", action_id))
        since = action.reopened_on or date.min
        if status in OPEN_STATUSES:
            if as_of > target:
                add(("action-overdue", action_id))
            elif rag.is_due_soon(target, as_of):
                add(("action-due-soon", action_id))
            heard = last_update.get(action_id)
            if status != ActionStatus.ON_HOLD and heard and (as_of - heard).days > 90:
                add(("no-recent-update", action_id))
            after = heard or date.min
            if sum(1 for day in chased_on.get(action_id, ()) if day > after) >= 2:
                add(("chased-without-response", action_id))
            moved = revisions[-1] if revisions else None
            if moved and moved.to_date < moved.on and target == moved.to_date:
                add(("target-moved-to-past", action_id))
        if status not in COMPLETE_STATUSES and status != ActionStatus.SUPERSEDED and not (
                (action.lead_officer or "").strip() and (action.deliverable or "").strip()
                and (action.success_measure or "").strip()):
            add(("not-smart", action_id))
        if status != ActionStatus.SUPERSEDED:
            for measure in measures.get(action_id, ()):
                own = figures.get(measure.id, ())
                if as_of > add_months(own[-1].on if own else measure.baseline_on, 6):
                    add(("measure-not-measured", measure.id))
                previous = own[-2].value if len(own) > 1 else measure.baseline
                if own and better(measure.want, previous, own[-1].value):
                    add(("measure-wrong-way", measure.id))
        if status not in COMPLETE_STATUSES:
            continue
        completed_on = latest_evidence.get((action_id, EvidenceTier.COMPLETION))
        if completed_on is None or completed_on < since:
            add(("closed-without-evidence", action_id))
        if status == ActionStatus.COMPLETED:
            continue
        counted = [d for d in accepted.get(action_id, ()) if d.decided_on >= since]
        officer = (action.lead_officer or "").strip()
        if not counted or not officer or all(same_person(d.decided_by, officer)
                                             for d in counted):
            add(("self-assured", action_id))
        impact_on = latest_evidence.get((action_id, EvidenceTier.IMPACT))
        impact = (impact_on is not None and impact_on >= since) or any(
            Reading(measure, tuple(figures.get(measure.id, ()))).met_since(since)
            for measure in measures.get(action_id, ()))
        if impact:
            continue
        if status == ActionStatus.EMBEDDED:
            add(("embedded-without-impact", action_id))
        elif counted and as_of > add_months(max(d.decided_on for d in counted), 6):
            add(("no-impact-evidence", action_id))
    for review in plan.reviews.values():
        for deadline in review_deadlines(review, working_days):
            state = deadline.state(as_of)
            if state in (ClockState.OVERDUE, ClockState.MET_LATE) or (
                    state == ClockState.RUNNING and deadline.days_left(as_of) <= 5):
                add((_CLOCK_RULES[deadline.clock], review.id))

    by_theme: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    window_start = date(max(1, as_of.year - 3), as_of.month, 1)
    for recommendation in plan.recommendations.values():
        response = recommendation.response
        if response in (Response.ACCEPTED, Response.PARTLY_ACCEPTED):
            if recommendation.id not in answered:
                add(("accepted-without-actions", recommendation.id))
        elif response == Response.NOT_ACCEPTED and not (
                recommendation.response_reason or "").strip():
            add(("not-accepted-without-reason", recommendation.id))
        for theme in recommendation.themes:
            by_theme[theme][recommendation.review_id].append(recommendation.id)
    for reviews in by_theme.values():
        recent = []
        for review_id in reviews:
            review = plan.reviews.get(review_id)
            day = review and (review.published_on or review.decided_on or review.notified_on)
            if day and window_start <= day <= as_of:
                recent.append((day, review_id))
        if len(recent) >= 3:
            add(("recurring-theme", min(reviews[max(recent)[1]])))

    # Personal data: every free-text field, each distinct text looked at once.
    texts: list[tuple[str, str | None]] = []
    for review in plan.reviews.values():
        texts += [(review.id, review.title), (review.id, review.subject)]
    for recommendation in plan.recommendations.values():
        texts += [(recommendation.id, recommendation.text),
                  (recommendation.id, recommendation.response_reason)]
    for action in plan.actions.values():
        texts += [(action.id, action.title), (action.id, action.deliverable),
                  (action.id, action.success_measure), (action.id, action.hold_reason)]
        texts += [(action.id, revision.reason) for revision in action.target_revisions]
    texts += [(update.id, update.text) for update in plan.progress_updates.values()]
    for item in plan.evidence.values():
        texts += [(item.id, item.title), (item.id, item.link)]
    texts += [(decision.id, decision.seen) for decision in plan.assurance_decisions.values()]
    texts += [(activity.id, activity.title) for activity in plan.learning_activities.values()]
    for measure in plan.measures.values():
        texts += [(measure.id, measure.name), (measure.id, measure.source)]
    texts += [(figure.id, figure.note) for figure in plan.measurements.values()]
    hits: dict[str, int] = {}  # the same text recurs across records: look at it once
    for record_id, text in texts:
        if text:
            count = hits.get(text)
            if count is None:
                count = hits[text] = len(find_personal_data(text))
            found += [("personal-data", record_id)] * count
    found.sort()
    return found


@pytest.fixture(scope="module")
def audit_plan(request: pytest.FixtureRequest) -> Plan:
    # The smoke run (--benchmark-disable, what CI runs once) uses the partnership
    # size: generating the national plan takes about a minute and one audit of it
    # several seconds, too much for the smoke run's two-minute budget. Measuring
    # runs use the national size, which is what the target is about.
    disabled = request.config.getoption("benchmark_disable", default=False)
    return _with_some_evidence_missing(cached_plan("partnership" if disabled else "national"))


@pytest.fixture(scope="module")
def rules() -> list[RuleSpec]:
    specs = registered_rules()
    assert all(spec.origin.startswith("actiontrack.auditing.rules.") for spec in specs)
    return specs


def _fresh_args(plan: Plan, *extra: Any) -> Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]:
    return lambda: ((fresh(plan), *extra), {})


def test_audit_baseline_single_loop(benchmark: Any, audit_plan: Plan) -> None:
    benchmark.group = "audit"
    benchmark.extra_info["role"] = "baseline"
    found = benchmark.pedantic(by_hand, setup=_fresh_args(audit_plan),
                               rounds=BASELINE_ROUNDS, warmup_rounds=1)
    assert {"action-overdue", "closed-without-evidence"} <= {rule for rule, _ in found}


def test_audit_all_rules(benchmark: Any, audit_plan: Plan, rules: list[RuleSpec]) -> None:
    benchmark.group = "audit"
    benchmark.extra_info |= {"role": "subject", "target": TARGET}
    result = benchmark.pedantic(audit_all_rules, setup=_fresh_args(audit_plan, rules),
                                rounds=SUBJECT_ROUNDS, warmup_rounds=1)
    assert not result.failures
    assert {spec.id for spec in result.rules} == {spec.id for spec in rules}
    # Outside the timing: the baseline finds exactly what the rules find, no more, no less.
    found = sorted((finding.rule, finding.subject) for finding in result.findings)
    assert found == by_hand(fresh(audit_plan))
    assert {"action-overdue", "closed-without-evidence"} <= {rule for rule, _ in found}
