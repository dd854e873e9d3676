"""Time buckets, rollups, daily statistics and resampling against brute-force oracles."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energymon.domain.buckets import (
    HOUR_MS,
    MINUTE_MS,
    Tier,
    bucket_start,
    local_date,
    local_day_bounds,
    local_day_start,
)
from energymon.domain.model import Reading
from energymon.domain.resample import choose_tier, resample, resample_readings
from energymon.domain.stats import (
    Totals,
    aggregate,
    combine,
    daily_stats,
    pool,
    rollup,
    tier_rollups,
)

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
SANTIAGO = ZoneInfo("America/Santiago")
UTC = dt.UTC

# The days the properties are checked around: spring forward and fall back in Berlin, and a day
# whose midnight is at 18:30 UTC in Kolkata.
HARD_DAYS = [
    (BERLIN, dt.date(2024, 3, 31)),
    (BERLIN, dt.date(2024, 10, 27)),
    (KOLKATA, dt.date(2024, 6, 15)),
]


def oracle_date(ts_ms: int, zone: ZoneInfo) -> dt.date:
    """The local date of an instant, by another road than the code under test takes."""
    return (
        (dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=ts_ms))
        .astimezone(zone)
        .date()
    )


@st.composite
def readings_around(draw: st.DrawFn) -> tuple[ZoneInfo, dt.date, list[Reading]]:
    """Readings of up to three appliances from six hours before a hard day to six after."""
    zone, day = draw(st.sampled_from(HARD_DAYS))
    start_ms, end_ms = local_day_bounds(day, zone)
    keys = draw(
        st.sets(
            st.tuples(
                st.integers(1, 3),
                st.integers(start_ms - 6 * HOUR_MS, end_ms + 6 * HOUR_MS - 1),
            ),
            max_size=60,
        )
    )
    readings = [
        Reading(
            appliance_id=appliance_id,
            timestamp_ms=ts_ms,
            watts=draw(st.floats(-20, 3000)),
            # Imported history has no volts or amps: None, never 0.
            volts=None if (imported := draw(st.booleans())) else draw(st.floats(0, 250)),
            amps=None if imported else draw(st.floats(-1, 15)),
            energy_wh=draw(st.floats(-0.01, 1.0)),
            covered_seconds=draw(st.floats(0, 1)),
        )
        for appliance_id, ts_ms in sorted(keys)
    ]
    return zone, day, readings


def test_spring_forward_day_in_berlin_is_23_hours() -> None:
    """2024-03-31 in Berlin starts at 23:00 UTC the day before and lasts 23 hours."""
    start_ms, end_ms = local_day_bounds(dt.date(2024, 3, 31), BERLIN)
    assert start_ms == int(dt.datetime(2024, 3, 30, 23, tzinfo=UTC).timestamp() * 1000)
    assert end_ms - start_ms == 23 * HOUR_MS


def test_fall_back_day_in_berlin_is_25_hours() -> None:
    """2024-10-27 in Berlin lasts 25 hours."""
    start_ms, end_ms = local_day_bounds(dt.date(2024, 10, 27), BERLIN)
    assert end_ms - start_ms == 25 * HOUR_MS


def test_kolkata_day_starts_at_half_past_six_utc() -> None:
    """A day in Asia/Kolkata (+05:30) starts at 18:30 UTC the day before."""
    start_ms, end_ms = local_day_bounds(dt.date(2024, 6, 15), KOLKATA)
    assert start_ms == int(dt.datetime(2024, 6, 14, 18, 30, tzinfo=UTC).timestamp() * 1000)
    assert end_ms - start_ms == 24 * HOUR_MS


def test_day_without_midnight_starts_when_the_clocks_jump() -> None:
    """In Santiago clocks jump from 00:00 to 01:00 on 2024-09-08; the day starts at the jump."""
    start_ms, end_ms = local_day_bounds(dt.date(2024, 9, 8), SANTIAGO)
    assert start_ms == int(dt.datetime(2024, 9, 8, 4, tzinfo=UTC).timestamp() * 1000)
    assert end_ms - start_ms == 23 * HOUR_MS


@given(
    st.integers(946_684_800_000, 2_208_988_800_000),  # 2000..2040
    st.sampled_from([BERLIN, KOLKATA, SANTIAGO, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")]),
)
def test_local_day_start_holds_the_instant_and_its_date(ts_ms: int, zone: ZoneInfo) -> None:
    """The day bucket of an instant contains it and has the instant's local date."""
    start_ms = local_day_start(ts_ms, zone)
    bounds = local_day_bounds(local_date(ts_ms, zone), zone)
    assert bounds[0] == start_ms <= ts_ms < bounds[1]
    assert oracle_date(start_ms, zone) == oracle_date(ts_ms, zone)


