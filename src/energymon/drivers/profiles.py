"""Simulated DC loads for the fake INA219: `(t epoch seconds) -> (bus_volts, amps)`."""

from __future__ import annotations

import bisect
import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from energymon.errors import ConfigError

__all__ = [
    "MAX_AMPS",
    "PROFILES",
    "Cycle",
    "Load",
    "Profile",
    "Step",
    "analytic_energy_wh",
    "default_profile_name",
    "make_profile",
    "noise_unit",
]

Profile = Callable[[float], tuple[float, float]]

MAX_AMPS = 3.2  # ±320 mV across the breakout's 0.1 Ω shunt
MAX_VOLTS = 26.0  # the INA219's largest bus voltage (SBOS448 absolute maximum on IN+, IN-)
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

    def __call__(self, t: float) -> tuple[float, float]:
        """(bus_volts, amps) at epoch second `t`, with reproducible noise."""
        amps = self._amps(t)
        if not self.noise:
            return self.volts, amps
        amps *= 1.0 + self.noise * noise_unit(self.seed, t)
        volts = self.volts * (1.0 + 0.2 * self.noise * noise_unit(self.seed + 1, t))
        return volts, max(-MAX_AMPS, min(MAX_AMPS, amps))

    def exact(self, t: float) -> tuple[float, float]:
        """(bus_volts, amps) at `t` without noise."""
        return self.volts, self._amps(t)

    def energy_wh(self, t0: float, t1: float) -> float:
        """The noise-free energy from t0 to t1 in watt-hours, in closed form."""
        return self.volts * (self._charge(t1) - self._charge(t0)) / 3600.0

    def _amps(self, t: float) -> float:
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

    def _charge(self, t: float) -> float:
        x = t - self.start_epoch_seconds
        if not self.period_seconds:
            return self._charge_from_start(x)
        periods, phase = divmod(x, self.period_seconds)
        whole = self._charge_from_start(self.period_seconds)
        return periods * whole + self._charge_from_start(phase)


def analytic_energy_wh(profile: Profile, t0: float, t1: float) -> float:
    """The noise-free energy a built-in profile delivers from t0 to t1, in watt-hours."""
    if not isinstance(profile, Load):
        raise TypeError(f"{profile!r} is not a built-in profile with a closed-form energy")
    return profile.energy_wh(t0, t1)


# Each profile's parameters and their defaults; the keys are the schema make_profile accepts.
_COMMON: dict[str, Any] = {"volts": 12.0, "noise": 0.01}
_STEPS = ((0.0, 0.5), (20.0, 2.0), (40.0, 1.0))
_CYCLE = {"off_amps": 0.0, "inrush_amps": 0.0, "inrush_seconds": 1.0, "offset_seconds": None}
PROFILES: dict[str, dict[str, Any]] = {
    "constant": {"amps": 1.0},
    # Compressor ~15 min on / 25 min off, 3 A inrush; controller and light draw 50 mA when off.
    "refrigerator": _CYCLE
    | {"amps": 1.2, "off_amps": 0.05, "period_seconds": 2400.0, "duty": 0.375, "inrush_amps": 3.0},
    # Compressor ~20 min on / 10 min off; the indoor fan keeps running between cycles.
    "air-conditioner": _CYCLE
    | {"amps": 2.4, "off_amps": 0.3, "period_seconds": 1800.0, "duty": 2 / 3, "inrush_amps": 3.0},
    # Resistive element switched by a thermostat: heats 10 min in every 40; controller 20 mA.
    "water-heater": _CYCLE
    | {"amps": 2.8, "off_amps": 0.02, "period_seconds": 2400.0, "duty": 0.25},
    "pulsed": _CYCLE | {"amps": 2.0, "period_seconds": 2.5, "duty": 0.5},
    # [seconds, amps] levels from start_epoch_seconds; period_seconds = 0: no repetition.
    "step": {"steps": _STEPS, "period_seconds": 60.0, "start_epoch_seconds": 0.0},
}
_SYNONYMS = {"fridge": "refrigerator", "freezer": "refrigerator", "boiler": "water heater"}
# Allowed (lowest, highest) per parameter; periods and time constants must also be above 0.
_LIMITS: dict[str, tuple[float, float]] = (
    dict.fromkeys(("amps", "off_amps"), (-MAX_AMPS, MAX_AMPS))
    | dict.fromkeys(("period_seconds", "inrush_seconds", "step_seconds"), (0.0, math.inf))
    | dict.fromkeys(("offset_seconds", "start_epoch_seconds"), (-math.inf, math.inf))
    | {"volts": (0.0, MAX_VOLTS), "noise": (0.0, 0.2), "duty": (0.0, 1.0)}
    | {"inrush_amps": (0.0, MAX_AMPS)}
)
_POSITIVE = frozenset({"period_seconds", "inrush_seconds"})


