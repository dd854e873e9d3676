"""Energy integration and the per-interval reading window."""

from __future__ import annotations

import itertools
import math

from hypothesis import given
from hypothesis import strategies as st

from energymon.domain.energy import Sample, WindowAccumulator, integrate, segment_out_wh

T0 = 1_700_000_000.0


def _samples(steps: list[tuple[float, float]]) -> list[Sample]:
    t = T0
    out = []
    for dt, watts in steps:
        t += dt
        out.append(Sample(t=t, watts=watts, volts=12.0, amps=watts / 12.0))
    return out


def _oracle_in_out(samples: list[Sample], max_gap: float, n: int) -> tuple[float, float]:
    """Brute force: integrate each segment's linear interpolation on a grid of `n` midpoints,
    the positive and negative parts apart (their difference is exact: the rule is exact for a
    line; the split is as fine as the grid)."""
    in_wh = out_wh = 0.0
    for a, b in itertools.pairwise(samples):
        dt = b.t - a.t
        if dt > max_gap or dt <= 0:
            continue
        for i in range(n):
            watts = a.watts + (b.watts - a.watts) * (i + 0.5) / n
            if watts > 0:
                in_wh += watts * dt / n / 3600
            else:
                out_wh -= watts * dt / n / 3600
    return in_wh, out_wh


def _oracle(samples: list[Sample], max_gap: float) -> float:
    """Brute force net energy."""
    in_wh, out_wh = _oracle_in_out(samples, max_gap, 64)
    return in_wh - out_wh


steps_strategy = st.lists(
    st.tuples(
        st.floats(min_value=0.01, max_value=20.0),
        st.floats(min_value=-500.0, max_value=3000.0),
    ),
    min_size=1,
    max_size=60,
)


@given(steps_strategy, st.floats(min_value=0.05, max_value=10.0))
def test_integrate_matches_brute_force_oracle_including_gaps(
    steps: list[tuple[float, float]], max_gap: float
) -> None:
    """Trapezoidal energy equals a fine-grid integral of the samples, skipping long gaps."""
    samples = _samples(steps)
    energy, gaps = integrate(samples, max_gap)
    assert math.isclose(energy, _oracle(samples, max_gap), rel_tol=1e-9, abs_tol=1e-9)
    expected_gaps = [a.t for a, b in itertools.pairwise(samples) if b.t - a.t > max_gap]
    assert gaps == expected_gaps


@given(steps_strategy, st.sampled_from([0.5, 1.0, 2.0, 10.0]), st.floats(0.05, 30.0))
def test_windows_book_exactly_the_integrated_energy(
    steps: list[tuple[float, float]], interval: float, max_gap: float
) -> None:
    """Summing the energy of every emitted window gives the integral of all samples."""
    samples = _samples(steps)
    accumulator = WindowAccumulator(1, interval, max_gap)
    readings = []
    gaps = []
    for sample in samples:
        emitted = accumulator.add(sample)
        readings += emitted.readings
        gaps += emitted.gaps
    readings += accumulator.close_outside(samples[-1].t + 2 * interval).readings
    energy, expected_gaps = integrate(samples, max_gap)
    assert math.isclose(sum(r.energy_wh for r in readings), energy, rel_tol=1e-9, abs_tol=1e-9)
    assert len(gaps) == len(expected_gaps)
    assert sum(r.samples for r in readings) == len(samples)
    starts = [r.timestamp_ms for r in readings]
    assert starts == sorted(set(starts))
    assert all(r.timestamp_ms % round(interval * 1000) == 0 for r in readings)


@given(steps_strategy, st.sampled_from([0.5, 1.0, 2.0]), st.floats(0.05, 30.0))
def test_windows_split_energy_into_what_flowed_in_and_out(
    steps: list[tuple[float, float]], interval: float, max_gap: float
) -> None:
    """Each reading's in and out are ≥ 0, differ by its net, and sum to the integral's positive
    and negative parts, zero crossings inside a segment included."""
    samples = _samples(steps)
    accumulator = WindowAccumulator(1, interval, max_gap)
    readings = []
    for sample in samples:
        readings += accumulator.add(sample).readings
    readings += accumulator.close_outside(samples[-1].t + 2 * interval).readings
    for r in readings:
        assert r.in_wh >= 0.0
        assert r.out_wh >= 0.0
        assert math.isclose(r.in_wh - r.out_wh, r.energy_wh, rel_tol=1e-9, abs_tol=1e-9)
    in_wh, out_wh = _oracle_in_out(samples, max_gap, 2000)
    scale = max(in_wh + out_wh, 1e-6)
    assert math.isclose(sum(r.in_wh for r in readings), in_wh, abs_tol=1e-5 * scale + 1e-9)
    assert math.isclose(sum(r.out_wh for r in readings), out_wh, abs_tol=1e-5 * scale + 1e-9)


def test_a_chips_own_count_is_split_like_the_power_it_reports() -> None:
    """With the INA228's accumulator the net is the chip's; a reversal still splits it, and a
    segment with one sign goes all one way."""
    a = Sample(t=0.0, watts=30.0, volts=12.0, amps=2.5, counter_wh=0.0)
    b = Sample(t=3600.0, watts=-10.0, volts=12.0, amps=-0.8, counter_wh=10.5)
    # The triangles say 11.25 Wh in, 1.25 out: net 10. What the chip counted beyond that went
    # in; what it counted less went out.
    assert segment_out_wh(a, b, 10.5) == 1.25
    assert segment_out_wh(a, b, 9.5) == 1.75
    c = Sample(t=3600.0, watts=20.0, volts=12.0, amps=1.6, counter_wh=20.0)
    assert segment_out_wh(a, c, 20.0) == 0.0
    assert segment_out_wh(b, Sample(t=7200.0, watts=-5.0, volts=12.0, amps=-0.4), -2.0) == 2.0


def test_window_reading_holds_mean_of_its_samples() -> None:
    """A one-second window with samples of 100 W and 200 W stores 150 W."""
    accumulator = WindowAccumulator(7, 1.0, 5.0)
    accumulator.add(Sample(T0 + 0.25, 100.0, 12.0, 100 / 12))
    accumulator.add(Sample(T0 + 0.75, 200.0, 12.0, 200 / 12))
    (reading,) = accumulator.close_outside(T0 + 1.0).readings
    assert reading.appliance_id == 7
    assert reading.timestamp_ms == round(T0 * 1000)
    assert reading.watts == 150.0
    assert reading.samples == 2
    assert math.isclose(reading.energy_wh, 150.0 * 0.5 / 3600)
    assert math.isclose(reading.covered_seconds, 0.5)


def test_broken_chain_books_no_energy_across_an_outage() -> None:
    """After break_chain the next sample records a gap instead of bridging the outage."""
    accumulator = WindowAccumulator(1, 1.0, 5.0)
    accumulator.add(Sample(T0, 100.0, 12.0, 1.0))
    accumulator.break_chain()
    emitted = accumulator.add(Sample(T0 + 0.5, 100.0, 12.0, 1.0))
    assert [(g.start_ms, g.end_ms) for g in emitted.gaps] == [
        (round(T0 * 1000), round((T0 + 0.5) * 1000))
    ]
    (reading,) = accumulator.close_outside(T0 + 1).readings
    assert reading.energy_wh == 0.0
    assert reading.samples == 2
