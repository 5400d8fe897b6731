"""The configuration file: the partnership's RAG policy, its audit and chase settings.

Read from ``actiontrack.toml`` in the current folder, else from
``pyproject.toml`` there (the same tables under ``[tool.actiontrack]``)::

    [rag]                       # one RAG for list, show, export, report and audit
    due_soon_days = 28          # amber when the target is this many days away or fewer
    slipped_is_amber = true     # amber when the target moved later than the original

    [audit]                     # see actiontrack.auditing.config
    fail_on = "error"

    [chase]                     # see actiontrack.chasing.config
    sender = "Business Unit <business.unit@example.org>"

    [paper]                     # the committee paper (report FILE.docx or FILE.pdf)
    author = "Business Manager, Demoshire Safeguarding Children Partnership"
    meeting = "Children's Scrutiny Committee"
    title = "Progress on the actions from safeguarding case reviews"

Any table may be left out (its defaults apply), but a file named as the
configuration that has none of them is refused: naming a file and getting the
defaults would hide a mistake. So is any other table (a typo such as
``[rags]`` would otherwise be ignored), and every problem found is reported
at once, each with the key's path.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

import attrs

from actiontrack import convert
from actiontrack.auditing.config import MOVED_THRESHOLDS, AuditConfig
from actiontrack.chasing.config import ChaseSettings
from actiontrack.domain.rag import RagPolicy
from actiontrack.errors import ConfigError, ConversionError

__all__ = ["PaperSettings", "Settings", "find_settings", "load_settings"]

T = TypeVar("T")

_TABLES = ("rag", "audit", "chase", "paper")


@attrs.frozen(kw_only=True)
class PaperSettings:
    """Who writes the committee paper and for which meeting; ``None``: a general wording."""

    author: str | None = None
    meeting: str | None = None
    title: str = "Progress on the actions from safeguarding case reviews"


@attrs.frozen(kw_only=True)
class Settings:
    """Everything the configuration file sets, checked."""

    rag: RagPolicy = attrs.field(factory=RagPolicy)
    audit: AuditConfig = attrs.field(factory=AuditConfig)
    chase: ChaseSettings = attrs.field(factory=ChaseSettings)
    paper: PaperSettings = attrs.field(factory=PaperSettings)
    #: Where it was read from, for messages ("defaults" when from nowhere).
    source: str = "defaults"


def find_settings(folder: Path) -> Path | None:
    """``actiontrack.toml`` in ``folder``, else a ``pyproject.toml`` there with our tables."""
    candidate = folder / "actiontrack.toml"
    if candidate.is_file():
        return candidate
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file() and set(_TABLES) & set(_ours(_read(pyproject))):
        return pyproject
    return None


def load_settings(path: Path | None) -> Settings:
    """The settings in ``path`` (``None``: the defaults), or :class:`ConfigError`."""
    if path is None:
        return Settings()
    in_pyproject = path.name == "pyproject.toml"
    data = _read(path)
    table = _ours(data) if in_pyproject else data
    prefix = "tool.actiontrack." if in_pyproject else ""
    root = "$.tool.actiontrack" if in_pyproject else "$"
    names = [f"[{prefix}{name}]" for name in _TABLES]
    expected = ", ".join(names[:-1]) + f" and {names[-1]}"
    unknown = sorted(set(table) - set(_TABLES))
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) {', '.join(unknown)}; expected {expected}")
    if not set(_TABLES) & set(table):
        raise ConfigError(f"{path}: no {expected.replace(' and ', ' or ')} table to read the"
                          " configuration from")
    problems: list[str] = []
    rag = _structure(table.get("rag", {}), RagPolicy, f"{root}.rag", problems)
    audit_table = table.get("audit", {})
    if isinstance(audit_table, dict):
        if "source" in audit_table:
            problems.append(f"{root}.audit.source: not a setting (unknown field)")
        thresholds = audit_table.get("thresholds")
        for name, home in MOVED_THRESHOLDS.items():
            if isinstance(thresholds, dict) and name in thresholds:
                problems.append(
                    f"{root}.audit.thresholds.{name}: not an audit threshold any more: set"
                    f" {name} under [{prefix}{home}], the RAG policy that list, show, export,"
                    " report and audit all use")
    audit = _structure(audit_table, AuditConfig, f"{root}.audit", problems)
    chase = _structure(table.get("chase", {}), ChaseSettings, f"{root}.chase", problems)
    paper = _structure(table.get("paper", {}), PaperSettings, f"{root}.paper", problems)
    if problems or rag is None or audit is None or chase is None or paper is None:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    return Settings(rag=rag, audit=attrs.evolve(audit, source=str(path)), chase=chase,
                    paper=paper, source=str(path))


def _structure(data: object, cls: type[T], where: str, problems: list[str]) -> T | None:
    """``data`` as a ``cls``, or None with what is wrong added to ``problems``."""
    try:
        return convert.structure(data, cls, path=where)
    except ConversionError as exc:
        problems += exc.problems
        return None


def _ours(pyproject: dict[str, Any]) -> dict[str, Any]:
    tool = pyproject.get("tool", {})
    ours = tool.get("actiontrack", {}) if isinstance(tool, dict) else {}
    return ours if isinstance(ours, dict) else {}


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
