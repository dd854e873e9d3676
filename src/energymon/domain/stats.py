"""Aggregation: readings into bucket totals, totals into rollups and daily statistics."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from energymon.domain.buckets import HOUR_MS, LocalDays, Tier, local_date
from energymon.domain.model import DailyStats, Reading, Rollup

__all__ = [
    "BucketKey",
    "Rollups",
    "Totals",
    "aggregate",
    "combine",
    "daily_stats",
    "lifetime_energy_wh",
    "pool",
    "rollup",
    "tier_rollups",
]


@dataclass(slots=True)
class Totals:
    """Running sums of the readings in one bucket; merging two gives the totals of both."""

    count: int = 0
    sum_watts: float = 0.0
    min_watts: float = math.inf
    max_watts: float = -math.inf
    energy_wh: float = 0.0
    covered_seconds: float = 0.0
    sum_volts: float = 0.0
    sum_amps: float = 0.0
    energy_in_wh: float = 0.0  # the positive part of energy_wh: what lifetime counters count

    def add(self, reading: Reading) -> None:
        """Count one reading in."""
        watts = reading.watts
        self.count += 1
        self.sum_watts += watts
        self.min_watts = min(self.min_watts, watts)
        self.max_watts = max(self.max_watts, watts)
        self.energy_wh += reading.energy_wh
        self.covered_seconds += reading.covered_seconds
        self.sum_volts += reading.volts
        self.sum_amps += reading.amps
        if reading.energy_wh > 0:
            self.energy_in_wh += reading.energy_wh

    def merge(self, other: Totals) -> None:
        """Count another bucket's readings in."""
        self.count += other.count
        self.sum_watts += other.sum_watts
        self.min_watts = min(self.min_watts, other.min_watts)
        self.max_watts = max(self.max_watts, other.max_watts)
        self.energy_wh += other.energy_wh
        self.covered_seconds += other.covered_seconds
        self.sum_volts += other.sum_volts
        self.sum_amps += other.sum_amps
        self.energy_in_wh += other.energy_in_wh

    @property
    def avg_watts(self) -> float:
        """Mean watts of the readings counted (0 when empty)."""
        return self.sum_watts / self.count if self.count else 0.0

    def to_rollup(self, appliance_id: int, bucket_start_ms: int) -> Rollup:
        """These totals as the model's Rollup."""
        return Rollup(
            appliance_id=appliance_id,
            bucket_start_ms=bucket_start_ms,
            count=self.count,
            sum_watts=self.sum_watts,
            min_watts=self.min_watts,
            max_watts=self.max_watts,
            energy_wh=self.energy_wh,
            covered_seconds=self.covered_seconds,
        )

    def to_reading(self, appliance_id: int, timestamp_ms: int) -> Reading:
        """One Reading standing for the bucket: means of watts, volts, amps; sums of energy."""
        count = self.count or 1
        return Reading(
            appliance_id=appliance_id,
            timestamp_ms=timestamp_ms,
            watts=self.sum_watts / count,
            volts=self.sum_volts / count,
            amps=self.sum_amps / count,
            energy_wh=self.energy_wh,
            covered_seconds=self.covered_seconds,
            samples=self.count,
        )


BucketKey = tuple[int, int]
"""(appliance_id, bucket_start_ms)"""
Rollups = dict[BucketKey, Totals]


def aggregate(readings: Iterable[Reading]) -> Totals:
    """The totals of `readings`, whatever appliance or time they belong to."""
    totals = Totals()
    for reading in readings:
        totals.add(reading)
    return totals


def _minute_rollups(readings: Iterable[Reading]) -> Rollups:
    minutes: Rollups = {}
    for reading in readings:
        ts_ms = reading.timestamp_ms
        key = (reading.appliance_id, ts_ms - ts_ms % 60_000)
        totals = minutes.get(key)
        if totals is None:
            totals = minutes[key] = Totals()
        totals.add(reading)
    return minutes


def _coarsen(rollups: Mapping[BucketKey, Totals], start_of: Callable[[int], int]) -> Rollups:
    coarse: Rollups = {}
    for (appliance_id, start_ms), totals in rollups.items():
        key = (appliance_id, start_of(start_ms))
        into = coarse.get(key)
        if into is None:
            into = coarse[key] = Totals()
        into.merge(totals)
    return coarse


def tier_rollups(readings: Iterable[Reading], zone: ZoneInfo) -> dict[Tier, Rollups]:
    """Minute, hour and local-day rollups of `readings`.

    Hours and days are built from the minutes, which every zone of today's tz database fits
    whole (offsets are whole minutes), so each reading lands where its own instant says.
    """
    minutes = _minute_rollups(readings)
    days = LocalDays(zone)
    return {
        Tier.MINUTE: minutes,
        Tier.HOUR: _coarsen(minutes, lambda ts_ms: ts_ms - ts_ms % HOUR_MS),
        Tier.DAY: _coarsen(minutes, days.start_of),
    }


def rollup(readings: Iterable[Reading], tier: Tier, zone: ZoneInfo) -> Rollups:
    """The `tier` rollups of `readings` (the same buckets and sums as `tier_rollups`)."""
    if tier is Tier.RAW:
        raise ValueError("raw readings are not rolled up")
    return tier_rollups(readings, zone)[tier]


def combine(*parts: Mapping[BucketKey, Totals]) -> Rollups:
    """New rollups holding the sum of `parts` (the inputs are left as they are)."""
    combined: Rollups = {}
    for part in parts:
        for key, totals in part.items():
            into = combined.get(key)
            if into is None:
                into = combined[key] = Totals()
            into.merge(totals)
    return combined


def pool(per_appliance: Iterable[Totals]) -> Totals:
    """Several appliances' totals of one bucket, pooled as the seed's daily stats pool them.

    Counts, sums, energy, min and max pool directly. `covered_seconds` is the mean over the
    appliances with readings: summing would exceed the day's length with two appliances, and the
    mean still reads as "how much of the day was measured".
    """
    pooled = Totals()
    with_data = 0
    for totals in per_appliance:
        if totals.count:
            pooled.merge(totals)
            with_data += 1
    if with_data:
        pooled.covered_seconds /= with_data
    return pooled


def daily_stats(
    days: Mapping[BucketKey, Totals], zone: ZoneInfo, appliance_id: int | None
) -> list[DailyStats]:
    """DailyStats per local day with readings, oldest first, from day rollups.

    With `appliance_id` None all appliances are pooled (see `pool`).
    """
    by_day: dict[int, list[Totals]] = {}
    for (owner, day_start_ms), totals in days.items():
        if totals.count and (appliance_id is None or owner == appliance_id):
            by_day.setdefault(day_start_ms, []).append(totals)
    stats = []
    for day_start_ms in sorted(by_day):
        pooled = pool(by_day[day_start_ms])
        stats.append(
            DailyStats(
                date=local_date(day_start_ms, zone),
                avg_watts=pooled.avg_watts,
                max_watts=pooled.max_watts,
                min_watts=pooled.min_watts,
                total_readings=pooled.count,
                energy_wh=pooled.energy_wh,
                covered_seconds=pooled.covered_seconds,
            )
        )
    return stats


def lifetime_energy_wh(readings: Iterable[Reading]) -> dict[int, float]:
    """What `readings` add to each appliance's lifetime counter.

    Only positive energy counts, so the counter never goes backwards (a Prometheus counter must
    not): noise around zero or reverse current subtracts nothing.
    """
    added: dict[int, float] = {}
    for reading in readings:
        if reading.energy_wh > 0:
            added[reading.appliance_id] = added.get(reading.appliance_id, 0.0) + reading.energy_wh
    return added
