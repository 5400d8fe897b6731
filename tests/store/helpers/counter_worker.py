"""Increment a counter in a shared TinyDB store; used by test_tinydb_concurrency.py.

Usage:

- ``python counter_worker.py PATH NAME COUNT``: print ``ready``, wait for a
  line on stdin, then make COUNT increments of the counter (the text
  ``count=N`` of the recommendation ``counter``), each a read-modify-write
  retried on ConflictError; each increment also creates the record
  ``NAME-<i>`` in the same unit. Prints a JSON line
  ``{"increments": ..., "conflicts": ...}`` at the end.
- ``python counter_worker.py PATH NAME race``: read the counter, print its
  version, wait for a line on stdin, then try one increment without retry
  and print ``ok`` or ``conflict``.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime

import attrs

from actiontrack.domain.models import Recommendation
from actiontrack.errors import ConflictError
from actiontrack.store import Put, TinyDBStore

COUNTER = "counter"


def increment(store: TinyDBStore, counter: Recommendation, name: str, number: int) -> None:
    value = int(counter.text.removeprefix("count=")) + 1
    made = Recommendation(id=f"{name}-{number}", review_id="REVIEW", number=str(number),
                          text=f"increment {number} by {name}, to {value}")
    store.commit([Put(attrs.evolve(counter, text=f"count={value}")), Put(made)],
                 by=name, at=datetime.now(UTC))


def main(path: str, name: str, mode: str) -> None:
    store = TinyDBStore(path, create=True)
    if mode == "race":
        counter = store.get(Recommendation, COUNTER)
        print(counter.version, flush=True)
        sys.stdin.readline()
        try:
            increment(store, counter, name, 1)
        except ConflictError:
            print("conflict", flush=True)
        else:
            print("ok", flush=True)
        return
    print("ready", flush=True)
    sys.stdin.readline()
    increments = conflicts = 0
    while increments < int(mode):
        counter = store.get(Recommendation, COUNTER)
        time.sleep(random.uniform(0, 0.002))  # widen the window for another writer
        try:
            increment(store, counter, name, increments + 1)
        except ConflictError:
            conflicts += 1
        else:
            increments += 1
    print(json.dumps({"increments": increments, "conflicts": conflicts}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
