"""`energymon scan`'s pieces: probing addresses on a bus, and opening a real bus with a hint."""

from __future__ import annotations

import sys

import pytest
import smbus2

from energymon.drivers import SensorError
from energymon.drivers.bus import open_bus
from energymon.drivers.fakebus import FakeBus, SimulatedINA219
from energymon.drivers.ina219 import INA219
from energymon.drivers.scan import probe
from energymon.service.clock import ManualClock


class RegisterFile:
    """A device answering with fixed register values; registers it lacks fail like no ACK."""

    def __init__(self, registers: dict[int, int]) -> None:
        self.registers = registers

    def read_register(self, register: int) -> int:
        if register not in self.registers:
            raise OSError(121, "Remote I/O error")
        return self.registers[register]

    def write_register(self, register: int, value: int) -> None:
        raise AssertionError("probe must not write")


def simulated_chip(clock: ManualClock) -> SimulatedINA219:
    """An INA219 at 12 V carrying 1 A."""
    return SimulatedINA219(lambda t: (12.0, 1.0), clock=clock.time)


def test_probe_lists_only_the_addresses_that_answer() -> None:
    """Empty addresses are left out; answering ones come in address order."""
    bus, clock = FakeBus(), ManualClock()
    for address in (0x44, 0x40, 0x41):
        bus.attach(address, simulated_chip(clock))
    bus.attach(0x60, simulated_chip(clock))  # outside the INA219 range: not probed
    assert [result.address for result in probe(bus)] == [0x40, 0x41, 0x44]


def test_probe_recognises_an_ina219_at_power_on_defaults_and_reads_its_bus() -> None:
    """Config 0x399F with calibration 0 is an INA219 nobody has configured yet."""
    bus, clock = FakeBus(), ManualClock()
    bus.attach(0x40, simulated_chip(clock))
    clock.advance(0.01)
    (result,) = probe(bus)
    assert result.looks_like_ina219
    assert result.power_on_defaults
    assert (result.config, result.calibration) == (0x399F, 0)
    assert result.bus_volts == pytest.approx(12.0)
    assert result.describe() == (
        "0x40  12.00 V  INA219 at power-on defaults (config 0x399F, not calibrated)"
    )


def test_probe_recognises_a_configured_ina219() -> None:
    """After the driver has set it up, the chip still looks like an INA219, not at defaults."""
    bus, clock = FakeBus(), ManualClock()
    bus.attach(0x45, simulated_chip(clock))
    INA219(bus, address=0x45, bus_voltage_range=16, max_expected_amps=0.4).configure()
    (result,) = probe(bus, addresses=[0x45])
    assert result.looks_like_ina219
    assert not result.power_on_defaults
    assert (result.config, result.calibration) == (0x019F, 4096)


@pytest.mark.parametrize(
    ("registers", "reason"),
    [
        (dict.fromkeys(range(6), 0xFFFF), "bit 15 or 14 set"),
        ({0: 0x399F, 1: 0, 2: 0, 5: 0x0001}, "calibration 1 has bit 0 set"),
        ({0: 0x019F, 1: 0x1F40, 2: 0, 5: 0}, "shunt reading 8000 is beyond its PGA range ±4000"),
        ({0: 0x399F}, "registers 0x01..0x05 fail"),
    ],
)
def test_probe_flags_devices_that_do_not_look_like_an_ina219(
    registers: dict[int, int], reason: str
) -> None:
    """Set reserved bits, a calibration bit 0, an impossible shunt value or missing registers."""
    bus = FakeBus()
    bus.attach(0x40, RegisterFile(registers))
    (result,) = probe(bus)
    assert not result.looks_like_ina219
    assert reason in result.describe()


def test_probe_only_reads() -> None:
    """Probing never writes to a device (a write could upset a chip that is not an INA219)."""
    bus, clock = FakeBus(), ManualClock()
    bus.attach(0x4F, simulated_chip(clock))
    probe(bus)
    assert {op for op, *_ in bus.log} == {"read"}


def test_open_bus_hints_at_raspi_config_when_the_device_is_missing() -> None:
    """A missing /dev/i2c-N says to enable I²C with raspi-config."""
    with pytest.raises(SensorError, match=r"bus 250: /dev/i2c-250 does not exist; .*raspi-config"):
        open_bus(250)


def test_open_bus_hints_at_the_i2c_group_when_permission_is_denied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Permission denied on /dev/i2c-N says to add the user to the i2c group."""

    def denied(bus: int) -> smbus2.SMBus:
        raise PermissionError(13, "Permission denied", f"/dev/i2c-{bus}")

    monkeypatch.setattr(smbus2, "SMBus", denied)
    with pytest.raises(SensorError, match=r"permission denied on /dev/i2c-1; add .* i2c group"):
        open_bus(1)


def test_open_bus_without_smbus2_points_to_the_simulated_driver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where smbus2 cannot load (Windows), the error says to use simulated sensors."""
    monkeypatch.setitem(sys.modules, "smbus2", None)
    with pytest.raises(SensorError, match='driver = "simulated"') as info:
        open_bus(1)
    assert isinstance(info.value.__cause__, ImportError)
