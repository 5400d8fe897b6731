"""Audit configuration: where it is found, what it changes, and the errors that name
the file and key. Waivers: active, expired, unused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from audit_plans import ACTION, action, plan_store, review, run_audit

from actiontrack.auditing import (
    AuditConfig,
    ConfigError,
    Severity,
    Waiver,
    find_config,
    load_config,
    registered_rules,
)
from actiontrack.domain.clocks import DayOne
from actiontrack.domain.models import ReviewKind
from actiontrack.errors import ActiontrackError
from actiontrack.store import MemoryStore

#: The small plan's action is 3 days overdue on this day, 88 days after it was added.
OVERDUE_DAY = date(2026, 4, 3)

FULL = """\
[audit]
fail_on = "warning"
disabled = ["recurring-theme"]
day_one = "start_day"

[audit.severity]
action-due-soon = "info"

[audit.thresholds]
update_stale_days = 60

[[audit.waivers]]
rule = "action-overdue"
subject = "TEST-SCP/A001"
reason = "New date agreed by the executive on 3 March"
by = "Partnership business manager"
expires = 2027-01-31
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def overdue_and_not_smart() -> MemoryStore:
    return plan_store(action(lead_officer=None))


def waiver(**changes: object) -> Waiver:
    return Waiver(**{"rule": "action-overdue", "subject": ACTION, "reason": "New date agreed",
                     "by": "Business manager", "expires": date(2026, 4, 30)} | changes)


# -- finding and reading ----------------------------------------------------------


def test_actiontrack_toml_is_read_in_full(tmp_path: Path) -> None:
    """Every documented key of actiontrack.toml lands in the configuration."""
    path = write(tmp_path, "actiontrack.toml", FULL)
    assert find_config(tmp_path) == path
    config = load_config(path)
    assert config == AuditConfig(
        fail_on=Severity.WARNING, disabled=("recurring-theme",), day_one=DayOne.START_DAY,
        severity={"action-due-soon": Severity.INFO}, thresholds={"update_stale_days": 60},
        waivers=(Waiver(rule="action-overdue", subject="TEST-SCP/A001",
                        reason="New date agreed by the executive on 3 March",
                        by="Partnership business manager", expires=date(2027, 1, 31)),),
        source=str(path),
    )


def test_pyproject_table_is_found_and_read(tmp_path: Path) -> None:
    """pyproject.toml's [tool.actiontrack.audit] is used when there is no actiontrack.toml."""
    text = "[project]\nname = 'x'\n\n" + FULL.replace("[audit", "[tool.actiontrack.audit")
    path = write(tmp_path, "pyproject.toml", text)
    assert find_config(tmp_path) == path
    config = load_config(path)
    assert config.fail_on == Severity.WARNING
    assert config.thresholds == {"update_stale_days": 60}
    assert config.waivers[0].expires == date(2027, 1, 31)


def test_actiontrack_toml_wins_over_pyproject(tmp_path: Path) -> None:
    """With both files, actiontrack.toml is the configuration."""
    write(tmp_path, "pyproject.toml", "[tool.actiontrack.audit]\nfail_on = 'info'\n")
    path = write(tmp_path, "actiontrack.toml", "[audit]\nfail_on = 'warning'\n")
    assert find_config(tmp_path) == path


def test_no_configuration_means_the_defaults(tmp_path: Path) -> None:
    """No file, or a pyproject.toml without our table: the defaults."""
    assert find_config(tmp_path) is None
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n[tool.ruff]\nline-length = 99\n")
    assert find_config(tmp_path) is None
    assert load_config(None) == AuditConfig()
    assert load_config(None).source == "defaults"


# -- what it changes --------------------------------------------------------------


def test_a_disabled_rule_does_not_run() -> None:
    """A rule in disabled gives no findings and is not listed as run."""
    result = run_audit(overdue_and_not_smart(), OVERDUE_DAY,
                       AuditConfig(disabled=("action-overdue",)))
    assert "action-overdue" not in {f.rule for f in result.findings}
    assert "action-overdue" not in {spec.id for spec in result.rules}
    assert "not-smart" in {f.rule for f in result.findings}


def test_a_severity_override_changes_findings_and_the_exit_code() -> None:
    """action-overdue set to warning: its finding is a warning, and fail_on error passes."""
    store = plan_store(action())
    default = run_audit(store, OVERDUE_DAY)
    assert [f.severity for f in default.findings] == [Severity.ERROR]
    assert default.exit_code(Severity.ERROR) == 1
    lowered = run_audit(store, OVERDUE_DAY,
                        AuditConfig(severity={"action-overdue": Severity.WARNING}))
    assert [f.severity for f in lowered.findings] == [Severity.WARNING]
    assert lowered.exit_code(Severity.ERROR) == 0
    assert lowered.exit_code(Severity.WARNING) == 1


