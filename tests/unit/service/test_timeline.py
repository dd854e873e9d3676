"""Steps of the wall clock (NTP on a Pi without an RTC): found once, never energy, never a gap."""

from __future__ import annotations

import math

import pytest
from structlog.testing import capture_logs

from energymon.domain.energy import WindowAccumulator
from energymon.domain.model import Gap, Reading
from energymon.service.clock import ManualClock
from energymon.service.sampler import BusSampler, Channel
from energymon.service.timeline import Timeline
from tests.support.fakes import ScriptedSensor

PERIOD = 0.0625  # 16 Hz, exact in binary
WATTS = 100.0


def test_timeline_reports_a_step_once_with_its_size() -> None:
    """A forward and a backward step are each counted once, with their signed sizes."""
    clock = ManualClock()
    timeline = Timeline(clock)
    with capture_logs() as logs:
        timeline.now()
        clock.advance(1.0)
        timeline.now()
        clock.step_wall(7200.0)
        clock.advance(0.1)
        timeline.now()
        clock.advance(0.1)
        timeline.now()
        clock.step_wall(-3600.0)
        timeline.now()
    assert timeline.step_count == 2
    assert timeline.last_step is not None
    assert timeline.last_step.seconds == pytest.approx(-3600.0)
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert [round(e["step_seconds"]) for e in warnings] == [7200, -3600]


def test_timeline_takes_slews_and_small_corrections_as_no_step() -> None:
    """NTP slewing and a correction under the threshold are not steps."""
    clock = ManualClock()
    timeline = Timeline(clock)
    timeline.now()
    for _ in range(100):
        clock.advance(1.0)
        clock.step_wall(0.0005)  # 500 ppm, ntpd's slew limit
        timeline.now()
    clock.step_wall(1.5)
    timeline.now()
    assert timeline.step_count == 0


def _record(
    steps: dict[int, float], seconds: float
) -> tuple[list[Reading], list[Gap], ManualClock]:
    """Sample a constant load for `seconds` of real time, stepping the wall clock at ticks."""
    clock = ManualClock()
    accumulator = WindowAccumulator(1, 1.0, 5 * PERIOD)
    channel = Channel(1, "battery", ScriptedSensor(clock, lambda t: WATTS), accumulator)
    readings: list[Reading] = []
    gaps: list[Gap] = []
    sampler = BusSampler(
        "test",
        [channel],
        period_seconds=PERIOD,
        clock=clock,
        on_reading=readings.append,
        on_gap=gaps.append,
    )
    for tick in range(round(seconds / PERIOD)):
        if tick in steps:
            clock.step_wall(steps[tick])
        sampler.sample_once()
        clock.advance(PERIOD)
    sampler.stop()
    return readings, gaps, clock


@pytest.mark.parametrize("step_seconds", [2 * 86400.0, -3600.0, -5.0, 30.0])
def test_a_step_books_the_real_energy_and_no_gap(step_seconds: float) -> None:
    """Energy across a step equals the load times real time; no gap, no window skipped."""
    seconds = 20.0
    readings, gaps, _ = _record({160: step_seconds}, seconds)
    energy_wh = sum(r.energy_wh for r in readings)
    # One segment per period after the first sample: real time is (ticks - 1) periods.
    expected_wh = WATTS * (seconds - PERIOD) / 3600
    assert math.isclose(energy_wh, expected_wh, rel_tol=1e-9)
    assert gaps == []
    assert sum(r.samples for r in readings) == round(seconds / PERIOD)
    assert sum(r.covered_seconds for r in readings) == pytest.approx(seconds - PERIOD)


def test_after_a_step_back_labels_repeat_and_every_window_is_emitted() -> None:
    """After stepping back 5 s, the next readings carry the same labels as earlier ones."""
    readings, _, _ = _record({160: -5.0}, 20.0)
    labels = [r.timestamp_ms for r in readings]
    assert len(labels) - len(set(labels)) == 5  # five one-second windows seen twice
    assert all(r.samples > 0 for r in readings)


def test_a_step_back_no_longer_drops_samples_until_the_clock_catches_up() -> None:
    """Every sample after a one-hour step back is accounted (the bug: all were dropped)."""
    readings, _, _ = _record({16: -3600.0}, 10.0)
    assert sum(r.samples for r in readings) == 160
    assert min(r.timestamp_ms for r in readings) < readings[0].timestamp_ms


def test_reading_age_survives_a_step() -> None:
    """The age of the last sample comes from the monotonic clock, not the stepped wall clock."""
    clock = ManualClock()
    channel = Channel(1, "a", ScriptedSensor(clock), WindowAccumulator(1, 1.0, 1.0))
    sampler = BusSampler("test", [channel], period_seconds=PERIOD, clock=clock)
    sampler.sample_once()
    clock.advance(0.5)
    clock.step_wall(-3600.0)
    assert channel.state.last_sample_at is not None
    assert clock.monotonic() - channel.state.last_sample_at == pytest.approx(0.5)
