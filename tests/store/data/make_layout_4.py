"""Write tests/store/data/layout-4.db with the release before the hash chain (layout 4).

Run with PYTHONPATH pointing at that release's src (a git worktree of it).
"""
import sys
from datetime import UTC, datetime
from pathlib import Path

import attrs

from actiontrack import ProgressUpdate, service
from actiontrack.demo import load_demo
from actiontrack.store import Put, open_store
from actiontrack.store.sql import SCHEMA_VERSION

assert SCHEMA_VERSION == 4, SCHEMA_VERSION
path = Path(sys.argv[1])
assert not path.exists()
store = open_store(f"sqlite:///{path}", create=True)
load_demo(store, now=datetime(2026, 12, 6, 4, 0, tzinfo=UTC))
at = datetime(2026, 12, 6, 4, 5, tzinfo=UTC)
update = store.find(ProgressUpdate)[0]
# A progress update whose text names someone: what a redaction takes out after the upgrade.
store.commit([Put(attrs.evolve(update, text="Spoke to Jayden Smith's mother about the plan"))],
             by="Business unit", at=at, reason="update reworded")
service.edit(store, update.action_id, {"deliverable": "Signed-off plan"},
             reason="clearer", by="Business unit", at=at)
print(update.id, update.action_id, len(store.history()))
store.close()
