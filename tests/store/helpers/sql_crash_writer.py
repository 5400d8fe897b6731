"""Commit to a SQL store until killed, or on command; used by test_sql_faults.py.

Usage:

- ``python sql_crash_writer.py URL``: print ``ready`` once the store is
  open, then commit in a loop, printing each acknowledged commit's number.
- ``python sql_crash_writer.py URL --on-command``: print ``ready``, then for
  each line read from stdin make the next commit and print its number, or
  ``StoreError: <message>`` if the store refused it (and go on); exit at
  the end of input. Any other error is a traceback and a non-zero exit.

Commit ``n`` sets the counter record's text to ``count=n`` and creates the
record ``C<n>`` in the same unit of work, so a reader can tell which commits
landed. After a commit that failed, the next one tries the same number again.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import attrs

from actiontrack.domain.models import Recommendation
from actiontrack.errors import NotFoundError, StoreError
from actiontrack.store import Put, open_store
from actiontrack.store.protocol import Store

COUNTER = "counter"


def next_commit(store: Store, counter: Recommendation | None) -> tuple[int, Recommendation]:
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
    record = receipt.records[0]
    assert isinstance(record, Recommendation)
    return number, record


def main(url: str, on_command: bool) -> None:
    store = open_store(url, create=True)
    try:
        counter: Recommendation | None = store.get(Recommendation, COUNTER)
    except NotFoundError:
        counter = None
    print("ready", flush=True)
    if not on_command:
        while True:
            number, counter = next_commit(store, counter)
            print(number, flush=True)
    for _ in sys.stdin:
        try:
            number, counter = next_commit(store, counter)
        except StoreError as exc:
            print(f"StoreError: {exc}".replace("\n", " "), flush=True)
        else:
            print(number, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], "--on-command" in sys.argv[2:])
