"""The INA226 driver on its simulated chip, checked against SBOS547's formulas and defaults."""

from __future__ import annotations

import pytest

from energymon.drivers import Measurement, SensorError
from energymon.drivers import ina226 as reg
from energymon.drivers.driver import Context
from energymon.drivers.fakebus import FakeBus, SimulatedINA219
from energymon.drivers.ina219_driver import INA219_DRIVER
from energymon.drivers.ina226 import DRIVER, INA226, INA226Options, calibration_value
from energymon.drivers.profiles import Profile
from energymon.drivers.sim.ina226 import SimulatedINA226
from energymon.service.clock import ManualClock
from tests.support import chips

ADDRESS = 0x45


def rig(
    profile: Profile = lambda t: (12.0, 0.5), shunt_ohms: float = 0.1
) -> tuple[INA226, SimulatedINA226, ManualClock]:
    """A configured driver on a simulated chip, and the clock they share."""
    options = INA226Options(address=ADDRESS, shunt_ohms=shunt_ohms)
    return chips.rig(
        INA226, options, lambda clock: SimulatedINA226(profile, clock=clock, shunt_ohms=shunt_ohms)
    )


def fresh(ina: INA226, clock: ManualClock) -> Measurement:
    """Let one conversion complete, then read it."""
    clock.advance(ina.conversion_time_seconds * 1.01)
    return ina.read()


def test_calibration_formula_gives_the_datasheet_example() -> None:
    """Equation 1: Current_LSB 1 mA on a 2 mΩ shunt is CAL 2560 (0x0A00)."""
    assert calibration_value(0.001, 0.002) == 2560


@pytest.mark.parametrize("shunt_ohms", [0.1, 0.002, 0.0005])
def test_driver_writes_calibration_2048_so_current_equals_shunt(shunt_ohms: float) -> None:
    """Current_LSB = 2.5 µV / R makes CAL 2048 whatever the shunt."""
    ina, chip, _ = rig(shunt_ohms=shunt_ohms)
    assert ina.calibration == 2048 == chip.peek(reg.REG_CALIBRATION)
    assert ina.current_lsb == pytest.approx(2.5e-6 / shunt_ohms)


def test_power_on_registers_match_the_datasheet() -> None:
    """Config 0x4127, calibration 0, manufacturer 0x5449 ("TI"), die 0x2260."""
    chip = SimulatedINA226(lambda t: (0.0, 0.0), clock=ManualClock().time)
    assert chip.peek(reg.REG_CONFIG) == 0x4127
    assert chip.peek(reg.REG_CALIBRATION) == 0
    assert (chip.peek(0xFE), chip.peek(0xFF)) == (0x5449, 0x2260)


def test_ten_amps_on_two_milliohms_at_twelve_volts() -> None:
    """20 mV shunt = 8000 codes, 12 V = 9600 codes; power = 8000 × 9600 / 20000 = 3840 LSB."""
    ina, chip, clock = rig(lambda t: (12.0, 10.0), shunt_ohms=0.002)
    m = fresh(ina, clock)
    assert chip.peek(reg.REG_SHUNT_VOLTAGE) == 8000
    assert chip.peek(reg.REG_BUS_VOLTAGE) == 9600
    assert chip.peek(reg.REG_CURRENT) == 8000
    assert chip.peek(reg.REG_POWER) == 3840
    assert (m.bus_volts, m.amps, m.watts) == pytest.approx((12.0, 10.0, 120.0))
    assert m.shunt_volts == pytest.approx(0.020)


def test_reverse_current_gives_negative_amps_and_watts() -> None:
    """The power register is a magnitude; the driver gives it the current's sign."""
    ina, _, clock = rig(lambda t: (12.0, -0.5))
    m = fresh(ina, clock)
    assert (m.amps, m.watts) == pytest.approx((-0.5, -6.0))


def test_conversion_ready_is_read_once_per_conversion() -> None:
    """CVRF is set by a finished conversion and cleared by reading Mask/Enable."""
    ina, _, clock = rig()
    assert not ina.read().conversion_ready  # configure restarted the ADC
    assert fresh(ina, clock).conversion_ready
    assert not ina.read().conversion_ready


def test_full_scale_shunt_is_flagged_as_overflow() -> None:
    """Past ±81.92 mV the shunt register saturates and the reading says so."""
    ina, _, clock = rig(lambda t: (12.0, 1.0))
    assert fresh(ina, clock).overflow


def test_a_brown_out_is_noticed_and_repaired() -> None:
    """Calibration back at 0 means the chip reset: the driver configures it again."""
    ina, chip, clock = rig()
    fresh(ina, clock)
    chip.brown_out()
    ina.read()
    assert ina.resets == 1
    assert chip.peek(reg.REG_CALIBRATION) == 2048
    assert fresh(ina, clock).amps == pytest.approx(0.5)


def test_configure_refuses_a_chip_that_is_not_an_ina226() -> None:
    """An INA219 at the address does not keep the INA226's configuration."""
    bus = FakeBus({ADDRESS: SimulatedINA219(lambda t: (12.0, 1.0), clock=ManualClock().time)})
    with pytest.raises(SensorError, match="is this an INA226"):
        INA226(INA226Options(address=ADDRESS), Context("test", 1, bus)).configure()


def test_probe_names_the_ina226_and_the_ina219_probe_does_not_claim_it() -> None:
    """The ID registers say INA226; bit 14 of its configuration rules out an INA219."""
    _, chip, _ = rig()
    found = chips.probed(DRIVER, chip)
    assert (found.driver, found.certain) == ("ina226", True)
    assert INA219_DRIVER.probe is not None
    assert INA219_DRIVER.probe(FakeBus({0x40: chip}), 0x40) is None


def test_options_refuse_a_current_beyond_the_shunt_range() -> None:
    """max_expected_amps × shunt_ohms must fit ±81.92 mV."""
    assert INA226Options(shunt_ohms=0.002, max_expected_amps=40).load_limits().max_amps > 40
    with pytest.raises(ValueError, match=r"exceeds the INA226's ±81\.92 mV range"):
        INA226Options(shunt_ohms=0.1, max_expected_amps=1.0)
