"""The configuration file: the [rag] and [audit] tables, where they are found, and the
errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from actiontrack import auditing
from actiontrack.auditing import AuditConfig, Severity
from actiontrack.domain.rag import RagPolicy
from actiontrack.errors import ConfigError
from actiontrack.settings import Settings, find_settings, load_settings


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rag_and_audit_tables_are_read_together(tmp_path: Path) -> None:
    """actiontrack.toml's [rag] becomes the RAG policy and [audit] the audit's settings."""
    path = write(tmp_path, "actiontrack.toml",
                 "[rag]\ndue_soon_days = 60\nslipped_is_amber = false\n\n"
                 "[audit]\nfail_on = 'warning'\n")
    assert find_settings(tmp_path) == path
    settings = load_settings(path)
    assert settings == Settings(
        rag=RagPolicy(due_soon_days=60, slipped_is_amber=False),
        audit=AuditConfig(fail_on=Severity.WARNING, source=str(path)),
        source=str(path),
    )


def test_pyproject_with_only_a_rag_table_is_found_and_read(tmp_path: Path) -> None:
    """[tool.actiontrack.rag] alone makes pyproject.toml the configuration, with audit defaults."""
    path = write(tmp_path, "pyproject.toml",
                 "[project]\nname = 'x'\n\n[tool.actiontrack.rag]\ndue_soon_days = 14\n")
    assert find_settings(tmp_path) == path
    settings = load_settings(path)
    assert settings.rag == RagPolicy(due_soon_days=14)
    assert settings.audit == AuditConfig(source=str(path))
    assert auditing.find_config(tmp_path) == path
    assert auditing.load_config(path) == AuditConfig(source=str(path))


def test_no_file_means_the_default_policy(tmp_path: Path) -> None:
    """No configuration, or a pyproject.toml without our tables: 28 days, slipped is amber."""
    assert find_settings(tmp_path) is None
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    assert find_settings(tmp_path) is None
    assert load_settings(None) == Settings()
    assert load_settings(None).rag == RagPolicy(due_soon_days=28, slipped_is_amber=True)


@pytest.mark.parametrize(("name", "body", "message"), [
    ("actiontrack.toml", "",
     "no [rag], [audit], [chase] or [paper] table to read the configuration from"),
    ("pyproject.toml", "[tool.actiontrack]\n",
     "no [tool.actiontrack.rag], [tool.actiontrack.audit], [tool.actiontrack.chase] or"
     " [tool.actiontrack.paper] table to read the configuration from"),
    ("actiontrack.toml", "[rags]\ndue_soon_days = 60\n",
     "unknown table(s) rags; expected [rag], [audit], [chase] and [paper]"),
])
def test_a_file_without_our_tables_is_refused(tmp_path: Path, name: str, body: str,
                                              message: str) -> None:
    """Naming a file and getting the defaults would hide a mistake: ConfigError instead."""
    path = write(tmp_path, name, body)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == f"{path}: {message}"


@pytest.mark.parametrize(("name", "body", "message"), [
    ("actiontrack.toml", "[rag]\ndue_soon_days = 4000\n",
     "$.rag.due_soon_days: must be a whole number from 0 to 3650, not 4000"),
    ("actiontrack.toml", "[rag]\ndue_soon_days = -1\n",
     "$.rag.due_soon_days: must be a whole number from 0 to 3650, not -1"),
    ("actiontrack.toml", "[rag]\ndue_soon_days = '60'\n",
     "$.rag.due_soon_days: expected a whole number, got '60' (str)"),
    ("actiontrack.toml", "[rag]\nslipped_is_amber = 'no'\n",
     "$.rag.slipped_is_amber: expected true or false, got 'no' (str)"),
    ("actiontrack.toml", "[rag]\ndue_soon = 60\n", "$.rag: unknown field(s): due_soon"),
    ("pyproject.toml", "[tool.actiontrack.rag]\ndue_soon_days = 4000\n",
     "$.tool.actiontrack.rag.due_soon_days: must be a whole number from 0 to 3650, not 4000"),
])
def test_a_bad_rag_value_names_the_key_and_what_is_allowed(tmp_path: Path, name: str,
                                                          body: str, message: str) -> None:
    """A [rag] value the policy refuses is a ConfigError naming the file and the key's path."""
    path = write(tmp_path, name, body)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == f"{path}: {message}"


@pytest.mark.parametrize(("name", "body", "where", "home"), [
    ("actiontrack.toml", "[audit.thresholds]\ndue_soon_days = 21\n", "$.audit", "[rag]"),
    ("pyproject.toml", "[tool.actiontrack.audit.thresholds]\ndue_soon_days = 21\n",
     "$.tool.actiontrack.audit", "[tool.actiontrack.rag]"),
])
def test_due_soon_days_under_audit_thresholds_points_at_rag(tmp_path: Path, name: str,
                                                            body: str, where: str,
                                                            home: str) -> None:
    """The old place for the due-soon period is refused, saying it now lives under [rag]."""
    path = write(tmp_path, name, body)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == (
        f"{path}: {where}.thresholds.due_soon_days: not an audit threshold any more: set"
        f" due_soon_days under {home}, the RAG policy that list, show, export, report and"
        " audit all use")


def test_every_problem_of_the_file_is_reported_at_once(tmp_path: Path) -> None:
    """A bad [rag] value and a bad [audit] value are both in the one error."""
    path = write(tmp_path, "actiontrack.toml",
                 "[rag]\ndue_soon_days = 4000\n\n[audit]\nfail_on = 'fatal'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "$.rag.due_soon_days: must be a whole number" in str(caught.value)
    assert "$.audit.fail_on: expected one of error, warning, info" in str(caught.value)


def test_config_error_is_one_class_in_the_error_tree() -> None:
    """actiontrack.auditing.ConfigError is the ConfigError of actiontrack.errors."""
    assert auditing.ConfigError is ConfigError
    assert issubclass(ConfigError, ValueError)
