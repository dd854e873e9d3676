"""`Tables`: what a backend's committed tables offer the query code both backends share.

This is storage's internal contract, not a second store interface: the service and the API
speak only `ReadingStore` (base.py). A backend keeps its tiers (raw readings keyed by appliance
and timestamp; minute, hour and local-day rollups keyed by appliance and bucket start) in its own
way, and hands them, as a `Tables`, to the queries of tiers.py and the dedupe rules of dedupe.py,
so every backend answers alike. SqliteTables and MemoryTables implement it. A `Snapshot` is the
tables with the buffer as it was at the same moment: what one query reads (buffered.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from energymon.domain.buckets import Tier
from energymon.domain.model import DailyStats, Flow, Gap, Reading
from energymon.domain.resample import Grouping
from energymon.domain.stats import Rollups

__all__ = ["NOTHING_PRUNED_MS", "Horizon", "Snapshot", "Tables"]

NOTHING_PRUNED_MS = -(2**62)


@dataclass(frozen=True, slots=True)
class Horizon:
    """From when each pruned tier is complete (every bucket from there on is kept)."""

    raw_from_ms: int = NOTHING_PRUNED_MS
    minute_from_ms: int = NOTHING_PRUNED_MS


class Tables(Protocol):
    """Read access to a backend's committed tables, for the shared queries (not a store)."""

    def appliance_ids(self) -> set[int]:
        """Every appliance with stored readings."""
        ...

    def raw_count(self, appliance_id: int, start_ms: int, end_ms: int, limit: int) -> int:
        """How many raw readings of one appliance lie in [start_ms, end_ms), counting to `limit`."""
        ...

    def raw_between(self, appliance_id: int | None, start_ms: int, end_ms: int) -> list[Reading]:
        """Raw readings in [start_ms, end_ms)."""
        ...

    def raw_timestamps(self, appliance_id: int, first_ms: int, last_ms: int) -> set[int]:
        """Timestamps of one appliance's raw readings in [first_ms, last_ms]."""
        ...

    def latest(self, appliance_id: int, limit: int) -> list[Reading]:
        """The last `limit` raw readings of one appliance, in any order."""
        ...

    def rollups_between(
        self, tier: Tier, appliance_id: int | None, start_ms: int, end_ms: int
    ) -> Rollups:
        """`tier` rollups whose bucket starts in [start_ms, end_ms)."""
        ...

    def grouped_rollups(self, grouping: Grouping, appliance_id: int | None) -> Rollups:
        """`grouping.group(rollups_between(...))`, which a database may do faster itself."""
        ...

    def bucket_readings(
        self, tier: Tier, appliance_id: int | None, start_ms: int, end_ms: int
    ) -> list[Reading]:
        """`stats.bucket_readings(rollups_between(...))`: a Reading per bucket, in time order."""
        ...

    def daily_stats(self, start_ms: int, end_ms: int, appliance_id: int | None) -> list[DailyStats]:
        """`daily.daily_stats` of the day rollups starting in [start_ms, end_ms)."""
        ...

    def lifetime(self) -> dict[int, Flow]:
        """Stored lifetime energy per appliance, in and out: the sums of all its days."""
        ...

    def imported_energy(self) -> dict[int, Flow]:
        """The part of the lifetime energy that imports added, per appliance."""
        ...

    def gaps_between(self, start_ms: int, end_ms: int, appliance_id: int | None) -> list[Gap]:
        """Stored gaps overlapping [start_ms, end_ms)."""
        ...

    def past_version(self) -> int:
        """A number that grows whenever stored history is rewritten (an import, a deletion),
        by this process or another one sharing the store."""
        ...


_T_co = TypeVar("_T_co", bound=Tables, covariant=True)


@dataclass(frozen=True, slots=True)
class Snapshot(Generic[_T_co]):
    """Committed tables, with the buffer and the pruning horizon as they were at that moment."""

    tables: _T_co
    pending: list[Reading]
    gaps: list[Gap]
    horizon: Horizon
