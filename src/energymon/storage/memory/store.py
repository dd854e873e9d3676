"""MemoryStore: the ReadingStore fake, with SqliteStore's semantics and no disk."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from energymon.domain.buckets import DAY_MS, Tier
from energymon.domain.model import DailyStats, Gap, Reading
from energymon.storage import dedupe, tiers
from energymon.storage.base import (
    FlushResult,
    LifetimeEnergy,
    StorageError,
    StoredAppliance,
    StoreHealth,
)
from energymon.storage.buffer import PendingBuffer
from energymon.storage.memory.tables import MemoryTables
from energymon.storage.tables import Horizon

__all__ = ["MemoryStore"]


class MemoryStore:
    """A ReadingStore in dicts, for tests of the layers above storage.

    `fail_writes("disk full")` makes flushes and imports raise StorageError (keeping the buffer)
    until `fail_writes(None)`, as a full disk would.
    """

    def __init__(
        self,
        *,
        zone: ZoneInfo,
        retention_days: int = 7,
        minute_retention_days: int = 90,
        max_buffered_readings: int = 500_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.zone = zone
        self._retention_ms = retention_days * DAY_MS
        self._minute_retention_ms = minute_retention_days * DAY_MS
        self._clock = clock
        self._lock = threading.RLock()
        self._buffer = PendingBuffer(max_buffered_readings)
        self._tables = MemoryTables(zone)
        self._horizon = Horizon()
        self._live = tiers.LiveEnergy()
        self._write_error: str | None = None
        self._last_flush_ms: int | None = None
        self._last_error: str | None = None

    def fail_writes(self, reason: str | None) -> None:
        """Make every write fail with `reason` from now on (None: writes work again)."""
        self._write_error = reason

    def _check_writable(self, what: str) -> None:
        if self._write_error is not None:
            self._last_error = (
                f"{what} failed: {self._write_error}; "
                f"{self._buffer.pending} readings kept in memory for the next flush"
            )
            raise StorageError(self._last_error)

    def append(self, readings: Iterable[Reading]) -> None:
        """Buffer readings for the next flush."""
        self._buffer.append(readings)

    def record_gap(self, gap: Gap) -> None:
        """Buffer a gap for the next flush."""
        self._buffer.add_gap(gap)

    def flush(self) -> FlushResult:
        """Commit what is buffered; StorageError (buffer kept) while writes fail."""
        with self._lock:
            batch = self._buffer.take()
            self._check_writable(f"flush of {len(batch.readings)} readings")
            new = dedupe.place_live(self._tables, batch.readings)
            self._tables.write(new, raw=True)
            self._tables.add_gaps(batch.gaps)
            self._buffer.commit(batch)
            self._last_flush_ms = round(self._clock() * 1000)
            self._last_error = None
            return FlushResult(readings=len(new), gaps=len(batch.gaps))

    def latest(self, appliance_id: int, limit: int) -> list[Reading]:
        """The last `limit` readings of one appliance, oldest first."""
        with self._lock:
            pending, _ = self._buffer.snapshot()
            stored = [r for key, r in self._tables.raw.items() if key[0] == appliance_id]
        return tiers.latest_of(stored, pending, appliance_id, limit)

    def readings_between(
        self, start_ms: int, end_ms: int, appliance_id: int | None, max_points: int
    ) -> list[Reading]:
        """Readings in [start_ms, end_ms), at most `max_points` per appliance."""
        with self._lock:
            pending, _ = self._buffer.snapshot()
            return tiers.readings_between(
                self._tables,
                pending,
                span=(start_ms, end_ms),
                appliance_id=appliance_id,
                max_points=max_points,
                horizon=self._horizon,
                zone=self.zone,
            )

    def daily_stats(
        self, first_day: dt.date, last_day: dt.date, appliance_id: int | None
    ) -> list[DailyStats]:
        """Stats per local day with readings, first_day..last_day inclusive."""
        with self._lock:
            pending, _ = self._buffer.snapshot()
            return tiers.daily_stats_of(
                self._tables, pending, (first_day, last_day), appliance_id, self.zone
            )

    def lifetime_energy_wh(self) -> dict[int, float]:
        """Energy per appliance since records began, buffered readings included."""
        with self._lock:
            pending, _ = self._buffer.snapshot()
            return tiers.lifetime_of(self._tables.lifetime(), pending)

    def lifetime_energy(self) -> LifetimeEnergy:
        """Lifetime energy split into live and imported."""
        with self._lock:
            pending, _ = self._buffer.snapshot()
            total_wh = tiers.lifetime_of(self._tables.lifetime(), pending)
            return self._live.split(total_wh, dict(self._tables.imported_wh))

    def gaps_between(self, start_ms: int, end_ms: int, appliance_id: int | None) -> list[Gap]:
        """Recorded and buffered gaps overlapping [start_ms, end_ms)."""
        with self._lock:
            _, pending = self._buffer.snapshot()
            stored = list(self._tables.gaps.values())
        return tiers.gaps_of((*stored, *pending), start_ms, end_ms, appliance_id)

    def import_readings(self, readings: Sequence[Reading], gaps: Sequence[Gap]) -> int:
        """Add historical readings idempotently (see dedupe.split_import), counted as imported.

        Returns how many were new.
        """
        with self._lock:
            self._check_writable(f"import of {len(readings)} readings")
            fresh, rollup_only = dedupe.split_import(
                self._tables, readings, horizon=self._horizon, zone=self.zone
            )
            self._tables.write(fresh, raw=True)
            self._tables.write(rollup_only, raw=False)
            self._tables.add_imported([*fresh, *rollup_only])
            self._tables.add_gaps(gaps)
            return len(fresh) + len(rollup_only)

    def describe_appliances(self, configured: Mapping[int, str]) -> list[StoredAppliance]:
        """Record the configured names; the appliances with stored readings not configured."""
        with self._lock:
            self._check_writable("recording appliance names")
            self._tables.name_appliances(configured)
            stored = self._tables.stored_appliances()
            return [a for a in stored if a.appliance_id not in configured]

    def forget_appliance(self, appliance_id: int) -> int:
        """Delete what is stored of one appliance (buffered readings stay); returns its readings."""
        with self._lock:
            self._check_writable(f"deleting appliance {appliance_id}")
            stored = [a for a in self._tables.stored_appliances() if a.appliance_id == appliance_id]
            self._tables.forget(appliance_id)
            self._live.forget(appliance_id)
            return stored[0].readings if stored else 0

    def prune(self, now_ms: int) -> int:
        """Drop raw readings and minute rollups past their retention; returns rows deleted."""
        with self._lock:
            raw_from_ms = max(self._horizon.raw_from_ms, now_ms - self._retention_ms)
            minute_from_ms = max(self._horizon.minute_from_ms, now_ms - self._minute_retention_ms)
            self._horizon = Horizon(raw_from_ms, minute_from_ms)
            old_raw = [key for key in self._tables.raw if key[1] < raw_from_ms]
            minutes = self._tables.rollups[Tier.MINUTE]
            old_minutes = [key for key in minutes if key[1] < minute_from_ms]
            for key in old_raw:
                del self._tables.raw[key]
            for key in old_minutes:
                del minutes[key]
            return len(old_raw) + len(old_minutes)

    def backup(self, dest: Path) -> None:
        """Write the committed readings, lifetime counters and gaps to `dest` as JSON."""
        with self._lock:
            gaps = list(self._tables.gaps.values())
            document = {
                "readings": [dataclasses.astuple(r) for r in self._tables.raw.values()],
                "lifetime_energy_wh": self._tables.lifetime(),
                "gaps": [[g.appliance_id, g.start_ms, g.end_ms] for g in gaps],
            }
        dest.write_text(json.dumps(document), encoding="utf-8")

    def health(self) -> StoreHealth:
        """Last flush, pending and dropped readings, last error."""
        return StoreHealth(
            last_flush_ms=self._last_flush_ms,
            pending_readings=self._buffer.pending,
            dropped_readings=self._buffer.dropped,
            last_error=self._last_error,
        )

    def close(self) -> None:
        """Flush what is buffered."""
        self.flush()
