"""ManualClock, the Clock fake that tests and benchmarks share."""

from __future__ import annotations

import threading
import time

from energymon.service.clock import ManualClock, steady_time


def test_a_stopped_clock_moves_only_when_told() -> None:
    """Both clocks stand still; advance moves them together; step_wall moves the wall alone."""
    clock = ManualClock(1_700_000_000.0, monotonic_start=10.0)
    assert (clock.time(), clock.monotonic()) == (1_700_000_000.0, 10.0)
    clock.advance(2.5)
    assert (clock.time(), clock.monotonic()) == (1_700_000_002.5, 12.5)
    clock.step_wall(-3600.0)
    assert (clock.time(), clock.monotonic()) == (1_699_996_402.5, 12.5)


def test_waiting_on_a_stopped_clock_advances_it_unless_stopped() -> None:
    """wait jumps by the time asked for at once; a set event stops it without moving time."""
    clock, stop = ManualClock(), threading.Event()
    assert clock.wait(stop, 5.0) is False
    assert clock.monotonic() == 1005.0
    stop.set()
    assert clock.wait(stop, 5.0) is True
    assert clock.monotonic() == 1005.0


def test_a_running_clock_follows_real_time_and_can_still_jump() -> None:
    """running() starts at the system's time, runs with it, and jumps when advanced."""
    clock = ManualClock.running()
    assert abs(clock.time() - time.time()) < 1.0
    before = clock.monotonic()
    assert clock.wait(threading.Event(), 0.01) is False
    assert clock.monotonic() - before >= 0.01
    clock.advance(60.0)
    assert clock.monotonic() - before >= 60.01


def test_steady_time_ignores_wall_steps() -> None:
    """The simulated world's time follows the monotonic clock, not a stepped wall clock."""
    clock = ManualClock()
    world = steady_time(clock)
    clock.advance(1.0)
    clock.step_wall(7200.0)
    assert world() == 1_700_000_001.0
