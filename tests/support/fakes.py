"""Hand-written fakes shared by tests: a scripted sensor (the clock fake is
`energymon.service.clock.ManualClock`)."""

from __future__ import annotations

from collections.abc import Callable

from energymon.drivers.base import Measurement, SensorError
from energymon.service.clock import Clock


class ScriptedSensor:
    """A sensor whose watts follow a function of the clock, and which fails while told to."""

    conversion_time_seconds = 0.0
    address = 0x40

    def __init__(
        self,
        clock: Clock,
        watts: Callable[[float], float] = lambda t: 100.0,
        volts: float = 12.0,
    ) -> None:
        self.clock = clock
        self.watts = watts
        self.volts = volts
        self.failing = False
        self.configured = 0
        self.reads = 0

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
