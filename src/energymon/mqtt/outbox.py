"""The outbox: readings-stream messages on disk until the broker has acknowledged them.

Every batch goes through it, connected or not (write-ahead): a batch is committed here before
it is published, and deleted when its PUBACK arrives. So a SIGKILL, a power cut after the
commit, or a broker away for hours loses nothing; a batch whose PUBACK was lost is sent again
(QoS 1 is at-least-once; `seq`, the row id, lets a collector drop the copy).

One SQLite file (`mqtt-outbox.db` in the data directory) in WAL mode with synchronous=NORMAL:
a commit survives the process dying at any instant; a power cut may lose the last commits, never
the file. One transaction per batch, i.e. per storage flush: few writes for an SD card.

Bound: `max_readings` readings (rows count their readings). Past it the oldest batches are
deleted and counted as dropped: the newest data is what a collector catching up wants most, and
the store keeps everything anyway (`energymon export` fills any hole). Only the publisher thread
uses an Outbox.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path

__all__ = ["OUTBOX_FILENAME", "Outbox", "OutboxError"]

OUTBOX_FILENAME = "mqtt-outbox.db"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids (seq) never come back
    readings INTEGER NOT NULL,
    body BLOB NOT NULL
)
"""


class OutboxError(Exception):
    """The outbox file cannot be opened or written (full disk, permissions)."""


class Outbox:
    """A bounded FIFO of encoded readings batches in a SQLite file."""

    def __init__(self, path: Path, *, max_readings: int) -> None:
        self.path = path
        self.max_readings = max_readings
        try:
            # isolation_level=None: we open transactions ourselves, one per change.
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            count, readings = self._db.execute(
                "SELECT count(*), coalesce(sum(readings), 0) FROM outbox"
            ).fetchone()
        except sqlite3.Error as exc:
            raise OutboxError(f"outbox {path}: {exc}") from exc
        self.batches: int = count
        self.readings: int = readings

    def append(self, body: bytes, readings: int) -> int:
        """Commit one batch; returns the readings dropped (oldest first) to keep the bound."""
        dropped = 0
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT INTO outbox (readings, body) VALUES (?, ?)", (readings, body)
                )
                self.batches += 1
                self.readings += readings
                while self.readings > self.max_readings and self.batches > 1:
                    oldest_id, count = self._db.execute(
                        "SELECT id, readings FROM outbox ORDER BY id LIMIT 1"
                    ).fetchone()
                    self._db.execute("DELETE FROM outbox WHERE id = ?", (oldest_id,))
                    self.batches -= 1
                    self.readings -= count
                    dropped += count
        except sqlite3.Error as exc:
            self._recount()
            raise OutboxError(f"outbox {self.path}: {exc}") from exc
        return dropped

    def oldest(self, after_id: int, limit: int) -> list[tuple[int, bytes]]:
        """Up to `limit` batches with an id above `after_id`, oldest first: (id, body)."""
        try:
            rows = self._db.execute(
                "SELECT id, body FROM outbox WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
            ).fetchall()
        except sqlite3.Error as exc:
            raise OutboxError(f"outbox {self.path}: {exc}") from exc
        return [(row_id, bytes(body)) for row_id, body in rows]

    def remove(self, ids: Iterable[int]) -> None:
        """Delete acknowledged batches (ids already gone are ignored)."""
        chosen = list(ids)
        if not chosen:
            return
        try:
            with self._transaction():
                for row_id in chosen:
                    # SELECT then DELETE, not DELETE … RETURNING: that needs SQLite 3.35.
                    row = self._db.execute(
                        "SELECT readings FROM outbox WHERE id = ?", (row_id,)
                    ).fetchone()
                    if row is not None:
                        self._db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))
                        self.batches -= 1
                        self.readings -= row[0]
        except sqlite3.Error as exc:
            self._recount()
            raise OutboxError(f"outbox {self.path}: {exc}") from exc

    def close(self) -> None:
        """Checkpoint and close the file."""
        self._db.close()

    def _recount(self) -> None:
        # On failure the counts stay as they were; the next recount corrects them.
        with contextlib.suppress(sqlite3.Error):
            self.batches, self.readings = self._db.execute(
                "SELECT count(*), coalesce(sum(readings), 0) FROM outbox"
            ).fetchone()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")
