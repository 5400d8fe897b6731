"""Commit to a TinyDB store in a loop until killed; used by test_tinydb_crash.py.

Usage: python crash_writer.py PATH

Prints ``ready`` once the store is open, then, after each commit the store
has acknowledged, the number of that commit's counter value. Commit ``n``
sets the counter record's text to ``count=n`` and creates the record
``C<n>`` in the same unit of work, so a reader can tell which commits landed.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import attrs

from actiontrack.domain.models import Recommendation
from actiontrack.errors import NotFoundError
from actiontrack.store import Put, TinyDBStore

COUNTER = "counter"


def main(path: str) -> None:
    store = TinyDBStore(path, create=True)
    try:
        counter: Recommendation | None = store.get(Recommendation, COUNTER)
    except NotFoundError:
        counter = None
    print("ready", flush=True)
    while True:
        if counter is None:
            number, change = 1, Put(Recommendation(id=COUNTER, review_id="REVIEW",
                                                   number="0", text="count=1"))
        else:
            number = int(counter.text.removeprefix("count=")) + 1
            change = Put(attrs.evolve(counter, text=f"count={number}"))
        made = Recommendation(id=f"C{number}", review_id="REVIEW", number=str(number),
                              text=f"made by commit {number} " + "x" * 200)
        receipt = store.commit([change, Put(made)], by="crash writer",
                               at=datetime.now(UTC), reason=f"commit {number}")
        counter = receipt.records[0]
        print(number, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
