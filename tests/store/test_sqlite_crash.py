"""A writer of a SQLite store killed at random moments never loses an acknowledged commit."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import sqlalchemy as sa
from crash_harness import KilledWriterContract

from actiontrack.store import Store
from actiontrack.store.sql import SQLStore

WAL_HEADER_BYTES = 32
FRAME_HEADER_BYTES = 24


class TestKilledSQLiteWriter(KilledWriterContract):
    """SQLStore on a SQLite file (in WAL mode) under SIGKILL."""

    # SQLite writes a transaction's pages to the log only as it commits, a window of
    # microseconds: a kill there is counted (about 1 in 100) but not required.
    leaves_unfinished_commits = False

    def location(self, folder: Path) -> str:
        return f"sqlite:///{folder / 'plan.db'}"

    def open_store(self, location: str, *, create: bool) -> Store:
        return SQLStore(location, create=create)

    def torn_leftovers(self, location: str) -> bool:
        """Frames of an unfinished transaction after the last commit in the write-ahead log."""
        wal = Path(location.removeprefix("sqlite:///") + "-wal")
        return wal.exists() and uncommitted_frame_follows(wal.read_bytes())

    def check_files(self, location: str) -> None:
        """SQLite's own check of the database file finds nothing wrong."""
        engine = sa.create_engine(location, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        engine.dispose()


def uncommitted_frame_follows(wal: bytes) -> bool:
    """Whether a write-ahead log holds a valid frame after its last commit frame.

    Layout: https://www.sqlite.org/fileformat.html#the_write_ahead_log. Frames
    with the log's salts are the current ones, but after a transaction torn
    by a kill, the next commit overwrites its frames from the start and may
    leave the rest: those no longer continue the checksum chain, so only a
    frame whose checksum continues the last commit frame's is unfinished work.
    """
    if len(wal) < WAL_HEADER_BYTES:
        return False
    frame_bytes = FRAME_HEADER_BYTES + int.from_bytes(wal[8:12], "big")
    salts = wal[16:24]
    last_commit = None  # the offset of the last commit frame
    offset = WAL_HEADER_BYTES
    while offset + frame_bytes <= len(wal) and wal[offset + 8:offset + 16] == salts:
        if wal[offset + 4:offset + 8] != bytes(4):  # the database size: set on commit frames
            last_commit = offset
        offset += frame_bytes
    following = WAL_HEADER_BYTES if last_commit is None else last_commit + frame_bytes
    if following + frame_bytes > len(wal) or wal[following + 8:following + 16] != salts:
        return False
    running = wal[24:32] if last_commit is None else wal[last_commit + 16:last_commit + 24]
    frame = wal[following:following + frame_bytes]
    order = ">" if wal[3] == 0x83 else "<"  # magic 0x377f0683: big-endian checksums
    return checksum(running, frame[:8] + frame[FRAME_HEADER_BYTES:], order) == frame[16:24]


def checksum(running: bytes, data: bytes, order: str) -> bytes:
    """SQLite's running checksum over ``data``, from the checksum so far."""
    first, second = struct.unpack(">II", running)
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for even, odd in zip(words[::2], words[1::2], strict=True):
        first = (first + even + second) & 0xFFFFFFFF
        second = (second + odd + first) & 0xFFFFFFFF
    return struct.pack(">II", first, second)


def test_unfinished_transaction_in_the_log_is_told_from_stale_frames(tmp_path: Path) -> None:
    """The count of unfinished commits sees frames that chain on, not leftovers of older ones."""
    connection = sqlite3.connect(tmp_path / "plan.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("CREATE TABLE notes (text)")
    connection.execute("INSERT INTO notes VALUES (?)", ("x" * 9000,))  # several pages
    wal = (tmp_path / "plan.db-wal").read_bytes()
    connection.close()
    frame_bytes = FRAME_HEADER_BYTES + int.from_bytes(wal[8:12], "big")
    commits = [offset for offset in range(WAL_HEADER_BYTES, len(wal), frame_bytes)
               if wal[offset + 4:offset + 8] != bytes(4)]
    assert len(commits) == 2
    assert commits[1] - commits[0] > frame_bytes  # the last transaction has more than one frame
    assert not uncommitted_frame_follows(wal)
    cut = wal[:commits[1]]  # the last transaction without its commit frame
    assert uncommitted_frame_follows(cut)
    first = commits[0] + frame_bytes + FRAME_HEADER_BYTES
    stale = cut[:first] + bytes([cut[first] ^ 1]) + cut[first + 1:]  # no longer chains on
    assert not uncommitted_frame_follows(stale)
