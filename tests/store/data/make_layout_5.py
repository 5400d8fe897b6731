"""Write tests/store/data/layout-5.db and layout-5.json with the release before measures.

Run with PYTHONPATH pointing at that release's src (a git worktree of it):
the demo loaded at 2026-12-06T08:00:00+00:00, and at 08:05 a progress update
added and an action's success measure reworded (the free text that measures
replace).
"""
import sys
from datetime import UTC, datetime
from pathlib import Path

from actiontrack import service
from actiontrack.demo import load_demo
from actiontrack.store import open_store
from actiontrack.store.sql import SCHEMA_VERSION as SQL_LAYOUT
from actiontrack.store.tinydb import SCHEMA_VERSION as FILE_LAYOUT

assert SQL_LAYOUT == FILE_LAYOUT == 5, (SQL_LAYOUT, FILE_LAYOUT)
folder = Path(sys.argv[1])
for url in (f"sqlite:///{folder / 'layout-5.db'}", str(folder / "layout-5.json")):
    store = open_store(url, create=True)
    load_demo(store, now=datetime(2026, 12, 6, 8, 0, tzinfo=UTC))
    at = datetime(2026, 12, 6, 8, 5, tzinfo=UTC)
    action = sorted(store.snapshot().actions)[0]
    service.add_progress_update(store, action, "Audit of 20 cases booked for January",
                       by="Business unit", at=at)
    service.edit(store, action, {"success_measure": "Share of referrals with a chronology"},
                 reason="measurable", by="Business unit", at=at)
    print(url, action, len(store.history()))
    store.close()
