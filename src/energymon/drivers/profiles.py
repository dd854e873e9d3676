"""Simulated load profiles by name, as `[appliances.simulation]` configures them.

The loads themselves live in energymon.drivers.loads; this module turns a simulation table into
one, within the limits of the chip that will measure it (`LoadLimits`).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from energymon.drivers.loads import MAX_AMPS, Cycle, Load, Profile, Step, noise_unit
from energymon.errors import ConfigError

__all__ = [
    "MAX_AMPS",
    "PROFILES",
    "Cycle",
    "Load",
    "LoadLimits",
    "Profile",
    "Step",
    "analytic_energy_wh",
    "default_profile_name",
    "make_profile",
    "noise_unit",
]


@dataclass(frozen=True, slots=True)
class LoadLimits:
    """The largest current and bus voltage a chip measures: a simulated load stays within them.

    `why` explains the current limit in messages, e.g. "±320 mV across a 0.1 Ω shunt".
    """

    max_amps: float = MAX_AMPS
    max_volts: float = 26.0  # the INA219's largest bus voltage (SBOS448)
    why: str = "±320 mV across a 0.1 Ω shunt"


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
    # A 12.8 V (4S LiFePO4) battery behind a bidirectional shunt: charged at 2 A for 20 minutes
    # (current positive: energy in), then discharged at 1.5 A for 10 (negative: energy out).
    "battery": _CYCLE
    | {"volts": 12.8, "amps": 2.0, "off_amps": -1.5, "period_seconds": 1800.0, "duty": 2 / 3},
    # [seconds, amps] levels from start_epoch_seconds; period_seconds = 0: no repetition.
    "step": {"steps": _STEPS, "period_seconds": 60.0, "start_epoch_seconds": 0.0},
}
_SYNONYMS = {"fridge": "refrigerator", "freezer": "refrigerator", "boiler": "water heater"}
_POSITIVE = frozenset({"period_seconds", "inrush_seconds"})


class _Bounds:
    """Allowed (lowest, highest) per parameter; periods and time constants must be above 0."""

    def __init__(self, limits: LoadLimits) -> None:
        amps, volts = limits.max_amps, limits.max_volts
        self.why = limits.why
        self.table: dict[str, tuple[float, float]] = (
            dict.fromkeys(("amps", "off_amps"), (-amps, amps))
            | dict.fromkeys(("period_seconds", "inrush_seconds", "step_seconds"), (0.0, math.inf))
            | dict.fromkeys(("offset_seconds", "start_epoch_seconds"), (-math.inf, math.inf))
            | {"volts": (0.0, volts), "noise": (0.0, 0.2), "duty": (0.0, 1.0)}
            | {"inrush_amps": (0.0, amps)}
        )

    def number(self, key: str, value: Any, kind: str | None = None) -> float:
        """`value` as a float, or ValueError naming `key`; `kind` says whose limits apply."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key}: must be a number, got {value!r}")
        kind = kind or key
        low, high = self.table[kind]
        if not low <= value <= high or (kind in _POSITIVE and value <= 0):
            unit = f" A ({self.why})" if kind.endswith("amps") else ""
            raise ValueError(f"{key}: {value} is outside {low:g}..{high:g}{unit}")
        return float(value)


def default_profile_name(appliance: str) -> str:
    """The profile an appliance called `appliance` simulates when none is configured."""
    words = appliance.lower().replace("-", " ").replace("_", " ")
    for synonym, name in _SYNONYMS.items():
        words = words.replace(synonym, name)
    for name in ("refrigerator", "air conditioner", "water heater"):
        if name in words:
            return name.replace(" ", "-")
    return "constant"


def make_profile(
    simulation: Mapping[str, Any], default_for: str, limits: LoadLimits = LoadLimits()
) -> Load:
    """Build the `[appliances.simulation]` profile; ConfigError naming a bad key.

    `limits` are those of the chip that measures the load (default: the INA219 breakout's).
    """
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
        return _build(name, seed, params, _Bounds(limits))
    except ValueError as exc:
        raise ConfigError(f"appliance {default_for!r}: simulation.{exc}") from None


def _build(name: str, seed: int, params: dict[str, Any], bounds: _Bounds) -> Load:
    number = bounds.number
    volts, noise = number("volts", params["volts"]), number("noise", params["noise"])
    top = bounds.table["amps"][1]
    if name == "constant":  # one level, held for ever
        level = ((0.0, number("amps", params["amps"])),)
        return Step(volts, noise, seed, level, None, 0.0, max_amps=top)
    if name == "step":
        return _build_step(volts, noise, seed, params, bounds)
    fields = ("amps", "off_amps", "period_seconds", "duty", "inrush_amps", "inrush_seconds")
    numbers = {key: number(key, params[key]) for key in fields}
    offset = params["offset_seconds"]
    if offset is None:  # spread appliances' cycles apart, reproducibly
        offset = (noise_unit(seed, 0.0) + 1.0) / 2 * numbers["period_seconds"]
    offset = number("offset_seconds", offset)
    return Cycle(volts, noise, seed, **numbers, offset_seconds=offset, max_amps=top)


def _build_step(
    volts: float, noise: float, seed: int, params: dict[str, Any], bounds: _Bounds
) -> Load:
    number = bounds.number
    period = number("period_seconds", params["period_seconds"], "step_seconds") or None
    raw = params["steps"]
    if not isinstance(raw, list | tuple) or not raw:
        raise ValueError("steps: must be a non-empty list of [seconds, amps] pairs")
    steps: list[tuple[float, float]] = []
    for index, pair in enumerate(raw):
        key = f"steps[{index}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(f"{key}: must be a [seconds, amps] pair, got {pair!r}")
        at = number(key, pair[0], "step_seconds")
        if (steps and at <= steps[-1][0]) or (period is not None and at >= period):
            raise ValueError(f"{key}: times must increase and stay below period_seconds")
        steps.append((at, number(key, pair[1], "amps")))
    start = number("start_epoch_seconds", params["start_epoch_seconds"])
    return Step(volts, noise, seed, tuple(steps), period, start, max_amps=bounds.table["amps"][1])
