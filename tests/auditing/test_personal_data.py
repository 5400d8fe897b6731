"""The personal-data rule: NHS numbers, dates of birth, postcodes, phone numbers and
emails in free text are found, plan text is left alone, and nothing found is repeated.

NHS numbers below are checked by hand with the modulus 11 rule: multiply the first
nine digits by 10, 9, ..., 2, add them up, take the remainder on division by 11;
the check digit is 11 minus that remainder (11 becomes 0; 10 means no valid number).

  943 476 5919: 9x10 + 4x9 + 3x8 + 4x7 + 7x6 + 6x5 + 5x4 + 9x3 + 1x2
              = 90 + 36 + 24 + 28 + 42 + 30 + 20 + 27 + 2 = 299; 299 = 27x11 + 2;
              11 - 2 = 9, the last digit: valid.
  943 476 5900: the first nine digits sum to 299 - 2 = 297 = 27x11, remainder 0;
              11 - 0 = 11, which counts as 0: valid.
  401 023 2137: 40 + 0 + 8 + 0 + 12 + 15 + 8 + 3 + 6 = 92 = 8x11 + 4; 11 - 4 = 7: valid.
  012 345 6789: 0 + 9 + 16 + 21 + 24 + 25 + 24 + 21 + 16 = 156 = 14x11 + 2;
              11 - 2 = 9: valid (and also shaped like a phone number).
  943 476 5918: the check digit should be 9, not 8: invalid.
  123 456 7890: 10 + 18 + 24 + 28 + 30 + 30 + 28 + 24 + 18 = 210 = 19x11 + 1;
              11 - 1 = 10: no check digit makes it valid.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from audit_plans import (
    ACTION,
    RECOMMENDATION,
    REVIEW,
    action,
    decision,
    evidence,
    found,
    measure,
    measurement,
    plan_store,
    recommendation,
    review,
    run_audit,
    update,
)

from actiontrack.auditing import Severity
from actiontrack.auditing.output import to_json, to_junit, to_text
from actiontrack.demo import build_demo
from actiontrack.domain.models import ActionStatus, LearningActivity, LearningActivityKind
from actiontrack.domain.models import TargetRevision as Revision
from actiontrack.personal_data import find_personal_data, is_nhs_number
from actiontrack.store import MemoryStore

AS_OF = date(2026, 2, 1)


def kinds(text: str) -> list[str]:
    return [kind for kind, _ in find_personal_data(text)]


# -- NHS numbers ------------------------------------------------------------------


@pytest.mark.parametrize("digits", ["9434765919", "9434765900", "4010232137", "0123456789"])
def test_hand_checked_nhs_numbers_pass_the_modulus_11_check(digits: str) -> None:
    """The numbers worked out by hand in this module's docstring are valid."""
    assert is_nhs_number(digits)


@pytest.mark.parametrize("digits", ["9434765918", "1234567890", "943476591", "94347659190",
                                    "94347659x9"])
def test_invalid_nhs_numbers_fail_the_check(digits: str) -> None:
    """A wrong check digit, a remainder of 10, the wrong length or a letter: not valid."""
    assert not is_nhs_number(digits)


@pytest.mark.parametrize("text", [
    "NHS number 943 476 5919 on the referral",
    "NHS no. 9434765919",
    "nhs: 943-476-5919.",
    "(4010232137)",
    "ends in a zero check digit: 943 476 5900",
])
def test_valid_nhs_numbers_are_found_with_or_without_spaces(text: str) -> None:
    """A valid NHS number is found, spaced, hyphenated or run together."""
    assert kinds(text) == ["an NHS number"]


@pytest.mark.parametrize("text", ["943 476 5918", "9434765918", "123 456 7890",
                                  "case 1234567890", "9434765919123", "ref 2021/9434765919"])
def test_numbers_failing_the_check_or_inside_longer_ones_are_ignored(text: str) -> None:
    """Invalid check digits, and ten digits inside a longer number or reference, are not found."""
    assert "an NHS number" not in kinds(text)


