"""Fitting a time range into at most `max_points` readings per appliance.

A range is answered from the coarsest retained tier whose buckets are no wider than
range / max_points, then consecutive buckets are merged k at a time so each appliance gets at
most max_points of them. Merged buckets keep their sums (energy, covered seconds, readings), so
the energy of a chart is the energy of the range, whatever its resolution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from energymon.domain.buckets import Tier, bucket_index, index_start
from energymon.domain.model import Reading
from energymon.domain.stats import BucketKey, Rollups, Totals, time_order, totals_of

__all__ = ["Grouping", "choose_tier", "merge_unique", "resample", "resample_readings"]

_SECOND_MS = 1000
COARSER_FRACTION = 8


def choose_tier(
    start_ms: int, end_ms: int, max_points: int, *, raw_from_ms: int, minute_from_ms: int
) -> Tier:
    """The tier to answer [start_ms, end_ms) from.

    That is the coarsest tier kept for the whole range (raw from `raw_from_ms`, minutes from
    `minute_from_ms`, hours and days always) whose buckets are no wider than the range divided by
    `max_points`; if none is that fine, the finest kept.
    """
    target_ms = -(-(end_ms - start_ms) // max_points)
    kept = [
        tier
        for tier, kept_from_ms in (
            (Tier.RAW, raw_from_ms),
            (Tier.MINUTE, minute_from_ms),
            (Tier.HOUR, start_ms),
            (Tier.DAY, start_ms),
        )
        if start_ms >= kept_from_ms
    ]
    fine_enough = [tier for tier in kept if tier.nominal_ms <= target_ms]
    coarser = [tier for tier in kept if tier.nominal_ms > target_ms]
    # A coarser tier that still gives an eighth of the points asked for is as good a chart
    # (of 2,000 asked, at least 250: a phone screen is about 400 px wide) and far fewer rows to
    # read and send than merging the finer one: a year at 2,000 points is 365 days, not 8,760
    # hours merged by four; 30 days at 1,000 points is 720 hours.
    if coarser and (end_ms - start_ms) * COARSER_FRACTION >= max_points * coarser[0].nominal_ms:
        return coarser[0]
    return fine_enough[-1] if fine_enough else kept[0]


@dataclass(frozen=True, slots=True)
class Grouping:
    """Groups of `per_group` consecutive `tier` buckets of [start_ms, end_ms), from its start."""

    tier: Tier
    zone: ZoneInfo
    start_ms: int
    end_ms: int
    first_index: int
    per_group: int

    @classmethod
    def fit(
        cls, tier: Tier, start_ms: int, end_ms: int, max_points: int, zone: ZoneInfo
    ) -> Grouping:
        """The smallest grouping that leaves at most `max_points` groups in the range."""
        first = bucket_index(tier, start_ms, zone)
        buckets = bucket_index(tier, end_ms - 1, zone) - first + 1
        per_group = max(1, -(-buckets // max_points))
        if tier is Tier.RAW and per_group > _SECOND_MS:
            # Whole seconds, so readings taken every second fall evenly into groups.
            per_group = -(-per_group // _SECOND_MS) * _SECOND_MS
        return cls(tier, zone, start_ms, end_ms, first, per_group)

    @property
    def one_per_group(self) -> bool:
        """Each bucket is a group of its own: a point per stored bucket, nothing to merge."""
        return self.per_group == 1

    def group_of(self, bucket_start_ms: int) -> int:
        """The number of the group holding the bucket that starts at `bucket_start_ms`."""
        index = bucket_index(self.tier, bucket_start_ms, self.zone)
        return (index - self.first_index) // self.per_group

    def group_start(self, group: int) -> int:
        """When the group starts (never before the range)."""
        index = self.first_index + group * self.per_group
        if self.tier is Tier.RAW:
            return index
        return max(self.start_ms, index_start(self.tier, index, self.zone))

    def group(self, buckets: Mapping[BucketKey, Totals]) -> Rollups:
        """The buckets starting in the range, merged into (appliance_id, group number) totals."""
        groups: Rollups = {}
        for (appliance_id, bucket_start_ms), totals in buckets.items():
            if self.start_ms <= bucket_start_ms < self.end_ms and totals.count:
                key = (appliance_id, self.group_of(bucket_start_ms))
                into = groups.get(key)
                if into is None:
                    into = groups[key] = Totals()
                into.merge(totals)
        return groups

    def readings(self, groups: Mapping[BucketKey, Totals]) -> list[Reading]:
        """One Reading per group (see `resample`), in time order."""
        readings = [
            totals.to_reading(appliance_id, self.group_start(group))
            for (appliance_id, group), totals in groups.items()
        ]
        readings.sort(key=time_order)
        return readings


def resample(
    buckets: Mapping[BucketKey, Totals],
    tier: Tier,
    *,
    start_ms: int,
    end_ms: int,
    max_points: int,
    zone: ZoneInfo,
) -> list[Reading]:
    """Readings standing for `tier` buckets starting in [start_ms, end_ms), merged to fit.

    Each has timestamp = its group's start, watts/volts/amps = means over the readings,
    energy_wh and covered_seconds = sums, samples = number of readings.
    """
    grouping = Grouping.fit(tier, start_ms, end_ms, max_points, zone)
    return grouping.readings(grouping.group(buckets))


def resample_readings(
    readings: Iterable[Reading], start_ms: int, end_ms: int, max_points: int, zone: ZoneInfo
) -> list[Reading]:
    """Raw readings in [start_ms, end_ms) merged into at most `max_points` per appliance."""
    grouping = Grouping.fit(Tier.RAW, start_ms, end_ms, max_points, zone)
    groups: dict[BucketKey, list[Reading]] = {}
    for reading in readings:
        if start_ms <= reading.timestamp_ms < end_ms:
            key = (reading.appliance_id, (reading.timestamp_ms - start_ms) // grouping.per_group)
            groups.setdefault(key, []).append(reading)
    return grouping.readings({key: totals_of(group) for key, group in groups.items()})


def merge_unique(stored: Iterable[Reading], buffered: Iterable[Reading]) -> list[Reading]:
    """Stored and buffered readings in time order, each key once: the first seen wins.

    A stored reading hides a buffered one with its key, as the flush will skip that one.
    """
    by_key: dict[BucketKey, Reading] = {}
    for reading in (*stored, *buffered):
        by_key.setdefault((reading.appliance_id, reading.timestamp_ms), reading)
    return sorted(by_key.values(), key=time_order)
