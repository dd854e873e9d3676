"""Resampling: the tier a range is answered from, and buckets merged to fit max_points."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energymon.domain.buckets import HOUR_MS, MINUTE_MS, Tier, bucket_start, local_day_bounds
from energymon.domain.model import Reading
from energymon.domain.resample import choose_tier, resample, resample_readings
from energymon.domain.stats import rollup
from tests.support.days import HARD_DAYS, readings_around


@settings(max_examples=80)
@given(readings_around(), st.integers(1, 50), st.sampled_from(list(Tier)))
def test_resampling_keeps_sums_and_fits_max_points(
    case: tuple[ZoneInfo, dt.date, list[Reading]], max_points: int, tier: Tier
) -> None:
    """Resampled readings fit max_points per appliance, stay in range and keep every sum."""
    zone, day, readings = case
    start_ms, end_ms = local_day_bounds(day, zone)
    inside = [r for r in readings if start_ms <= r.timestamp_ms < end_ms]
    if tier is Tier.RAW:
        points = resample_readings(readings, start_ms, end_ms, max_points, zone)
        expected = inside
    else:
        buckets = rollup(readings, tier, zone)
        points = resample(
            buckets, tier, start_ms=start_ms, end_ms=end_ms, max_points=max_points, zone=zone
        )
        expected = [
            r for r in readings if start_ms <= bucket_start(tier, r.timestamp_ms, zone) < end_ms
        ]
    per_appliance: dict[int, int] = defaultdict(int)
    for p in points:
        per_appliance[p.appliance_id] += 1
        assert start_ms <= p.timestamp_ms < end_ms
    assert all(count <= max_points for count in per_appliance.values())
    assert sum(p.samples for p in points) == len(expected)
    assert math.fsum(p.energy_wh for p in points) == pytest.approx(
        math.fsum(r.energy_wh for r in expected), abs=1e-9
    )
    assert [p.timestamp_ms for p in points] == sorted(p.timestamp_ms for p in points)


def test_a_day_is_answered_in_minutes_merged_to_fit() -> None:
    """A 24 h range at 1000 points comes from minute rollups, not from 24 hourly buckets."""
    day_ms = 24 * HOUR_MS
    assert choose_tier(0, day_ms, 1000, raw_from_ms=0, minute_from_ms=0) is Tier.MINUTE
    assert choose_tier(0, 3 * 60_000, 1000, raw_from_ms=0, minute_from_ms=0) is Tier.RAW
    assert choose_tier(0, 400 * day_ms, 100, raw_from_ms=0, minute_from_ms=0) is Tier.DAY


def test_a_range_past_minute_retention_falls_back_to_hours() -> None:
    """Minutes pruned before the range's start leave hours as the finest tier."""
    tier = choose_tier(0, HOUR_MS, 1000, raw_from_ms=HOUR_MS, minute_from_ms=HOUR_MS)
    assert tier is Tier.HOUR


@settings(max_examples=40)
@given(
    st.sampled_from(HARD_DAYS),
    st.integers(1, 2000),
    st.sampled_from([Tier.MINUTE, Tier.HOUR]),
    st.integers(0, 59),
)
def test_dense_buckets_merge_into_at_most_max_points(
    zone_day: tuple[ZoneInfo, dt.date], max_points: int, tier: Tier, offset_minutes: int
) -> None:
    """A reading every minute of a day, merged to any max_points, never exceeds it."""
    zone, day = zone_day
    start_ms, end_ms = local_day_bounds(day, zone)
    start_ms += offset_minutes * MINUTE_MS
    every_minute = [
        Reading(1, ts_ms, 1.0, 0, 0, 1.0, 60.0) for ts_ms in range(start_ms, end_ms, MINUTE_MS)
    ]
    points = resample(
        rollup(every_minute, tier, zone),
        tier,
        start_ms=start_ms,
        end_ms=end_ms,
        max_points=max_points,
        zone=zone,
    )
    assert len(points) <= max_points
    assert len(points) >= min(max_points, len(every_minute) // (tier.nominal_ms // MINUTE_MS)) / 2
