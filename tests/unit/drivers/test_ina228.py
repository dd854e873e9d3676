"""The INA228 driver on its simulated chip (TI SBOSA20): calibration, 20-bit results, energy."""

from __future__ import annotations

import pytest

from energymon.drivers import Measurement
from energymon.drivers import ina228 as reg
from energymon.drivers.ina228 import DRIVER, INA228, INA228Options, shunt_calibration
from energymon.drivers.profiles import Profile
from energymon.drivers.sim.ina228 import SimulatedINA228
from energymon.service.clock import ManualClock
from tests.support import chips

ADDRESS = 0x4A


def rig(
    profile: Profile = lambda t: (12.0, 5.0), shunt_ohms: float = 0.015, max_amps: float = 10.0
) -> tuple[INA228, SimulatedINA228, ManualClock]:
    """A configured driver on a simulated chip, and the clock they share."""
    options = INA228Options(address=ADDRESS, shunt_ohms=shunt_ohms, max_expected_amps=max_amps)
    return chips.rig(
        INA228, options, lambda clock: SimulatedINA228(profile, clock=clock, shunt_ohms=shunt_ohms)
    )


def run(ina: INA228, clock: ManualClock, seconds: float, step: float = 0.05) -> Measurement:
    """Read every `step` for `seconds`, as the sampler does; the last reading."""
    reading = ina.read()
    for _ in range(round(seconds / step)):
        clock.advance(step)
        reading = ina.read()
    return reading


def test_shunt_cal_follows_the_datasheet_formula() -> None:
    """SHUNT_CAL = 13107.2e6 × (I_max / 2^19) × R; × 4 with ADCRANGE = 1."""
    assert shunt_calibration(10 / 2**19, 0.002, 0) == 500
    assert shunt_calibration(10 / 2**19, 0.015, 0) == 3750
    assert shunt_calibration(1 / 2**19, 0.015, 1) == 1500


def test_power_on_registers_match_the_datasheet() -> None:
    """CONFIG 0, ADC_CONFIG 0xFB68, SHUNT_CAL 0x1000, DIAG_ALRT 0x0001, limits, IDs."""
    chip = SimulatedINA228(lambda t: (0.0, 0.0), clock=ManualClock().time)
    expected = {0x00: 0x0000, 0x01: 0xFB68, 0x02: 0x1000, 0x0B: 0x0001, 0x0C: 0x7FFF}
    expected |= {0x0D: 0x8000, 0x11: 0xFFFF, 0x3E: 0x5449, 0x3F: 0x2281}
    assert {register: chip.peek(register) for register in expected} == expected


def test_the_adc_range_follows_the_largest_shunt_voltage() -> None:
    """±40.96 mV (4× finer) when max current × shunt fits it, else ±163.84 mV."""
    assert rig(shunt_ohms=0.002)[0].adc_range == 1  # 20 mV
    assert rig(shunt_ohms=0.015)[0].adc_range == 0  # 150 mV


def test_five_amps_at_twelve_volts_in_20_bit_registers() -> None:
    """75 mV = 240000 × 312.5 nV; CURRENT 2^18; VBUS 61440 × 195.3125 µV; 60 W."""
    ina, chip, clock = rig()
    clock.advance(ina.conversion_time_seconds * 1.01)
    m = ina.read()
    assert chip.peek(reg.REG_VSHUNT) >> 4 == 240000
    assert chip.peek(reg.REG_CURRENT) >> 4 == 2**18
    assert chip.peek(reg.REG_VBUS) >> 4 == 61440
    assert chip.peek(reg.REG_POWER) == 983040
    assert (m.bus_volts, m.amps, m.watts) == pytest.approx((12.0, 5.0, 60.0))
    assert m.conversion_ready


def test_energy_comes_from_the_chips_accumulator() -> None:
    """Ten seconds at 60 W is 600 J, counted by the chip at every conversion."""
    ina, _, clock = rig()
    assert run(ina, clock, 10.0).energy_joules == pytest.approx(600.0, rel=2e-3)


def test_reverse_current_counts_energy_backwards() -> None:
    """The accumulator has no sign: the driver gives it the current's."""
    ina, _, clock = rig(lambda t: (48.0, -2.0))
    m = run(ina, clock, 5.0)
    assert (m.amps, m.watts) == pytest.approx((-2.0, -96.0), rel=1e-4)  # a CURRENT_LSB off
    assert m.energy_joules == pytest.approx(-480.0, rel=2e-3)


def test_the_40_bit_accumulator_wraps_without_a_jump() -> None:
    """Just below 2^40 counts the register wraps to 0; the total goes on smoothly."""
    ina, chip, clock = rig()
    ina.read()
    chip.set_energy(2**40 - 10_000)
    ina.energy.restart()  # the preset is a new base, not energy
    before = run(ina, clock, 0.05).energy_joules
    after = run(ina, clock, 5.0).energy_joules
    assert ina.energy.wraps == 1
    assert before is not None
    assert after is not None
    assert after - before == pytest.approx(5 * 60.0, rel=5e-3)


def test_a_brown_out_is_repaired_and_the_total_does_not_jump() -> None:
    """After a reset the accumulator restarts at 0; the running total keeps its value."""
    ina, chip, clock = rig()
    total = run(ina, clock, 2.0).energy_joules
    chip.brown_out()
    later = run(ina, clock, 2.0).energy_joules
    assert ina.resets == 1
    assert total is not None
    assert later is not None
    assert total < later < total + 2 * 60.0 + 1


def test_probe_reads_the_device_id() -> None:
    """DEVICE_ID 0x2281: die 0x228, revision 1."""
    found = chips.probed(DRIVER, rig()[1])
    assert found.driver == "ina228"
    assert "rev 1" in found.detail
