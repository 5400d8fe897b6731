"""Store tests: which contract tests are slow on which backend."""

from __future__ import annotations

import pytest

#: Contract tests that take minutes on a backend (a new PostgreSQL schema per example);
#: they run with the slow tests there, and in the default run on every other backend.
SLOW_THERE = {"TestPostgreSQLStore": {"test_random_commits_replay_to_the_current_plan"}}


@pytest.hookimpl(tryfirst=True)  # before -m "not slow" deselects by mark
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        owner = getattr(item, "cls", None)
        if owner is not None and item.name in SLOW_THERE.get(owner.__name__, ()):
            item.add_marker(pytest.mark.slow)
