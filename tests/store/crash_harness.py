"""The crash contract: a writer killed at random moments never loses an acknowledged commit.

A backend's crash test subclasses :class:`KilledWriterContract` and says only
where its store lives, how a user opens it, and what an unfinished commit
leaves on its disk. The writers are real processes, forked from one server
that has imported everything (helpers/crash_writer.py), and each is ended by
SIGKILL at a moment drawn from a seeded random generator: while it opens the
store, or a random fraction of a commit after its 0th, 1st or 2nd
acknowledged commit, which lands inside a commit nearly every time. The
moments are timings, so a rerun with the same seed draws the same delays but
may hit other instructions.

After each kill a new store object in this process opens the store, must
find it whole (:func:`check_store`) and verify it; each store takes
``KILLS_PER_STORE`` kills, so the checks stay quick, and ends with one more
commit, which must clear whatever the last kill left.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import attrs
import pytest

from actiontrack.domain.models import Recommendation
from actiontrack.store import Put, Store
from actiontrack.verify import verify_store

__all__ = ["KilledWriterContract", "check_store"]

WRITER = Path(__file__).with_name("helpers") / "crash_writer.py"
SEED = 20260331
KILLS = 1000
KILLS_PER_STORE = 200
#: How often a writer is killed while it opens the store, before its first commit.
OPENING_SHARE = 0.05
#: Kill delays are drawn from 0 up to these many seconds: about as long as opening a store,
#: and as one commit to a store of a few hundred commits.
OPENING_SECONDS = 0.02
COMMIT_SECONDS = 0.008
#: How long a writer may take to say anything before the test fails instead of hanging.
PATIENCE_SECONDS = 60.0


class ForkServer:
    """The process that forks writers (helpers/crash_writer.py), and what they all print."""

    def __init__(self, errors: IO[bytes]) -> None:
        self.process = subprocess.Popen([sys.executable, str(WRITER)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=errors)
        self.errors = errors
        self.pending = b""
        self.writer: int | None = None  # the process id of the writer still running
        assert self.line() == "ready"

    def line(self) -> str:
        """The next line the server or its writer printed; fails rather than wait for ever."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + PATIENCE_SECONDS
        while b"\n" not in self.pending:
            ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
            assert ready, f"the crash writer said nothing for {PATIENCE_SECONDS} s\n{self.stderr()}"
            chunk = os.read(fd, 65536)
            assert chunk, f"the crash writer's server ended\n{self.stderr()}"
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()

    def stderr(self) -> str:
        self.errors.flush()
        return Path(self.errors.name).read_text(errors="replace")

    def fork(self, location: str) -> None:
        """Start a writer on ``location``."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{location}\n".encode())
        self.process.stdin.flush()
        pid_line = self.line()
        assert pid_line.startswith("pid "), pid_line
        self.writer = int(pid_line.removeprefix("pid "))

    def kill(self) -> list[str]:
        """SIGKILL the writer; return the lines it printed that were not read yet."""
        assert self.writer is not None
        with contextlib.suppress(ProcessLookupError):  # it died by itself: the status says how
            os.kill(self.writer, signal.SIGKILL)
        lines = []
        while not (line := self.line()).startswith("ended "):
            lines.append(line)
        self.writer = None
        assert line == f"ended {-signal.SIGKILL}", f"the writer {line}\n{self.stderr()}"
        return lines

    def close(self) -> None:
        if self.writer is not None:  # a check failed while it ran
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.writer, signal.SIGKILL)
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=PATIENCE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


@attrs.define
class Kill:
    """What one killed writer said: whether it opened the store, and the commits acknowledged."""

    opened: bool = False
    acknowledged: list[int] = attrs.Factory(list)

    def take(self, line: str) -> None:
        if line == "ready":
            self.opened = True
        else:
            self.acknowledged.append(int(line))


def kill_at_random_moment(server: ForkServer, location: str, rng: random.Random) -> Kill:
    """Fork a writer on ``location`` and SIGKILL it at a moment ``rng`` picks."""
    kill = Kill()
    server.fork(location)
    if rng.random() < OPENING_SHARE:
        time.sleep(rng.uniform(0, OPENING_SECONDS))
    else:
        while not kill.opened:
            kill.take(server.line())
        for _ in range(rng.randrange(3)):
            kill.take(server.line())
        time.sleep(rng.uniform(0, COMMIT_SECONDS))
    for line in server.kill():
        kill.take(line)
    return kill


def check_store(store: Store, known: int) -> int:
    """Check ``store`` whole and return its counter value.

    ``known`` is the counter as last seen: the last acknowledged commit of
    the writer just killed or, if it acknowledged none, the value it started from.
    """
    plan = store.snapshot()
    history = store.history()
    record = plan.recommendations.get("counter")
    counter = 0 if record is None else int(record.text.removeprefix("count="))
    # Nothing known was lost; at most one more commit landed before its ack was printed.
    assert known <= counter <= known + 1
    assert set(plan.recommendations) == {f"C{n}" for n in range(1, counter + 1)} | (
        {"counter"} if counter else set())
    assert record is None or record.version == counter
    # Each commit wrote one entry for the counter and one for its new record.
    assert len(history) == sum(item.version for item in plan.records()) == 2 * counter
    assert [entry.seq for entry in history] == list(range(1, len(history) + 1))
    assert [entry.commit for entry in history[::2]] == list(range(1, counter + 1))
    assert store.snapshot(as_of=datetime.now(UTC)) == plan
    if counter >= 2:
        # The plan as the commit before the last left it, rewound through history.
        before = store.snapshot(as_of=history[-3].at).recommendations
        assert set(before) == set(plan.recommendations) - {f"C{counter}"}
        assert before["counter"].text == f"count={counter - 1}"
        assert all(before[key] == plan.recommendations[key] for key in before
                   if key != "counter")
    # A crash never makes the store look edited outside actiontrack (it would refuse changes).
    assert not store.outside_edits(), [str(edit) for edit in store.outside_edits()]
    # Verified after every kill, not every Nth: at a few hundred commits it takes ~20 ms.
    report = verify_store(store)
    assert report.intact, "\n".join(str(finding) for finding in report.findings)
    return counter


class KilledWriterContract:
    """What every backend promises a writer killed at any moment; subclasses say only how."""

    #: Whether a thousand kills are sure to leave some unfinished commit on disk.
    leaves_unfinished_commits = True

    def location(self, folder: Path) -> str:
        """Where a store in ``folder`` lives, as ``open_store`` takes it."""
        raise NotImplementedError

    def open_store(self, location: str, *, create: bool) -> Store:
        """Open the store at ``location`` as a user would."""
        raise NotImplementedError

    def torn_leftovers(self, location: str) -> bool:
        """Whether the store's files hold part of an unfinished commit (checked before opening)."""
        raise NotImplementedError

    def check_files(self, location: str) -> None:
        """Backend-specific checks on the files after each kill and reopening."""

    @pytest.fixture
    def server(self, tmp_path: Path) -> Iterator[ForkServer]:
        with (tmp_path / "writer-errors.txt").open("w+b") as errors:
            server = ForkServer(errors)
            yield server
            server.close()

    @pytest.mark.slow
    def test_killed_writer_never_loses_an_acknowledged_commit(
            self, tmp_path: Path, server: ForkServer) -> None:
        """SIGKILL at random moments: the store opens, verifies, holds every acknowledged commit."""
        rng = random.Random(SEED)
        kills_in_open = landed_unacknowledged = torn = commits = 0
        for number in range(KILLS // KILLS_PER_STORE):
            folder = tmp_path / f"store{number}"
            folder.mkdir()
            location = self.location(folder)
            counter = 0
            for kill_number in range(KILLS_PER_STORE):
                kill = kill_at_random_moment(server, location, rng)
                try:
                    # The writer carries on from whatever landed, acknowledged or not.
                    assert kill.acknowledged == list(
                        range(counter + 1, counter + 1 + len(kill.acknowledged)))
                    known = kill.acknowledged[-1] if kill.acknowledged else counter
                    torn += self.torn_leftovers(location)
                    store = self.open_store(location, create=not known)
                    try:
                        counter = check_store(store, known)
                    finally:
                        store.close()
                    self.check_files(location)
                except AssertionError as failure:
                    failure.add_note(f"store {number}, kill {kill_number}: {kill} ({location})")
                    raise
                kills_in_open += not kill.opened
                landed_unacknowledged += counter - known
            commits += counter

            # One more commit clears whatever the last kill left behind.
            store = self.open_store(location, create=False)
            store.commit([Put(Recommendation(id="after", review_id="REVIEW", number="x",
                                             text="done"))], by="test", at=datetime.now(UTC))
            store.close()
            assert not self.torn_leftovers(location)

        assert commits >= KILLS // 2  # the writers made real progress between kills
        assert landed_unacknowledged, "no kill came between a commit landing and its ack"
        if self.leaves_unfinished_commits:
            assert torn, "no kill left an unfinished commit on disk, so nothing was tested"
        print(f"\n{type(self).__name__}: {commits} commits in {KILLS} kills;"
              f" {torn} kills left an unfinished commit on disk,"
              f" {landed_unacknowledged} landed a commit it could not acknowledge,"
              f" {kills_in_open} hit a writer opening the store")
