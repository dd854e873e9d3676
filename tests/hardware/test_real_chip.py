"""The driver against a real INA219 at 0x40 on /dev/i2c-1 (a breakout with its 0.1 Ω shunt)."""

from __future__ import annotations

import time

import pytest

from energymon.drivers import SMBusLike
from energymon.drivers.ina219 import (
    CONFIG_RST,
    INA219,
    POWER_ON_CONFIG,
    REG_CALIBRATION,
    REG_CONFIG,
    Adc,
    register_from_smbus,
    smbus_from_register,
)
from energymon.drivers.scan import probe

pytestmark = pytest.mark.hardware

ADDRESS = 0x40


def configured(bus: SMBusLike, max_expected_amps: float = 3.2, adc: Adc = Adc.BITS_12) -> INA219:
    """The driver for the chip at 0x40, set up, with one conversion completed."""
    ina = INA219(bus, address=ADDRESS, max_expected_amps=max_expected_amps, bus_number=1, adc=adc)
    ina.configure()
    wait_for_conversion(ina)
    return ina


def wait_for_conversion(ina: INA219) -> None:
    """Sleep two conversion times, so the chip has surely completed a fresh conversion."""
    time.sleep(2 * ina.conversion_time_seconds)


def test_scan_finds_an_ina219_at_0x40(bus: SMBusLike) -> None:
    """The probe sees a device at 0x40 whose registers look like an INA219's."""
    results = {result.address: result for result in probe(bus)}
    assert ADDRESS in results
    assert results[ADDRESS].looks_like_ina219, results[ADDRESS].detail


def test_configuration_and_calibration_read_back(bus: SMBusLike) -> None:
    """configure() leaves the chip holding our config and calibration 4096 (it checks itself)."""
    ina = configured(bus)
    assert ina.calibration == 4096


def test_reading_is_physically_plausible(bus: SMBusLike) -> None:
    """Bus voltage within 0..26 V, current within the range, watts ≈ volts × amps."""
    ina = configured(bus)
    reading = ina.read()
    assert 0.0 <= reading.bus_volts <= 26.0
    assert abs(reading.amps) <= 3.2
    assert reading.watts == pytest.approx(reading.bus_volts * reading.amps, rel=0.02, abs=0.05)
    assert reading.conversion_ready


def test_readings_follow_conversions(bus: SMBusLike) -> None:
    """A read right after another finds no new conversion; after a conversion time, one."""
    ina = configured(bus, adc=Adc.SAMPLES_128)  # 136 ms per conversion: far longer than a read
    ina.read()
    assert not ina.read().conversion_ready
    wait_for_conversion(ina)
    assert ina.read().conversion_ready


def register(bus: SMBusLike, pointer: int) -> int:
    """A register of the chip at 0x40, read directly."""
    return register_from_smbus(bus.read_word_data(ADDRESS, pointer))


def test_software_reset_is_noticed_and_repaired(bus: SMBusLike) -> None:
    """After RST the chip is at power-on values; the next read sets it up again, once."""
    ina = configured(bus, max_expected_amps=1.6)  # ±160 mV: a config unlike power-on's
    bus.write_word_data(ADDRESS, REG_CONFIG, smbus_from_register(CONFIG_RST))
    assert (register(bus, REG_CONFIG), register(bus, REG_CALIBRATION)) == (POWER_ON_CONFIG, 0)
    ina.read()
    assert (register(bus, REG_CONFIG), register(bus, REG_CALIBRATION)) == (ina.config, 4096)
    wait_for_conversion(ina)
    ina.read()
    assert ina.resets == 1