def default_profile_name(appliance: str) -> str:
    """The profile an appliance called `appliance` simulates when none is configured."""
    words = appliance.lower().replace("-", " ").replace("_", " ")
    for synonym, name in _SYNONYMS.items():
        words = words.replace(synonym, name)
    for name in ("refrigerator", "air conditioner", "water heater"):
        if name in words:
            return name.replace(" ", "-")
    return "constant"


def make_profile(simulation: Mapping[str, Any], default_for: str) -> Load:
    """Build the `[appliances.simulation]` profile; ConfigError naming a bad key."""
    given = {key: value for key, value in simulation.items() if value is not None}
    name = given.pop("profile", None) or default_profile_name(default_for)
    seed = given.pop("seed", zlib.crc32(default_for.encode()))
    try:
        if name not in PROFILES:
            raise ValueError(f"profile: unknown profile {name!r} (known: {', '.join(PROFILES)})")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError(f"seed: must be an integer, got {seed!r}")
        params = _COMMON | PROFILES[name]
        for key, value in given.items():
            if key not in params:
                raise ValueError(f"{key}: unknown key for profile {name!r}")
            params[key] = value
        return _build(name, seed, params)
    except ValueError as exc:
        raise ConfigError(f"appliance {default_for!r}: simulation.{exc}") from None


def _number(key: str, value: Any, kind: str | None = None) -> float:
    """`value` as a float, or ValueError naming `key`; `kind` says whose limits apply."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key}: must be a number, got {value!r}")
    kind = kind or key
    low, high = _LIMITS[kind]
    if not low <= value <= high or (kind in _POSITIVE and value <= 0):
        unit = " A (±320 mV across a 0.1 Ω shunt)" if kind.endswith("amps") else ""
        raise ValueError(f"{key}: {value} is outside {low:g}..{high:g}{unit}")
    return float(value)


def _build(name: str, seed: int, params: dict[str, Any]) -> Load:
    volts, noise = _number("volts", params["volts"]), _number("noise", params["noise"])
    if name == "constant":  # one level, held for ever
        return Step(volts, noise, seed, ((0.0, _number("amps", params["amps"])),), None, 0.0)
    if name == "step":
        return _build_step(volts, noise, seed, params)
    fields = ("amps", "off_amps", "period_seconds", "duty", "inrush_amps", "inrush_seconds")
    numbers = {key: _number(key, params[key]) for key in fields}
    offset = params["offset_seconds"]
    if offset is None:  # spread appliances' cycles apart, reproducibly
        offset = (noise_unit(seed, 0.0) + 1.0) / 2 * numbers["period_seconds"]
    return Cycle(volts, noise, seed, **numbers, offset_seconds=_number("offset_seconds", offset))


def _build_step(volts: float, noise: float, seed: int, params: dict[str, Any]) -> Load:
    period = _number("period_seconds", params["period_seconds"], "step_seconds") or None
    raw = params["steps"]
    if not isinstance(raw, list | tuple) or not raw:
        raise ValueError("steps: must be a non-empty list of [seconds, amps] pairs")
    steps: list[tuple[float, float]] = []
    for index, pair in enumerate(raw):
        key = f"steps[{index}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(f"{key}: must be a [seconds, amps] pair, got {pair!r}")
        at = _number(key, pair[0], "step_seconds")
        if (steps and at <= steps[-1][0]) or (period is not None and at >= period):
            raise ValueError(f"{key}: times must increase and stay below period_seconds")
        steps.append((at, _number(key, pair[1], "amps")))
    start = _number("start_epoch_seconds", params["start_epoch_seconds"])
    return Step(volts, noise, seed, tuple(steps), period, start)
