"""Write tests/store/data/layout-6.db with the release before the history_created index.

Run with PYTHONPATH pointing at that release's src (a git worktree of it):
the demo (with its measures) loaded at 2026-12-06T08:00:00+00:00, and at 08:05
a progress update added and a figure recorded for the demo's first measure.
"""
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from actiontrack import service
from actiontrack.demo import load_demo
from actiontrack.store import open_store
from actiontrack.store.sql import SCHEMA_VERSION as SQL_LAYOUT
from actiontrack.store.tinydb import SCHEMA_VERSION as FILE_LAYOUT

assert SQL_LAYOUT == FILE_LAYOUT == 6, (SQL_LAYOUT, FILE_LAYOUT)
folder = Path(sys.argv[1])
url = f"sqlite:///{folder / 'layout-6.db'}"
store = open_store(url, create=True)
load_demo(store, now=datetime(2026, 12, 6, 8, 0, tzinfo=UTC))
at = datetime(2026, 12, 6, 8, 5, tzinfo=UTC)
action = sorted(store.snapshot().actions)[0]
service.add_progress_update(store, action, "Audit of 20 cases booked for January",
                            by="Business unit", at=at)
service.record_measurement(store, f"{action}/M1", 0.7, on=date(2026, 12, 5),
                           by="Business unit", at=at)
print(url, action, len(store.history()))
store.close()
