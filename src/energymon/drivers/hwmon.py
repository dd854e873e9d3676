"""A chip the kernel already drives (ina2xx, ina238, ina3221 hwmon drivers), read from sysfs.

Where a device tree overlay binds the chip to a kernel driver, /dev/i2c-N cannot reach it
(EBUSY) and its readings are files: `in<n>_input` (millivolts), `curr<n>_input`
(milliamperes) and, where the driver has it, `power<n>_input` (microwatts). Channel n = 1 is
the bus voltage, current and power of an INA219/INA226/INA228 (in0 is its shunt voltage), and
channel n of an INA3221. The device is found by its I²C address on the appliance's bus
(`/sys/bus/i2c/devices/<bus>-00<address>/hwmon/hwmon*`, stable across boots), or by `device`:
a hwmon directory name such as "hwmon2" or the chip's `name` attribute such as "ina226".
"""

from __future__ import annotations

import math
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from energymon.drivers.base import Measurement, Sensor, SensorError
from energymon.drivers.driver import Bench, Context, Driver, DriverOptions, Location
from energymon.drivers.profiles import Load, LoadLimits
from energymon.drivers.sysfs import SysfsLike, SysfsTree

__all__ = ["DRIVER", "HwmonOptions", "HwmonSensor", "device_directory"]

# The driver's line in `energymon drivers`.
SUMMARY = "a chip bound to a kernel hwmon driver (ina2xx, ina238, ina3221), read from sysfs"
HWMON_CLASS = "class/hwmon"


def i2c_device_hwmon(bus: int, address: int) -> str:
    """The glob of the hwmon directory of the I²C device at `address` on bus `bus`."""
    return f"bus/i2c/devices/{bus}-{address:04x}/hwmon/hwmon*"


def device_directory(sysfs: SysfsLike, *, bus: int, address: int | None, device: str | None) -> str:
    """The hwmon directory of the sensor; OSError (ENOENT) naming what was looked for."""
    if address is not None:
        found = sysfs.glob(i2c_device_hwmon(bus, address))
        what = f"no hwmon device for I²C bus {bus} address 0x{address:02X} (is its driver bound?)"
    elif device is not None and sysfs.glob(f"{HWMON_CLASS}/{device}"):
        return f"{HWMON_CLASS}/{device}"
    else:
        found = [d for d in sysfs.glob(f"{HWMON_CLASS}/hwmon*") if _name(sysfs, d) == device]
        what = f"no hwmon device named {device!r}"
        if len(found) > 1:
            raise FileNotFoundError(
                2, f"{len(found)} hwmon devices are named {device!r}: set address"
            )
    if not found:
        raise FileNotFoundError(2, what)
    return found[0]


def _name(sysfs: SysfsLike, directory: str) -> str | None:
    try:
        return sysfs.read(f"{directory}/name")
    except OSError:
        return None


@dataclass(eq=False)
class HwmonSensor:
    """One channel of a kernel-bound chip: voltage, current and power from its attributes.

    No I/O until configure(), which finds the device by `address` on bus `bus`, or by `device`.
    """

    sysfs: SysfsLike
    _: KW_ONLY
    bus: int
    address: int | None
    device: str | None
    channel: int = 1
    conversion_time_seconds: float = field(default=0.0, init=False)  # from update_interval
    _directory: str | None = field(default=None, init=False)
    _has_power: bool = field(default=False, init=False)

    def configure(self) -> None:
        """Find the device and check it has this channel's attributes."""
        try:
            directory = device_directory(
                self.sysfs, bus=self.bus, address=self.address, device=self.device
            )
            for attribute in ("in", "curr"):
                self.sysfs.read(f"{directory}/{attribute}{self.channel}_input")
        except OSError as exc:
            raise SensorError(f"hwmon: {exc.strerror or exc} ({exc.filename or ''})") from exc
        self._has_power = bool(self.sysfs.glob(f"{directory}/power{self.channel}_input"))
        try:  # the kernel's conversion interval, in milliseconds (ina2xx, ina238)
            self.conversion_time_seconds = (
                int(self.sysfs.read(f"{directory}/update_interval")) / 1000
            )
        except (OSError, ValueError):
            self.conversion_time_seconds = 0.0
        self._directory = directory

    def read(self) -> Measurement:
        """The channel's bus voltage and current; power from the kernel or as V × A."""
        if self._directory is None:
            self.configure()
        prefix = f"{self._directory}/"
        channel = self.channel
        try:
            volts = int(self.sysfs.read(f"{prefix}in{channel}_input")) / 1e3
            amps = int(self.sysfs.read(f"{prefix}curr{channel}_input")) / 1e3
            if self._has_power:  # a magnitude in the ina2xx driver: it takes the current's sign
                power = int(self.sysfs.read(f"{prefix}power{channel}_input")) / 1e6
                watts = math.copysign(abs(power), amps) if amps else power
            else:
                watts = volts * amps
        except (OSError, ValueError) as exc:
            self._directory = None  # the device may have gone: look it up again
            raise SensorError(f"hwmon {prefix}: cannot read channel {channel}: {exc}") from exc
        return Measurement(bus_volts=volts, shunt_volts=None, amps=amps, watts=watts)

    def close(self) -> None:
        """Nothing to release."""


class HwmonOptions(DriverOptions):
    """A kernel-bound chip: found by `address` on the appliance's bus, or by `device`."""

    address: int | None = Field(None, ge=0x03, le=0x77)
    device: str | None = None  # "hwmon2", or the chip's name attribute, e.g. "ina226"
    channel: int = Field(1, ge=1, le=3)
    sysfs_root: Path = Path("/sys")  # where sysfs is mounted (another path in containers)

    @model_validator(mode="after")
    def _found_somehow(self) -> Self:
        if self.address is None and self.device is None:
            raise ValueError("hwmon needs `address` (on the appliance's bus) or `device`")
        return self

    def location(self) -> Location:
        """The chip's address, where given, and the channel."""
        return Location(self.address, self.channel)

    def load_limits(self) -> LoadLimits:
        """The simulated device stands for an INA226 behind 2 mΩ: ±40 A, 36 V."""
        return LoadLimits(40.0, 36.0, "a simulated INA226 behind 2 mΩ")


def _open(options: HwmonOptions, context: Context) -> Sensor:
    sysfs = context.sysfs if context.sysfs is not None else SysfsTree(options.sysfs_root)
    return HwmonSensor(
        sysfs,
        bus=context.bus_number,
        address=options.address,
        device=options.device,
        channel=options.channel,
    )


def _simulate(options: HwmonOptions, bench: Bench, load: Load) -> None:
    from energymon.drivers.sim.hwmon import add_hwmon_device

    add_hwmon_device(bench, options.address, options.device, options.channel, load)


DRIVER = Driver("hwmon", SUMMARY, HwmonOptions, _open, simulate=_simulate, transport="sysfs")