def test_an_nhs_number_shaped_like_a_phone_number_is_reported_once() -> None:
    """012 345 6789 is a valid NHS number and starts with 0: reported once, as an NHS number."""
    assert kinds("012 345 6789") == ["an NHS number"]


# -- dates of birth ---------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "DOB 12/03/2019", "D.O.B.: 12.03.19", "dob: 2019-03-12", "date of birth 12 March 2019",
    "Date of Birth - 1st Mar 2019", "born on 3 September 2019", "Born: 12-3-2019",
])
def test_dates_next_to_dob_or_born_are_dates_of_birth(text: str) -> None:
    """A date right after DOB, date of birth or born is a date of birth."""
    assert kinds(text) == ["a date of birth"]


@pytest.mark.parametrize("text", [
    "Target date 31/03/2026", "Reviewed on 12 March 2026", "born in 2019",
    "newborn 12/03/2019 clinic list", "Learning was born of two reviews in 2021",
])
def test_other_dates_are_not_dates_of_birth(text: str) -> None:
    """Dates without a birth word next to them, or a birth word without a full date, are not."""
    assert kinds(text) == []


# -- postcodes, phone numbers, email ----------------------------------------------


@pytest.mark.parametrize("text", ["SW1A 1AA", "lives at M1 1AE now", "EC1A 1BB", "B33 8TH",
                                  "CR2 6XH", "DN55 1PT", "W1A 0AX", "B338TH"])
def test_uk_postcodes_are_found(text: str) -> None:
    """Postcodes of every UK shape, with or without the space, are found."""
    assert kinds(text) == ["a postcode"]


@pytest.mark.parametrize("text", [
    "020 7946 0018", "(020) 7946 0018", "+44 20 7946 0018", "+44 (0)20 7946 0018",
    "07700 900123", "07700-900-123", "+447700900123",
    # The last ten digits of these pass the NHS check (7700900124: 70 + 63 + 54 + 3 + 4 =
    # 194 = 17x11 + 7, 11 - 7 = 4; 1632960001: 10 + 54 + 24 + 14 + 54 + 30 = 186 =
    # 16x11 + 10, 11 - 10 = 1; 1174960000: 10 + 9 + 56 + 28 + 54 + 30 = 187 = 17x11,
    # check digit 0), yet they are eleven-digit phone numbers, not NHS numbers.
    "call 07700 900124 today", "01632 960001", "0117 496 0000",
])
def test_uk_phone_numbers_are_found(text: str) -> None:
    """Landlines, mobiles, +44 and bracketed area codes are phone numbers."""
    assert kinds(text) == ["a phone number"]


@pytest.mark.parametrize("text", ["jo.bloggs@example.org", "Email J.Bloggs+cp@nhs.net.",
                                  "<a.b@council.gov.uk>"])
def test_email_addresses_are_found(text: str) -> None:
    """An email address anywhere in the text is found."""
    assert kinds(text) == ["an email address"]


def test_several_kinds_in_one_text_are_found_in_order() -> None:
    """Each piece of personal data is found, in the order it appears."""
    text = ("Mother (DOB 01/02/1990) at SW1A 1AA, NHS 943 476 5919, tel 07700 900123,"
            " email jo@example.org")
    assert kinds(text) == ["a date of birth", "a postcode", "an NHS number", "a phone number",
                           "an email address"]


# -- plan text that is not personal data ------------------------------------------


PLAN_TEXT = [
    "Target date moved to 31/03/2026 after the executive met on 3 March 2026",
    "95% of notifications sent within 24 hours; 87% of referrals met the threshold",
    "DEMO-SCP/A001 answers DEMO-SCP/CSPR-ALEX/R1 and WSCP/CSPR-ALEX/R3",
    "Yearly report 2019/20 and 2020/21; Section 11 audit 2025-26",
    "Working Together 2018 and its 2023 revision",
    "Child Alex, 10 weeks old; Child Charlie, 16 weeks old",
    "Review on 2026-03-31 with 12 practitioners from 3 agencies",
    "Budget £12,500; 1,250 staff trained; 0.85 referrals per 1,000 children",
    "Version 3.1.2 of the policy, see https://example.org/policies/2026/03",
    "Q3 2026/27 performance report to the partnership executive",
    "Serious incident notification sent on 04/01/2027 within 5 working days",
    "KS2 data for Year 6; Covid-19 recovery plan; 7-minute briefing",
    "Ring extension 4417 or the MASH duty desk",
    "Audit of 40 strategy discussions, sample of 10 cases, 2 returned",
    "Meeting 01-04-2026 10:00; audit on 02-03-2026 12 cases sampled; deadline 05-06-2026 1700",
    "NSPCC helpline 0808 800 5000; contact the MASH on 0300 123 4567",
]


