"""SqliteStore: the ReadingStore on SQLite (WAL), with rollups written in the same transaction.

The sampler appends to an in-memory buffer (a lock and a deque, no I/O). A flush writes the
buffered readings, their minute/hour/day rollups, the lifetime counters and the gaps in one
transaction; readings whose key is stored already are skipped, so nothing is rolled up twice.
Queries read a WAL snapshot plus the buffer as it was at that moment (see database).

Over 250 lines, on purpose: it is one class, the ReadingStore methods and `bulk_load`, each a
few lines that hand the work to database, writes or the shared queries (storage.tiers) and turn
sqlite3 errors into StorageError. Split, the one interface would be read in two files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from energymon.domain.buckets import DAY_MS
from energymon.domain.model import DailyStats, Gap, Reading
from energymon.storage import tiers
from energymon.storage.base import (
    FlushResult,
    LifetimeEnergy,
    StorageError,
    StoredAppliance,
    StoreHealth,
)
from energymon.storage.buffer import PendingBuffer
from energymon.storage.sqlite import writes
from energymon.storage.sqlite.database import Snapshot, SqliteDatabase
from energymon.storage.sqlite.tables import SqliteTables
from energymon.storage.tables import Horizon

__all__ = ["DB_FILENAME", "SqliteStore", "open_sqlite_store"]

DB_FILENAME = "energymon.db"
CHECKPOINT_EVERY_FLUSHES = 30  # five minutes at the default 10 s flush


class SqliteStore:
    """Readings, rollups, lifetime counters and gaps in one SQLite file.

    Args:
        path: the database file (created with its schema if missing).
        zone: whose local midnights bound the day rollups (a change rebuilds them on open).
        max_buffered_readings: readings held in memory while writes fail; oldest dropped beyond.
        clock: epoch seconds, for `health().last_flush_ms`.
    """

    def __init__(
        self,
        path: Path,
        *,
        zone: ZoneInfo,
        retention_days: int = 7,
        minute_retention_days: int = 90,
        max_buffered_readings: int = 500_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.zone = zone
        self._retention_ms = retention_days * DAY_MS
        self._minute_retention_ms = minute_retention_days * DAY_MS
        self._clock = clock
        self._buffer = PendingBuffer(max_buffered_readings)
        self._flushes_since_checkpoint = 0
        self._last_flush_ms: int | None = None
        self._last_error: str | None = None
        self._closed = False
        self._live = tiers.LiveEnergy()
        try:
            self._db = SqliteDatabase(self.path, zone)
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot open the database: {exc}") from exc

    def _failed(self, what: str, exc: sqlite3.Error) -> StorageError:
        self._last_error = (
            f"{what} to {self.path} failed: {exc}; "
            f"{self._buffer.pending} readings kept in memory for the next flush"
        )
        return StorageError(self._last_error)

    def _checkpoint(self) -> None:
        try:
            self._db.checkpoint()
            self._flushes_since_checkpoint = 0
        except sqlite3.Error as exc:  # nothing is lost: the WAL still holds it
            self._last_error = f"checkpoint of {self.path} failed: {exc}"

    # -- writing -------------------------------------------------------------------------------

    def append(self, readings: Iterable[Reading]) -> None:
        """Buffer readings for the next flush (thread-safe, no I/O)."""
        self._buffer.append(readings)

    def record_gap(self, gap: Gap) -> None:
        """Buffer a gap for the next flush."""
        self._buffer.add_gap(gap)

    def flush(self) -> FlushResult:
        """Commit buffered readings, rollups, counters and gaps in one transaction.

        Returns what was new. On failure raises StorageError and keeps the buffer.
        """
        batch = self._buffer.take()
        if batch.empty:
            self._last_flush_ms = round(self._clock() * 1000)
            return FlushResult(readings=0, gaps=0)
        try:
            written = self._db.write(
                lambda tables: writes.store_batch(tables, batch),
                on_commit=lambda: self._buffer.commit(batch),
            )
        except sqlite3.Error as exc:
            raise self._failed(f"flush of {len(batch.readings)} readings", exc) from exc
        self._last_flush_ms = round(self._clock() * 1000)
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
        self._checkpoint()
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

    def _advance_horizon(self, now_ms: int) -> Horizon:
        return self._db.advance_horizon(
            now_ms - self._retention_ms, now_ms - self._minute_retention_ms
        )

    def prune(self, now_ms: int) -> int:
        """Delete raw readings and minute rollups past retention, in small transactions."""
        try:
            return writes.prune(self._db, self._advance_horizon(now_ms))
        except sqlite3.Error as exc:
            raise self._failed("pruning", exc) from exc

    # -- reading -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Snapshot]:
        try:
            with self._db.snapshot(self._buffer) as snapshot:
                yield snapshot
        except sqlite3.Error as exc:
            raise StorageError(f"query of {self.path} failed: {exc}") from exc

    def latest(self, appliance_id: int, limit: int) -> list[Reading]:
        """The last `limit` readings of one appliance, oldest first."""
        with self._snapshot() as snap:
            stored = snap.tables.latest(appliance_id, limit) if limit > 0 else []
        return tiers.latest_of(stored, snap.pending, appliance_id, limit)

    def readings_between(
        self, start_ms: int, end_ms: int, appliance_id: int | None, max_points: int
    ) -> list[Reading]:
        """Readings in [start_ms, end_ms), at most `max_points` per appliance (bucket means)."""
        with self._snapshot() as snap:
            return tiers.readings_between(
                snap.tables,
                snap.pending,
                span=(start_ms, end_ms),
                appliance_id=appliance_id,
                max_points=max_points,
                horizon=snap.horizon,
                zone=self.zone,
            )

    def daily_stats(
        self, first_day: dt.date, last_day: dt.date, appliance_id: int | None
    ) -> list[DailyStats]:
        """Stats per local day with readings, from day rollups and the buffer only."""
        with self._snapshot() as snap:
            return tiers.daily_stats_of(
                snap.tables, snap.pending, (first_day, last_day), appliance_id, self.zone
            )

    def lifetime_energy_wh(self) -> dict[int, float]:
        """Energy each appliance has used since records began, buffered readings included."""
        with self._snapshot() as snap:
            return tiers.lifetime_of(snap.tables.lifetime(), snap.pending)

    def lifetime_energy(self) -> LifetimeEnergy:
        """Lifetime energy split into live and imported, from one snapshot."""
        with self._snapshot() as snap:
            total_wh = tiers.lifetime_of(snap.tables.lifetime(), snap.pending)
            imported_wh = snap.tables.imported_energy()
        return self._live.split(total_wh, imported_wh)

    def gaps_between(self, start_ms: int, end_ms: int, appliance_id: int | None) -> list[Gap]:
        """Recorded and buffered gaps overlapping [start_ms, end_ms)."""
        with self._snapshot() as snap:
            stored = snap.tables.gaps_between(start_ms, end_ms, appliance_id)
        return tiers.gaps_of((*stored, *snap.gaps), start_ms, end_ms, appliance_id)

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
        self._live.forget(appliance_id)
        return readings

    def health(self) -> StoreHealth:
        """Last good flush, readings pending and dropped, the last error (None once healed)."""
        return StoreHealth(
            last_flush_ms=self._last_flush_ms,
            pending_readings=self._buffer.pending,
            dropped_readings=self._buffer.dropped,
            last_error=self._last_error,
        )

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
