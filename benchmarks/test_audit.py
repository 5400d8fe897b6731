"""The full audit at national size, against a hand-written single loop over the same plan.

Target (DESIGN.md, docs/performance.md): <= 3x. The subject is what
``actiontrack audit`` pays once it has the plan: :func:`run_rules` with every
registered rule (the built-in ones; this session loads no others), findings
built, sorted and waivers applied. Each round gets a fresh :class:`Plan`
over the same records, so it also pays for the plan's look-up index, as
every real audit of a new snapshot does.

The baseline is the least a script could do for the two checks people ask
for most: one pass over the evidence to note which actions have completion
evidence, then one loop over the actions for "overdue" (open and past its
target date) and "closed without completion evidence" (completed, assured
or embedded, and no completion evidence recorded since any reopen). It
makes no messages and no findings, only two sorted lists of ids. The
subject test checks that they equal the audit's ``action-overdue`` and
``closed-without-evidence`` subjects, so both sides answer the same question.

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
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import actiontrack
from actiontrack.auditing import AuditResult, RuleSpec, registered_rules, run_rules
from actiontrack.domain.lifecycle import COMPLETE_STATUSES, OPEN_STATUSES
from actiontrack.domain.models import EvidenceTier
from actiontrack.domain.plan import RECORD_KINDS, Plan
from actiontrack.generate import generate_plan

SUBJECT_ROUNDS = 5
BASELINE_ROUNDS = 20
TARGET = 3.0
AS_OF = date(2026, 11, 26)
DROP_EVERY = 25

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


def by_hand(plan: Plan) -> tuple[list[str], list[str]]:
    """The baseline: (overdue action ids, closed-without-completion-evidence ids), sorted."""
    completion_days: dict[str, list[date]] = {}
    for item in plan.evidence.values():
        if item.tier == EvidenceTier.COMPLETION:
            completion_days.setdefault(item.action_id, []).append(item.recorded_on)
    overdue: list[str] = []
    missing: list[str] = []
    for action in plan.actions.values():
        if action.status in OPEN_STATUSES:
            if action.target_date < AS_OF:
                overdue.append(action.id)
        elif action.status in COMPLETE_STATUSES:
            since = action.reopened_on or date.min
            if not any(day >= since for day in completion_days.get(action.id, ())):
                missing.append(action.id)
    overdue.sort()
    missing.sort()
    return overdue, missing


@pytest.fixture(scope="module")
def audit_plan(request: pytest.FixtureRequest) -> Plan:
    # The smoke run (--benchmark-disable, what CI runs once) uses the partnership
    # size: generating the national plan takes about a minute and one audit of it
    # about ten seconds, too much for the smoke run's two-minute budget. Measuring
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
    overdue, missing = benchmark.pedantic(by_hand, setup=_fresh_args(audit_plan),
                                          rounds=BASELINE_ROUNDS, warmup_rounds=1)
    assert overdue
    assert missing


def test_audit_all_rules(benchmark: Any, audit_plan: Plan, rules: list[RuleSpec]) -> None:
    benchmark.group = "audit"
    benchmark.extra_info |= {"role": "subject", "target": TARGET}
    result = benchmark.pedantic(audit_all_rules, setup=_fresh_args(audit_plan, rules),
                                rounds=SUBJECT_ROUNDS, warmup_rounds=1)
    assert not result.failures
    assert {spec.id for spec in result.rules} == {spec.id for spec in rules}
    # Outside the timing: the baseline answers the same question as the rules it stands for.
    overdue, missing = by_hand(fresh(audit_plan))
    found: dict[str, list[str]] = {}
    for finding in result.findings:
        found.setdefault(finding.rule, []).append(finding.subject)
    assert sorted(found.get("action-overdue", [])) == overdue
    assert sorted(found.get("closed-without-evidence", [])) == missing
    assert overdue
    assert missing
