"""The SQLite database file: one writer connection, a pool of readers, and the locks between.

The writer is used by one thread at a time (`_write_lock`). Readers come from a pool; WAL lets
them read while the writer writes. A commit and the readers' snapshots are ordered by
`_snapshot_lock`, so the store can remove flushed readings from its buffer atomically with the
commit, and copy its buffer atomically with opening a read snapshot: a query then sees each
reading exactly once. Both sides hold that lock for microseconds.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from energymon.storage.buffer import PendingBuffer
from energymon.storage.sqlite import schema
from energymon.storage.sqlite.tables import SqliteTables
from energymon.storage.tables import Horizon, Snapshot

__all__ = ["SqliteDatabase"]

_T = TypeVar("_T")


MAX_READERS = 4  # concurrent queries; more wait their turn (each takes milliseconds)


class SqliteDatabase:
    """Connections to one database file, opened in WAL mode with the schema up to date."""

    def __init__(self, path: Path, zone: ZoneInfo) -> None:
        self.path = path
        self.zone = zone
        self._write_lock = threading.Lock()
        self._snapshot_lock = threading.Lock()
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        # At most MAX_READERS connections, whatever the size of the server's thread pool: each
        # keeps its own page cache, and a reader per worker thread grew RSS by megabytes.
        self._reader_slots = threading.BoundedSemaphore(MAX_READERS)
        self._writer = schema.open_database(path)
        try:
            self.horizon = self.write(self._adopt_zone)
        except BaseException:
            self._writer.close()
            raise

    def _adopt_zone(self, tables: SqliteTables) -> Horizon:
        horizon = tables.horizon()
        recorded = tables.meta("zone")
        if recorded != self.zone.key:
            if recorded is not None:
                tables.rollups.rebuild_days(horizon.minute_from_ms)
            tables.set_meta("zone", self.zone.key)
        return horizon

    def write(
        self, work: Callable[[SqliteTables], _T], *, on_commit: Callable[[], None] | None = None
    ) -> _T:
        """Run `work` in one write transaction; `on_commit` runs atomically with the commit."""
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(SqliteTables(conn, self.zone))
                with self._snapshot_lock:
                    conn.execute("COMMIT")
                    if on_commit is not None:
                        on_commit()
            except BaseException:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
            return result

    def advance_horizon(self, raw_from_ms: int, minute_from_ms: int) -> Horizon:
        """Record that tiers are complete only from here (never moving back); returns it.

        Queries stop relying on what is before it at the commit, before any row is deleted.
        """
        new = self.horizon

        def record(tables: SqliteTables) -> None:
            nonlocal new
            old = self.horizon  # read under the write lock: advances never interleave
            new = Horizon(
                max(old.raw_from_ms, raw_from_ms), max(old.minute_from_ms, minute_from_ms)
            )
            tables.set_horizon(new)

        def publish() -> None:
            self.horizon = new

        self.write(record, on_commit=publish)
        return new

    @contextlib.contextmanager
    def snapshot(self, buffer: PendingBuffer) -> Iterator[Snapshot[SqliteTables]]:
        """A read transaction and `buffer`'s contents at the same moment (never nest these)."""
        with self._reader_slots:
            try:
                conn = self._readers.get_nowait()
            except queue.Empty:
                conn = schema.connect(self.path, read_only=True)
            with self._reading(conn, buffer) as snapshot:
                yield snapshot

    @contextlib.contextmanager
    def _reading(
        self, conn: sqlite3.Connection, buffer: PendingBuffer
    ) -> Iterator[Snapshot[SqliteTables]]:
        try:
            with self._snapshot_lock:
                conn.execute("BEGIN")
                conn.execute("SELECT count(*) FROM meta").fetchone()  # the snapshot starts here
                pending, gaps = buffer.snapshot()
                horizon = self.horizon
            yield Snapshot(SqliteTables(conn, self.zone), pending, gaps, horizon)
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._readers.put(conn)

    def set_synchronous(self, level: str) -> None:
        """The writer's fsync level: FULL (each commit), or NORMAL (at checkpoints only)."""
        with self._write_lock:
            self._writer.execute(f"PRAGMA synchronous = {level}")

    def checkpoint(self, mode: str = "PASSIVE") -> None:
        """Copy the WAL into the database file (PASSIVE: without waiting for readers)."""
        with self._write_lock:
            self._writer.execute(f"PRAGMA wal_checkpoint({mode})")

    def backup(self, dest: Path) -> None:
        """Copy the committed database to `dest` as a single file, while writes go on.

        The backup API copies in one step from a read snapshot, which WAL keeps consistent
        while the writer commits; the copy appears at `dest` only when complete.
        """
        partial = dest.with_name(dest.name + ".partial")
        partial.unlink(missing_ok=True)
        source = schema.connect(self.path, read_only=True)
        try:
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")
            finally:
                target.close()
        finally:
            source.close()
        os.replace(partial, dest)

    def close(self) -> None:
        """Checkpoint the WAL away and close every connection."""
        with self._write_lock:
            with contextlib.suppress(sqlite3.Error):
                self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._writer.close()
        while True:
            try:
                self._readers.get_nowait().close()
            except queue.Empty:
                break
