"""Whole commands, as a person waits for them: each round is a new process.

Targets (docs/performance.md), each a ratio of medians from one run:

- ``show``: ``actiontrack show ID`` on the partnership's default store
  <= 4x a ``python -c`` that only ``json.load``s the same ``plan.json``;
- ``list-overdue``: ``actiontrack list --overdue``, the same store <= 6x
  the same ``json.load``;
- ``add-update``: ``actiontrack add-update`` into the national SQLite store
  <= 20x a ``python -c`` that inserts one row into the same file with
  ``sqlite3`` and commits;
- ``audit-today``: ``actiontrack audit`` as of today, national SQLite store
  <= 1.5x a process that only opens the store and loads its snapshot;
- ``audit-year-back``: the same audit as of a day a year back <= 2x as of
  today;
- ``report``: ``actiontrack report FILE.xlsx`` as of today <= 2x the audit
  of the same store and day;
- peak memory of that audit <= 2x a process that ``json.load``s the same
  plan (the default store's ``plan.json``): measured once each, printed
  with the ratio table.

The smoke run (``--benchmark-disable``, what CI runs) uses the partnership
size for every pair, so each command runs once and quickly.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import StoreFactory, record_memory
from test_sql import kept_sqlite

ROUNDS = 5
SLOW_ROUNDS = 3
ACTION_ID = "P000/A01500"  # in both sizes
TODAY = date(2026, 12, 5)
A_YEAR_BACK = date(2025, 12, 5)
ACTIONTRACK = shutil.which("actiontrack") or "actiontrack"
#: Commands run without a terminal: no pager, no progress bar.
_ENV = os.environ | {"NO_COLOR": "1"}


def _run(command: Sequence[str], *, codes: frozenset[int] = frozenset({0})) -> None:
    """Run ``command`` as a new process, to its end."""
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=_ENV, check=False)
    assert done.returncode in codes, (command, done.returncode, done.stderr.decode()[-2000:])


#: Runs a command from a small process and prints the command's peak memory in KiB.
#: (A child forked straight from this large pytest process would count the memory
#: it shared with it at the fork as its own.)
_PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _measured(command: Sequence[str], *, codes: frozenset[int] = frozenset({0})) -> int:
    """Run ``command`` to its end and give its peak memory in bytes."""
    done = subprocess.run([sys.executable, "-c", _PEAK, *command], capture_output=True,
                          check=True, env=_ENV)
    code, peak = map(int, done.stdout.split())
    assert code in codes, (command, code, done.stderr.decode()[-2000:])
    return peak * 1024


def _in_process(benchmark: Any, command: Sequence[str], *, rounds: int,
                codes: frozenset[int] = frozenset({0})) -> None:
    benchmark.pedantic(_run, args=(command,), kwargs={"codes": codes}, rounds=rounds,
                       warmup_rounds=1)


def _json_load(path: Path) -> list[str]:
    return [sys.executable, "-c", f"import json\nwith open({str(path)!r}, 'rb') as f: json.load(f)"]


def _size(config: pytest.Config) -> str:
    return "partnership" if config.getoption("benchmark_disable", default=False) else "national"


FINDINGS = frozenset({0, 1})  # an audit exits 1 when it finds something, as it does here


# -- show and list, partnership size -------------------------------------------------


@pytest.fixture(scope="module")
def partnership(store_dir: StoreFactory) -> Path:
    return store_dir("partnership") / "plan.json"


@pytest.mark.parametrize("group", ["show", "list-overdue"])
def test_json_load_baseline(benchmark: Any, partnership: Path, group: str) -> None:
    benchmark.group = group
    benchmark.extra_info["role"] = "baseline"
    _in_process(benchmark, _json_load(partnership), rounds=ROUNDS * 2)


def test_show(benchmark: Any, partnership: Path) -> None:
    benchmark.group = "show"
    benchmark.extra_info |= {"role": "subject", "target": 4.0}
    _in_process(benchmark, [ACTIONTRACK, "--store", str(partnership), "show", ACTION_ID],
                rounds=ROUNDS * 2)


def test_list_overdue(benchmark: Any, partnership: Path) -> None:
    benchmark.group = "list-overdue"
    benchmark.extra_info |= {"role": "subject", "target": 6.0}
    _in_process(benchmark, [ACTIONTRACK, "--store", str(partnership), "list", "--overdue"],
                rounds=ROUNDS * 2)


# -- one change, national SQLite -----------------------------------------------------


@pytest.fixture
def sqlite_copy(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    target = tmp_path / "plan.db"
    shutil.copyfile(kept_sqlite(_size(request.config)), target)
    with sqlite3.connect(target) as connection:
        connection.execute("CREATE TABLE bench_insert (round INTEGER)")
    return target


def test_add_update_baseline_sqlite_insert(benchmark: Any, sqlite_copy: Path) -> None:
    benchmark.group = "add-update"
    benchmark.extra_info["role"] = "baseline"
    insert = (f"import sqlite3\nc = sqlite3.connect({str(sqlite_copy)!r})\n"
              "c.execute('INSERT INTO bench_insert VALUES (1)')\nc.commit()\nc.close()")
    _in_process(benchmark, [sys.executable, "-c", insert], rounds=ROUNDS * 2)
    with sqlite3.connect(sqlite_copy) as connection:
        assert connection.execute("SELECT count(*) FROM bench_insert").fetchone()[0] >= 1


def test_add_update(benchmark: Any, sqlite_copy: Path) -> None:
    benchmark.group = "add-update"
    benchmark.extra_info |= {"role": "subject", "target": 20.0}
    _in_process(benchmark, [ACTIONTRACK, "--store", f"sqlite:///{sqlite_copy}", "add-update",
                            ACTION_ID, "Benchmark: one more progress update", "--by", "bench"],
                rounds=ROUNDS * 2)


# -- audit and report, national SQLite -----------------------------------------------


@pytest.fixture(scope="module")
def national_url(request: pytest.FixtureRequest) -> str:
    return f"sqlite:///{kept_sqlite(_size(request.config))}"


def _audit(url: str, day: date) -> list[str]:
    return [ACTIONTRACK, "--store", url, "audit", "--as-of", day.isoformat()]


def test_snapshot_baseline(benchmark: Any, national_url: str) -> None:
    benchmark.group = "audit-today"
    benchmark.extra_info["role"] = "baseline"
    load = (f"from actiontrack.store import open_store\n"
            f"assert len(open_store({national_url!r}).snapshot().actions) > 0")
    _in_process(benchmark, [sys.executable, "-c", load], rounds=SLOW_ROUNDS)


@pytest.mark.parametrize("group", ["audit-today", "audit-year-back", "report"])
def test_audit_today(benchmark: Any, national_url: str, group: str) -> None:
    benchmark.group = group
    if group == "audit-today":
        benchmark.extra_info |= {"role": "subject", "target": 1.5}
    else:
        benchmark.extra_info["role"] = "baseline"
    _in_process(benchmark, _audit(national_url, TODAY), rounds=SLOW_ROUNDS, codes=FINDINGS)


def test_audit_a_year_back(benchmark: Any, national_url: str) -> None:
    benchmark.group = "audit-year-back"
    benchmark.extra_info |= {"role": "subject", "target": 2.0}
    _in_process(benchmark, _audit(national_url, A_YEAR_BACK), rounds=SLOW_ROUNDS,
                codes=FINDINGS)


def test_report(benchmark: Any, national_url: str, tmp_path: Path) -> None:
    benchmark.group = "report"
    benchmark.extra_info |= {"role": "subject", "target": 2.0}
    target = tmp_path / "committee.xlsx"
    _in_process(benchmark, [ACTIONTRACK, "--store", national_url, "report", str(target),
                            "--as-of", TODAY.isoformat()], rounds=SLOW_ROUNDS)
    assert target.stat().st_size > 10_000


# -- peak memory ---------------------------------------------------------------------


def test_audit_peak_memory(request: pytest.FixtureRequest, store_dir: StoreFactory) -> None:
    """The audit's peak memory against json.load of the same plan, both on the default store."""
    plan = store_dir(_size(request.config)) / "plan.json"
    baseline = _measured(_json_load(plan))
    subject = _measured([ACTIONTRACK, "--store", str(plan), "audit", "--as-of",
                         TODAY.isoformat()], codes=FINDINGS)
    record_memory(request.config, "audit-peak-memory", subject, baseline, target=2.0)
    assert baseline > 0
    assert subject > 0
