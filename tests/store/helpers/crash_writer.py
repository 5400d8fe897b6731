"""Writers to kill: children forked from one process that has imported everything once.

Usage: python crash_writer.py; used by crash_harness.py.

This process imports actiontrack and warms it up with a few commits to a
scratch store of each kind (the SQL backend is imported, and the converters
built, on first use), prints ``ready``, then reads one ``LOCATION`` a line
from stdin: for each it forks a writer and, once the writer has ended,
prints ``ended CODE`` (``-9`` when SIGKILL ended it, as
:func:`os.waitstatus_to_exitcode` says). A new interpreter per writer costs
0.3-0.5 s; a fork of this warm process costs milliseconds, so a test can
kill a thousand real processes in reasonable time.

A writer prints ``pid N`` first, ``ready`` once it has opened the store with
``open_store(LOCATION, create=True)``, as the command line does, then commits
in a loop, printing each commit's number once the store has acknowledged it.
Commit ``n`` sets the counter record's text to ``count=n`` and creates the
record ``C<n>`` in the same unit of work, so a reader can tell which commits
landed. A writer that fails prints its traceback on stderr and exits 1.

Every line is one ``os.write`` to the shared stdout pipe, so a killed writer's
lines are whole and all come before the ``ended`` line about it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import attrs

from actiontrack.domain.models import Recommendation
from actiontrack.errors import NotFoundError
from actiontrack.store import Put, Store, open_store

COUNTER = "counter"


def say(line: str) -> None:
    os.write(sys.stdout.fileno(), f"{line}\n".encode())


def next_commit(store: Store, counter: Recommendation | None) -> tuple[int, Recommendation]:
    """Make the commit after ``counter``; return its number and the counter as it now is."""
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


def write_until_killed(location: str) -> None:
    say(f"pid {os.getpid()}")
    store = open_store(location, create=True)
    try:
        counter: Recommendation | None = store.get(Recommendation, COUNTER)
    except NotFoundError:
        counter = None
    say("ready")
    while True:
        number, counter = next_commit(store, counter)
        say(str(number))


def warm_up() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        for location in (str(Path(scratch, "plan.json")), f"sqlite:///{scratch}/plan.db"):
            store, counter = open_store(location, create=True), None
            for _ in range(3):
                _, counter = next_commit(store, counter)
            store.close()


def serve() -> None:
    warm_up()
    say("ready")
    for line in sys.stdin:
        child = os.fork()
        if child == 0:
            try:
                write_until_killed(line.strip())
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(1)  # never back into the server's loop
        _, status = os.waitpid(child, 0)
        say(f"ended {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    serve()
