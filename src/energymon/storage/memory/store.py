"""MemoryStore: the ReadingStore fake, with SqliteStore's semantics and no disk."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Unpack
from zoneinfo import ZoneInfo

from energymon.domain.buckets import Tier
from energymon.domain.model import Gap, Reading
from energymon.storage import dedupe
from energymon.storage.base import FlushResult, StorageError, StoredAppliance
from energymon.storage.buffered import BufferedStore, StoreOptions
from energymon.storage.memory.tables import MemoryTables
from energymon.storage.tables import Horizon, Snapshot

__all__ = ["MemoryStore"]


class MemoryStore(BufferedStore):
    """A ReadingStore in dicts, for tests of the layers above storage.

    `fail_writes("disk full")` makes flushes and imports raise StorageError (keeping the buffer)
    until `fail_writes(None)`, as a full disk would. Options as for every store (StoreOptions).
    """

    def __init__(self, *, zone: ZoneInfo, **options: Unpack[StoreOptions]) -> None:
        super().__init__(zone=zone, **options)
        self._lock = threading.RLock()
        self._tables = MemoryTables(zone)
        self._horizon = Horizon()
        self._write_error: str | None = None

    def fail_writes(self, reason: str | None) -> None:
        """Make every write fail with `reason` from now on (None: writes work again)."""
        self._write_error = reason

    def _check_writable(self, what: str) -> None:
        if self._write_error is not None:
            self._last_error = self._kept_in_memory(f"{what} failed: {self._write_error}")
            raise StorageError(self._last_error)

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Snapshot[MemoryTables]]:
        with self._lock:
            pending, gaps = self._buffer.snapshot()
            yield Snapshot(self._tables, pending, gaps, self._horizon)

    def flush(self) -> FlushResult:
        """Commit what is buffered; StorageError (buffer kept) while writes fail."""
        with self._lock:
            batch = self._buffer.take()
            self._check_writable(f"flush of {len(batch.readings)} readings")
            new = dedupe.place_live(self._tables, batch.readings)
            self._tables.write(new, raw=True)
            self._tables.add_gaps(batch.gaps)
            self._buffer.commit(batch)
            self._last_flush_ms = self._now_ms()
            self._last_error = None
            return FlushResult(readings=len(new), gaps=len(batch.gaps))

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
            self.past.changed()
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
            self.past.changed()
            return stored[0].readings if stored else 0

    def prune(self, now_ms: int) -> int:
        """Drop raw readings and minute rollups past their retention; returns rows deleted."""
        with self._lock:
            raw_kept_ms, minute_kept_ms = self._kept_from_ms(now_ms)
            raw_from_ms = max(self._horizon.raw_from_ms, raw_kept_ms)
            minute_from_ms = max(self._horizon.minute_from_ms, minute_kept_ms)
            self._horizon = Horizon(raw_from_ms, minute_from_ms)
            old_raw = [key for key in self._tables.raw if key[1] < raw_from_ms]
            minutes = self._tables.rollups[Tier.MINUTE]
            old_minutes = [key for key in minutes if key[1] < minute_from_ms]
            for key in old_raw:
                del self._tables.raw[key]
            for key in old_minutes:
                del minutes[key]
            self.past.pruned()
            return len(old_raw) + len(old_minutes)

    def backup(self, dest: Path) -> None:
        """Write the committed readings, lifetime counters and gaps to `dest` as JSON."""
        with self._lock:
            gaps = list(self._tables.gaps.values())
            document = {
                "readings": [dataclasses.astuple(r) for r in self._tables.raw.values()],
                "lifetime_energy_wh": {
                    appliance_id: {"in": flow.in_wh, "out": flow.out_wh}
                    for appliance_id, flow in self._tables.lifetime().items()
                },
                "gaps": [[g.appliance_id, g.start_ms, g.end_ms] for g in gaps],
            }
        dest.write_text(json.dumps(document), encoding="utf-8")

    def close(self) -> None:
        """Flush what is buffered."""
        self.flush()
