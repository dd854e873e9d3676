"""The INA260 driver on its simulated chip, checked against SBOS656's LSBs and defaults."""

from __future__ import annotations

import pytest

from energymon.drivers import ina260 as reg
from energymon.drivers.ina260 import DRIVER, INA260, INA260Options
from energymon.drivers.profiles import Profile
from energymon.drivers.sim.ina226 import SimulatedINA260
from energymon.service.clock import ManualClock
from tests.support import chips

ADDRESS = 0x40


def rig(profile: Profile = lambda t: (12.0, 5.0)) -> tuple[INA260, SimulatedINA260, ManualClock]:
    """A configured driver on a simulated chip, and the clock they share."""
    options = INA260Options(address=ADDRESS)
    return chips.rig(INA260, options, lambda clock: SimulatedINA260(profile, clock=clock))


def test_power_on_registers_match_the_datasheet() -> None:
    """Config 0x6127, manufacturer 0x5449, die 0x2270."""
    chip = SimulatedINA260(lambda t: (0.0, 0.0), clock=ManualClock().time)
    assert chip.peek(reg.REG_CONFIG) == 0x6127
    assert (chip.peek(0xFE), chip.peek(0xFF)) == (0x5449, 0x2270)


def test_five_amps_at_twelve_volts_in_the_fixed_lsbs() -> None:
    """5 A = 4000 × 1.25 mA, 12 V = 9600 × 1.25 mV, 60 W = 6000 × 10 mW."""
    ina, chip, clock = rig()
    clock.advance(ina.conversion_time_seconds * 1.01)
    m = ina.read()
    assert chip.peek(reg.REG_CURRENT) == 4000
    assert chip.peek(reg.REG_BUS_VOLTAGE) == 9600
    assert chip.peek(reg.REG_POWER) == 6000
    assert (m.bus_volts, m.amps, m.watts) == pytest.approx((12.0, 5.0, 60.0))
    assert m.shunt_volts is None
    assert m.conversion_ready


def test_reverse_current_gives_negative_amps_and_watts() -> None:
    """Current is signed; power takes its sign."""
    ina, _, clock = rig(lambda t: (24.0, -2.5))
    clock.advance(ina.conversion_time_seconds * 1.01)
    m = ina.read()
    assert (m.amps, m.watts) == pytest.approx((-2.5, -60.0))


def test_a_brown_out_is_noticed_by_the_configuration_and_repaired() -> None:
    """With no calibration register, the power-on configuration gives the reset away."""
    ina, chip, _ = rig()
    chip.brown_out()
    m = ina.read()
    assert ina.resets == 1
    assert not m.conversion_ready
    assert chip.peek(reg.REG_CONFIG) == ina.config != reg.POWER_ON_CONFIG


def test_probe_names_the_ina260() -> None:
    """The die ID register says INA260."""
    found = chips.probed(DRIVER, rig()[1], 0x41)
    assert found.driver == "ina260"
    assert found.bus_volts == pytest.approx(0.0)
