"""The statutory clock rules, against dates worked out by hand across bank holidays.

Bank holidays of England and Wales used below (gov.uk):
  Christmas 2026: Friday 25 December; Boxing Day falls on Saturday 26 December,
  so the substitute day is Monday 28 December; New Year: Friday 1 January 2027.
  Easter 2027: Good Friday 26 March, Easter Monday 29 March.

Every clock warns in the 5 calendar days before its deadline (``clock_warning_days``),
errs once the deadline has passed unmet or was met late, and is quiet when met on time.
"""

from __future__ import annotations

from datetime import date

import pytest
from audit_plans import PARTNERSHIP, found, plan_store, review

from actiontrack.auditing import AuditConfig, Severity
from actiontrack.domain.clocks import DayOne
from actiontrack.domain.models import ReviewKind
from actiontrack.store import MemoryStore

CSPR = f"{PARTNERSHIP}/CSPR-ALEX"

# Notification: aware on Wednesday 23 December 2026, 5 working days, day 1 the next
# working day. Thu 24 Dec is day 1; Fri 25 Dec and Mon 28 Dec are bank holidays (and
# 26-27 a weekend); Tue 29 is day 2, Wed 30 day 3, Thu 31 day 4; Fri 1 Jan is a bank
# holiday, 2-3 Jan a weekend; Monday 4 January 2027 is day 5: the deadline.
AWARE = date(2026, 12, 23)
NOTIFICATION_DUE = date(2027, 1, 4)
# Under day_one = "start_day" Wed 23 Dec (a working day) is day 1 itself: Thu 24 is
# day 2, Tue 29 day 3, Wed 30 day 4, Thursday 31 December 2026 day 5.
NOTIFICATION_DUE_START_DAY = date(2026, 12, 31)

# Rapid review: notified on Monday 22 March 2027, 15 working days. Tue 23 (1), Wed 24 (2),
# Thu 25 (3); Fri 26 Good Friday, 27-28 weekend, Mon 29 Easter Monday; Tue 30 (4),
# Wed 31 (5), Thu 1 Apr (6), Fri 2 (7), Mon 5 (8), Tue 6 (9), Wed 7 (10), Thu 8 (11),
# Fri 9 (12), Mon 12 (13), Tue 13 (14), Wednesday 14 April 2027 (15): the deadline.
NOTIFIED = date(2027, 3, 22)
RAPID_REVIEW_DUE = date(2027, 4, 14)

# Publication: decided on Monday 31 August 2026; 6 calendar months on is 31 February,
# which does not exist, so the deadline is the month's last day: Sunday 28 February 2027
# (2027 is not a leap year; calendar months ignore weekends and bank holidays).
DECIDED = date(2026, 8, 31)
PUBLICATION_DUE = date(2027, 2, 28)


def cspr(**dates: date) -> MemoryStore:
    """A local CSPR with the given clock dates, stored in January 2026."""
    return plan_store(review(id=CSPR, reference="CSPR-ALEX", kind=ReviewKind.LCSPR,
                             title="Child Alex", subject="Child Alex", **dates))


# -- notification-clock -----------------------------------------------------------


def test_notification_due_date_across_christmas() -> None:
    """Aware on 23 December 2026: the notification is due on 4 January 2027."""
    [finding] = found(cspr(became_aware_on=AWARE), "notification-clock", NOTIFICATION_DUE)
    assert finding.facts == {
        "clock": "notification", "day_one": "next_working_day", "due_on": "2027-01-04",
        "met_on": None, "starts_on": "2026-12-23",
    }


def test_notification_due_date_when_the_start_day_is_day_one() -> None:
    """Under day_one = start_day the same awareness gives 31 December 2026."""
    config = AuditConfig(day_one=DayOne.START_DAY)
    store = cspr(became_aware_on=AWARE)
    [finding] = found(store, "notification-clock", NOTIFICATION_DUE_START_DAY, config)
    assert finding.facts["due_on"] == NOTIFICATION_DUE_START_DAY.isoformat()
    assert finding.facts["day_one"] == "start_day"
    [late] = found(store, "notification-clock", date(2027, 1, 1), config)
    assert late.severity == Severity.ERROR


