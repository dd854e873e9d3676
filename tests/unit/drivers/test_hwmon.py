"""The hwmon driver against a sysfs tree under tmp, laid out as the kernel lays it out."""

from __future__ import annotations

from pathlib import Path

import pytest

from energymon.bootstrap.sensors import build_sensors
from energymon.drivers import SensorError
from energymon.drivers.hwmon import HwmonSensor
from energymon.drivers.sysfs import SysfsTree
from energymon.errors import ConfigError
from energymon.service.clock import ManualClock
from energymon.settings import settings_from_mapping


def device(root: Path, path: str, attributes: dict[str, str | int]) -> Path:
    """A hwmon directory at `path` under the sysfs root, with `class/hwmon/<name>` linking to it."""
    directory = root / path
    directory.mkdir(parents=True)
    for name, value in attributes.items():
        (directory / name).write_text(f"{value}\n", encoding="ascii")
    link = root / "class" / "hwmon" / directory.name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(directory)
    return directory


@pytest.fixture
def sysfs(tmp_path: Path) -> SysfsTree:
    """An INA226 bound at 1-0040 (hwmon3) and an INA3221 at 1-0041 (hwmon4)."""
    ina226 = {"name": "ina226", "in0_input": 15, "in1_input": 12003, "curr1_input": -1500}
    ina226 |= {"power1_input": 18004500, "update_interval": 2}
    device(tmp_path, "bus/i2c/devices/1-0040/hwmon/hwmon3", ina226)
    ina3221 = {"name": "ina3221", "in1_input": 5000, "curr1_input": 200}
    ina3221 |= {"in2_input": 3300, "curr2_input": 1000, "in3_input": 0, "curr3_input": 0}
    device(tmp_path, "bus/i2c/devices/1-0041/hwmon/hwmon4", ina3221)
    return SysfsTree(tmp_path)


def test_a_device_found_by_address_reads_in_si_units(sysfs: SysfsTree) -> None:
    """Millivolts, milliamperes and microwatts become V, A and W; power takes the current's sign."""
    sensor = HwmonSensor(sysfs, bus=1, address=0x40, device=None)
    sensor.configure()
    m = sensor.read()
    assert (m.bus_volts, m.amps, m.watts) == pytest.approx((12.003, -1.5, -18.0045))
    assert m.shunt_volts is None
    assert sensor.conversion_time_seconds == pytest.approx(0.002)


@pytest.mark.parametrize("device_name", ["ina3221", "hwmon4"])
def test_a_device_found_by_name_without_power_gives_volts_times_amps(
    sysfs: SysfsTree, device_name: str
) -> None:
    """The INA3221's kernel driver has no power attribute: W = V × A, per channel."""
    sensor = HwmonSensor(sysfs, bus=1, address=None, device=device_name, channel=2)
    sensor.configure()
    m = sensor.read()
    assert (m.bus_volts, m.amps, m.watts) == pytest.approx((3.3, 1.0, 3.3))


def test_a_missing_device_or_channel_is_a_sensor_error(sysfs: SysfsTree) -> None:
    """Nothing bound at the address, no such name, or no such channel: SensorError."""
    for sensor in (
        HwmonSensor(sysfs, bus=1, address=0x45, device=None),
        HwmonSensor(sysfs, bus=1, address=None, device="ina238"),
        HwmonSensor(sysfs, bus=1, address=0x40, device=None, channel=3),
    ):
        with pytest.raises(SensorError, match="hwmon"):
            sensor.configure()


def test_a_device_that_goes_away_fails_and_is_found_again(tmp_path: Path) -> None:
    """An unbound driver takes the files; once they are back the sensor reads again."""
    attributes = {"name": "ina226", "in1_input": 5000, "curr1_input": 100, "power1_input": 500000}
    directory = device(tmp_path, "bus/i2c/devices/1-0044/hwmon/hwmon0", attributes)
    sensor = HwmonSensor(SysfsTree(tmp_path), bus=1, address=0x44, device=None)
    sensor.configure()
    (directory / "in1_input").unlink()
    with pytest.raises(SensorError, match="cannot read channel 1"):
        sensor.read()
    (directory / "in1_input").write_text("5100\n", encoding="ascii")
    assert sensor.read().bus_volts == pytest.approx(5.1)


def test_options_need_an_address_or_a_device() -> None:
    """Without either the configuration says how to find the device."""
    with pytest.raises(ConfigError, match="hwmon needs `address`"):
        settings_from_mapping({"appliances": [{"id": 1, "name": "A", "driver": "hwmon"}]})


def test_a_simulated_hwmon_device_runs_the_real_driver() -> None:
    """driver = "hwmon" with a simulation table reads a simulated device in a fake sysfs."""
    appliance = {"id": 1, "name": "Battery", "driver": "hwmon", "address": 0x40}
    appliance["simulation"] = {"profile": "constant", "amps": -2.0, "volts": 13.0, "noise": 0}
    settings = settings_from_mapping({"appliances": [appliance]})
    (group,) = build_sensors(settings, clock=ManualClock())
    assert group.name == "sim-sysfs-1"
    (channel,) = group.channels
    channel.sensor.configure()
    m = channel.sensor.read()
    assert (m.bus_volts, m.amps, m.watts) == pytest.approx((13.0, -2.0, -26.0))
