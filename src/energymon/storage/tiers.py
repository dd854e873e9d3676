"""Queries and deduplication written once, over any store's tables (`StoredTiers`).

Both stores keep the same tiers: raw readings (keyed by appliance and timestamp) and minute,
hour and local-day rollups (keyed by bucket start and appliance). They hand their tables to
these functions, with the readings still buffered, so both answer alike.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from energymon.domain.buckets import Tier, bucket_start, local_midnight_ms
from energymon.domain.model import DailyStats, Gap, Reading
from energymon.domain.resample import Grouping, choose_tier, merge_unique, resample_readings
from energymon.domain.stats import Rollups, combine, daily_stats, lifetime_energy_wh, rollup

__all__ = [
    "NOTHING_PRUNED_MS",
    "Horizon",
    "StoredTiers",
    "daily_stats_of",
    "gaps_of",
    "latest_of",
    "lifetime_of",
    "readings_between",
    "split_import",
    "unseen",
]

NOTHING_PRUNED_MS = -(2**62)


@dataclass(frozen=True, slots=True)
class Horizon:
    """From when each pruned tier is complete (every bucket from there on is kept)."""

    raw_from_ms: int = NOTHING_PRUNED_MS
    minute_from_ms: int = NOTHING_PRUNED_MS


class StoredTiers(Protocol):
    """Read access to a store's committed tables."""

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

    def rollups_between(
        self, tier: Tier, appliance_id: int | None, start_ms: int, end_ms: int
    ) -> Rollups:
        """`tier` rollups whose bucket starts in [start_ms, end_ms)."""
        ...

    def grouped_rollups(self, grouping: Grouping, appliance_id: int | None) -> Rollups:
        """`grouping.group(rollups_between(...))`, which a database may do faster itself."""
        ...


def _selected(
    readings: Iterable[Reading], start_ms: int, end_ms: int, appliance_id: int | None
) -> list[Reading]:
    return [
        r
        for r in readings
        if start_ms <= r.timestamp_ms < end_ms
        and (appliance_id is None or r.appliance_id == appliance_id)
    ]


def readings_between(
    tables: StoredTiers,
    pending: Sequence[Reading],
    *,
    span: tuple[int, int],
    appliance_id: int | None,
    max_points: int,
    horizon: Horizon,
    zone: ZoneInfo,
) -> list[Reading]:
    """Readings in `span` = [start_ms, end_ms), at most `max_points` per appliance.

    Raw readings when they are kept for the whole range and few enough; otherwise bucket means
    from the tier `choose_tier` picks, merged to fit (see energymon.domain.resample).
    """
    start_ms, end_ms = span
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    if end_ms <= start_ms:
        return []
    buffered = _selected(pending, start_ms, end_ms, appliance_id)
    if start_ms >= horizon.raw_from_ms:
        ids = {appliance_id} if appliance_id is not None else tables.appliance_ids()
        in_buffer = Counter(r.appliance_id for r in buffered)
        if all(
            tables.raw_count(owner, start_ms, end_ms, max_points + 1) + in_buffer[owner]
            <= max_points
            for owner in ids | set(in_buffer)
        ):
            return merge_unique(tables.raw_between(appliance_id, start_ms, end_ms), buffered)
    tier = choose_tier(
        start_ms,
        end_ms,
        max_points,
        raw_from_ms=horizon.raw_from_ms,
        minute_from_ms=horizon.minute_from_ms,
    )
    if tier is Tier.RAW:
        raw = merge_unique(tables.raw_between(appliance_id, start_ms, end_ms), buffered)
        return resample_readings(raw, start_ms, end_ms, max_points, zone)
    grouping = Grouping.fit(tier, start_ms, end_ms, max_points, zone)
    stored = tables.grouped_rollups(grouping, appliance_id)
    return grouping.readings(combine(stored, grouping.group(rollup(buffered, tier, zone))))


def daily_stats_of(
    tables: StoredTiers,
    pending: Sequence[Reading],
    days: tuple[dt.date, dt.date],
    appliance_id: int | None,
    zone: ZoneInfo,
) -> list[DailyStats]:
    """Stats of the local days first..last (inclusive) from day rollups and the buffer alone."""
    first_day, last_day = days
    if last_day < first_day:
        return []
    start_ms = local_midnight_ms(first_day, zone)
    end_ms = local_midnight_ms(last_day + dt.timedelta(days=1), zone)
    buffered = _selected(pending, start_ms, end_ms, appliance_id)
    stored = tables.rollups_between(Tier.DAY, appliance_id, start_ms, end_ms)
    return daily_stats(combine(stored, rollup(buffered, Tier.DAY, zone)), zone, appliance_id)


def latest_of(
    stored: Iterable[Reading], pending: Iterable[Reading], appliance_id: int, limit: int
) -> list[Reading]:
    """The last `limit` of one appliance's stored and buffered readings, oldest first."""
    mine = [r for r in pending if r.appliance_id == appliance_id]
    return merge_unique(stored, mine)[-limit:] if limit > 0 else []


def lifetime_of(stored: dict[int, float], pending: Iterable[Reading]) -> dict[int, float]:
    """Stored lifetime counters plus what the buffered readings add."""
    for appliance_id, energy_wh in lifetime_energy_wh(pending).items():
        stored[appliance_id] = stored.get(appliance_id, 0.0) + energy_wh
    return stored


def gaps_of(gaps: Iterable[Gap], start_ms: int, end_ms: int, appliance_id: int | None) -> list[Gap]:
    """The gaps overlapping [start_ms, end_ms), each start once (the first seen), in order."""
    found: dict[tuple[int, int], Gap] = {}
    for gap in gaps:
        if (
            gap.start_ms < end_ms
            and gap.end_ms > start_ms
            and (appliance_id is None or gap.appliance_id == appliance_id)
        ):
            found.setdefault((gap.appliance_id, gap.start_ms), gap)
    return sorted(found.values(), key=lambda gap: (gap.start_ms, gap.appliance_id))


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
