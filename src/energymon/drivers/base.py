"""What every sensor driver provides: the Sensor protocol, its Measurement and SensorError."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from energymon.errors import EnergymonError

__all__ = ["Measurement", "SMBusLike", "Sensor", "SensorError"]


class SensorError(EnergymonError):
    """A sensor could not be read or configured; the message names bus and address."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One conversion read from a sensor, in SI units.

    `amps` is signed: positive when current flows from IN+ to IN- through the shunt, negative
    the other way (a battery discharging into the bus, a solar controller feeding back). `watts`
    carries the sign of `amps`. `shunt_volts` is None where the chip does not report it (INA260,
    hwmon). `energy_joules` is the net energy the chip itself accumulated since the sensor was
    configured (INA228), signed like `watts`; None where the chip keeps no such count.
    """

    bus_volts: float
    shunt_volts: float | None
    amps: float
    watts: float
    overflow: bool = False
    conversion_ready: bool = True
    energy_joules: float | None = None


@runtime_checkable
class SMBusLike(Protocol):
    """The part of `smbus2.SMBus` the drivers use; `FakeBus` implements the same methods."""

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        """Read a 16-bit word; SMBus delivers the low byte first."""
        ...

    def write_word_data(
        self, i2c_addr: int, register: int, value: int, force: bool | None = None
    ) -> None:
        """Write a 16-bit word; SMBus sends the low byte first."""
        ...

    def read_i2c_block_data(
        self, i2c_addr: int, register: int, length: int, force: bool | None = None
    ) -> list[int]:
        """Read `length` bytes from `register` in the order the chip sends them."""
        ...

    def close(self) -> None:
        """Release the bus."""
        ...


class Sensor(Protocol):
    """A current/voltage sensor on one appliance."""

    @property
    def conversion_time_seconds(self) -> float:
        """How long the chip takes for one new result (0 where unknown)."""
        ...

    @property
    def address(self) -> int | None:
        """The chip's I²C address, None where it has none (a sysfs device found by name)."""
        ...

    def configure(self) -> None:
        """Write the sensor's configuration; raises SensorError."""
        ...

    def read(self) -> Measurement:
        """Read one measurement; raises SensorError."""
        ...

    def close(self) -> None:
        """Release what the sensor holds (not the shared bus)."""
        ...
