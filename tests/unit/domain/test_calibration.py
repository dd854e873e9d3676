"""INA219 calibration from physical settings: PGA choice, LSBs, and what the driver writes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from energymon.domain.calibration import PGA_RANGES, calibrate, choose_pga
from energymon.drivers.fakebus import FakeBus
from energymon.drivers.ina219 import INA219


@pytest.mark.parametrize(
    ("shunt_ohms", "max_expected_amps", "pga_code", "full_scale_volts"),
    [
        (0.1, 0.4, 0, 0.04),
        (0.1, 0.41, 1, 0.08),
        (0.1, 0.8, 1, 0.08),
        (0.1, 1.6, 2, 0.16),
        (0.1, 2.0, 3, 0.32),
        (0.1, 3.2, 3, 0.32),
        (0.002, 15.0, 0, 0.04),
        (0.01, 16.0, 2, 0.16),
        (0.05, 6.4, 3, 0.32),
    ],
)
def test_smallest_pga_range_that_holds_the_expected_shunt_voltage_is_chosen(
    shunt_ohms: float, max_expected_amps: float, pga_code: int, full_scale_volts: float
) -> None:
    """max_expected_amps × shunt_ohms picks ±40/80/160/320 mV; the driver writes that PG code."""
    setup = calibrate(shunt_ohms, max_expected_amps)
    assert (setup.pga_code, setup.full_scale_volts) == (pga_code, full_scale_volts)
    ina = INA219(FakeBus(), shunt_ohms=shunt_ohms, max_expected_amps=max_expected_amps)
    assert (ina.config >> 11) & 0b11 == pga_code
    assert ina.full_scale_volts == full_scale_volts


@pytest.mark.parametrize(("shunt_ohms", "max_expected_amps"), [(0.1, 3.3), (0.002, 161.0)])
def test_more_than_320_mv_across_the_shunt_is_a_value_error(
    shunt_ohms: float, max_expected_amps: float
) -> None:
    """The INA219 cannot measure beyond ±320 mV: 3.3 A through 0.1 Ω is refused."""
    with pytest.raises(ValueError, match="exceeds the INA219's ±320 mV range"):
        calibrate(shunt_ohms, max_expected_amps)


@pytest.mark.parametrize("shunt_ohms", [0.0, -0.1])
def test_shunt_must_have_a_positive_resistance(shunt_ohms: float) -> None:
    """A zero or negative shunt resistance is refused."""
    with pytest.raises(ValueError, match="shunt_ohms must be positive"):
        calibrate(shunt_ohms, 1.0)


@pytest.mark.parametrize("shunt_ohms", [0.1, 0.01, 0.002])
def test_calibration_4096_makes_current_lsb_the_shunt_lsb_over_the_resistance(
    shunt_ohms: float,
) -> None:
    """Calibration 4096; current LSB = 10 µV / shunt_ohms; power LSB = 20 × current LSB."""
    setup = calibrate(shunt_ohms, 0.3 / shunt_ohms)
    assert setup.calibration == 4096
    assert setup.current_lsb == pytest.approx(10e-6 / shunt_ohms)
    assert setup.power_lsb == pytest.approx(20 * setup.current_lsb)


@given(shunt_volts=st.floats(0.0, 0.32))
def test_chosen_range_holds_the_voltage_and_no_smaller_range_does(shunt_volts: float) -> None:
    """The PGA range holds the shunt voltage; every smaller range is too small."""
    code, full_scale = choose_pga(shunt_volts)
    assert shunt_volts <= full_scale or math.isclose(shunt_volts, full_scale)
    assert all(shunt_volts > smaller for _, smaller in PGA_RANGES[:code])
