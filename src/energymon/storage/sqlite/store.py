"""SqliteStore: the ReadingStore on SQLite (WAL), with rollups written in the same transaction.

The sampler appends to an in-memory buffer (a lock and a deque, no I/O). A flush writes the
buffered readings, their minute/hour/day rollups, the lifetime counters and the gaps in one
transaction; readings whose key is stored already are skipped, so nothing is rolled up twice.
Queries read a WAL snapshot plus the buffer as it was at that moment (see database).

Buffering, the queries and health are BufferedStore's (storage.buffered), as for every store;
this class adds the writes, `bulk_load` and the operations, each a few lines that hand the work
to database or writes and turn sqlite3 errors into StorageError.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Unpack
from zoneinfo import ZoneInfo

from energymon.domain.model import Gap, Reading
from energymon.storage.base import FlushResult, StorageError, StoredAppliance
from energymon.storage.buffered import BufferedStore, StoreOptions
from energymon.storage.columns import ImportedColumns
from energymon.storage.sqlite import imports, writes
from energymon.storage.sqlite.database import SqliteDatabase
from energymon.storage.sqlite.tables import SqliteTables
from energymon.storage.tables import Horizon, Snapshot

__all__ = ["DB_FILENAME", "SqliteStore", "open_sqlite_store"]

DB_FILENAME = "energymon.db"
CHECKPOINT_EVERY_FLUSHES = 30  # five minutes at the default 10 s flush
CHECKPOINT_EVERY_IMPORTED_ROWS = 500_000  # keeps an import's WAL to some tens of MB


class SqliteStore(BufferedStore):
    """Readings, rollups, lifetime counters and gaps in one SQLite file.

    Args:
        path: the database file (created with its schema if missing).
        zone: whose local midnights bound the day rollups (a change rebuilds them on open).
        options: as for every store (StoreOptions: retention, buffer size, clock).
    """

    def __init__(self, path: Path, *, zone: ZoneInfo, **options: Unpack[StoreOptions]) -> None:
        super().__init__(zone=zone, **options)
        self.path = Path(path)
        self._flushes_since_checkpoint = 0
        self._imported_since_checkpoint = 0
        self._closed = False
        try:
            self._db = SqliteDatabase(self.path, zone)
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot open the database: {exc}") from exc

    def _failed(self, what: str, exc: sqlite3.Error) -> StorageError:
        self._last_error = self._kept_in_memory(f"{what} to {self.path} failed: {exc}")
        return StorageError(self._last_error)

    def _checkpoint(self) -> None:
        try:
            self._db.checkpoint()
            self._flushes_since_checkpoint = 0
        except sqlite3.Error as exc:  # nothing is lost: the WAL still holds it
            self._last_error = f"checkpoint of {self.path} failed: {exc}"

    # -- writing -------------------------------------------------------------------------------

    def flush(self) -> FlushResult:
        """Commit buffered readings, rollups, counters and gaps in one transaction.

        Returns what was new. On failure raises StorageError and keeps the buffer.
        """
        batch = self._buffer.take()
        if batch.empty:
            self._last_flush_ms = self._now_ms()
            return FlushResult(readings=0, gaps=0)
        try:
            written = self._db.write(
                lambda tables: writes.store_batch(tables, batch),
                on_commit=lambda: self._buffer.commit(batch),
            )
        except sqlite3.Error as exc:
            raise self._failed(f"flush of {len(batch.readings)} readings", exc) from exc
        self._last_flush_ms = self._now_ms()
        self._last_error = None
        self._flushes_since_checkpoint += 1
        if self._flushes_since_checkpoint >= CHECKPOINT_EVERY_FLUSHES:
            self._checkpoint()
        return FlushResult(readings=written, gaps=len(batch.gaps))

    def import_readings(self, readings: Sequence[Reading], gaps: Sequence[Gap]) -> int:
        """Add historical readings idempotently, their energy counted as imported.

        Readings inside raw retention are known by key, older ones by their bucket (see
        dedupe.split_import). Returns how many were new.
        """
        try:
            written = writes.import_readings(self._db, readings, gaps)
        except sqlite3.Error as exc:
            raise self._failed(f"import of {len(readings)} readings", exc) from exc
        finally:
            self.past.changed()  # after the commit: a cache filled before it is dropped
        self._checkpoint()
        return written

    @contextlib.contextmanager
    def importing(self) -> Iterator[None]:
        """A long import: its commits are not fsynced one by one, the WAL is once at the end.

        Safe in WAL mode: a power cut may lose the last blocks (run the import again: it skips
        what is stored), never corrupt the database; other connections keep their own level.
        """
        self._db.set_synchronous("NORMAL")
        try:
            yield
        finally:
            self._db.set_synchronous("FULL")
            wal = self.path.with_name(self.path.name + "-wal")
            with contextlib.suppress(FileNotFoundError), wal.open("rb") as file:
                os.fsync(file.fileno())

    def import_columns(self, columns: ImportedColumns) -> int:
        """Add a block of imported history idempotently, in one transaction; returns how many
        rows were new (see sqlite.imports). The WAL is folded in every few hundred thousand."""
        try:
            written = self._db.write(lambda tables: imports.import_columns(tables, columns))
        except sqlite3.Error as exc:
            raise self._failed(f"import of {len(columns)} readings", exc) from exc
        self._imported_since_checkpoint += len(columns)
        if self._imported_since_checkpoint >= CHECKPOINT_EVERY_IMPORTED_ROWS:
            self._checkpoint()
            self._imported_since_checkpoint = 0
        return written

    def bulk_load(
        self, readings: Iterable[Reading], *, now_ms: int | None = None, batch_rows: int = 100_000
    ) -> int:
        """Load many readings fast into a fresh store (benchmarks, migrations); returns how many.

        The same writes as flushes, in large transactions, so the rollups come out as flushes
        would make them. With `now_ms`, what `prune(now_ms)` would delete is never written:
        readings past raw retention feed only the rollups, and minutes past theirs are skipped.
        Keys are checked against raw rows only, so load a store once.
        """
        try:
            if now_ms is not None:
                self._advance_horizon(now_ms)
            return writes.bulk_load(self._db, readings, batch_rows=batch_rows)
        except sqlite3.Error as exc:
            raise self._failed("bulk load", exc) from exc
        finally:
            self.past.changed()

    def _advance_horizon(self, now_ms: int) -> Horizon:
        return self._db.advance_horizon(*self._kept_from_ms(now_ms))

    def prune(self, now_ms: int) -> int:
        """Delete raw readings and minute rollups past retention, in small transactions."""
        try:
            return writes.prune(self._db, self._advance_horizon(now_ms))
        except sqlite3.Error as exc:
            raise self._failed("pruning", exc) from exc
        finally:
            self.past.pruned()

    # -- reading (the queries are BufferedStore's, over this snapshot) -------------------------

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Snapshot[SqliteTables]]:
        try:
            with self._db.snapshot(self._buffer) as snapshot:
                yield snapshot
        except sqlite3.Error as exc:
            raise StorageError(f"query of {self.path} failed: {exc}") from exc

    # -- operations ----------------------------------------------------------------------------

    def backup(self, dest: Path) -> None:
        """Copy the committed database to `dest`, one self-contained file, while writes go on."""
        try:
            self._db.backup(Path(dest))
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"backup of {self.path} to {dest} failed: {exc}") from exc

    def describe_appliances(self, configured: Mapping[int, str]) -> list[StoredAppliance]:
        """Record the configured names; the appliances with stored readings not configured."""

        def describe(tables: SqliteTables) -> list[StoredAppliance]:
            tables.name_appliances(configured)
            return [a for a in tables.stored_appliances() if a.appliance_id not in configured]

        try:
            return self._db.write(describe)
        except sqlite3.Error as exc:
            raise StorageError(f"recording appliance names in {self.path} failed: {exc}") from exc

    def forget_appliance(self, appliance_id: int) -> int:
        """Delete what is stored of one appliance in one transaction; returns its readings.

        Readings still buffered are left alone: an appliance being forgotten is not sampled.
        """

        def forget(tables: SqliteTables) -> int:
            stored = [a for a in tables.stored_appliances() if a.appliance_id == appliance_id]
            tables.forget(appliance_id)
            return stored[0].readings if stored else 0

        try:
            readings = self._db.write(forget)
        except sqlite3.Error as exc:
            raise StorageError(
                f"deleting appliance {appliance_id} from {self.path} failed: {exc}"
            ) from exc
        finally:
            self.past.changed()
        self._live.forget(appliance_id)
        return readings

    def close(self) -> None:
        """Flush what is buffered, fold the WAL into the database file and close (once)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.flush()
        finally:
            self._db.close()


def open_sqlite_store(
    data_dir: Path,
    *,
    zone: ZoneInfo,
    retention_days: int,
    minute_retention_days: int,
    max_buffered_readings: int,
) -> SqliteStore:
    """The store in `data_dir`/energymon.db (a StoreOpener: how bootstrap opens this backend)."""
    return SqliteStore(
        data_dir / DB_FILENAME,
        zone=zone,
        retention_days=retention_days,
        minute_retention_days=minute_retention_days,
        max_buffered_readings=max_buffered_readings,
    )
