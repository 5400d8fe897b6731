"""Every test (audit tests, doc examples that register rules) leaves the rule registry as it was."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actiontrack.auditing import registered_rules, registry


@pytest.fixture(autouse=True)
def restore_registry() -> Iterator[None]:
    """Rules a test registers (directly, from a file or by a clash) are gone afterwards."""
    registered_rules()  # the built-in rules are registered before the copy is taken
    saved = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)
