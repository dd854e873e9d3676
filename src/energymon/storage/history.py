"""Historical answers in parts: how a span is answered (a `Plan`), and its readings from an instant.

`tiers.readings_between` answers a whole span. A cache that keeps the settled start of an
answer asks only for the rest: the same plan, the readings from a group boundary on, and the
days from that boundary's date on. The parts joined equal the whole answer, reading for reading.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from zoneinfo import ZoneInfo

from energymon.domain.buckets import Tier, bucket_start, local_date
from energymon.domain.model import DailyStats, Reading
from energymon.domain.resample import Grouping, choose_tier, merge_unique
from energymon.domain.stats import (
    BucketKey,
    Rollups,
    bucket_readings,
    combine,
    rollup,
    time_order,
    totals_of,
)
from energymon.storage.tables import Horizon, Tables

__all__ = [
    "HistoryPart",
    "Plan",
    "RecentPart",
    "Settled",
    "days_from",
    "plan_of",
    "readings_from",
    "selected",
]

_TIMESTAMP = attrgetter("timestamp_ms")


@dataclass(frozen=True, slots=True)
class Plan:
    """How a span is answered: raw readings as stored (`grouping` None), or grouped buckets."""

    span: tuple[int, int]
    grouping: Grouping | None

    def boundary(self, instant_ms: int) -> int:
        """The latest point boundary at or before `instant_ms`, within the span.

        Readings before it, and days before its local date, never change with what comes later.
        """
        start_ms, end_ms = self.span
        if instant_ms <= start_ms or instant_ms >= end_ms:
            return min(max(instant_ms, start_ms), end_ms)
        grouping = self.grouping
        if grouping is None:
            return instant_ms
        bucket_ms = bucket_start(grouping.tier, instant_ms, grouping.zone)
        if bucket_ms < start_ms:  # the range's partial first bucket is not answered
            return start_ms
        return grouping.group_start(grouping.group_of(bucket_ms))


@dataclass(frozen=True, slots=True)
class Settled:
    """What a cache holds: the answer of `plan` before `until_ms`, read in `epoch`."""

    plan: Plan
    until_ms: int
    epoch: int


@dataclass(frozen=True, slots=True)
class HistoryPart:
    """An answer from `from_ms` on: its readings, and its days from `from_ms`'s date on.

    `settled_ms` is the boundary before which the answer is settled; `epoch` is None when the
    past changed while it was read (keep nothing of it).
    """

    plan: Plan
    from_ms: int
    settled_ms: int
    readings: list[Reading]
    days: list[DailyStats]
    epoch: int | None


@dataclass(frozen=True, slots=True)
class RecentPart:
    """The newest readings of one appliance: all from `from_ms` on (None: the last `limit`).

    `mark` is (epoch, pruning runs) when nothing before `settled_ms` changed while they were
    read (None: keep nothing of them).
    """

    from_ms: int | None
    settled_ms: int
    readings: list[Reading]
    mark: tuple[int, int] | None


def selected(
    readings: Sequence[Reading], start_ms: int, end_ms: int, appliance_id: int | None
) -> list[Reading]:
    """The readings of one appliance (None: all) stamped in [start_ms, end_ms)."""
    return [
        r
        for r in readings
        if start_ms <= r.timestamp_ms < end_ms
        and (appliance_id is None or r.appliance_id == appliance_id)
    ]


def plan_of(
    tables: Tables,
    buffered: Sequence[Reading],
    span: tuple[int, int],
    appliance_id: int | None,
    max_points: int,
    *,
    horizon: Horizon,
    zone: ZoneInfo,
) -> Plan:
    """The plan for `span` (`buffered`: the pending readings in it).

    Raw readings when they are kept for the whole range and few enough; otherwise bucket means
    from the tier `choose_tier` picks, merged to fit (see energymon.domain.resample).
    """
    start_ms, end_ms = span
    if start_ms >= horizon.raw_from_ms:
        ids = {appliance_id} if appliance_id is not None else tables.appliance_ids()
        in_buffer = Counter(r.appliance_id for r in buffered)
        if all(
            tables.raw_count(owner, start_ms, end_ms, max_points + 1) + in_buffer[owner]
            <= max_points
            for owner in ids | set(in_buffer)
        ):
            return Plan(span, None)
    tier = choose_tier(
        start_ms,
        end_ms,
        max_points,
        raw_from_ms=horizon.raw_from_ms,
        minute_from_ms=horizon.minute_from_ms,
    )
    return Plan(span, Grouping.fit(tier, start_ms, end_ms, max_points, zone))


def readings_from(
    tables: Tables,
    buffered: Sequence[Reading],
    plan: Plan,
    from_ms: int,
    appliance_id: int | None,
) -> list[Reading]:
    """The points of `plan` from `from_ms` (a `plan.boundary`) on; `buffered` as for plan_of."""
    _, end_ms = plan.span
    if from_ms > plan.span[0]:
        buffered = [r for r in buffered if r.timestamp_ms >= from_ms]
    if plan.grouping is None:
        return merge_unique(tables.raw_between(appliance_id, from_ms, end_ms), buffered)
    grouping = dataclasses.replace(plan.grouping, start_ms=from_ms)
    tier = grouping.tier
    if tier is Tier.RAW:
        raw = merge_unique(tables.raw_between(appliance_id, from_ms, end_ms), buffered)
        groups: dict[BucketKey, list[Reading]] = {}
        for reading in raw:
            key = (reading.appliance_id, grouping.group_of(reading.timestamp_ms))
            groups.setdefault(key, []).append(reading)
        return grouping.readings({key: totals_of(group) for key, group in groups.items()})
    buckets = {
        key: totals
        for key, totals in rollup(buffered, tier, grouping.zone).items()
        if from_ms <= key[1] < end_ms
    }
    if not grouping.one_per_group:
        stored_groups = tables.grouped_rollups(grouping, appliance_id)
        return grouping.readings(combine(stored_groups, grouping.group(buckets)))
    stored = tables.bucket_readings(tier, appliance_id, from_ms, end_ms)
    return _with_buffer(tables, tier, appliance_id, stored, buckets)


def _with_buffer(
    tables: Tables, tier: Tier, appliance_id: int | None, stored: list[Reading], buffered: Rollups
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


def days_from(first_day: dt.date, from_ms: int, plan: Plan, zone: ZoneInfo) -> dt.date:
    """The first day a part from `from_ms` answers (the range's first day at its start)."""
    return first_day if from_ms <= plan.span[0] else max(first_day, local_date(from_ms, zone))
