"""Energy from samples: trapezoidal integration and the per-interval window of stored readings.

Pure: every time is passed in; nothing reads a clock. A sample carries two times: `t`, the wall
clock, which only labels (which window, which day), and `mono`, the monotonic clock, which
measures (how long a segment lasted, whether it was a gap). The wall clock can step by hours
(NTP on a Pi without a real-time clock); the monotonic one never does, so a step never turns
into energy, a gap or a lost sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from energymon.domain.model import Gap, Reading

__all__ = [
    "SECONDS_PER_HOUR",
    "Emitted",
    "Sample",
    "WindowAccumulator",
    "integrate",
    "segment_energy_wh",
    "segment_out_wh",
]

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One good measurement after calibration, labelled `t` and taken at monotonic `mono`.

    Args:
        t: wall-clock seconds since the epoch (labels only).
        mono: monotonic seconds (durations only); defaults to `t` where both agree.
        counter_wh: the chip's own running energy count (INA228 accumulator), when it keeps one:
            between two samples that both have it, the energy is its difference.
    """

    t: float
    watts: float
    volts: float
    amps: float
    mono: float | None = None
    counter_wh: float | None = None

    @property
    def elapsed(self) -> float:
        """The instant on the clock that measures durations."""
        return self.t if self.mono is None else self.mono


def segment_energy_wh(a: Sample, b: Sample) -> float:
    """Energy between two consecutive samples in watt-hours: the chip's own count where both
    carry one (it integrates every conversion), else the trapezoid rule."""
    if a.counter_wh is not None and b.counter_wh is not None:
        return b.counter_wh - a.counter_wh
    return (a.watts + b.watts) / 2 * (b.elapsed - a.elapsed) / SECONDS_PER_HOUR


def segment_out_wh(a: Sample, b: Sample, energy_wh: float) -> float:
    """The part (≥ 0, Wh) of a segment's net `energy_wh` that flowed out (negative power).

    With one sign at both ends, all of it went one way. Where the power reversed, it changed
    linearly by the trapezoid rule's assumption, so each side of the zero crossing holds a
    triangle: out = p_neg² / (p_pos − p_neg) × duration / 2. A chip's own count (INA228) gives
    the net exactly; what the triangles leave of it unexplained goes to the side it favours,
    so in − out is always the net and neither is negative.
    """
    pa, pb = a.watts, b.watts
    if pa * pb >= 0.0:  # no reversal
        return -energy_wh if energy_wh < 0.0 else 0.0
    negative, positive = (pa, pb) if pa < 0.0 else (pb, pa)
    half_hours = (b.elapsed - a.elapsed) / 2 / SECONDS_PER_HOUR
    out_wh = negative * negative / (positive - negative) * half_hours
    in_wh = positive * positive / (positive - negative) * half_hours
    unexplained_wh = energy_wh - (in_wh - out_wh)
    return out_wh - unexplained_wh if unexplained_wh < 0.0 else out_wh


def integrate(samples: Iterable[Sample], max_gap_seconds: float) -> tuple[float, list[float]]:
    """Total energy (Wh) of time-ordered samples and the start times of the gaps skipped.

    A step longer than `max_gap_seconds` books no energy: we do not know what happened then.
    """
    energy_wh = 0.0
    gaps: list[float] = []
    previous: Sample | None = None
    for sample in samples:
        if previous is not None:
            if sample.elapsed - previous.elapsed > max_gap_seconds:
                gaps.append(previous.t)
            else:
                energy_wh += segment_energy_wh(previous, sample)
        previous = sample
    return energy_wh, gaps


@dataclass(slots=True)
class Emitted:
    """What one step of the accumulator produced: finished readings and detected gaps."""

    readings: list[Reading] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


@dataclass(slots=True)
class _Window:
    index: int
    samples: int = 0
    sum_watts: float = 0.0
    sum_volts: float = 0.0
    sum_amps: float = 0.0
    energy_wh: float = 0.0
    covered_seconds: float = 0.0
    energy_out_wh: float = 0.0


class WindowAccumulator:
    """Turns one appliance's samples into one Reading per storage interval.

    Windows are aligned to multiples of `interval_seconds` since the epoch, so readings of all
    appliances share timestamps. The energy of the segment between two samples is booked to the
    window of the later sample; a segment longer than `max_gap_seconds`, or one across a
    `break_chain()` (the sensor went offline), books nothing and is reported as a Gap.
    Durations come from the samples' monotonic times: when the wall clock steps, the open
    window is emitted and the next sample opens the window its label falls in, earlier or
    later, with the segment's real energy booked there.
    """

    def __init__(self, appliance_id: int, interval_seconds: float, max_gap_seconds: float) -> None:
        if interval_seconds <= 0 or max_gap_seconds <= 0:
            raise ValueError("interval_seconds and max_gap_seconds must be positive")
        self.appliance_id = appliance_id
        self.interval_seconds = interval_seconds
        self.max_gap_seconds = max_gap_seconds
        self._previous: Sample | None = None
        self._chain_broken = False
        self._window: _Window | None = None

    def _index(self, t: float) -> int:
        return math.floor(t / self.interval_seconds)

    def add(self, sample: Sample) -> Emitted:
        """Account one sample; returns the windows it closed and any gap before it."""
        emitted = self.close_outside(sample.t)
        window = self._window
        if window is None:
            window = self._window = _Window(self._index(sample.t))
        previous = self._previous
        elapsed = None if previous is None else sample.elapsed - previous.elapsed
        if previous is not None and elapsed is not None and elapsed > 0:
            if self._chain_broken or elapsed > self.max_gap_seconds:
                emitted.gaps.append(Gap(self.appliance_id, _to_ms(previous.t), _to_ms(sample.t)))
            else:
                energy_wh = segment_energy_wh(previous, sample)
                window.energy_wh += energy_wh
                if previous.watts < 0.0 or sample.watts < 0.0 or energy_wh < 0.0:
                    window.energy_out_wh += segment_out_wh(previous, sample, energy_wh)
                window.covered_seconds += elapsed
        if elapsed is None or elapsed > 0:
            window.samples += 1
            window.sum_watts += sample.watts
            window.sum_volts += sample.volts
            window.sum_amps += sample.amps
            self._previous = sample
            self._chain_broken = False
        return emitted

    def break_chain(self) -> None:
        """The sensor failed: the next good sample starts afresh, with a gap before it."""
        self._chain_broken = True

    def close_outside(self, t: float) -> Emitted:
        """Emit the open window unless wall time `t` falls in it (call on every tick).

        Later than the window: it is over. Earlier: the wall clock stepped back, and the
        window is over as well; the next sample opens the window of its own label.
        """
        window = self._window
        if window is None or window.index == self._index(t):
            return Emitted()
        return self.close()

    def close(self) -> Emitted:
        """Emit the open window now (at stop)."""
        emitted = Emitted()
        window, self._window = self._window, None
        if window is not None and window.samples:
            emitted.readings.append(self._reading(window))
        return emitted

    def _reading(self, window: _Window) -> Reading:
        n = window.samples
        return Reading(
            appliance_id=self.appliance_id,
            timestamp_ms=_to_ms(window.index * self.interval_seconds),
            watts=window.sum_watts / n,
            volts=window.sum_volts / n,
            amps=window.sum_amps / n,
            energy_wh=window.energy_wh,
            covered_seconds=window.covered_seconds,
            samples=n,
            energy_out_wh=window.energy_out_wh,
        )


def _to_ms(t: float) -> int:
    return round(t * 1000)