@pytest.mark.parametrize("text", PLAN_TEXT)
def test_typical_plan_text_has_no_personal_data(text: str) -> None:
    """Dates, percentages, ids, years like 2019/20 and counts are not personal data."""
    assert find_personal_data(text) == []


def test_the_demo_plan_has_no_personal_data() -> None:
    """The illustrative demo, loaded into a real store, gives no personal-data finding."""
    for today in (date(2026, 11, 26), date(2027, 3, 1)):
        store = MemoryStore()
        store.restore(*build_demo(today))
        assert found(store, "personal-data", today) == []


# -- the rule over a stored plan --------------------------------------------------


def _in_field(field: str, text: str) -> MemoryStore:
    """A plan with ``text`` in one free-text field."""
    revision = Revision(from_date=date(2026, 3, 31), to_date=date(2026, 4, 30), reason=text,
                        by="Jane Smith", on=date(2026, 1, 5))
    records = {
        "review.title": [review(title=text)],
        "review.subject": [review(subject=text)],
        "recommendation.text": [recommendation(text=text)],
        "recommendation.response_reason": [recommendation(response_reason=text)],
        "action.title": [action(title=text)],
        "action.deliverable": [action(deliverable=text)],
        "action.success_measure": [action(success_measure=text)],
        "action.hold_reason": [action(status=ActionStatus.ON_HOLD, hold_reason=text,
                                      hold_review_date=date(2026, 6, 1))],
        "action.target_revisions": [action(target_revisions=(revision,),
                                           target_date=date(2026, 4, 30))],
        "update.text": [action(), update(text=text)],
        "evidence.title": [action(), evidence(title=text)],
        "evidence.link": [action(), evidence(link=text)],
        "decision.seen": [action(), decision(seen=text)],
        "learning.title": [LearningActivity(
            id="TEST-SCP/L1", partnership_id="TEST-SCP", kind=LearningActivityKind.BRIEFING,
            title=text, held_on=date(2026, 1, 5))],
        "measure.name": [action(), measure(name=text)],
        "measure.source": [action(), measure(source=text)],
        "measurement.note": [action(), measure(), measurement(1, date(2026, 1, 2), 50,
                                                              note=text)],
    }[field]
    return plan_store(*records)


@pytest.mark.parametrize(("field", "subject", "fact"), [
    ("review.title", REVIEW, "title"),
    ("review.subject", REVIEW, "subject"),
    ("recommendation.text", RECOMMENDATION, "text"),
    ("recommendation.response_reason", RECOMMENDATION, "response_reason"),
    ("action.title", ACTION, "title"),
    ("action.deliverable", ACTION, "deliverable"),
    ("action.success_measure", ACTION, "success_measure"),
    ("action.hold_reason", ACTION, "hold_reason"),
    ("action.target_revisions", ACTION, "target_revisions[1].reason"),
    ("update.text", f"{ACTION}/U1", "text"),
    ("evidence.title", f"{ACTION}/E1", "title"),
    ("evidence.link", f"{ACTION}/E1", "link"),
    ("decision.seen", f"{ACTION}/D1", "seen"),
    ("learning.title", "TEST-SCP/L1", "title"),
    ("measure.name", f"{ACTION}/M1", "name"),
    ("measure.source", f"{ACTION}/M1", "source"),
    ("measurement.note", f"{ACTION}/M1/V1", "note"),
])
def test_every_free_text_field_is_searched(field: str, subject: str, fact: str) -> None:
    """Personal data in any field a person types into is found, naming record and field."""
    [finding] = found(_in_field(field, "Contact 07700 900123 about this"), "personal-data",
                      AS_OF)
    assert finding.subject == subject
    assert finding.severity == Severity.ERROR
    assert finding.facts["field"] == fact
    assert finding.facts["kind"] == "a phone number"
    field_name = fact.split("[")[0]
    fix = (f"take it out of the record and its history with `actiontrack redact {subject}"
           f" {field_name} --reason TEXT`" if "[" not in fact
           else "a target revision's reason cannot be redacted: ask the store's administrator")
    assert finding.message == (f"a phone number ({finding.facts['hint']}) in its {field_name};"
                               f" {fix}")


