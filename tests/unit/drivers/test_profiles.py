"""Simulated load profiles: defaults by name, determinism, limits, shapes, energy, config errors."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energymon.drivers.profiles import (
    MAX_AMPS,
    PROFILES,
    analytic_energy_wh,
    make_profile,
    noise_unit,
)
from energymon.errors import ConfigError

T0 = 1_700_000_000.0


def exact_amps(simulation: dict[str, Any], t: float) -> float:
    """The noise-free current of a profile at `t`."""
    profile = make_profile(simulation, default_for="test")
    return profile.exact(t)[1]


def numerical_energy_wh(simulation: dict[str, Any], t0: float, t1: float) -> float:
    """Adaptive Simpson integral of the noise-free power: the oracle for the closed forms.

    Every stretch is cut below 50 ms (so no pulse hides between samples), then halved further
    wherever the estimate still moves, which closes in on each step to float resolution.
    """
    profile = make_profile(simulation, default_for="test")

    def watts(x: float) -> float:
        volts, amps = profile.exact(t0 + x)
        return volts * amps

    def halves(a: float, b: float, fa: float, fm: float, fb: float, *, depth: int) -> float:
        m = (a + b) / 2
        flm, frm = watts((a + m) / 2), watts((m + b) / 2)
        whole = (b - a) / 6 * (fa + 4 * fm + fb)
        left, right = (m - a) / 6 * (fa + 4 * flm + fm), (b - m) / 6 * (fm + 4 * frm + fb)
        if depth >= 60 or (b - a <= 0.05 and abs(left + right - whole) <= 1e-12):
            return left + right
        return halves(a, m, fa, flm, fm, depth=depth + 1) + halves(
            m, b, fm, frm, fb, depth=depth + 1
        )

    span = t1 - t0
    return halves(0.0, span, watts(0.0), watts(span / 2), watts(span), depth=0) / 3600


@pytest.mark.parametrize(
    ("appliance", "profile"),
    [
        ("Refrigerator", "refrigerator"),
        ("Kitchen fridge", "refrigerator"),
        ("Air Conditioner", "air-conditioner"),
        ("air-conditioner 2", "air-conditioner"),
        ("Water Heater", "water-heater"),
        ("Desk lamp", "constant"),
    ],
)
def test_default_profile_follows_the_appliance_name(appliance: str, profile: str) -> None:
    """Without a `profile` key the appliance's name picks a realistic one."""
    assert make_profile({}, appliance) == make_profile({"profile": profile}, appliance)


def test_settings_nones_mean_defaults() -> None:
    """Keys the settings model leaves as None (profile, seed) fall back to their defaults."""
    assert make_profile({"profile": None, "seed": None}, "Fridge") == make_profile({}, "Fridge")


@pytest.mark.parametrize("name", list(PROFILES))
def test_same_seed_gives_the_same_readings_and_another_seed_others(name: str) -> None:
    """Noise is keyed on (seed, t): repeatable for one seed, different for another."""
    first = make_profile({"profile": name, "seed": 7}, "a")
    again = make_profile({"profile": name, "seed": 7}, "b")
    other = make_profile({"profile": name, "seed": 8}, "a")
    times = [T0 + 0.05 * i for i in range(100)]
    assert [first(t) for t in times] == [again(t) for t in times]
    assert [first(t) for t in times] != [other(t) for t in times]


@given(seed=st.integers(-(2**70), 2**70), t=st.floats(0, 4e9))
def test_noise_unit_stays_in_minus_one_to_one(seed: int, t: float) -> None:
    """The noise source yields values in [-1, 1)."""
    assert -1.0 <= noise_unit(seed, t) < 1.0


@settings(max_examples=300)
@given(name=st.sampled_from(list(PROFILES)), seed=st.integers(0, 2**32), t=st.floats(0, 4e9))
def test_every_profile_keeps_within_the_shunt_range(name: str, seed: int, t: float) -> None:
    """Noisy current stays within ±3.2 A (±320 mV across 0.1 Ω) and voltage within 0..26 V."""
    volts, amps = make_profile({"profile": name, "seed": seed}, "x")(t)
    assert abs(amps) <= MAX_AMPS
    assert 0 <= volts <= 26


def test_refrigerator_cycles_15_minutes_on_and_25_off_with_an_inrush_spike() -> None:
    """The compressor runs 900 s of every 2400 s and starts with a spike near 3 A."""
    fridge = {"profile": "refrigerator", "offset_seconds": 0}
    samples = [exact_amps(fridge, T0 - T0 % 2400 + s) for s in range(2400)]
    running = [amps for amps in samples if amps > 0.5]
    assert len(running) == 900
    assert samples[0] == pytest.approx(3.0)
    assert running[-1] == pytest.approx(1.2)
    assert min(samples) == pytest.approx(0.05)


def test_pulsed_defaults_to_a_two_and_a_half_second_square_wave() -> None:
    """On for 1.25 s, off for 1.25 s, every 2.5 s."""
    pulsed = {"profile": "pulsed", "offset_seconds": 0}
    start = T0 - T0 % 2.5
    levels = [exact_amps(pulsed, start + 0.25 * i + 0.1) for i in range(10)]
    assert levels == [2.0] * 5 + [0.0] * 5


