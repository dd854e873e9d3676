"""Drivers on their simulated chips, as the driver tests set them up: a configured sensor on a
fake bus, the chip and the clock it follows; and what a driver's probe makes of a chip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from energymon.drivers.base import Sensor
from energymon.drivers.driver import Context, Driver, I2COptions, Identified
from energymon.drivers.fakebus import FakeBus, RegisterChip
from energymon.service.clock import ManualClock

_Options = TypeVar("_Options", bound=I2COptions)
_Sensor = TypeVar("_Sensor", bound=Sensor)
_Chip = TypeVar("_Chip", bound=RegisterChip)


def rig(
    open_sensor: Callable[[_Options, Context], _Sensor],
    options: _Options,
    chip: Callable[[Callable[[], float]], _Chip],
) -> tuple[_Sensor, _Chip, ManualClock]:
    """A sensor opened with `options` and configured, on a fake bus holding the simulated chip
    `chip(clock)` at their address; the chip, and the clock they share."""
    clock = ManualClock()
    simulated = chip(clock.time)
    sensor = open_sensor(options, Context("test", 1, FakeBus({options.address: simulated})))
    sensor.configure()
    return sensor, simulated, clock


def probed(driver: Driver[Any], chip: RegisterChip, address: int = 0x40) -> Identified:
    """What `driver`'s probe makes of `chip` alone on a bus at `address`; it must know it."""
    assert driver.probe is not None
    found = driver.probe(FakeBus({address: chip}), address)
    assert found is not None
    return found
