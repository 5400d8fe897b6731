"""A store is created only on purpose: init and demo make one; a typo never does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from actiontrack.cli import cli

NOW = "2026-11-26T09:00:00+00:00"
INIT = ("init", "--partnership", "NSCP", "--name", "North SCP", "--kind", "children")


def run(store: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--store", store, *args],
                              env={"ACTIONTRACK_NOW": NOW, "ACTIONTRACK_USER": "Business manager"})


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())
            if not path.name.endswith(".lock")}


@pytest.mark.parametrize("name", ["plan.json", "plan.db"])
def test_init_creates_a_store_holding_its_partnership(tmp_path: Path, name: str) -> None:
    """init makes the store (JSON or SQLite) with the partnership; changes then work."""
    store = str(tmp_path / name) if name.endswith(".json") else f"sqlite:///{tmp_path / name}"
    created = run(store, *INIT)
    assert created.exit_code == 0, created.output
    assert "Created the store" in created.output
    assert run(store, "add-agency", "POL", "--name", "North Police").exit_code == 0
    shown = run(store, "show", "NSCP", "--format", "json")
    assert '"name": "North SCP"' in shown.output


def test_init_refuses_a_store_that_holds_a_plan(tmp_path: Path) -> None:
    """init on a store with a plan exits 1 and leaves it exactly as it was."""
    store = str(tmp_path / "plan.json")
    assert run(store, "demo").exit_code == 0
    before = files(tmp_path)
    refused = run(store, *INIT)
    assert refused.exit_code == 1
    assert "init.store-in-use" in refused.output
    assert files(tmp_path) == before


@pytest.mark.parametrize(("args", "message"), [
    (("init", "--partnership", "bad id!", "--name", "North", "--kind", "children"),
     "must start with a letter or digit"),
    (("init", "--partnership", "NSCP", "--name", " ", "--kind", "children"),
     "partnership.needs-name"),
])
def test_init_with_bad_input_leaves_no_store_behind(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    """A refused init writes nothing at all: no store, no history, no lock file."""
    for store in (str(tmp_path / "plan.json"), f"sqlite:///{tmp_path / 'plan.db'}"):
        result = run(store, *args)
        assert result.exit_code in (1, 2), result.output
        assert message in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [
    ("add-update", "NSCP/A001", "A note"),
    ("audit",),
    ("list",),
    ("export", "out.xlsx"),
    ("edit", "NSCP", "--set", "name=North", "--reason", "typo"),
    ("withdraw", "NSCP/A001/U1", "--reason", "mistake"),
])
@pytest.mark.parametrize("name", ["nrth.json", "nope.db"])
def test_a_missing_store_is_exit_2_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...], name: str
) -> None:
    """A mistyped store is refused with advice, exit 2, and no store, lock or SQLite file."""
    monkeypatch.chdir(tmp_path)
    store = name if name.endswith(".json") else f"sqlite:///{name}"
    result = run(store, *command)
    assert result.exit_code == 2, result.output
    assert f"no store at {store}; create one with `actiontrack init`" in result.output
    assert "Nothing found" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("url", "message"), [
    ("sqlite:plan.db", "is not a store URL actiontrack can read"),
    ("postgresql://someone:s3cret@localhost:fivefour/plans", "is not a store URL"),
])
def test_a_store_url_that_cannot_be_read_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    """A malformed SQL URL is a one-line message with exit 2, its password hidden."""
    monkeypatch.chdir(tmp_path)
    result = run(url, "list")
    assert result.exit_code == 2
    assert message in result.output
    assert "unexpected error" not in result.output
    assert "s3cret" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_missing_postgresql_driver_says_what_to_install(tmp_path: Path) -> None:
    """Without psycopg installed, a postgresql store says which extra to install, exit 2."""
    blocked = tmp_path / "no_psycopg"
    blocked.mkdir()
    # A psycopg that cannot be imported, as on a machine without the postgres extra.
    (blocked / "psycopg.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    result = subprocess.run(
        [sys.executable, "-m", "actiontrack", "--store",
         "postgresql://someone:s3cret@localhost/plans", "list"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(blocked), os.environ.get("PYTHONPATH", "")])},
    )
    assert result.returncode == 2, result.stderr
    assert "pip install 'actiontrack[postgres]'" in result.stderr
    assert "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr
