"""The INA3221 driver, one appliance per channel, on its simulated chip (TI SBOS576)."""

from __future__ import annotations

import pytest

from energymon.drivers import ina3221 as reg
from energymon.drivers.driver import Context
from energymon.drivers.fakebus import FakeBus
from energymon.drivers.ina3221 import DRIVER, INA3221Options
from energymon.drivers.sim.ina3221 import SimulatedINA3221
from energymon.errors import ConfigError
from energymon.service.clock import ManualClock
from energymon.settings import settings_from_mapping
from tests.support import chips

ADDRESS = 0x41
LOADS = {1: (12.0, 1.0), 2: (5.0, -0.25), 3: (24.0, 0.5)}


def rig(channels: tuple[int, ...] = (1, 2, 3)) -> tuple[list, SimulatedINA3221, ManualClock]:
    """One sensor per channel on one simulated chip, opened through the driver."""
    clock = ManualClock()
    chip = SimulatedINA3221(clock=clock.time)
    for channel, (volts, amps) in LOADS.items():
        chip.connect(channel, lambda t, v=volts, a=amps: (v, a), shunt_ohms=0.1)
    context = Context("test", 1, FakeBus({ADDRESS: chip}))
    sensors = [DRIVER.open(INA3221Options(address=ADDRESS, channel=c), context) for c in channels]
    for sensor in sensors:
        sensor.configure()
    return sensors, chip, clock


def test_power_on_registers_match_the_datasheet() -> None:
    """Config 0x7127, Mask/Enable 0x0002, limits, power-valid 10 V / 9 V, IDs 0x5449 / 0x3220."""
    chip = SimulatedINA3221(clock=ManualClock().time)
    expected = {0x00: 0x7127, 0x07: 0x7FF8, 0x0E: 0x7FFE, 0x0F: 0x0002, 0x10: 0x2710}
    expected |= {0x11: 0x2328, 0xFE: 0x5449, 0xFF: 0x3220}
    assert {register: chip.peek(register) for register in expected} == expected


def test_each_channel_reads_its_own_load() -> None:
    """Amps are the shunt voltage (40 µV LSB) over the shunt; watts are amps × bus (8 mV LSB)."""
    sensors, chip, clock = rig()
    clock.advance(sensors[0].conversion_time_seconds * 1.01)
    readings = {s.channel: s.read() for s in sensors}
    for channel, (volts, amps) in LOADS.items():
        m = readings[channel]
        assert (m.bus_volts, m.amps, m.watts) == pytest.approx((volts, amps, volts * amps))
    assert chip.peek(reg.shunt_register(1)) == 2500 << 3  # 100 mV / 40 µV, in bits 15..3
    assert chip.peek(reg.bus_register(1)) == 1500 << 3  # 12 V / 8 mV


def test_every_channel_sees_each_cycle_once() -> None:
    """CVRF is cleared by the first read; the other channels still get the new cycle."""
    sensors, _, clock = rig()
    assert [s.read().conversion_ready for s in sensors] == [False] * 3
    clock.advance(sensors[0].conversion_time_seconds * 1.01)
    assert [s.read().conversion_ready for s in sensors] == [True] * 3
    assert [s.read().conversion_ready for s in sensors] == [False] * 3


def test_only_configured_channels_are_enabled_and_timed() -> None:
    """Two appliances on channels 1 and 3: CH2en is off and a cycle converts two channels."""
    sensors, chip, _ = rig(channels=(1, 3))
    config = chip.peek(reg.REG_CONFIG)
    assert config & 0x7000 == reg.CONFIG_CHANNEL_ENABLE[1] | reg.CONFIG_CHANNEL_ENABLE[3]
    assert sensors[0].conversion_time_seconds == pytest.approx(2 * 2 * 1100e-6 * 4)


def test_a_brown_out_is_noticed_and_repaired_once_for_the_chip() -> None:
    """The power-on configuration gives the reset away; the chip is configured again."""
    sensors, chip, clock = rig()
    chip.brown_out()
    sensors[0].read()
    assert chip.peek(reg.REG_CONFIG) != reg.POWER_ON_CONFIG
    clock.advance(sensors[0].conversion_time_seconds * 1.01)
    assert sensors[1].read().amps == pytest.approx(-0.25)


def test_probe_suggests_one_appliance_per_channel() -> None:
    """The die ID says INA3221; the snippet gets channels 1, 2 and 3."""
    found = chips.probed(DRIVER, rig()[1])
    assert [dict(a) for a in found.appliances] == [{"channel": c} for c in (1, 2, 3)]


def test_two_appliances_share_a_chip_only_on_different_channels() -> None:
    """Channels 1 and 2 at one address are fine; channel 2 twice is refused."""
    base = {"driver": "ina3221", "address": 0x40}
    ok = [{"id": 1, "name": "A", **base}, {"id": 2, "name": "B", "channel": 2, **base}]
    assert len(settings_from_mapping({"appliances": ok}).appliances) == 2
    clash = [ok[1], {"id": 3, "name": "C", "channel": 2, **base}]
    with pytest.raises(ConfigError, match="both on bus 1 at address 0x40 channel 2"):
        settings_from_mapping({"appliances": clash})
    with pytest.raises(ConfigError, match=r"address \(A\): must be between 0x40 and 0x43"):
        settings_from_mapping({"appliances": [{"id": 1, "name": "A", **base, "address": 0x44}]})
