"""The bus sampler: cadence, calibration factor, offline sensors and their recovery."""

from __future__ import annotations

import math

from energymon.domain.energy import WindowAccumulator
from energymon.domain.model import ApplianceStatus, Gap, Reading
from energymon.service.clock import ManualClock
from energymon.service.sampler import BusSampler, Channel
from tests.support.fakes import ScriptedSensor

PERIOD = 0.0625  # 16 Hz: exact in binary, so window edges are exact


def _sampler(
    clock: ManualClock, sensors: dict[int, ScriptedSensor], factor: float = 1.0
) -> tuple[BusSampler, list[Reading], list[Gap]]:
    channels = [
        Channel(i, f"appliance {i}", sensor, WindowAccumulator(i, 1.0, 5.0), factor)
        for i, sensor in sensors.items()
    ]
    readings: list[Reading] = []
    gaps: list[Gap] = []
    sampler = BusSampler(
        "test",
        channels,
        period_seconds=PERIOD,
        clock=clock,
        on_reading=readings.append,
        on_gap=gaps.append,
    )
    return sampler, readings, gaps


def _run_for(sampler: BusSampler, clock: ManualClock, seconds: float) -> None:
    """Tick like the thread would, for `seconds` of fake time."""
    end = clock.time() + seconds
    while clock.time() < end:
        sampler.sample_once()
        clock.advance(PERIOD)


def test_stores_one_mean_reading_per_interval_with_factor_applied() -> None:
    """Sixteen 100 W samples a second become one 110 W reading with a 1.1 factor."""
    clock = ManualClock()
    sampler, readings, _ = _sampler(clock, {1: ScriptedSensor(clock)}, factor=1.1)
    _run_for(sampler, clock, 3.0)
    assert len(readings) >= 2
    first = readings[0]
    assert math.isclose(first.watts, 110.0)
    assert first.samples == 16
    assert math.isclose(first.energy_wh, 110.0 * (15 * PERIOD) / 3600, rel_tol=1e-6)


def test_failing_sensor_goes_offline_alone_and_recovers_with_a_gap() -> None:
    """One failing sensor is offline, the other keeps reading; recovery records a gap."""
    clock = ManualClock()
    bad, good = ScriptedSensor(clock), ScriptedSensor(clock)
    sampler, readings, gaps = _sampler(clock, {1: bad, 2: good})
    _run_for(sampler, clock, 1.0)
    bad.failing = True
    _run_for(sampler, clock, 10.0)
    bad_state, good_state = (c.state for c in sampler.channels)
    assert bad_state.status is ApplianceStatus.OFFLINE
    assert "0x40" in (bad_state.last_error or "")
    assert good_state.status is ApplianceStatus.OK
    reads_while_failing = bad_state.error_count
    # Backoff: far fewer attempts than the 160 periods that passed.
    assert 3 <= reads_while_failing <= 12
    good_readings = [r for r in readings if r.appliance_id == 2]
    assert len(good_readings) >= 10
    bad.failing = False
    _run_for(sampler, clock, 40.0)
    assert bad_state.status is ApplianceStatus.OK
    assert [g.appliance_id for g in gaps] == [1]
    assert gaps[0].end_ms - gaps[0].start_ms >= 10_000
    assert bad.configured >= 2  # configured again after the outage


def test_overrun_counts_missed_periods_instead_of_catching_up() -> None:
    """A read that stalls 2.5 periods costs one missed period and one late tick, no replay."""
    clock = ManualClock()
    sensor = ScriptedSensor(clock)
    sampler, _, _ = _sampler(clock, {1: sensor})
    stalls = iter([False, False, True] + [False] * 7)

    def watts(t: float) -> float:
        if next(stalls, False):
            clock.advance(2.5 * PERIOD)
        if sensor.reads >= 9:
            sampler._stop.set()
        return 100.0

    sensor.watts = watts
    sampler.run()
    assert sampler.stats.missed_periods == 1
    assert sampler.stats.ticks == sensor.reads
    assert math.isclose(sampler.stats.max_lag_seconds, 0.5 * PERIOD, rel_tol=1e-6)
