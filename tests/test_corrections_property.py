"""Random adds, edits and withdrawals: the plan as of every past moment is the model's then.

A simple model of the plan (which records exist, and the fields the steps
change) follows each step; the store's plan must equal it after every step,
and at the end the plan rebuilt as of each past step's moment must equal the
model as it was then. Ids are never given twice, withdrawn or not.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

import actiontrack as at
from actiontrack.domain.plan import Plan

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
BY = "Business unit"
REVIEW = "NSCP/CSPR-1"

texts = st.text(st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=12)
steps = st.lists(st.one_of(
    st.tuples(st.just("add_update"), st.integers(0, 9), texts),
    st.tuples(st.just("edit_update"), st.integers(0, 9), texts),
    st.tuples(st.just("withdraw_update"), st.integers(0, 9), st.just("")),
    st.tuples(st.just("add_action"), st.integers(0, 1), texts),
    st.tuples(st.just("edit_action"), st.integers(0, 9), texts),
    st.tuples(st.just("withdraw_action"), st.integers(0, 9), st.just("")),
    st.tuples(st.just("add_activity"), st.integers(0, 500), texts),
    st.tuples(st.just("edit_activity"), st.integers(-1, 500), st.just("")),
    st.tuples(st.just("withdraw_activity"), st.integers(0, 9), st.just("")),
), max_size=25)

#: kind -> id -> the fields the steps change, as the model expects them.
Model = dict[str, dict[str, dict[str, Any]]]

FIELDS = {"actions": ("title",), "progress_updates": ("text", "action_id"),
          "learning_activities": ("title", "reach")}


def _start(store: at.Store) -> None:
    at.add_partnership(store, id="NSCP", name="North SCP", kind=at.PartnershipKind.CHILDREN,
                       by=BY, at=T0)
    at.add_agency(store, id="POL", name="North Police", by=BY, at=T0)
    at.add_review(store, partnership_id="NSCP", reference="CSPR-1", kind=at.ReviewKind.LCSPR,
                  title="Child Alex", by=BY, at=T0)
    for text in ("Share information", "Escalate"):
        at.add_recommendation(store, review_id=REVIEW, text=text,
                              response=at.Response.ACCEPTED, by=BY, at=T0)


def _seen(plan: Plan) -> Model:
    return {kind: {record.id: {field: getattr(record, field) for field in fields}
                   for record in plan.of_kind(kind).values()}
            for kind, fields in FIELDS.items()}


def _pick(model: Model, kind: str, index: int) -> str | None:
    ids = sorted(model[kind])
    return ids[index % len(ids)] if ids else None


def _apply(store: at.Store, model: Model, step: tuple[str, int, str], now: datetime,
           given_ids: set[str]) -> None:
    """Make one step through the service, and the model's matching change if it is accepted.

    The rule a step must be refused by is worked out from the model first; a
    refused step leaves the model (and so the plan) as it was.
    """
    operation, number, text = step
    verb, noun = operation.split("_")
    kind = {"update": "progress_updates", "action": "actions",
            "activity": "learning_activities"}[noun]
    target = _pick(model, "actions" if operation == "add_update" else kind, number)
    if target is None and operation != "add_action" and operation != "add_activity":
        return
    blank = not text.strip()
    refusal: str | None = None
    if verb == "add" and blank:
        refusal = {"update": "update.empty", "action": "action.needs-title",
                   "activity": "learning.needs-title"}[noun]
    elif verb == "edit":
        assert target is not None
        field, value = {"update": ("text", text), "action": ("title", text),
                        "activity": ("reach", None if number < 0 else number)}[noun]
        if noun != "activity" and blank:
            refusal = "update.empty" if noun == "update" else "action.needs-title"
        elif model[kind][target][field] == value:
            refusal = "edit.no-change"
    refused: str | None = None
    try:
        if operation == "add_update":
            assert target is not None
            made: at.Record = at.add_progress_update(store, target, text, by=BY, at=now)
            expected: dict[str, Any] = {"text": text.strip(), "action_id": target}
        elif operation == "add_action":
            made = at.add_action(store, recommendation_ids=[f"{REVIEW}/R{number + 1}"],
                                 lead_agency_id="POL", title=text, target_date=date(2027, 3, 31),
                                 by=BY, at=now)
            expected = {"title": text}
        elif operation == "add_activity":
            made = at.add_learning_activity(store, partnership_id="NSCP",
                                            kind=at.LearningActivityKind.BRIEFING, title=text,
                                            held_on=date(2026, 5, 1), reach=number, by=BY, at=now)
            expected = {"title": text, "reach": number}
        elif verb == "edit":
            assert target is not None
            at.edit(store, target, {field: value}, reason="Corrected", by=BY, at=now)
            model[kind][target][field] = value
        else:
            assert target is not None
            done = at.withdraw(store, target, reason="Added by mistake", by=BY, at=now)
            assert done.moved == ()  # nothing here is assured
            for record in done.gone:
                del model[at.kind_of(record)][record.id]
    except at.RuleViolation as exc:
        refused = exc.rule
    assert refused == refusal, step
    event(f"{operation}: {refused or 'done'}")
    if refused or verb != "add":
        return
    assert made.id not in given_ids  # never an id given before, withdrawn or not
    given_ids.add(made.id)
    model[kind][made.id] = expected


@settings(max_examples=150, deadline=None)
@given(steps=steps)
def test_the_plan_as_of_every_past_step_is_the_model_then(steps: list[tuple[str, int, str]]
                                                          ) -> None:
    """After random adds, edits and withdrawals, each past moment replays to the model then."""
    with tempfile.TemporaryDirectory() as folder:
        store = at.open_store(str(Path(folder) / "plan.json"), create=True)
        _start(store)
        first = at.add_action(store, recommendation_ids=[f"{REVIEW}/R1"], lead_agency_id="POL",
                              title="Brief officers", target_date=date(2027, 1, 31), by=BY,
                              at=T0)
        model: Model = {"actions": {first.id: {"title": first.title}}, "progress_updates": {},
                        "learning_activities": {}}
        given_ids = {first.id}
        past: list[tuple[datetime, Model]] = [(T0, _copy(model))]
        for number, step in enumerate(steps, start=1):
            now = T0 + timedelta(minutes=number)
            _apply(store, model, step, now, given_ids)
            assert _seen(store.snapshot()) == model, step
            past.append((now, _copy(model)))
        reopened = at.open_store(str(Path(folder) / "plan.json"))
        for moment, then in past:
            assert _seen(reopened.snapshot(as_of=moment)) == then
        store.close()
        reopened.close()


def _copy(model: Model) -> Model:
    return {kind: {rid: dict(fields) for rid, fields in records.items()}
            for kind, records in model.items()}
