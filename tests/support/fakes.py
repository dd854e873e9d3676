"""Hand-written fakes shared by tests: a scripted sensor, a wire between the bus and a chip
(the clock fake is `energymon.service.clock.ManualClock`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from energymon.drivers.base import Measurement, SensorError
from energymon.drivers.fakebus import RegisterChip
from energymon.service.clock import Clock


@dataclass(eq=False)
class ScriptedSensor:
    """A sensor whose watts follow a function of the clock, and which fails while told to."""

    conversion_time_seconds: ClassVar[float] = 0.0
    address: ClassVar[int] = 0x40

    clock: Clock
    watts: Callable[[float], float] = lambda t: 100.0
    volts: float = 12.0
    failing: bool = False
    configured: int = 0
    reads: int = 0

    def configure(self) -> None:
        """Count configurations; fails while failing."""
        if self.failing:
            raise SensorError("bus 1 address 0x40: no ACK (simulated)")
        self.configured += 1

    def read(self) -> Measurement:
        """The scripted value at the clock's time."""
        if self.failing:
            raise SensorError("bus 1 address 0x40: no ACK (simulated)")
        self.reads += 1
        watts = self.watts(self.clock.time())
        amps = watts / self.volts
        return Measurement(bus_volts=self.volts, shunt_volts=amps * 0.1, amps=amps, watts=watts)

    def close(self) -> None:
        """Nothing to release."""


class ChipWire:
    """Between the fake bus and a chip: `before_transaction` runs ahead of every read and
    write, and a test's subclass injects its fault there (a NACK, an OSError)."""

    def __init__(self, chip: RegisterChip) -> None:
        self.chip = chip

    def before_transaction(self) -> None:
        """Nothing: a sound wire."""

    def read_register(self, register: int) -> int:
        """Read the chip's register through the wire."""
        self.before_transaction()
        return self.chip.read_register(register)

    def write_register(self, register: int, value: int) -> None:
        """Write the chip's register through the wire."""
        self.before_transaction()
        self.chip.write_register(register, value)
