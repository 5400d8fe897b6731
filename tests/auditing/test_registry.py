"""Rules registered by id: a failing rule does not stop the others, custom rules load
from a file, and bad files or clashing ids are RuleErrors. The conftest fixture
removes every rule a test registers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from audit_plans import ACTION, action, plan_store, run_audit

from actiontrack.auditing import (
    AuditConfig,
    AuditContext,
    Flag,
    RuleError,
    RuleFailure,
    Severity,
    audit,
    load_entry_point_rules,
    load_rules_file,
    registered_rules,
    rule,
)
from actiontrack.errors import ActiontrackError
from actiontrack.store import MemoryStore

OVERDUE_DAY = date(2026, 4, 3)

RULES_FILE = '''\
from actiontrack.auditing import Flag, Severity, rule


@rule("test-file.action-titles", severity=Severity.INFO,
      description="Every action, by title (a test rule from a file)",
      thresholds={"title_limit": 200})
def action_titles(context):
    for action_id in sorted(context.plan.actions):
        action = context.plan.actions[action_id]
        if len(action.title) <= context.threshold("title_limit"):
            yield Flag(subject=action_id, message=f"titled {action.title!r}")
'''


def write(tmp_path: Path, text: str, name: str = "rules.py") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def ids() -> set[str]:
    return {spec.id for spec in registered_rules()}


# -- a rule that raises -----------------------------------------------------------


def test_a_failing_rule_is_reported_and_the_others_still_run() -> None:
    """The rule's error is in result.failures; every other rule's findings are reported."""
    @rule("test-raises", severity=Severity.ERROR, description="Always fails")
    def raises(context: AuditContext) -> Iterator[Flag]:
        yield Flag(subject="never", message="reported")
        raise ValueError("the plan has no frobnicator")

    result = run_audit(plan_store(action()), OVERDUE_DAY)
    assert result.failures == (
        RuleFailure(rule="test-raises", error="ValueError: the plan has no frobnicator"),)
    assert [(f.rule, f.subject) for f in result.findings] == [("action-overdue", ACTION)]
    for fail_on in Severity:
        assert result.exit_code(fail_on) == 2


def test_a_rule_that_yields_something_else_fails() -> None:
    """Yielding a string instead of a Flag is a failure of that rule, named as such."""
    @rule("test-yields-text", severity=Severity.INFO, description="Yields text")
    def yields_text(context: AuditContext) -> Iterator[object]:
        yield "a finding"

    result = run_audit(plan_store(action()), date(2026, 2, 1))
    assert result.failures == (
        RuleFailure(rule="test-yields-text", error="TypeError: yielded str, not a Flag"),)
    assert result.exit_code(Severity.ERROR) == 2


def test_a_clean_audit_with_a_failing_rule_still_exits_2() -> None:
    """Nothing found does not hide a rule that could not look."""
    @rule("test-key-error", severity=Severity.WARNING, description="Reads a missing key")
    def key_error(context: AuditContext) -> Iterator[Flag]:
        context.threshold("no_such_threshold")
        return iter(())

    result = run_audit(plan_store(action()), date(2026, 2, 1))
    assert result.findings == ()
    assert result.failures == (
        RuleFailure(rule="test-key-error", error="KeyError: 'no_such_threshold'"),)
    assert result.exit_code(Severity.INFO) == 2


# -- registering ------------------------------------------------------------------


def test_a_registered_rule_runs_with_its_severity_and_thresholds() -> None:
    """A rule's default severity applies; its thresholds have defaults and are configurable."""
    @rule("test-long-title", severity=Severity.INFO, description="Long titles",
          thresholds={"title_limit": 80})
    def long_title(context: AuditContext) -> Iterator[Flag]:
        for action_id, record in sorted(context.plan.actions.items()):
            if len(record.title) > context.threshold("title_limit"):
                yield Flag(subject=action_id, message="long title")

    store = plan_store(action())  # its title has 48 characters
    assert run_audit(store, date(2026, 2, 1)).findings == ()
    config = AuditConfig(thresholds={"title_limit": 10})
    [finding] = run_audit(store, date(2026, 2, 1), config).findings
    assert (finding.rule, finding.severity, finding.subject) == (
        "test-long-title", Severity.INFO, ACTION)


def test_two_rules_cannot_share_an_id() -> None:
    """A second function under a built-in's id is a RuleError naming both origins."""
    with pytest.raises(RuleError, match="two rules share the id 'action-overdue'"):
        @rule("action-overdue", severity=Severity.ERROR, description="Impostor")
        def impostor(context: AuditContext) -> Iterator[Flag]:
            return iter(())
    [spec] = [s for s in registered_rules() if s.id == "action-overdue"]
    assert spec.origin == "actiontrack.auditing.rules.actions"


@pytest.mark.parametrize("bad_id", ["Overdue", "action_overdue", "-x", "x-", "a b", ""])
def test_rule_ids_are_lower_case_words(bad_id: str) -> None:
    """Ids are lower-case words joined by - or .: anything else is a RuleError."""
    with pytest.raises(RuleError, match="must be lower-case words"):
        rule(bad_id, severity=Severity.INFO, description="Bad id")


