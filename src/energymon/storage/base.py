"""The ReadingStore protocol: what the service needs from storage, and nothing more.

Every backend (storage/sqlite/, storage/memory/) implements ReadingStore; one the service can
run on also offers a `StoreOpener`, which the composition root looks up by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from energymon.domain.model import DailyStats, Gap, Reading
from energymon.errors import EnergymonError
from energymon.storage.history import HistoryPart, RecentPart, Settled

__all__ = [
    "FlushResult",
    "LifetimeEnergy",
    "ReadingStore",
    "StorageError",
    "StoreHealth",
    "StoreOpener",
    "StoredAppliance",
]


class StorageError(EnergymonError):
    """Storage failed (disk full, read-only, corrupt); readings stay buffered in memory."""


@dataclass(frozen=True, slots=True)
class FlushResult:
    """What one flush committed."""

    readings: int
    gaps: int


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """The store's state for /health: last good flush, the last error, what waits in memory."""

    last_flush_ms: int | None
    pending_readings: int
    dropped_readings: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class LifetimeEnergy:
    """Energy per appliance since records began, in Wh: measured live, and imported; in each,
    what flowed in (positive current) and what flowed out (negative current) apart.

    `live_wh + imported_wh` is `lifetime_energy_wh()`. Live counters (Prometheus, MQTT) show
    the live ones only, so an import never looks like energy used now; the store keeps each
    live counter from going back while it is open (sums added in another order differ in their
    last bits).
    """

    live_wh: dict[int, float]
    imported_wh: dict[int, float]
    live_out_wh: dict[int, float]
    imported_out_wh: dict[int, float]


@dataclass(frozen=True, slots=True)
class StoredAppliance:
    """An appliance with stored readings, as the database knows it.

    `name` is the one the configuration last gave it (None if it was never named there);
    `readings` and `energy_wh` count everything stored, pruned raw readings included.
    """

    appliance_id: int
    name: str | None
    readings: int
    energy_wh: float


class ReadingStore(Protocol):
    """Durable readings with rollups; queries see buffered readings before they are flushed.

    `append` and `record_gap` are cheap and thread-safe; `flush` does the I/O in one
    transaction. Every query merges what is still buffered, so answers never lag a flush.
    """

    def append(self, readings: Iterable[Reading]) -> None:
        """Buffer readings for the next flush (thread-safe, no I/O)."""
        ...

    def record_gap(self, gap: Gap) -> None:
        """Buffer a gap for the next flush."""
        ...

    def change_mark(self) -> tuple[int, int, int]:
        """A value that moves with every change this process makes to what queries answer."""
        ...

    def flush(self) -> FlushResult:
        """Commit buffered readings, rollups, counters and gaps in one transaction.

        Raises StorageError and keeps the buffer (up to its bound) when the write fails.
        """
        ...

    def latest(self, appliance_id: int, limit: int) -> list[Reading]:
        """The last `limit` readings of one appliance, oldest first."""
        ...

    def latest_part(
        self,
        appliance_id: int,
        limit: int,
        *,
        settled_before_ms: int,
        since: tuple[int, tuple[int, int]] | None,
    ) -> RecentPart:
        """`latest`, or with `since` = (from_ms, mark) still good, every reading from from_ms on."""
        ...

    def readings_between(
        self, start_ms: int, end_ms: int, appliance_id: int | None, max_points: int
    ) -> list[Reading]:
        """Readings in [start_ms, end_ms), at most `max_points` per appliance (bucket means)."""
        ...

    def history_part(
        self,
        days: tuple[dt.date, dt.date],
        appliance_id: int | None,
        max_points: int,
        *,
        settled_before_ms: int,
        known: Settled | None,
    ) -> HistoryPart:
        """`readings_between` and `daily_stats` of the local days, past what `known` holds."""
        ...

    def daily_stats(
        self, first_day: dt.date, last_day: dt.date, appliance_id: int | None
    ) -> list[DailyStats]:
        """Stats per local day with readings, first_day..last_day inclusive, oldest first.

        Without `appliance_id` all appliances' readings of a day are pooled (the seed's meaning).
        """
        ...

    def lifetime_energy_wh(self) -> dict[int, float]:
        """Energy that flowed into each appliance since records began, buffered readings
        included."""
        ...

    def lifetime_energy(self) -> LifetimeEnergy:
        """`lifetime_energy_wh()` split into what was measured live and what imports added."""
        ...

    def gaps_between(self, start_ms: int, end_ms: int, appliance_id: int | None) -> list[Gap]:
        """Recorded gaps overlapping [start_ms, end_ms)."""
        ...

    def import_readings(self, readings: Sequence[Reading], gaps: Sequence[Gap]) -> int:
        """Add historical readings idempotently (a reading already known is skipped).

        Their positive energy is counted as imported (see `lifetime_energy`). Returns how many
        were new.
        """
        ...

    def describe_appliances(self, configured: Mapping[int, str]) -> list[StoredAppliance]:
        """Record the configured appliances' names; the stored ones not configured, by id."""
        ...

    def forget_appliance(self, appliance_id: int) -> int:
        """Delete everything stored of one appliance; returns the readings it had."""
        ...

    def prune(self, now_ms: int) -> int:
        """Delete rows past their retention, in small batches; returns rows deleted."""
        ...

    def backup(self, dest: Path) -> None:
        """Write a consistent copy of the store to `dest` while it stays in use."""
        ...

    def health(self) -> StoreHealth:
        """The store's state for /health."""
        ...

    def close(self) -> None:
        """Flush what is buffered and release the store."""
        ...


class StoreOpener(Protocol):
    """Opens a backend's store, its files under `data_dir` (which exists and is writable)."""

    def __call__(
        self,
        data_dir: Path,
        *,
        zone: ZoneInfo,
        retention_days: int,
        minute_retention_days: int,
        max_buffered_readings: int,
    ) -> ReadingStore:
        """The store, with raw readings kept `retention_days` and minute rollups their days."""
        ...
