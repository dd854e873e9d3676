"""What every sensor driver provides: the Sensor protocol, its Measurement and SensorError."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from energymon.errors import EnergymonError

__all__ = ["Measurement", "SMBusLike", "Sensor", "SensorError", "SensorSpec"]


class SensorError(EnergymonError):
    """A sensor could not be read or configured; the message names bus and address."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One conversion read from a sensor, in SI units.

    `watts` carries the sign of `amps` (negative when current flows backwards through the shunt).
    """

    bus_volts: float
    shunt_volts: float
    amps: float
    watts: float
    overflow: bool = False
    conversion_ready: bool = True


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

    def close(self) -> None:
        """Release the bus."""
        ...


class Sensor(Protocol):
    """A current/voltage sensor on one appliance."""

    def configure(self) -> None:
        """Write the sensor's configuration; raises SensorError."""
        ...

    def read(self) -> Measurement:
        """Read one measurement; raises SensorError."""
        ...

    def close(self) -> None:
        """Release what the sensor holds (not the shared bus)."""
        ...


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """What a driver needs to build a sensor for one appliance, taken from the settings."""

    name: str
    bus: int
    address: int
    shunt_ohms: float = 0.1
    max_expected_amps: float = 3.2
    bus_voltage_range: int = 32
    simulation: Mapping[str, Any] = field(default_factory=dict)
