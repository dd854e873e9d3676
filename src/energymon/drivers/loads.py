"""Simulated DC loads: `(t epoch seconds) -> (bus_volts, amps)` with a closed-form energy."""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["MAX_AMPS", "Cycle", "Load", "Profile", "Step", "noise_unit"]

Profile = Callable[[float], tuple[float, float]]

MAX_AMPS = 3.2  # ±320 mV across the INA219 breakout's 0.1 Ω shunt: the default limit
_MASK64 = (1 << 64) - 1


def noise_unit(seed: int, t: float) -> float:
    """A reproducible pseudo-random number in [-1, 1) for (seed, t): splitmix64 of both."""
    z = (seed * 0x9E3779B97F4A7C15 + round(t * 1e6)) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (z ^ (z >> 31)) / 2.0**63 - 1.0


@dataclass(frozen=True, slots=True)
class Load:
    """A built-in profile: callable like any Profile, plus its noise-free values and energy."""

    volts: float
    noise: float  # relative amplitude of the current's noise; the voltage's is a fifth of it
    seed: int
    max_amps: float = field(default=MAX_AMPS, kw_only=True)  # noise never exceeds ±max_amps

    def __call__(self, t: float) -> tuple[float, float]:
        """(bus_volts, amps) at epoch second `t`, with reproducible noise."""
        amps = self._amps(t)
        if not self.noise:
            return self.volts, amps
        amps *= 1.0 + self.noise * noise_unit(self.seed, t)
        volts = self.volts * (1.0 + 0.2 * self.noise * noise_unit(self.seed + 1, t))
        return volts, max(-self.max_amps, min(self.max_amps, amps))

    def exact(self, t: float) -> tuple[float, float]:
        """(bus_volts, amps) at `t` without noise."""
        return self.volts, self._amps(t)

    def energy_wh(self, t0: float, t1: float) -> float:
        """The noise-free energy from t0 to t1 in watt-hours, in closed form."""
        return self.volts * (self._charge(t1) - self._charge(t0)) / 3600.0

    def energy_in_out_wh(self, t0: float, t1: float) -> tuple[float, float]:
        """The noise-free energy (in, out) from t0 to t1 in Wh: what flowed with positive and
        with negative current, in closed form (between two edges the current keeps its sign)."""
        in_wh = out_wh = 0.0
        points = [t0, *self._edges(t0, t1), t1]
        for start, end in itertools.pairwise(points):
            energy_wh = self.energy_wh(start, end)
            if energy_wh >= 0.0:
                in_wh += energy_wh
            else:
                out_wh -= energy_wh
        return in_wh, out_wh

    def _amps(self, t: float) -> float:
        raise NotImplementedError

    def _edges(self, t0: float, t1: float) -> list[float]:
        """The instants in (t0, t1) where the current changes level, in order."""
        raise NotImplementedError

    def _charge(self, t: float) -> float:
        """Ampere-seconds from a fixed origin to `t`."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Cycle(Load):
    """On for `duty` of each period and off for the rest; an inrush peak decays after switch-on."""

    amps: float
    off_amps: float
    period_seconds: float
    duty: float
    inrush_amps: float  # peak at switch-on (0: none); decays to `amps` with inrush_seconds
    inrush_seconds: float
    offset_seconds: float

    def _amps(self, t: float) -> float:
        phase = (t + self.offset_seconds) % self.period_seconds
        if phase >= self.duty * self.period_seconds:
            return self.off_amps
        extra = max(0.0, self.inrush_amps - self.amps)
        return self.amps + extra * math.exp(-phase / self.inrush_seconds)

    def _charge_in_period(self, phase: float) -> float:
        on_seconds = self.duty * self.period_seconds
        on_phase = min(phase, on_seconds)
        tau = self.inrush_seconds
        extra = max(0.0, self.inrush_amps - self.amps)
        charge = self.amps * on_phase + extra * tau * -math.expm1(-on_phase / tau)
        return charge + self.off_amps * max(0.0, phase - on_seconds)

    def _charge(self, t: float) -> float:
        periods, phase = divmod(t + self.offset_seconds, self.period_seconds)
        return periods * self._charge_in_period(self.period_seconds) + self._charge_in_period(phase)

    def _edges(self, t0: float, t1: float) -> list[float]:
        period = self.period_seconds
        first = math.floor((t0 + self.offset_seconds) / period)
        last = math.ceil((t1 + self.offset_seconds) / period)
        starts = (k * period - self.offset_seconds for k in range(first, last + 1))
        edges = (edge for on in starts for edge in (on, on + self.duty * period))
        return [edge for edge in edges if t0 < edge < t1]


@dataclass(frozen=True, slots=True)
class Step(Load):
    """Levels [(seconds, amps), ...] from `start_epoch_seconds`, each held until the next.

    With `period_seconds` the pattern repeats, the last level running on into the next period.
    """

    steps: tuple[tuple[float, float], ...]
    period_seconds: float | None
    start_epoch_seconds: float

    def _amps_at(self, x: float) -> float:
        index = bisect.bisect_right(self.steps, x, key=lambda step: step[0]) - 1
        return self.steps[index if index >= 0 or self.period_seconds else 0][1]

    def _amps(self, t: float) -> float:
        x = t - self.start_epoch_seconds
        return self._amps_at(x % self.period_seconds if self.period_seconds else x)

    def _charge_from_start(self, x: float) -> float:
        if x < 0:  # only without a period: the first level holds before it
            return self.steps[0][1] * x
        charge, edge = 0.0, 0.0
        for at, _ in self.steps:
            if at > x:
                break
            charge += self._amps_at(edge) * (at - edge)
            edge = at
        return charge + self._amps_at(edge) * (x - edge)

    def _edges(self, t0: float, t1: float) -> list[float]:
        start, period = self.start_epoch_seconds, self.period_seconds
        if not period:
            edges = [start + at for at, _ in self.steps]
        else:
            first = math.floor((t0 - start) / period)
            last = math.ceil((t1 - start) / period)
            periods = range(first, last + 1)
            edges = [start + k * period + at for k in periods for at, _ in self.steps]
        return [edge for edge in edges if t0 < edge < t1]

    def _charge(self, t: float) -> float:
        x = t - self.start_epoch_seconds
        if not self.period_seconds:
            return self._charge_from_start(x)
        periods, phase = divmod(x, self.period_seconds)
        whole = self._charge_from_start(self.period_seconds)
        return periods * whole + self._charge_from_start(phase)