SECRETS = ["943 476 5919", "12/03/2019", "SW1A 1AA", "07700 900123", "jo.bloggs@example.org",
           "+44 20 7946 0018", "3 September 2019", "M1 1AE"]


def test_findings_never_repeat_what_was_found() -> None:
    """No finding, in any field of the JSON output, holds a found value in full."""
    text = ("Mother DOB 12/03/2019, NHS 943 476 5919, SW1A 1AA; call 07700 900123 or"
            " +44 20 7946 0018, jo.bloggs@example.org; father born on 3 September 2019,"
            " M1 1AE")
    store = plan_store(action(), update(text=text))
    result = run_audit(store, AS_OF)
    findings = [f for f in result.findings if f.rule == "personal-data"]
    assert [f.facts["kind"] for f in findings] == sorted(
        ["a date of birth", "an NHS number", "a postcode", "a phone number", "a phone number",
         "an email address", "a date of birth", "a postcode"])
    output = to_json(result)
    compact = re.sub(r"[\s\-()+]", "", output)
    for secret in SECRETS:
        assert secret not in output
        assert re.sub(r"[\s\-()+]", "", secret) not in compact
    # Each hint still starts like the value, so a person can find it in the record.
    hints = {f.facts["hint"] for f in findings}
    assert "94* *** ****" in hints
    assert "jo.******@*******.***" in hints
    assert json.loads(output)["summary"]["error"] == len(findings)


FIELDS = ["review.title", "review.subject", "recommendation.text",
          "recommendation.response_reason", "action.title", "action.deliverable",
          "action.success_measure", "action.hold_reason", "action.target_revisions",
          "update.text", "evidence.title", "evidence.link", "decision.seen", "learning.title"]


@pytest.mark.parametrize("field", FIELDS)
def test_no_output_of_any_rule_repeats_personal_data_from_any_field(field: str) -> None:
    """Whatever field holds it, no rule's finding, in any format, carries the value in full."""
    text = "Mum DOB 03/04/2019, NHS 943 476 5919, 07700 900123, jo.bloggs@example.org"
    result = run_audit(_in_field(field, text), AS_OF)
    assert any(f.rule == "personal-data" for f in result.findings)
    outputs = [to_json(result), to_text(result), to_junit(result, Severity.INFO)]
    for secret in ("03/04/2019", "943 476 5919", "07700 900123", "jo.bloggs@example.org"):
        for output in outputs:
            assert secret not in output, (field, secret)


def test_target_drift_does_not_repeat_the_reasons_for_moving_a_date() -> None:
    """A drifted action's finding counts its moves; the reasons (free text) stay out."""
    reason = "Mum DOB 03/04/2019 in hospital"
    moves = tuple(
        Revision(from_date=date(2026, month, 1), to_date=date(2026, month + 1, 1), reason=reason,
                 by="Jane Smith", on=date(2026, 1, 5))
        for month in (3, 4, 5)
    )
    store = plan_store(action(target_revisions=moves, target_date=date(2026, 6, 1)))
    result = run_audit(store, AS_OF)
    assert any(f.rule == "target-drift" for f in result.findings)
    for output in (to_json(result), to_text(result), to_junit(result, Severity.INFO)):
        assert "03/04/2019" not in output
