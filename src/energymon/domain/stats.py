"""Aggregation: readings into bucket totals, totals into minute, hour and day rollups.

Daily statistics are made of the day rollups in energymon.domain.daily.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from energymon.domain.buckets import HOUR_MS, MINUTE_MS, LocalDays, Tier
from energymon.domain.model import Flow, Reading

__all__ = [
    "BucketKey",
    "Rollups",
    "Totals",
    "aggregate",
    "bucket_readings",
    "combine",
    "flows_of",
    "imported_totals",
    "rollup",
    "tier_rollups",
    "tiers_from_minutes",
    "time_order",
    "totals_of",
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
    energy_in_wh: float = 0.0  # what flowed in (Reading.in_wh): what lifetime counters count
    measured_count: int = 0  # readings with volts and amps (imported history has neither)
    energy_out_wh: float = 0.0  # what flowed out (Reading.out_wh); energy_wh = in - out

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
        self.measured_count += other.measured_count
        self.energy_out_wh += other.energy_out_wh

    @property
    def avg_watts(self) -> float:
        """Mean watts of the readings counted (0 when empty)."""
        return self.sum_watts / self.count if self.count else 0.0

    def to_reading(self, appliance_id: int, timestamp_ms: int) -> Reading:
        """One Reading standing for the bucket: means of watts, volts, amps; sums of energy.

        Volts and amps are the means of the readings that measured them, None if none did.
        """
        count = self.count or 1
        measured = self.measured_count
        return Reading(
            appliance_id=appliance_id,
            timestamp_ms=timestamp_ms,
            watts=self.sum_watts / count,
            volts=self.sum_volts / measured if measured else None,
            amps=self.sum_amps / measured if measured else None,
            energy_wh=self.energy_wh,
            covered_seconds=self.covered_seconds,
            samples=self.count,
            energy_out_wh=self.energy_out_wh,
        )


BucketKey = tuple[int, int]
"""(appliance_id, bucket_start_ms)"""
Rollups = dict[BucketKey, Totals]


def aggregate(readings: Iterable[Reading]) -> Totals:
    """The totals of `readings`, whatever appliance or time they belong to."""
    return totals_of(list(readings))


def totals_of(readings: Sequence[Reading]) -> Totals:
    """The totals of `readings` in one pass per field (the builtins run in C, for flushes)."""
    watts = [r.watts for r in readings]
    energy = [r.energy_wh for r in readings]
    volts = [r.volts for r in readings if r.volts is not None and r.amps is not None]
    amps = [r.amps for r in readings if r.volts is not None and r.amps is not None]
    return Totals(
        count=len(readings),
        sum_watts=sum(watts, 0.0),
        min_watts=min(watts, default=math.inf),
        max_watts=max(watts, default=-math.inf),
        energy_wh=sum(energy, 0.0),
        covered_seconds=sum([r.covered_seconds for r in readings], 0.0),
        sum_volts=sum(volts, 0.0),
        sum_amps=sum(amps, 0.0),
        energy_in_wh=sum([r.in_wh for r in readings], 0.0),
        measured_count=len(volts),
        energy_out_wh=sum([r.out_wh for r in readings], 0.0),
    )


def imported_totals(
    watts: Sequence[float], energy_wh: Sequence[float], covered_seconds: Sequence[float]
) -> Totals:
    """`totals_of` for readings of history given as columns: watts only, no volts or amps."""
    return Totals(
        count=len(watts),
        sum_watts=sum(watts, 0.0),
        min_watts=min(watts, default=math.inf),
        max_watts=max(watts, default=-math.inf),
        energy_wh=sum(energy_wh, 0.0),
        covered_seconds=sum(covered_seconds, 0.0),
        energy_in_wh=sum(filter(_POSITIVE, energy_wh), 0.0),
        energy_out_wh=-sum(filter(_NEGATIVE, energy_wh), 0.0),
    )


# History has each reading's net energy only: its sign tells which way it flowed (Reading.out_wh).
_POSITIVE = (0.0).__lt__
_NEGATIVE = (0.0).__gt__


def _minute_rollups(readings: Iterable[Reading]) -> Rollups:
    by_minute: dict[BucketKey, list[Reading]] = {}
    for reading in readings:
        ts_ms = reading.timestamp_ms
        key = (reading.appliance_id, ts_ms - ts_ms % MINUTE_MS)
        bucket = by_minute.get(key)
        if bucket is None:
            by_minute[key] = [reading]
        else:
            bucket.append(reading)
    return {key: totals_of(bucket) for key, bucket in by_minute.items()}


def _summed(buckets: Iterable[tuple[BucketKey, Totals]]) -> Rollups:
    """New totals per key, each the sum of the key's buckets (the inputs are left as they are)."""
    summed: Rollups = {}
    for key, totals in buckets:
        into = summed.get(key)
        if into is None:
            into = summed[key] = Totals()
        into.merge(totals)
    return summed