def test_step_levels_change_at_the_given_times() -> None:
    """Each [seconds, amps] level holds from its time until the next; the first holds before."""
    step = {"profile": "step", "steps": [[0, 0.5], [10, 2.0]], "period_seconds": 0}
    step |= {"start_epoch_seconds": T0}
    amps = [exact_amps(step, T0 + offset) for offset in (-5, 0, 9.9, 10, 1000)]
    assert amps == [0.5, 0.5, 0.5, 2.0, 2.0]


def test_periodic_steps_repeat_with_the_last_level_running_into_the_next_period() -> None:
    """With a period, the time before the first step carries the last level over."""
    step = {"profile": "step", "steps": [[5, 1.0], [10, 2.0]], "period_seconds": 20}
    amps = [exact_amps(step, T0 - T0 % 20 + offset) for offset in (0, 5, 12, 25, 32)]
    assert amps == [2.0, 1.0, 2.0, 1.0, 2.0]


SMALL_CYCLES = [
    {"profile": "constant", "amps": -1.5},
    {"profile": "pulsed", "duty": 0.3},
    {"profile": "refrigerator", "period_seconds": 20, "inrush_seconds": 0.5},
    {"profile": "air-conditioner", "period_seconds": 9, "off_amps": -0.2},
    {"profile": "water-heater", "period_seconds": 7},
    {"profile": "step", "steps": [[1, 0.5], [4, -2.0], [6, 3.0]], "period_seconds": 8},
    {"profile": "step", "steps": [[0, 1.0], [3, 2.0]], "period_seconds": 0},
]


@settings(max_examples=100, deadline=None)
@given(
    simulation=st.sampled_from(SMALL_CYCLES),
    start=st.floats(-30, 30),
    seconds=st.floats(0.01, 25),
)
def test_analytic_energy_matches_numerical_integration(
    simulation: dict[str, Any], start: float, seconds: float
) -> None:
    """The closed-form energy equals a fine numerical integral over windows crossing edges."""
    t0 = T0 + start
    profile = make_profile(simulation, default_for="test")
    oracle = numerical_energy_wh(simulation, t0, t0 + seconds)
    assert analytic_energy_wh(profile, t0, t0 + seconds) == pytest.approx(oracle, abs=1e-7)


def test_noisy_samples_average_to_the_analytic_energy() -> None:
    """Trapezoids over 20 Hz noisy samples of a pulsed load come within 1 % of the exact energy."""
    profile = make_profile({"profile": "pulsed", "noise": 0.05}, "test")
    times = [T0 + i / 20 for i in range(20 * 600 + 1)]
    watts = [volts * amps for volts, amps in map(profile, times)]
    measured_wh = sum((a + b) / 2 / 20 for a, b in itertools.pairwise(watts)) / 3600
    assert measured_wh == pytest.approx(analytic_energy_wh(profile, times[0], times[-1]), rel=0.01)


def test_analytic_energy_needs_a_built_in_profile() -> None:
    """A plain callable has no closed-form energy."""
    with pytest.raises(TypeError, match="closed-form"):
        analytic_energy_wh(lambda t: (12.0, 1.0), T0, T0 + 1)


@pytest.mark.parametrize(
    ("simulation", "key"),
    [
        ({"profile": "toaster"}, "simulation.profile: unknown profile 'toaster'"),
        ({"profile": "constant", "period_seconds": 3}, "simulation.period_seconds: unknown key"),
        ({"amps": 3.3}, "simulation.amps: 3.3 is outside -3.2..3.2 A"),
        ({"amps": "lots"}, "simulation.amps: must be a number"),
        ({"volts": 30}, "simulation.volts: 30 is outside 0..26"),
        ({"noise": True}, "simulation.noise: must be a number"),
        ({"seed": "x"}, "simulation.seed: must be an integer"),
        ({"profile": "pulsed", "duty": 1.5}, "simulation.duty: 1.5 is outside 0..1"),
        ({"profile": "pulsed", "period_seconds": 0}, "simulation.period_seconds: 0 is outside"),
        ({"profile": "refrigerator", "inrush_amps": 4}, "simulation.inrush_amps: 4 is outside"),
        ({"profile": "step", "steps": []}, "simulation.steps: must be a non-empty list"),
        ({"profile": "step", "steps": [[0, 1], [0, 2]]}, r"simulation.steps\[1\]: times must"),
        ({"profile": "step", "steps": [[0, 1, 2]]}, r"simulation.steps\[0\]: must be a \["),
        ({"profile": "step", "steps": [[70, 1]]}, r"simulation.steps\[0\]: .*below period"),
        ({"profile": "step", "steps": [[0, 5]]}, r"simulation.steps\[0\]: 5 is outside"),
    ],
)
def test_bad_simulation_settings_are_config_errors_naming_the_key(
    simulation: dict[str, Any], key: str
) -> None:
    """Unknown profiles, unknown keys and out-of-range values name the key and the appliance."""
    with pytest.raises(ConfigError, match=f"appliance 'Lamp': {key}"):
        make_profile(simulation, default_for="Lamp")