def assert_totals_match(readings: list[Reading], totals: Totals) -> None:
    """`totals` holds exactly what aggregating `readings` by hand gives."""
    assert totals.count == len(readings)
    assert totals.sum_watts == pytest.approx(sum(r.watts for r in readings))
    assert totals.min_watts == min(r.watts for r in readings)
    assert totals.max_watts == max(r.watts for r in readings)
    assert totals.energy_wh == pytest.approx(sum(r.energy_wh for r in readings), abs=1e-12)
    assert totals.covered_seconds == pytest.approx(sum(r.covered_seconds for r in readings))
    measured = [r for r in readings if r.volts is not None and r.amps is not None]
    assert totals.measured_count == len(measured)
    assert totals.sum_volts == pytest.approx(sum(r.volts or 0.0 for r in measured))
    assert totals.sum_amps == pytest.approx(sum(r.amps or 0.0 for r in measured))


@settings(max_examples=60)
@given(readings_around())
def test_rollups_equal_raw_aggregation(case: tuple[ZoneInfo, dt.date, list[Reading]]) -> None:
    """Every minute, hour and day bucket holds exactly its readings' aggregate."""
    zone, _, readings = case
    oracle_keys: dict[Tier, Callable[[int], object]] = {
        Tier.MINUTE: lambda ts: ts // MINUTE_MS,
        Tier.HOUR: lambda ts: ts // HOUR_MS,
        Tier.DAY: lambda ts: oracle_date(ts, zone),
    }
    for tier, rollups in tier_rollups(readings, zone).items():
        expected: dict[tuple[int, object], list[Reading]] = defaultdict(list)
        for r in readings:
            expected[(r.appliance_id, oracle_keys[tier](r.timestamp_ms))].append(r)
        assert len(rollups) == len(expected)
        for (appliance_id, start_ms), totals in rollups.items():
            assert_totals_match(expected[(appliance_id, oracle_keys[tier](start_ms))], totals)


@settings(max_examples=60)
@given(readings_around(), st.data())
def test_merged_rollups_of_parts_equal_rollups_of_the_whole(
    case: tuple[ZoneInfo, dt.date, list[Reading]], data: st.DataObject
) -> None:
    """Rolling up two parts and merging gives the rollups of all readings (flushes add up)."""
    zone, _, readings = case
    cut = data.draw(st.integers(0, len(readings)))
    for tier in (Tier.MINUTE, Tier.HOUR, Tier.DAY):
        merged = combine(rollup(readings[:cut], tier, zone), rollup(readings[cut:], tier, zone))
        whole = rollup(readings, tier, zone)
        assert merged.keys() == whole.keys()
        for key, totals in whole.items():
            assert merged[key].count == totals.count
            assert merged[key].min_watts == totals.min_watts
            assert merged[key].sum_watts == pytest.approx(totals.sum_watts)


@settings(max_examples=80)
@given(readings_around())
def test_daily_stats_match_a_brute_force_oracle(
    case: tuple[ZoneInfo, dt.date, list[Reading]],
) -> None:
    """Pooled and per-appliance daily stats equal a day-by-day recount of the readings."""
    zone, _, readings = case
    days = rollup(readings, Tier.DAY, zone)
    for appliance_id in (None, 1, 2, 3):
        chosen = [r for r in readings if appliance_id in (None, r.appliance_id)]
        by_date: dict[dt.date, list[Reading]] = defaultdict(list)
        for r in chosen:
            by_date[oracle_date(r.timestamp_ms, zone)].append(r)
        stats = daily_stats(days, zone, appliance_id)
        assert [s.date for s in stats] == sorted(by_date)
        for day_stats in stats:
            rows = by_date[day_stats.date]
            assert day_stats.total_readings == len(rows)
            assert day_stats.avg_watts == pytest.approx(sum(r.watts for r in rows) / len(rows))
            assert day_stats.min_watts == min(r.watts for r in rows)
            assert day_stats.max_watts == max(r.watts for r in rows)
            assert day_stats.energy_wh == pytest.approx(sum(r.energy_wh for r in rows), abs=1e-9)
            covered: dict[int, float] = defaultdict(float)
            for r in rows:
                covered[r.appliance_id] += r.covered_seconds
            mean_covered = sum(covered.values()) / len(covered)
            assert day_stats.covered_seconds == pytest.approx(mean_covered)


def test_pooled_coverage_is_the_mean_over_appliances_with_readings() -> None:
    """Two appliances measured 10 h and 20 h of a day pool to 15 h, not 30 h."""
    ten = aggregate([Reading(1, 0, 5.0, 0, 0, 0.0, 36_000.0)])
    twenty = aggregate([Reading(2, 0, 7.0, 0, 0, 0.0, 72_000.0)])
    pooled = pool([ten, twenty, aggregate([])])
    assert pooled.covered_seconds == 54_000.0
    assert (pooled.count, pooled.min_watts, pooled.max_watts) == (2, 5.0, 7.0)


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


def test_bucket_means_of_volts_and_amps_skip_readings_without_them() -> None:
    """Imported readings (watts only) count in the watts mean, not in volts or amps."""
    history = Reading(1, 0, 10.0, None, None, 0.1, 60.0)
    measured = Reading(1, 1000, 30.0, 12.0, 2.5, 0.1, 1.0)
    mixed = aggregate([history, measured]).to_reading(1, 0)
    assert (mixed.watts, mixed.volts, mixed.amps, mixed.samples) == (20.0, 12.0, 2.5, 2)
    alone = aggregate([history]).to_reading(1, 0)
    assert (alone.watts, alone.volts, alone.amps) == (10.0, None, None)