def _coarsen(rollups: Mapping[BucketKey, Totals], start_of: Callable[[int], int]) -> Rollups:
    return _summed(((owner, start_of(start_ms)), t) for (owner, start_ms), t in rollups.items())


def _hour_start(ts_ms: int) -> int:
    return ts_ms - ts_ms % HOUR_MS


def tier_rollups(readings: Iterable[Reading], zone: ZoneInfo) -> dict[Tier, Rollups]:
    """Minute, hour and local-day rollups of `readings`.

    Hours and days are built from the minutes, which every zone of today's tz database fits
    whole (offsets are whole minutes), so each reading lands where its own instant says.
    """
    return tiers_from_minutes(_minute_rollups(readings), zone)


def tiers_from_minutes(minutes: Rollups, zone: ZoneInfo) -> dict[Tier, Rollups]:
    """Minute rollups with the hour and local-day rollups made from them."""
    return {
        Tier.MINUTE: minutes,
        Tier.HOUR: _coarsen(minutes, _hour_start),
        Tier.DAY: _coarsen(minutes, LocalDays(zone).start_of),
    }


def rollup(readings: Iterable[Reading], tier: Tier, zone: ZoneInfo) -> Rollups:
    """The `tier` rollups of `readings` (the same buckets and sums as `tier_rollups`)."""
    if tier is Tier.RAW:
        raise ValueError("raw readings are not rolled up")
    minutes = _minute_rollups(readings)
    if tier is Tier.MINUTE:
        return minutes
    return _coarsen(minutes, _hour_start if tier is Tier.HOUR else LocalDays(zone).start_of)


def combine(*parts: Mapping[BucketKey, Totals]) -> Rollups:
    """New rollups holding the sum of `parts` (the inputs are left as they are)."""
    return _summed(bucket for part in parts for bucket in part.items())


def bucket_readings(buckets: Mapping[BucketKey, Totals]) -> list[Reading]:
    """One Reading per bucket with readings (see `Totals.to_reading`), in time order."""
    readings = [
        totals.to_reading(appliance_id, start_ms)
        for (appliance_id, start_ms), totals in buckets.items()
        if totals.count
    ]
    readings.sort(key=time_order)
    return readings


def time_order(reading: Reading) -> tuple[int, int]:
    """The order readings are answered in: by time, then by appliance."""
    return (reading.timestamp_ms, reading.appliance_id)


def flows_of(readings: Iterable[Reading]) -> dict[int, Flow]:
    """What `readings` add to each appliance's lifetime counters of energy in and out.

    Each direction counts on its own and never goes backwards (a Prometheus counter must not):
    reverse current adds to the energy out, never subtracts from the energy in.
    """
    added: dict[int, Flow] = {}
    for reading in readings:
        flow = added.get(reading.appliance_id)
        if flow is None:
            flow = added[reading.appliance_id] = Flow()
        flow.in_wh += reading.in_wh
        flow.out_wh += reading.out_wh
    return added
