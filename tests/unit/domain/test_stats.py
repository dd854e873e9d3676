"""Rollups and daily statistics against a brute-force recount of the readings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energymon.domain.buckets import HOUR_MS, MINUTE_MS, Tier
from energymon.domain.daily import daily_stats, pool
from energymon.domain.model import Reading
from energymon.domain.stats import (
    Totals,
    aggregate,
    combine,
    rollup,
    tier_rollups,
)
from tests.support.days import oracle_date, readings_around


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


def test_bucket_means_of_volts_and_amps_skip_readings_without_them() -> None:
    """Imported readings (watts only) count in the watts mean, not in volts or amps."""
    history = Reading(1, 0, 10.0, None, None, 0.1, 60.0)
    measured = Reading(1, 1000, 30.0, 12.0, 2.5, 0.1, 1.0)
    mixed = aggregate([history, measured]).to_reading(1, 0)
    assert (mixed.watts, mixed.volts, mixed.amps, mixed.samples) == (20.0, 12.0, 2.5, 2)
    alone = aggregate([history]).to_reading(1, 0)
    assert (alone.watts, alone.volts, alone.amps) == (10.0, None, None)
