"""The one converter: every model round-trips through plain data; bad data is refused by path."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actiontrack.convert import structure, unstructure
from actiontrack.domain.models import (
    Action,
    ActionStatus,
    Agency,
    AssuranceDecision,
    AssuranceOutcome,
    Chase,
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
from actiontrack.domain.plan import RECORD_KINDS, ChangeKind, HistoryEntry
from actiontrack.errors import ActiontrackError, ConversionError

# Strategies

# Any text but NUL and lone surrogates, which the converter refuses (test_nul_is_refused).
texts = st.text(st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=20)
ids = st.text(st.characters(codec="utf-8", blacklist_characters="\x00"), min_size=1,
              max_size=30)
id_tuples = st.lists(ids, max_size=4).map(tuple)
dates = st.dates()
figures = st.floats(allow_nan=False, allow_infinity=False)
versions = st.integers(min_value=0, max_value=2**40)
# Fixed UTC offsets (whole minutes, as ISO 8601 writes them): a zone with DST
# makes some wall times ambiguous, and those never compare equal across zones.
offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(timezones=offsets)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3)
    ),
    max_leaves=8,
)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _every_field(cls: type, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """st.builds for cls, insisting that every field has a strategy (a new field fails here)."""
    names = {field.name for field in attrs.fields(cls)}
    assert set(fields) == names, f"{cls.__name__}: strategy fields differ by {set(fields) ^ names}"
    return st.builds(cls, **fields)


target_revisions = _every_field(
    TargetRevision, from_date=dates, to_date=dates, reason=texts, by=texts, on=dates
)

STRATEGIES: dict[type, st.SearchStrategy[Any]] = {
    Partnership: _every_field(
        Partnership, id=ids, name=texts, kind=st.sampled_from(PartnershipKind), version=versions
    ),
    Agency: _every_field(
        Agency, id=ids, name=texts, former_names=st.lists(texts, max_size=3),
        email=_optional(texts), aliases=st.lists(texts, max_size=3), version=versions
    ),
    Review: _every_field(
        Review,
        id=ids,
        partnership_id=ids,
        reference=texts,
        kind=st.sampled_from(ReviewKind),
        title=texts,
        subject=_optional(texts),
        became_aware_on=_optional(dates),
        notified_on=_optional(dates),
        rapid_review_sent_on=_optional(dates),
        decided_on=_optional(dates),
        published_on=_optional(dates),
        version=versions,
    ),
    Recommendation: _every_field(
        Recommendation,
        id=ids,
        review_id=ids,
        number=texts,
        text=texts,
        themes=st.lists(texts, max_size=3),
        scope=st.sampled_from(RecommendationScope),
        response=st.sampled_from(Response),
        response_reason=_optional(texts),
        repeats=id_tuples,
        version=versions,
    ),
    Action: _every_field(
        Action,
        id=ids,
        partnership_id=ids,
        recommendation_ids=id_tuples,
        lead_agency_id=ids,
        title=texts,
        original_target_date=dates,
        target_date=dates,
        lead_officer=_optional(texts),
        deliverable=_optional(texts),
        success_measure=_optional(texts),
        status=st.sampled_from(ActionStatus),
        target_revisions=st.lists(target_revisions, max_size=3).map(tuple),
        hold_reason=_optional(texts),
        hold_review_date=_optional(dates),
        successor_id=_optional(ids),
        reopened_on=_optional(dates),
        reference=_optional(texts),
        version=versions,
    ),
    ProgressUpdate: _every_field(
        ProgressUpdate, id=ids, action_id=ids, on=dates, by=texts, text=texts, version=versions
    ),
    Evidence: _every_field(
        Evidence,
        id=ids,
        action_id=ids,
        tier=st.sampled_from(EvidenceTier),
        kind=st.sampled_from(EvidenceKind),
        title=texts,
        about_date=dates,
        recorded_on=dates,
        recorded_by=texts,
        link=_optional(texts),
        version=versions,
    ),
    AssuranceDecision: _every_field(
        AssuranceDecision,
        id=ids,
        action_id=ids,
        outcome=st.sampled_from(AssuranceOutcome),
        decided_on=dates,
        decided_by=texts,
        body=texts,
        seen=texts,
        evidence_ids=id_tuples,
        version=versions,
    ),
    LearningActivity: _every_field(
        LearningActivity,
        id=ids,
        partnership_id=ids,
        kind=st.sampled_from(LearningActivityKind),
        title=texts,
        held_on=dates,
        reach=_optional(st.integers(min_value=0)),
        recommendation_ids=id_tuples,
        version=versions,
    ),
    Chase: _every_field(
        Chase, id=ids, agency_id=ids, sent_on=dates, sent_by=texts, sent_to=texts,
        action_ids=id_tuples, message_id=texts, version=versions,
    ),
    Measure: _every_field(
        Measure, id=ids, action_id=ids, name=texts, unit=texts, baseline=figures,
        baseline_on=dates, target=figures, target_on=dates, want=st.sampled_from(Want),
        source=_optional(texts), version=versions,
    ),
    Measurement: _every_field(
        Measurement, id=ids, action_id=ids, measure_id=ids, on=dates, value=figures, by=texts,
        note=_optional(texts), version=versions,
    ),
    HistoryEntry: _every_field(
        HistoryEntry,
        seq=st.integers(min_value=1),
        commit=st.integers(min_value=1),
        at=moments,
        by=texts,
        reason=_optional(texts),
        kind=st.sampled_from(sorted(RECORD_KINDS)),
        record_id=ids,
        version=versions,
        change=st.sampled_from(ChangeKind),
        field=_optional(texts),
        old=json_values,
        new=json_values,
        hash=_optional(st.text("0123456789abcdef", min_size=64, max_size=64)),
    ),
    TargetRevision: target_revisions,
}


def test_strategies_cover_every_record_kind() -> None:
    """There is a round-trip strategy for every kind in RECORD_KINDS, plus history and revisions."""
    assert set(STRATEGIES) == {*RECORD_KINDS.values(), HistoryEntry, TargetRevision}


# Round trips


@pytest.mark.parametrize("cls", list(STRATEGIES), ids=lambda cls: cls.__name__)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_round_trip_through_plain_json_data(cls: type, data: st.DataObject) -> None:
    """unstructure -> JSON -> structure gives back an equal record, and unstructure again agrees."""
    record = data.draw(STRATEGIES[cls])
    plain = unstructure(record)
    through_json = json.loads(json.dumps(plain))
    assert through_json == plain
    rebuilt = structure(through_json, cls)
    assert rebuilt == record
    assert type(rebuilt) is cls
    assert unstructure(rebuilt) == plain


def test_unstructure_writes_plain_values() -> None:
    """Dates are YYYY-MM-DD text, enums their values, tuples lists, moments ISO with offset."""
    action = Action(
        id="WSCP/A001",
        partnership_id="WSCP",
        recommendation_ids=("WSCP/CSPR-ALEX/R3",),
        lead_agency_id="police",
        title="Strategy discussions include health",
        original_target_date=date(2026, 3, 31),
        target_date=date(2026, 3, 31),
        status=ActionStatus.IN_PROGRESS,
    )
    plain = unstructure(action)
    assert plain["target_date"] == "2026-03-31"
    assert plain["status"] == "in_progress"
    assert type(plain["status"]) is str
    assert plain["recommendation_ids"] == ["WSCP/CSPR-ALEX/R3"]
    assert plain["target_revisions"] == []
    moment = datetime(2026, 3, 31, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert unstructure(moment) == "2026-03-31T09:30:00+01:00"


# Strictness


def _problem(excinfo: pytest.ExceptionInfo[ConversionError]) -> str:
    (problem,) = excinfo.value.problems
    return problem


def test_number_is_not_text() -> None:
    """123 is not accepted where text is expected."""
    with pytest.raises(ConversionError) as excinfo:
        structure(123, str)
    assert _problem(excinfo) == "$: expected text, got 123 (int)"


def test_text_is_not_a_tuple_of_letters() -> None:
    """The text "abc" is refused where a list of text is expected, not split into letters."""
    with pytest.raises(ConversionError) as excinfo:
        structure("abc", tuple[str, ...])
    assert _problem(excinfo) == "$: expected a list, got 'abc' (str)"


@pytest.mark.parametrize("value", [True, False])
def test_bool_is_not_an_int(value: bool) -> None:
    """True and False are not whole numbers."""
    with pytest.raises(ConversionError) as excinfo:
        structure(value, int)
    assert _problem(excinfo).startswith("$: expected a whole number")


@pytest.mark.parametrize("value", [1.0, "1"])
def test_float_or_text_is_not_an_int(value: object) -> None:
    """1.0 and "1" are not whole numbers either."""
    with pytest.raises(ConversionError, match="expected a whole number"):
        structure(value, int)


@pytest.mark.parametrize(
    "value",
    [
        "31/03/2026",
        "20260331",
        "2026-3-31",
        "2026-03-31T00:00:00",
        "2026-W14-2",
        20260331,
        datetime(2026, 3, 31, tzinfo=UTC),
    ],
)
def test_only_yyyy_mm_dd_is_a_date(value: object) -> None:
    """A date is YYYY-MM-DD text (or a date); other spellings and datetimes are refused."""
    with pytest.raises(ConversionError) as excinfo:
        structure(value, date)
    assert _problem(excinfo).startswith("$: expected a date as YYYY-MM-DD, got ")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-02-30", "February 2026 has 28 days"),
        ("2028-02-30", "February 2028 has 29 days"),
        ("2026-04-31", "April 2026 has 30 days"),
        ("2026-04-00", "April 2026 has 30 days"),
        ("2026-13-01", "there is no month 13"),
        ("0000-01-01", "years run from 1 to 9999"),
    ],
)
def test_a_day_that_does_not_exist_is_named_as_such(value: str, reason: str) -> None:
    """YYYY-MM-DD text naming no day (30 February) says so, and why, not that the form is wrong."""
    with pytest.raises(ConversionError) as excinfo:
        structure(value, date)
    assert _problem(excinfo) == f"$: {value!r} is not a real day: {reason}"


def test_yyyy_mm_dd_is_a_date() -> None:
    """The text "2026-03-31" becomes 31 March 2026."""
    assert structure("2026-03-31", date) == date(2026, 3, 31)


@pytest.mark.parametrize(
    "value", ["2026-03-31T09:30:00", "2026-03-31", datetime(2026, 3, 31, 9, 30), 1774949400]
)
def test_naive_moments_are_refused(value: object) -> None:
    """A moment without its UTC offset is refused, as text or as a naive datetime."""
    with pytest.raises(ConversionError) as excinfo:
        structure(value, datetime)
    assert "with its UTC offset" in _problem(excinfo)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-31T09:30:00+01:00", datetime(2026, 3, 31, 8, 30, tzinfo=UTC)),
        ("2026-03-31T08:30:00Z", datetime(2026, 3, 31, 8, 30, tzinfo=UTC)),
    ],
)
def test_moments_with_offset_are_accepted(text: str, expected: datetime) -> None:
    """An ISO 8601 moment with its offset is the same instant after structuring."""
    moment = structure(text, datetime)
    assert moment == expected
    assert moment.utcoffset() is not None


@pytest.mark.parametrize(
    ("cls", "value"),
    [
        (ActionStatus, "done"),
        (ActionStatus, "Completed"),  # enum values are lower-case snake
        (ActionStatus, "IN_PROGRESS"),  # a member name is not a value
        (EvidenceTier, None),
        (ReviewKind, 1),
    ],
)
def test_unknown_enum_values_are_refused(cls: type, value: object) -> None:
    """An enumeration takes only its listed values, and the message lists them."""
    with pytest.raises(ConversionError) as excinfo:
        structure(value, cls)
    problem = _problem(excinfo)
    assert problem.startswith("$: expected one of ")
    for member in cls:  # type: ignore[attr-defined]
        assert member.value in problem


def test_enum_value_is_structured_to_the_member() -> None:
    """A listed value becomes the enum member, not a plain string."""
    status = structure("on_hold", ActionStatus)
    assert status is ActionStatus.ON_HOLD


# Records: unknown keys, missing keys, paths


@pytest.fixture
def plain_action() -> dict[str, Any]:
    """A valid action as plain data, with one target revision."""
    return {
        "id": "WSCP/A004",
        "partnership_id": "WSCP",
        "recommendation_ids": ["WSCP/CSPR-ALEX/R3", "WSCP/CSPR-CHARLIE/R1"],
        "lead_agency_id": "icb",
        "title": "Health visitors see fathers at the first contact",
        "original_target_date": "2026-03-31",
        "target_date": "2026-06-30",
        "status": "in_progress",
        "target_revisions": [
            {
                "from_date": "2026-03-31",
                "to_date": "2026-06-30",
                "reason": "Training provider changed",
                "by": "Business unit",
                "on": "2026-03-10",
            }
        ],
    }


def test_plain_action_structures(plain_action: dict[str, Any]) -> None:
    """The valid plain action used below is accepted, optional fields defaulted."""
    action = structure(plain_action, Action)
    assert action.target_date == date(2026, 6, 30)
    assert action.target_revisions[0].reason == "Training provider changed"
    assert action.lead_officer is None
    assert action.version == 0


def test_unknown_keys_are_refused(plain_action: dict[str, Any]) -> None:
    """A key the model does not have is refused, and named."""
    with pytest.raises(ConversionError) as excinfo:
        structure({**plain_action, "colour": "red"}, Action, path="$.actions[3]")
    assert _problem(excinfo) == "$.actions[3]: unknown field(s): colour"


def test_missing_required_key_is_named(plain_action: dict[str, Any]) -> None:
    """A required field that is missing is named by its path."""
    del plain_action["title"]
    with pytest.raises(ConversionError) as excinfo:
        structure(plain_action, Action, path="$.actions[3]")
    assert _problem(excinfo) == "$.actions[3].title: required field missing"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("target_date", "31/03/2026", "expected a date as YYYY-MM-DD, got '31/03/2026' (str)"),
        ("target_date", "20260331", "expected a date as YYYY-MM-DD, got '20260331' (str)"),
        ("title", 123, "expected text, got 123 (int)"),
        ("lead_officer", 5, "expected text, got 5 (int)"),
        ("recommendation_ids", "abc", "expected a list, got 'abc' (str)"),
        ("version", True, "expected a whole number, got True (bool)"),
        ("status", "done", "expected one of proposed, agreed,"),
    ],
)
def test_problem_names_the_field_path(
    plain_action: dict[str, Any], field: str, value: object, expected: str
) -> None:
    """A bad field is reported as <path>.<field>: what was expected, and what came."""
    with pytest.raises(ConversionError) as excinfo:
        structure({**plain_action, field: value}, Action, path="$.actions[3]")
    assert _problem(excinfo).startswith(f"$.actions[3].{field}: {expected}")


def test_every_bad_field_is_reported(plain_action: dict[str, Any]) -> None:
    """All problems of a record are collected, not only the first."""
    bad = {**plain_action, "target_date": "31/03/2026", "title": 123, "status": "done"}
    with pytest.raises(ConversionError) as excinfo:
        structure(bad, Action, path="$.actions[3]")
    paths = sorted(problem.partition(": ")[0] for problem in excinfo.value.problems)
    assert paths == ["$.actions[3].status", "$.actions[3].target_date", "$.actions[3].title"]


def test_bad_item_in_a_list_of_text_names_its_index(plain_action: dict[str, Any]) -> None:
    """A wrong item in a list is named by its index."""
    bad = {**plain_action, "recommendation_ids": ["WSCP/CSPR-ALEX/R3", 7]}
    with pytest.raises(ConversionError) as excinfo:
        structure(bad, Action, path="$.actions[3]")
    assert _problem(excinfo) == "$.actions[3].recommendation_ids[1]: expected text, got 7 (int)"


def test_nested_revision_problems_name_the_nested_path(plain_action: dict[str, Any]) -> None:
    """Problems inside target_revisions[0] name the nested field."""
    revision = {**plain_action["target_revisions"][0], "on": "10/03/2026", "reason": 5}
    with pytest.raises(ConversionError) as excinfo:
        structure({**plain_action, "target_revisions": [revision]}, Action, path="$.actions[3]")
    assert sorted(excinfo.value.problems) == [
        "$.actions[3].target_revisions[0].on: expected a date as YYYY-MM-DD,"
        " got '10/03/2026' (str)",
        "$.actions[3].target_revisions[0].reason: expected text, got 5 (int)",
    ]


def test_nested_unknown_and_missing_keys_name_the_nested_path(
    plain_action: dict[str, Any],
) -> None:
    """An unknown or missing key inside target_revisions[1] is named there."""
    good = plain_action["target_revisions"][0]
    extra = {**good, "approved_by": "Chair"}
    missing = {key: value for key, value in good.items() if key != "by"}
    with pytest.raises(ConversionError) as excinfo:
        structure({**plain_action, "target_revisions": [good, extra]}, Action, path="$.a")
    assert _problem(excinfo) == "$.a.target_revisions[1]: unknown field(s): approved_by"
    with pytest.raises(ConversionError) as excinfo:
        structure({**plain_action, "target_revisions": [good, missing]}, Action, path="$.a")
    assert _problem(excinfo) == "$.a.target_revisions[1].by: required field missing"


def test_list_of_records_names_the_record_index(plain_action: dict[str, Any]) -> None:
    """Structuring a list of actions names the index of the bad one."""
    bad = {**plain_action, "target_date": "31/03/2026"}
    with pytest.raises(ConversionError) as excinfo:
        structure([plain_action, plain_action, plain_action, bad], list[Action], path="$.actions")
    assert _problem(excinfo).startswith("$.actions[3].target_date: expected a date")


@pytest.mark.parametrize("value", ["WSCP/A004", ["WSCP/A004"], None, 4])
def test_record_that_is_not_an_object_is_refused(value: object) -> None:
    """Plain data that is not an object of fields raises ConversionError at its path."""
    with pytest.raises(ConversionError) as excinfo:
        structure(value, Action, path="$.actions[3]")
    assert _problem(excinfo).startswith("$.actions[3]: expected an object")


def test_nested_record_that_is_not_an_object_is_refused(plain_action: dict[str, Any]) -> None:
    """A target revision that is not an object is named by its index."""
    with pytest.raises(ConversionError) as excinfo:
        structure({**plain_action, "target_revisions": [None]}, Action, path="$.actions[3]")
    assert _problem(excinfo).startswith("$.actions[3].target_revisions[0]: expected an object")


def test_history_entry_refuses_a_naive_moment() -> None:
    """A history entry's moment must carry its UTC offset."""
    plain = {
        "seq": 1,
        "commit": 1,
        "at": "2026-03-31T09:30:00",
        "by": "Business unit",
        "reason": None,
        "kind": "actions",
        "record_id": "WSCP/A004",
        "version": 1,
        "change": "create",
    }
    with pytest.raises(ConversionError) as excinfo:
        structure(plain, HistoryEntry, path="$.history[0]")
    assert _problem(excinfo).startswith("$.history[0].at: expected a moment as ISO 8601")


def test_conversion_error_is_a_value_error() -> None:
    """ConversionError can be caught as ValueError or ActiontrackError, and joins its problems."""
    with pytest.raises(ValueError) as excinfo:
        structure({"id": 1, "name": 2, "kind": "children"}, Partnership)
    assert isinstance(excinfo.value, ActiontrackError)
    assert str(excinfo.value) == "; ".join(excinfo.value.problems)  # type: ignore[attr-defined]


def test_nul_is_refused() -> None:
    """Text holding the NUL character is refused with its path: no store could keep it."""
    from actiontrack.domain.models import Agency

    with pytest.raises(ConversionError) as caught:
        structure({"id": "A", "name": "x\x00y", "former_names": []}, Agency, path="$.agency")
    assert caught.value.problems == (
        "$.agency.name: text must not contain the NUL character (\\x00)",)


def test_a_lone_surrogate_is_refused() -> None:
    """Text no file or database can encode (a lone surrogate) is refused with its path."""
    from actiontrack.domain.models import Agency

    with pytest.raises(ConversionError, match=r"\$\.agency\.name: text must be valid Unicode"):
        structure({"id": "A", "name": "x\udc70", "former_names": []}, Agency, path="$.agency")
