"""The in-memory reference store against the store contract."""

from __future__ import annotations

import pytest
from contract import StoreContract, StoreFactory

from actiontrack.store import MemoryStore, open_store


class TestMemoryStore(StoreContract):
    """MemoryStore keeps every promise of the store contract."""

    @pytest.fixture
    def make_store(self) -> StoreFactory:
        return MemoryStore


def test_open_store_memory_url_gives_a_new_memory_store() -> None:
    """open_store("memory:") gives a new, empty MemoryStore each time."""
    first, second = open_store("memory:"), open_store("memory:")
    assert isinstance(first, MemoryStore)
    assert len(first.snapshot()) == 0
    assert first.identity != second.identity
