"""Wall time for labels, checked against the monotonic clock: a wall-clock step is found once.

A Raspberry Pi has no real-time clock. It boots with a stale time (fake-hwclock's last save, or
1970) and NTP later steps it, by hours or days, sometimes back. Cadence and energy run on the
monotonic clock, which never jumps; the wall clock only labels readings. Every sampler reads
the time through one Timeline, so a step is noticed, logged and counted once for the process.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import structlog

from energymon.service.clock import Clock

__all__ = ["STEP_THRESHOLD_SECONDS", "ClockStep", "Instant", "Timeline"]

log = structlog.get_logger("energymon.clock")

# NTP slews small errors at ≤ 500 ppm and steps larger ones (ntpd: 128 ms, chrony: makestep).
# Between two reads a few milliseconds apart, a difference over 2 s is a step, never a slew.
STEP_THRESHOLD_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Instant:
    """One reading of both clocks: `wall` labels, `mono` measures."""

    wall: float
    mono: float


@dataclass(frozen=True, slots=True)
class ClockStep:
    """A jump of the wall clock against the monotonic one (`seconds` > 0: forward)."""

    seconds: float
    wall_after: float
    mono_at: float


class Timeline:
    """The process's clock for samplers: both times at once, and the wall clock's steps."""

    def __init__(self, clock: Clock, *, threshold_seconds: float = STEP_THRESHOLD_SECONDS) -> None:
        self.clock = clock
        self.threshold_seconds = threshold_seconds
        self.step_count = 0
        self.last_step: ClockStep | None = None
        self._previous: Instant | None = None
        self._lock = threading.Lock()  # samplers of several buses read it

    def now(self) -> Instant:
        """Both clocks now; a step since the previous call is recorded and logged once."""
        with self._lock:
            instant = Instant(self.clock.time(), self.clock.monotonic())
            previous, self._previous = self._previous, instant
            if previous is None:
                return instant
            seconds = (instant.wall - previous.wall) - (instant.mono - previous.mono)
            if abs(seconds) <= self.threshold_seconds:
                return instant
            step = ClockStep(seconds=seconds, wall_after=instant.wall, mono_at=instant.mono)
            self.step_count += 1
            self.last_step = step
        log.warning(
            "wall clock stepped; recording goes on, no energy booked for the step",
            step_seconds=round(seconds, 3),
            before=_iso(previous.wall + (instant.mono - previous.mono)),
            after=_iso(instant.wall),
        )
        return instant


def _iso(wall_seconds: float) -> str:
    return dt.datetime.fromtimestamp(wall_seconds, dt.UTC).isoformat(timespec="seconds")
