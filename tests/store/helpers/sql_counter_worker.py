"""Increment counters in a shared SQL store; used by test_sql_concurrency.py.

Usage:

- ``python sql_counter_worker.py URL NAME COUNT``: print ``ready``, wait for
  a line on stdin, then make COUNT increments. One increment is a
  read-modify-write of both counters (the recommendations ``A`` and ``B``,
  text ``count=N`` and the one theme ``count=N``) and the creation of the
  record ``NAME-<i>``, all in one unit of work, retried on ConflictError.
  Prints a JSON line ``{"increments": ..., "conflicts": ..., "torn": ...}``
  at the end; ``torn`` counts reads that saw a counter whose text and theme
  disagree (a record put together from two versions).
- ``python sql_counter_worker.py URL NAME race``: read counter ``A``, print
  its version, wait for a line on stdin, then try one increment without
  retry and print ``ok`` or ``conflict``.
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
from actiontrack.store import Put, open_store
from actiontrack.store.protocol import Store

COUNTERS = ("A", "B")


def value_of(counter: Recommendation) -> int:
    return int(counter.text.removeprefix("count="))


def bumped(counter: Recommendation) -> Recommendation:
    value = value_of(counter) + 1
    return attrs.evolve(counter, text=f"count={value}", themes=(f"count={value}",))


def increment(store: Store, counters: list[Recommendation], name: str, number: int) -> None:
    made = Recommendation(id=f"{name}-{number}", review_id="REVIEW", number=str(number),
                          text=f"increment {number} by {name}")
    store.commit([*(Put(bumped(counter)) for counter in counters), Put(made)],
                 by=name, at=datetime.now(UTC))


def torn(counters: list[Recommendation]) -> int:
    """How many of ``counters`` mix two versions: text and theme disagree."""
    return sum(counter.themes != (counter.text,) for counter in counters)


def main(url: str, name: str, mode: str) -> None:
    store = open_store(url, create=True)
    if mode == "race":
        counters = [store.get(Recommendation, counter) for counter in COUNTERS]
        print(counters[0].version, flush=True)
        sys.stdin.readline()
        try:
            increment(store, counters, name, 1)
        except ConflictError:
            print("conflict", flush=True)
        else:
            print("ok", flush=True)
        return
    print("ready", flush=True)
    sys.stdin.readline()
    increments = conflicts = torn_reads = 0
    while increments < int(mode):
        counters = [store.get(Recommendation, counter) for counter in COUNTERS]
        torn_reads += torn(counters)
        time.sleep(random.uniform(0, 0.002))  # widen the window for another writer
        try:
            increment(store, counters, name, increments + 1)
        except ConflictError:
            conflicts += 1
        else:
            increments += 1
    print(json.dumps({"increments": increments, "conflicts": conflicts, "torn": torn_reads}),
          flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