def test_a_severity_override_applies_to_rules_that_set_their_own() -> None:
    """A clock's warnings and errors both take the configured severity."""
    store = plan_store(review(kind=ReviewKind.LCSPR, decided_on=date(2026, 1, 2)))
    config = AuditConfig(severity={"publication-clock": Severity.INFO})
    for as_of in (date(2026, 6, 30), date(2026, 7, 3)):  # a warning, then an error
        [finding] = [f for f in run_audit(store, as_of, config).findings
                     if f.rule == "publication-clock"]
        assert finding.severity == Severity.INFO


# -- waivers ----------------------------------------------------------------------


def test_an_active_waiver_hides_its_finding() -> None:
    """Waived until 30 April: the overdue finding moves to result.waived, with its waiver."""
    result = run_audit(overdue_and_not_smart(), OVERDUE_DAY, AuditConfig(waivers=(waiver(),)))
    assert "action-overdue" not in {f.rule for f in result.findings}
    [waived] = result.waived
    assert waived.finding.rule == "action-overdue"
    assert waived.finding.subject == ACTION
    assert waived.waiver == waiver()
    assert result.exit_code(Severity.ERROR) == 0  # only the not-smart warning is left


def test_a_waiver_is_active_on_its_expiry_day() -> None:
    """A waiver expiring on the audit day still hides the finding."""
    result = run_audit(overdue_and_not_smart(), OVERDUE_DAY,
                       AuditConfig(waivers=(waiver(expires=OVERDUE_DAY),)))
    assert [w.finding.rule for w in result.waived] == ["action-overdue"]


def test_an_expired_waiver_shows_the_finding_and_says_so() -> None:
    """Expired on 2 April: the finding is back and a waiver-expired warning joins it."""
    result = run_audit(overdue_and_not_smart(), OVERDUE_DAY,
                       AuditConfig(waivers=(waiver(expires=date(2026, 4, 2)),)))
    assert result.waived == ()
    rules = [f.rule for f in result.findings]
    assert "action-overdue" in rules
    [expired] = [f for f in result.findings if f.rule == "waiver-expired"]
    assert expired.subject == ACTION
    assert expired.severity == Severity.WARNING
    assert expired.message == ("the waiver of action-overdue (by Business manager) expired on"
                               " 2 April 2026: its finding shows again")
    assert expired.facts == {"by": "Business manager", "expires": "2026-04-02",
                             "reason": "New date agreed", "rule": "action-overdue"}


def test_a_waiver_that_matches_nothing_is_reported_unused() -> None:
    """A waiver for a finding that is not there adds a waiver-unused note."""
    config = AuditConfig(waivers=(waiver(subject="TEST-SCP/A999"),))
    result = run_audit(overdue_and_not_smart(), OVERDUE_DAY, config)
    assert result.waived == ()
    [unused] = [f for f in result.findings if f.rule == "waiver-unused"]
    assert unused.subject == "TEST-SCP/A999"
    assert unused.severity == Severity.INFO
    assert "hides nothing" in unused.message


def test_waiver_findings_take_severity_overrides_and_can_be_disabled() -> None:
    """waiver-expired and waiver-unused are rule ids like any other for severity and disabled."""
    config = AuditConfig(
        waivers=(waiver(expires=date(2026, 4, 1)), waiver(subject="TEST-SCP/A999")),
        severity={"waiver-expired": Severity.ERROR})
    result = run_audit(overdue_and_not_smart(), OVERDUE_DAY, config)
    assert {(f.rule, f.severity) for f in result.findings if f.rule.startswith("waiver-")} == {
        ("waiver-expired", Severity.ERROR), ("waiver-unused", Severity.INFO)}
    quiet = AuditConfig(waivers=config.waivers, disabled=("waiver-expired", "waiver-unused"))
    result = run_audit(overdue_and_not_smart(), OVERDUE_DAY, quiet)
    assert not [f for f in result.findings if f.rule.startswith("waiver-")]
    assert "action-overdue" in {f.rule for f in result.findings}  # expired: still shown


# -- errors that name the file and the key ----------------------------------------


