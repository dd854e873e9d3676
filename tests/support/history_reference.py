"""The history queries as they were before answers were kept in parts: the reference they equal.

A copy of storage.tiers.readings_between (and its helper) from before issue 15, kept so the
equivalence tests compare the parted answers with an implementation they do not share code with.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from operator import attrgetter
from zoneinfo import ZoneInfo

from energymon.domain.buckets import Tier
from energymon.domain.model import Reading
from energymon.domain.resample import Grouping, choose_tier, merge_unique, resample_readings
from energymon.domain.stats import Rollups, bucket_readings, combine, rollup, time_order
from energymon.storage.tables import Horizon, Tables

__all__ = ["readings_between"]

_TIMESTAMP = attrgetter("timestamp_ms")


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
    tables: Tables,
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
    buckets = {
        key: totals
        for key, totals in rollup(buffered, tier, zone).items()
        if start_ms <= key[1] < end_ms
    }
    if grouping.one_per_group:
        stored = tables.bucket_readings(tier, appliance_id, start_ms, end_ms)
        return _with_buffer(tables, tier, appliance_id, stored, buckets)
    stored_groups = tables.grouped_rollups(grouping, appliance_id)
    return grouping.readings(combine(stored_groups, grouping.group(buckets)))


def _with_buffer(
    tables: Tables,
    tier: Tier,
    appliance_id: int | None,
    stored: list[Reading],
    buffered: Rollups,
) -> list[Reading]:
    """`stored` bucket readings, those of the buckets `buffered` adds to recomputed from both.

    The buffer holds the last seconds, so only the newest buckets are read again.
    """
    if not buffered:
        return stored
    first_ms = min(start_ms for _, start_ms in buffered)
    last_ms = max(start_ms for _, start_ms in buffered)
    both = combine(tables.rollups_between(tier, appliance_id, first_ms, last_ms + 1), buffered)
    cut = bisect_left(stored, first_ms, key=_TIMESTAMP)
    kept = [r for r in stored[cut:] if (r.appliance_id, r.timestamp_ms) not in both]
    return stored[:cut] + sorted([*kept, *bucket_readings(both)], key=time_order)