@pytest.mark.parametrize(("as_of", "severity", "message"), [
    (date(2026, 12, 23), None, None),
    (date(2026, 12, 29), None, None),  # 6 days before: too early to warn
    (date(2026, 12, 30), Severity.WARNING, "is due on 4 January 2027, in 5 days"),
    (NOTIFICATION_DUE, Severity.WARNING, "is due on 4 January 2027, in 0 days"),
    (date(2027, 1, 5), Severity.ERROR, "was due on 4 January 2027 and has not happened"),
    (date(2027, 6, 1), Severity.ERROR, "was due on 4 January 2027 and has not happened"),
])
def test_notification_warns_then_errs(as_of: date, severity: Severity | None,
                                      message: str | None) -> None:
    """Quiet until 5 days before the deadline, a warning up to it, an error after it."""
    findings = found(cspr(became_aware_on=AWARE), "notification-clock", as_of)
    if severity is None:
        assert findings == []
        return
    [finding] = findings
    assert finding.subject == CSPR
    assert finding.severity == severity
    assert finding.message == (
        f"the serious incident notification to the Panel (5 working days) {message}")


def test_notification_met_on_the_deadline_is_quiet() -> None:
    """Notified on 4 January 2027, the last day: no finding then or later."""
    store = cspr(became_aware_on=AWARE, notified_on=NOTIFICATION_DUE)
    for as_of in (NOTIFICATION_DUE, date(2027, 1, 5), date(2027, 6, 1)):
        assert found(store, "notification-clock", as_of) == []


def test_notification_met_late_is_an_error() -> None:
    """Notified on 5 January 2027, a day late: an error that stays on the record."""
    store = cspr(became_aware_on=AWARE, notified_on=date(2027, 1, 5))
    [finding] = found(store, "notification-clock", date(2027, 6, 1))
    assert finding.severity == Severity.ERROR
    assert finding.message.endswith("was due on 4 January 2027 and happened 1 days late")
    assert finding.facts["met_on"] == "2027-01-05"


def test_awareness_on_a_bank_holiday_counts_from_the_next_working_day() -> None:
    """Aware on Saturday 26 December: day 1 is Tue 29, so day 5 is Tuesday 5 January 2027."""
    # Tue 29 (1), Wed 30 (2), Thu 31 (3), [Fri 1 Jan holiday, weekend], Mon 4 (4), Tue 5 (5).
    for day_one in DayOne:
        config = AuditConfig(day_one=day_one)
        store = cspr(became_aware_on=date(2026, 12, 26))
        [finding] = found(store, "notification-clock", date(2027, 1, 5), config)
        assert finding.facts["due_on"] == "2027-01-05"


@pytest.mark.parametrize("kind", [ReviewKind.SAR, ReviewKind.DHR, ReviewKind.NATIONAL_REPORT])
def test_panel_clocks_run_only_for_child_reviews(kind: ReviewKind) -> None:
    """A SAR, a DHR or a national report starts no Panel clock, however late."""
    store = plan_store(review(kind=kind, became_aware_on=AWARE, notified_on=NOTIFIED,
                              decided_on=DECIDED))
    for rule_id in ("notification-clock", "rapid-review-clock", "publication-clock"):
        assert found(store, rule_id, date(2027, 12, 1)) == []


# -- rapid-review-clock -----------------------------------------------------------


@pytest.mark.parametrize(("as_of", "severity"), [
    (date(2027, 4, 8), None),  # 6 days before
    (date(2027, 4, 9), Severity.WARNING),  # 5 days before
    (RAPID_REVIEW_DUE, Severity.WARNING),
    (date(2027, 4, 15), Severity.ERROR),
])
def test_rapid_review_due_date_across_easter(as_of: date, severity: Severity | None) -> None:
    """Notified on 22 March 2027: the rapid review is due on 14 April 2027."""
    store = cspr(became_aware_on=date(2027, 3, 19), notified_on=NOTIFIED)
    findings = found(store, "rapid-review-clock", as_of)
    assert [f.severity for f in findings] == ([severity] if severity else [])
    for finding in findings:
        assert finding.facts["due_on"] == RAPID_REVIEW_DUE.isoformat()
        assert finding.facts["starts_on"] == NOTIFIED.isoformat()
        assert "the rapid review to the Panel (15 working days)" in finding.message