# -- rules from a file ------------------------------------------------------------


def test_a_rules_file_registers_its_rules(tmp_path: Path) -> None:
    """load_rules_file imports the file and returns the ids it registered."""
    path = write(tmp_path, RULES_FILE)
    assert load_rules_file(path) == ["test-file.action-titles"]
    [spec] = [s for s in registered_rules() if s.id == "test-file.action-titles"]
    assert spec.severity == Severity.INFO
    assert spec.thresholds == {"title_limit": 200}
    assert spec.origin == str(path)  # `actiontrack rules` shows where a rule came from


def test_loading_the_same_file_twice_is_harmless(tmp_path: Path) -> None:
    """The same file read again replaces its own rules instead of clashing."""
    path = write(tmp_path, RULES_FILE)
    load_rules_file(path)
    assert load_rules_file(path) == []
    assert "test-file.action-titles" in ids()


def test_audit_runs_the_rules_of_rules_files(tmp_path: Path) -> None:
    """audit(rules_files=...) loads the file and reports its findings beside the built-ins."""
    path = write(tmp_path, RULES_FILE)
    result = audit(plan_store(action()), as_of=OVERDUE_DAY, rules_files=[path],
                   entry_point_rules=False)
    assert [(f.rule, f.severity) for f in result.findings] == [
        ("action-overdue", Severity.ERROR), ("test-file.action-titles", Severity.INFO)]
    assert "test-file.action-titles" in {spec.id for spec in result.rules}


def test_config_may_name_rules_from_a_rules_file(tmp_path: Path) -> None:
    """Rules from a file are known to the configuration: severity and thresholds apply."""
    path = write(tmp_path, RULES_FILE)
    config = AuditConfig(severity={"test-file.action-titles": Severity.ERROR},
                         thresholds={"title_limit": 5})
    result = audit(plan_store(action()), as_of=date(2026, 2, 1), config=config,
                   rules_files=[path], entry_point_rules=False)
    assert result.findings == ()  # the only title is longer than 5 characters
    config = AuditConfig(severity={"test-file.action-titles": Severity.ERROR})
    result = audit(plan_store(action()), as_of=date(2026, 2, 1), config=config,
                   rules_files=[path], entry_point_rules=False)
    assert [f.severity for f in result.findings] == [Severity.ERROR]


@pytest.mark.parametrize(("text", "message"), [
    ("def broken(:\n", "the rules file failed to load: SyntaxError"),
    ("raise RuntimeError('no database')\n",
     "the rules file failed to load: RuntimeError: no database"),
    ("import actiontrack_no_such_module\n", "the rules file failed to load: ModuleNotFoundError"),
])
def test_a_bad_rules_file_is_a_rule_error(tmp_path: Path, text: str, message: str) -> None:
    """A file that fails to import is a RuleError naming the file and the error."""
    path = write(tmp_path, text)
    with pytest.raises(RuleError) as caught:
        load_rules_file(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert isinstance(caught.value, ActiontrackError)


def test_a_missing_rules_file_is_a_rule_error(tmp_path: Path) -> None:
    """No such file: RuleError, before anything is imported."""
    with pytest.raises(RuleError, match="no such rules file"):
        load_rules_file(tmp_path / "missing.py")


def test_a_rules_file_that_reuses_a_built_in_id_is_a_rule_error(tmp_path: Path) -> None:
    """A file rule named like a built-in is refused; the built-in stays."""
    path = write(tmp_path, RULES_FILE.replace("test-file.action-titles", "action-overdue"))
    with pytest.raises(RuleError, match="two rules share the id 'action-overdue'"):
        load_rules_file(path)
    [spec] = [s for s in registered_rules() if s.id == "action-overdue"]
    assert spec.origin == "actiontrack.auditing.rules.actions"


def test_two_rules_files_with_the_same_id_clash(tmp_path: Path) -> None:
    """Two different files registering one id: the second is a RuleError."""
    load_rules_file(write(tmp_path, RULES_FILE, "one.py"))
    with pytest.raises(RuleError, match=r"two rules share the id 'test-file\.action-titles'"):
        load_rules_file(write(tmp_path, RULES_FILE, "two.py"))


def test_the_registry_is_restored_between_tests() -> None:
    """The rules registered by the tests above are gone (the conftest fixture)."""
    assert not {i for i in ids() if i.startswith("test-")}


def test_rules_of_an_installed_package_load_through_the_entry_point_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package declaring actiontrack.rules has its rules registered and run by audit()."""
    (tmp_path / "nscp_rules.py").write_text(
        "from actiontrack import Flag, Severity, rule\n\n"
        "@rule('nscp.every-plan', severity=Severity.INFO, description='Always speaks')\n"
        "def every_plan(context):\n"
        "    yield Flag(subject='NSCP', message='hello from an installed package')\n"
    )
    info = tmp_path / "nscp_rules-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nscp-rules\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[actiontrack.rules]\nnscp = nscp_rules\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "nscp.every-plan" in load_entry_point_rules()
    result = audit(MemoryStore(), as_of=date(2026, 11, 26))
    assert [f.message for f in result.findings if f.rule == "nscp.every-plan"] == [
        "hello from an installed package"]
