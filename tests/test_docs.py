"""The examples in README.md and docs/ run, so the docs cannot drift from the code.

Python blocks of one page run in order in one namespace. Console blocks run
each ``actiontrack ...`` line through the real command in a scratch folder,
with the clock fixed; a command must exit 0 unless the comment under it says
``# actiontrack: refused`` (exit 1).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from actiontrack.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
NOW = "2026-11-26T09:00:00+00:00"


def blocks(page: Path, language: str) -> list[str]:
    """The page's blocks in one language, each padded so line numbers match the page."""
    text = page.read_text()
    return [
        "\n" * text.count("\n", 0, match.start(2)) + match.group(2)
        for match in FENCE.finditer(text)
        if match.group(1) == language
    ]


def commands(block: str) -> list[tuple[list[str], int]]:
    """Each actiontrack command of a console block with the exit code it must give."""
    lines = block.replace("\\\n", " ").splitlines()
    found: list[tuple[list[str], int]] = []
    for number, line in enumerate(lines):
        line = line.rpartition("&& ")[2]  # "pip install . && actiontrack demo"
        if not line.startswith("actiontrack "):
            continue
        words = shlex.split(line, comments=True)[1:]
        following = lines[number + 1] if number + 1 < len(lines) else ""
        found.append((words, 1 if following.startswith("# actiontrack: refused") else 0))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_python_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every python block of the page runs without error, in order."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks(page, "python"):
        exec(compile(block, str(page), "exec"), namespace)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_console_examples_run(page: Path, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every actiontrack command in the page's console blocks gives the exit code shown."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {"ACTIONTRACK_NOW": NOW, "ACTIONTRACK_USER": "Docs", "ACTIONTRACK_STORE": None}
    for block in blocks(page, "console"):
        for words, expected in commands(block):
            result = runner.invoke(cli, words, env=env)
            assert result.exit_code == expected, (page.name, words, result.output)
