"""Hand-written fakes shared by tests: a clock that only moves when told, a scripted sensor."""

from __future__ import annotations

import threading
from collections.abc import Callable

from energymon.drivers.base import Measurement, SensorError


class FakeClock:
    """Wall and monotonic time that advance only through `advance`; `wait` advances too."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.mono = 1000.0

    def time(self) -> float:
        """Wall-clock seconds."""
        return self.now

    def monotonic(self) -> float:
        """Monotonic seconds."""
        return self.mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        self.now += seconds
        self.mono += seconds

    def step_wall(self, seconds: float) -> None:
        """Step the wall clock alone, as NTP does (negative: back); monotonic time stays."""
        self.now += seconds

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Advance instead of sleeping; stopped when the event is set."""
        if stop.is_set():
            return True
        self.advance(max(seconds, 0.0))
        return stop.is_set()


class ScriptedSensor:
    """A sensor whose watts follow a function of the clock, and which fails while told to."""

    def __init__(
        self,
        clock: FakeClock,
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