@pytest.mark.parametrize(("body", "message"), [
    ("[audit]\ndisabled = ['action-overdeu']\n",
     "disabled: no rule has the id 'action-overdeu'"),
    ("[audit.severity]\naction-overdeu = 'info'\n",
     "severity: no rule has the id 'action-overdeu'"),
    ("[[audit.waivers]]\nrule = 'overdue'\nsubject = 'X'\nreason = 'r'\nby = 'b'\n"
     "expires = 2027-01-01\n", "waivers: no rule has the id 'overdue'"),
    ("[audit.thresholds]\ndue_soon = 21\n",
     "thresholds: no rule reads a threshold called 'due_soon'"),
    ("[audit.thresholds]\nupdate_stale_days = -1\n",
     "update_stale_days must be from 0 to 3650, not -1"),
])
def test_names_no_rule_knows_are_refused_when_auditing(tmp_path: Path, body: str,
                                                       message: str) -> None:
    """A typo would hide findings: unknown rule ids and thresholds raise ConfigError."""
    path = write(tmp_path, "actiontrack.toml", body)
    config = load_config(path)
    with pytest.raises(ConfigError) as caught:
        run_audit(plan_store(action()), OVERDUE_DAY, config)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(("body", "message"), [
    ("[audit.thresholds]\nupdate_stale_days = '28'\n",
     "$.audit.thresholds['update_stale_days']: expected a whole number, got '28'"),
    ("[audit.thresholds]\nupdate_stale_days = true\n",
     "$.audit.thresholds['update_stale_days']: expected a whole number, got True"),
    ("[audit.severity]\naction-overdue = 'loud'\n",
     "$.audit.severity['action-overdue']: expected one of error, warning, info"),
    ("[audit]\ndisabled = 'action-overdue'\n", "$.audit.disabled: expected a list"),
    ("[audit]\nfail_on = 'fatal'\n", "$.audit.fail_on: expected one of error, warning, info"),
    ("[audit]\nday_one = 'monday'\n", "$.audit.day_one: expected one of next_working_day"),
    ("[audit]\nfial_on = 'error'\n", "$.audit: unknown field(s): fial_on"),
    ("[[audit.waivers]]\nrule = 'action-overdue'\nsubject = 'X'\nreason = 'r'\nby = 'b'\n"
     "expires = 'soon'\n", "$.audit.waivers[0].expires: expected a date as YYYY-MM-DD"),
    ("[[audit.waivers]]\nrule = 'action-overdue'\nsubject = 'X'\nreason = 'r'\n"
     "expires = 2027-01-01\n", "$.audit.waivers[0].by: required field missing"),
    ("[audit\n", "not valid TOML"),
    ("[audits]\nfail_on = 'error'\n", "unknown table(s) audits"),
])
def test_bad_configuration_is_a_config_error_naming_file_and_key(
        tmp_path: Path, body: str, message: str) -> None:
    """Wrong types, unknown keys and bad TOML raise ConfigError with the file and key."""
    path = write(tmp_path, "actiontrack.toml", body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert isinstance(caught.value, ActiontrackError)
    assert isinstance(caught.value, ValueError)


def test_pyproject_errors_name_the_pyproject_key(tmp_path: Path) -> None:
    """In pyproject.toml the key path starts at tool.actiontrack.audit."""
    path = write(tmp_path, "pyproject.toml",
                 "[tool.actiontrack.audit.thresholds]\nupdate_stale_days = 'x'\n")
    with pytest.raises(ConfigError, match=r"\$\.tool\.actiontrack\.audit\.thresholds"):
        load_config(path)


def test_bad_toml_in_pyproject_is_a_config_error(tmp_path: Path) -> None:
    """Even looking for the configuration in a broken pyproject.toml names the file."""
    path = write(tmp_path, "pyproject.toml", "[tool.actiontrack.audit\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: not valid TOML"):
        find_config(tmp_path)
    assert path.exists()


def test_an_unreadable_configuration_is_a_config_error(tmp_path: Path) -> None:
    """A path that is a folder cannot be read: ConfigError naming it."""
    folder = tmp_path / "actiontrack.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(folder)


def test_a_waiver_needs_a_reason_and_who_gave_it(tmp_path: Path) -> None:
    """A waiver with a blank reason or by is a ConfigError: a waiver must say who and why."""
    path = tmp_path / "actiontrack.toml"
    path.write_text(
        '[[audit.waivers]]\nrule = "action-overdue"\nsubject = "A1"\nreason = " "\n'
        'by = "Chair"\nexpires = 2027-01-31\n'
    )
    config = load_config(path)
    with pytest.raises(ConfigError, match="needs a reason"):
        config.check_against(registered_rules())


def test_rules_that_share_a_threshold_name_with_different_defaults_are_refused() -> None:
    """A custom rule cannot quietly change a built-in rule's threshold by reusing its name."""
    from actiontrack.auditing import Flag, rule

    @rule("test-clash.due", severity=Severity.INFO, description="clashes",
          thresholds={"update_stale_days": 3})
    def clash(context: object) -> list[Flag]:
        return []

    with pytest.raises(ConfigError, match="'update_stale_days' with different defaults"):
        AuditConfig().check_against(registered_rules())
