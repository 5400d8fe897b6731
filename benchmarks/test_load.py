"""Load the partnership store into models, against json.load and hand-written constructors.

Target (docs/performance.md): <= 2x. The subject is what every command pays on start-up:
a fresh :class:`TinyDBStore` reading ``plan.json`` (with its layout checks)
and structuring every record through the one cattrs converter. The baseline
reads the same file with :func:`json.load` and builds the same attrs models
by hand, with no checks beyond what the models' own constructors do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Agency,
    AssuranceDecision,
    AssuranceOutcome,
    Evidence,
    EvidenceKind,
    EvidenceTier,
    LearningActivity,
    LearningActivityKind,
    Measure,
    Measurement,
    Partnership,
    PartnershipKind,
    ProgressUpdate,
    Recommendation,
    RecommendationScope,
    Response,
    Review,
    ReviewKind,
    TargetRevision,
    Want,
)
from actiontrack.domain.plan import Plan
from actiontrack.store.tinydb import TinyDBStore

ROUNDS = 30
TARGET = 2.0


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _partnership(d: dict[str, Any]) -> Partnership:
    return Partnership(id=d["id"], name=d["name"], kind=PartnershipKind(d["kind"]),
                       version=d["version"])


def _agency(d: dict[str, Any]) -> Agency:
    return Agency(id=d["id"], name=d["name"], former_names=d["former_names"],
                  version=d["version"])


def _review(d: dict[str, Any]) -> Review:
    return Review(
        id=d["id"], partnership_id=d["partnership_id"], reference=d["reference"],
        kind=ReviewKind(d["kind"]), title=d["title"], subject=d["subject"],
        became_aware_on=_day(d["became_aware_on"]), notified_on=_day(d["notified_on"]),
        rapid_review_sent_on=_day(d["rapid_review_sent_on"]),
        decided_on=_day(d["decided_on"]), published_on=_day(d["published_on"]),
        version=d["version"],
    )


def _recommendation(d: dict[str, Any]) -> Recommendation:
    return Recommendation(
        id=d["id"], review_id=d["review_id"], number=d["number"], text=d["text"],
        themes=d["themes"], scope=RecommendationScope(d["scope"]),
        response=Response(d["response"]), response_reason=d["response_reason"],
        repeats=d["repeats"], version=d["version"],
    )


def _revision(d: dict[str, Any]) -> TargetRevision:
    return TargetRevision(
        from_date=date.fromisoformat(d["from_date"]), to_date=date.fromisoformat(d["to_date"]),
        reason=d["reason"], by=d["by"], on=date.fromisoformat(d["on"]),
    )


def _action(d: dict[str, Any]) -> Action:
    return Action(
        id=d["id"], partnership_id=d["partnership_id"],
        recommendation_ids=d["recommendation_ids"], lead_agency_id=d["lead_agency_id"],
        title=d["title"], original_target_date=date.fromisoformat(d["original_target_date"]),
        target_date=date.fromisoformat(d["target_date"]), lead_officer=d["lead_officer"],
        deliverable=d["deliverable"], success_measure=d["success_measure"],
        status=ActionStatus(d["status"]),
        target_revisions=tuple(_revision(r) for r in d["target_revisions"]),
        hold_reason=d["hold_reason"], hold_review_date=_day(d["hold_review_date"]),
        successor_id=d["successor_id"], version=d["version"],
    )


def _update(d: dict[str, Any]) -> ProgressUpdate:
    return ProgressUpdate(id=d["id"], action_id=d["action_id"], on=date.fromisoformat(d["on"]),
                          by=d["by"], text=d["text"], version=d["version"])


def _evidence(d: dict[str, Any]) -> Evidence:
    return Evidence(
        id=d["id"], action_id=d["action_id"], tier=EvidenceTier(d["tier"]),
        kind=EvidenceKind(d["kind"]), title=d["title"],
        about_date=date.fromisoformat(d["about_date"]),
        recorded_on=date.fromisoformat(d["recorded_on"]), recorded_by=d["recorded_by"],
        link=d["link"], version=d["version"],
    )


def _decision(d: dict[str, Any]) -> AssuranceDecision:
    return AssuranceDecision(
        id=d["id"], action_id=d["action_id"], outcome=AssuranceOutcome(d["outcome"]),
        decided_on=date.fromisoformat(d["decided_on"]), decided_by=d["decided_by"],
        body=d["body"], seen=d["seen"], evidence_ids=d["evidence_ids"], version=d["version"],
    )


def _activity(d: dict[str, Any]) -> LearningActivity:
    return LearningActivity(
        id=d["id"], partnership_id=d["partnership_id"], kind=LearningActivityKind(d["kind"]),
        title=d["title"], held_on=date.fromisoformat(d["held_on"]), reach=d["reach"],
        recommendation_ids=d["recommendation_ids"], version=d["version"],
    )


def _measure(d: dict[str, Any]) -> Measure:
    return Measure(
        id=d["id"], action_id=d["action_id"], name=d["name"], unit=d["unit"],
        baseline=float(d["baseline"]), baseline_on=date.fromisoformat(d["baseline_on"]),
        target=float(d["target"]), target_on=date.fromisoformat(d["target_on"]),
        want=Want(d["want"]), source=d["source"], version=d["version"],
    )


def _measurement(d: dict[str, Any]) -> Measurement:
    return Measurement(
        id=d["id"], action_id=d["action_id"], measure_id=d["measure_id"],
        on=date.fromisoformat(d["on"]), value=float(d["value"]), by=d["by"], note=d["note"],
        version=d["version"],
    )


_BUILDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "partnerships": _partnership,
    "agencies": _agency,
    "reviews": _review,
    "recommendations": _recommendation,
    "actions": _action,
    "progress_updates": _update,
    "evidence": _evidence,
    "assurance_decisions": _decision,
    "learning_activities": _activity,
    "measures": _measure,
    "measurements": _measurement,
}


def load_by_hand(path: Path) -> Plan:
    """The baseline: json.load, then one hand-written constructor call per record."""
    with open(path, "rb") as file:
        data = json.load(file)
    return Plan(**{
        kind: {record_id: build(plain) for record_id, plain in data.get(kind, {}).items()}
        for kind, build in _BUILDERS.items()
    })


def load_through_store(path: Path) -> Plan:
    """The subject: a fresh store object, read and structured through the converter."""
    return TinyDBStore(path, create=True).snapshot()


@pytest.fixture(scope="module")
def partnership_file(store_dir: Callable[..., Path]) -> Path:
    return store_dir("partnership") / "plan.json"  # only read, never written


def test_both_loaders_give_the_same_plan(partnership_file: Path) -> None:
    by_hand = load_by_hand(partnership_file)
    assert by_hand == load_through_store(partnership_file)
    assert len(by_hand) > 15_000  # the whole partnership-size plan, not a stub
    assert len(by_hand.actions) == 3_000


def test_load_baseline_json_and_constructors(benchmark: Any, partnership_file: Path) -> None:
    benchmark.group = "load"
    benchmark.extra_info["role"] = "baseline"
    plan = benchmark.pedantic(load_by_hand, args=(partnership_file,),
                              rounds=ROUNDS, warmup_rounds=1)
    assert len(plan.actions) == 3_000


def test_load_store_snapshot(benchmark: Any, partnership_file: Path) -> None:
    benchmark.group = "load"
    benchmark.extra_info |= {"role": "subject", "target": TARGET}
    plan = benchmark.pedantic(load_through_store, args=(partnership_file,),
                              rounds=ROUNDS, warmup_rounds=1)
    assert len(plan.actions) == 3_000
