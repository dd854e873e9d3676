"""A chip's unsigned energy accumulator as a signed running total, and the sampler's use of it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from energymon.domain.energy import Sample, segment_energy_wh
from energymon.drivers.accumulator import EnergyCounter, signed_share


def test_the_first_reading_is_a_base_and_later_ones_add() -> None:
    """Counts since the previous reading, times joules per count, with the power's sign."""
    counter = EnergyCounter(bits=40, joules_per_count=0.5)
    assert counter.update(1000, 10.0) == 0.0
    assert counter.update(1100, 10.0) == 50.0
    assert counter.update(1300, -10.0) == 50.0  # reversed halfway: as much in as out
    assert counter.update(1400, -10.0) == 0.0


def test_a_wrap_is_counted_and_its_energy_kept() -> None:
    """A smaller reading means the register went past 2^bits."""
    counter = EnergyCounter(bits=8, joules_per_count=1.0)
    counter.update(250, 1.0)
    assert counter.update(4, 1.0) == 10.0
    assert counter.wraps == 1


def test_restart_makes_the_next_reading_a_base() -> None:
    """After the chip cleared its register the total goes on from where it was."""
    counter = EnergyCounter(bits=40, joules_per_count=1.0)
    counter.update(0, 1.0)
    counter.update(100, 1.0)
    counter.restart()
    assert counter.update(3, 1.0) == 100.0


@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3))
def test_the_signed_share_is_the_net_of_a_linear_ramp(p0: float, p1: float) -> None:
    """Against the two triangles of a ramp from p0 to p1: ±1 without a sign change."""
    share = signed_share(p0, p1)
    assert -1.0 <= share <= 1.0
    if p0 * p1 > 0:
        assert share == pytest.approx(1.0 if p0 > 0 else -1.0)
    elif abs(p0) + abs(p1) > 1e-6:
        net = (p0 * abs(p0) + p1 * abs(p1)) / (abs(p0) + abs(p1))  # twice the net area
        whole = (p0 * p0 + p1 * p1) / (abs(p0) + abs(p1))  # twice |area|
        assert share == pytest.approx(net / whole, abs=1e-9)


def test_segment_energy_prefers_the_chips_count() -> None:
    """Between two samples with a counter the energy is its difference, not a trapezoid."""
    a = Sample(t=0.0, watts=100.0, volts=12.0, amps=8.3, counter_wh=1.0)
    b = Sample(t=36.0, watts=100.0, volts=12.0, amps=8.3, counter_wh=1.75)
    assert segment_energy_wh(a, b) == pytest.approx(0.75)
    assert segment_energy_wh(a, Sample(t=36.0, watts=100.0, volts=12.0, amps=8.3)) == 1.0