def test_rapid_review_sent_on_time_is_quiet() -> None:
    """Sent on 14 April 2027, the last day: nothing."""
    store = cspr(notified_on=NOTIFIED, rapid_review_sent_on=RAPID_REVIEW_DUE)
    assert found(store, "rapid-review-clock", date(2027, 5, 1)) == []


def test_rapid_review_sent_late_is_an_error() -> None:
    """Sent on 16 April 2027: two days late."""
    store = cspr(notified_on=NOTIFIED, rapid_review_sent_on=date(2027, 4, 16))
    [finding] = found(store, "rapid-review-clock", date(2027, 5, 1))
    assert finding.severity == Severity.ERROR
    assert finding.message.endswith("was due on 14 April 2027 and happened 2 days late")


def test_the_rapid_review_clock_starts_at_notification() -> None:
    """Before anyone notified the Panel there is no rapid-review clock at all."""
    store = cspr(became_aware_on=AWARE)
    assert found(store, "rapid-review-clock", date(2027, 6, 1)) == []


# -- publication-clock ------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "severity"), [
    (date(2027, 2, 22), None),
    (date(2027, 2, 23), Severity.WARNING),
    (PUBLICATION_DUE, Severity.WARNING),
    (date(2027, 3, 1), Severity.ERROR),
])
def test_publication_due_six_months_after_the_decision(as_of: date,
                                                       severity: Severity | None) -> None:
    """Decided on 31 August 2026: publication is due on 28 February 2027."""
    findings = found(cspr(decided_on=DECIDED), "publication-clock", as_of)
    assert [f.severity for f in findings] == ([severity] if severity else [])
    for finding in findings:
        assert finding.facts["due_on"] == PUBLICATION_DUE.isoformat()
        assert "publication of the local CSPR (6 months)" in finding.message


def test_publication_on_time_is_quiet_and_late_is_an_error() -> None:
    """Published on 28 February 2027: quiet; on 1 March 2027: an error, a day late."""
    on_time = cspr(decided_on=DECIDED, published_on=PUBLICATION_DUE)
    assert found(on_time, "publication-clock", date(2027, 6, 1)) == []
    late = cspr(decided_on=DECIDED, published_on=date(2027, 3, 1))
    [finding] = found(late, "publication-clock", date(2027, 6, 1))
    assert finding.severity == Severity.ERROR
    assert finding.message.endswith("was due on 28 February 2027 and happened 1 days late")


def test_publication_clock_covers_local_thematic_reviews_but_not_rapid_reviews() -> None:
    """A local thematic review must be published; a rapid review is not published."""
    thematic = plan_store(review(kind=ReviewKind.LOCAL_THEMATIC, decided_on=DECIDED))
    assert len(found(thematic, "publication-clock", date(2027, 3, 1))) == 1
    rapid = plan_store(review(kind=ReviewKind.RAPID_REVIEW, decided_on=DECIDED))
    assert found(rapid, "publication-clock", date(2027, 3, 1)) == []


# -- shared -----------------------------------------------------------------------


def test_clock_warning_window_is_configurable() -> None:
    """clock_warning_days = 1: no warning 2 days before, a warning 1 day before."""
    config = AuditConfig(thresholds={"clock_warning_days": 1})
    store = cspr(decided_on=DECIDED)
    assert found(store, "publication-clock", date(2027, 2, 26), config) == []
    assert len(found(store, "publication-clock", date(2027, 2, 27), config)) == 1


def test_each_clock_finding_belongs_to_its_own_rule() -> None:
    """A review late on all three clocks gives one finding from each clock rule."""
    store = cspr(became_aware_on=AWARE, notified_on=NOTIFIED, decided_on=DECIDED)
    for rule_id in ("notification-clock", "rapid-review-clock", "publication-clock"):
        [finding] = found(store, rule_id, date(2027, 12, 1))
        assert finding.severity == Severity.ERROR

