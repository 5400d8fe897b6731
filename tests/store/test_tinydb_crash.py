"""A writer of the default store killed at random moments never loses an acknowledged commit."""

from __future__ import annotations

import json
from pathlib import Path

from crash_harness import KilledWriterContract

from actiontrack.store import Store, TinyDBStore


class TestKilledTinyDBWriter(KilledWriterContract):
    """The default store, one JSON file with its history beside it, under SIGKILL."""

    def location(self, folder: Path) -> str:
        return str(folder / "plan.json")

    def open_store(self, location: str, *, create: bool) -> Store:
        return TinyDBStore(location, create=create)

    def torn_leftovers(self, location: str) -> bool:
        """A temporary file not yet renamed over plan.json, or history past what it commits."""
        path = Path(location)
        if any(path.parent.glob(f".{path.name}.*.tmp")):
            return True
        if not path.exists():  # killed while it created the store
            return False
        committed = json.loads(path.read_bytes())["_meta"]["store"]["history_bytes"]
        history = path.with_name(f"{path.stem}.history.jsonl")
        return (history.stat().st_size if history.exists() else 0) != committed

    def check_files(self, location: str) -> None:
        """No committed history is ever lost from the history file."""
        path = Path(location)
        if path.exists():
            committed = json.loads(path.read_bytes())["_meta"]["store"]["history_bytes"]
            assert path.with_name(f"{path.stem}.history.jsonl").stat().st_size >= committed
