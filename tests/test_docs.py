"""The examples in README.md and docs/ run, so the docs cannot drift from the code.

Python blocks of one page run in order in one namespace. Console blocks run
each ``actiontrack ...`` line through the real command in a scratch folder,
with the clock fixed; a command must exit 0 unless the comment under it says
``# actiontrack: refused`` (exit 1). Both start in a folder holding the
files of docs/examples/ that the page names (a tracker and its map), as a
reader following the page has them beside them.
"""

from __future__ import annotations

import re
import runpy
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from actiontrack.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
NOW = "2026-11-26T09:00:00+00:00"
EXAMPLES = ROOT / "docs" / "examples"
#: The example files a page's examples open; the scripts that make them are not copied.
EXAMPLE_FILES = sorted(path for path in EXAMPLES.iterdir() if path.suffix in {".xlsx", ".toml"})


def copy_examples(page: Path, folder: Path) -> None:
    """Put the example files the page names in ``folder``, where its commands look for them."""
    text = page.read_text()
    for path in EXAMPLE_FILES:
        if path.name in text:
            shutil.copy(path, folder)


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
    copy_examples(page, tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks(page, "python"):
        exec(compile(block, str(page), "exec"), namespace)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_console_examples_run(page: Path, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Every actiontrack command in the page's console blocks gives the exit code shown."""
    monkeypatch.chdir(tmp_path)
    copy_examples(page, tmp_path)
    runner = CliRunner()
    env = {"ACTIONTRACK_NOW": NOW, "ACTIONTRACK_USER": "Docs", "ACTIONTRACK_STORE": None}
    for block in blocks(page, "console"):
        for words, expected in commands(block):
            result = runner.invoke(cli, words, env=env)
            assert result.exit_code == expected, (page.name, words, result.output)


def test_the_example_tracker_is_the_one_its_script_makes(tmp_path: Path) -> None:
    """docs/examples/lcspr-tracker.xlsx holds the cells and merges make_tracker.py writes."""
    made = runpy.run_path(str(EXAMPLES / "make_tracker.py"))["make_tracker"](tmp_path / "t.xlsx")
    shipped, fresh = (CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Action Plan")
                      for path in (EXAMPLES / "lcspr-tracker.xlsx", made))
    assert shipped.to_python() == fresh.to_python()
    assert sorted(shipped.merged_cell_ranges or ()) == sorted(fresh.merged_cell_ranges or ())
