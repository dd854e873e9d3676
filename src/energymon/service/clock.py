"""The clock the service reads: wall time for timestamps, monotonic time for deadlines."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock", "steady_time"]


class Clock(Protocol):
    """Time as the sampler sees it; tests and benchmarks pass their own."""

    def time(self) -> float:
        """Wall-clock seconds since the epoch (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps, for deadlines."""
        ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait up to `seconds` or until `stop` is set; True when stopped."""
        ...


class SystemClock:
    """The real clocks."""

    def time(self) -> float:
        """Wall-clock seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """Monotonic seconds."""
        return time.monotonic()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Sleep on the stop event so shutdown never waits out a period."""
        return stop.wait(max(seconds, 0.0))


class ManualClock:
    """The Clock fake, shipped beside the seam it fakes: time that moves when it is told to.

    Stopped (the default), both clocks stand still: `advance` moves them together, `step_wall`
    moves the wall clock alone as NTP steps it, and `wait` advances by the time asked for
    instead of sleeping, so a sampler's deadline loop runs as fast as the CPU allows.
    `ManualClock.running()` starts at the system's time and runs on with the system's monotonic
    clock, and `wait` really waits; `advance` and `step_wall` still jump it, so a test can put a
    running app a minute on without waiting a minute. `time` is also what a simulated chip
    takes as its clock (`SimulatedINA219(profile, clock=clock.time)`).
    """

    def __init__(self, start: float = 1_700_000_000.0, *, monotonic_start: float = 1000.0) -> None:
        """Stopped at `start` epoch seconds, the monotonic clock at `monotonic_start`."""
        self._wall = start
        self._monotonic = monotonic_start
        self._running_since: float | None = None  # the system's monotonic time when started

    @classmethod
    def running(cls) -> ManualClock:
        """A clock at the system's time that runs with it, really waits, and can still jump."""
        clock = cls(time.time(), monotonic_start=time.monotonic())
        clock._running_since = time.monotonic()
        return clock

    def _run_seconds(self) -> float:
        if self._running_since is None:
            return 0.0
        return time.monotonic() - self._running_since

    def time(self) -> float:
        """Wall-clock seconds since the epoch."""
        if self._running_since is None:  # stopped: no call on the benchmarks' hot path
            return self._wall
        return self._wall + self._run_seconds()

    def monotonic(self) -> float:
        """Monotonic seconds: they move only forward."""
        if self._running_since is None:
            return self._monotonic
        return self._monotonic + self._run_seconds()

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass on both clocks at once."""
        self._wall += seconds
        self._monotonic += seconds

    def step_wall(self, seconds: float) -> None:
        """Step the wall clock alone, as NTP does (negative: back); monotonic time stays."""
        self._wall += seconds

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Stopped: advance instead of sleeping. Running: wait on the event. True when stopped."""
        if self._running_since is not None:
            return stop.wait(max(seconds, 0.0))
        if stop.is_set():
            return True
        self.advance(max(seconds, 0.0))
        return stop.is_set()


def steady_time(clock: Clock) -> Callable[[], float]:
    """Epoch seconds from now on that advance with the monotonic clock and never step.

    The time of the physical world, for simulated chips and loads: a real chip converts on its
    own oscillator and a load runs on regardless when NTP steps the Pi's wall clock.
    """
    wall_at_start, mono_at_start = clock.time(), clock.monotonic()
    return lambda: wall_at_start + (clock.monotonic() - mono_at_start)
