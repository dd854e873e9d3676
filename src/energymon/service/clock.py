"""The clock the service reads: wall time for timestamps, monotonic time for deadlines."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Clock", "SystemClock", "steady_time"]


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


def steady_time(clock: Clock) -> Callable[[], float]:
    """Epoch seconds from now on that advance with the monotonic clock and never step.

    The time of the physical world, for simulated chips and loads: a real chip converts on its
    own oscillator and a load runs on regardless when NTP steps the Pi's wall clock.
    """
    wall_at_start, mono_at_start = clock.time(), clock.monotonic()
    return lambda: wall_at_start + (clock.monotonic() - mono_at_start)
