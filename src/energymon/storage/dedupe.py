"""Which readings are new to a store, decided once over any store's tables (`StoredTiers`)."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from energymon.domain.buckets import Tier, bucket_start
from energymon.domain.model import Reading
from energymon.storage.tiers import Horizon, StoredTiers

__all__ = ["split_import", "unseen"]


def unseen(tables: StoredTiers, readings: Iterable[Reading]) -> list[Reading]:
    """The readings whose key is neither stored raw nor earlier in `readings` (first wins)."""
    by_appliance: dict[int, dict[int, Reading]] = {}
    for reading in readings:
        by_appliance.setdefault(reading.appliance_id, {}).setdefault(reading.timestamp_ms, reading)
    new: list[Reading] = []
    for appliance_id, by_ts in by_appliance.items():
        stored = tables.raw_timestamps(appliance_id, min(by_ts), max(by_ts))
        new.extend(r for ts, r in by_ts.items() if ts not in stored)
    return new


def split_import(
    tables: StoredTiers, readings: Iterable[Reading], *, horizon: Horizon, zone: ZoneInfo
) -> tuple[list[Reading], list[Reading]]:
    """The new readings of an import: (to store raw and roll up, older ones to roll up only).

    Inside raw retention a reading is known by its key. Older ones have no raw row left to
    compare with, so one counts as known when its bucket already holds data: its minute while
    minutes are kept, else its hour. Importing a file twice, or one that overlaps what was
    recorded live, thus never counts a reading twice; the price is that an old reading falling
    into a bucket filled before is skipped (at most a minute or an hour at an overlap's edges).
    """
    recent: list[Reading] = []
    old: dict[tuple[Tier, int], dict[int, tuple[int, Reading]]] = {}
    for reading in readings:
        ts_ms = reading.timestamp_ms
        if ts_ms >= horizon.raw_from_ms:
            recent.append(reading)
            continue
        tier = Tier.MINUTE if ts_ms >= horizon.minute_from_ms else Tier.HOUR
        by_ts = old.setdefault((tier, reading.appliance_id), {})
        by_ts.setdefault(ts_ms, (bucket_start(tier, ts_ms, zone), reading))
    rollup_only: list[Reading] = []
    for (tier, appliance_id), by_ts in old.items():
        starts = [start_ms for start_ms, _ in by_ts.values()]
        stored = tables.rollups_between(tier, appliance_id, min(starts), max(starts) + 1)
        occupied = {start_ms for _, start_ms in stored}
        rollup_only.extend(r for start_ms, r in by_ts.values() if start_ms not in occupied)
    return unseen(tables, recent), rollup_only
