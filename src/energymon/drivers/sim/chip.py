"""What every simulated chip shares: its analog inputs, conversion timing and injected faults.

A simulated chip answers register reads and writes on a FakeBus exactly as its datasheet says.
Its inputs come from a load profile `(t) -> (bus_volts, amps)` at the moment each conversion
completes, on the clock it is given; conversions complete every `period` seconds.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable
from typing import ClassVar

from energymon.drivers.loads import Profile, noise_unit

__all__ = ["NO_ACK", "ConfiguredChip", "SimulatedChip", "calibrated_math"]

NO_ACK = errno.EREMOTEIO  # what Linux i2c adapters report when nobody ACKs the address
REG_CONFIG = 0x00  # the configuration register of every INA2xx
CONFIG_RST = 1 << 15  # write 1: every register back to its power-on value
MODE_CONTINUOUS = 0b100  # MODE3: convert continuously rather than once per trigger
_NONE_DUE = range(0)


class SimulatedChip:
    """The base of the register-level chips: subclasses give registers and conversions.

    Subclasses implement `_power_on` (every register to its power-on value, then
    `_restart_conversions`), `peek`, `_write` and `_latch` (or all of `_convert`); `_after_read`
    clears flags that a read clears. `shunt_noise_volts` adds deterministic ADC noise of up to
    that amplitude.
    """

    def __init__(
        self,
        profile: Profile,
        *,
        clock: Callable[[], float] = time.time,
        shunt_ohms: float = 0.1,
        shunt_noise_volts: float = 0.0,
    ) -> None:
        """A chip just powered on."""
        self._profile = profile
        self._clock = clock
        self.shunt_ohms = shunt_ohms
        self.shunt_noise_volts = shunt_noise_volts
        self._nacks = 0
        self._present = True
        self._stuck = False
        self._overflow_forced = False
        self._origin = 0.0
        self._period = 0.0
        self._continuous = True
        self._completed = 0
        self._power_on()

    # Fault injection ------------------------------------------------------------------------

    def nack(self, count: int = 1) -> None:
        """The next `count` transactions get no ACK (OSError errno 121)."""
        self._nacks = count

    def remove(self) -> None:
        """Unplug the chip: every transaction gets no ACK until `restore()`."""
        self._present = False

    def restore(self) -> None:
        """Plug the chip back in; it powers on with power-on register values."""
        self._present = True
        self._power_on()

    def brown_out(self) -> None:
        """A supply dip: every register back to its power-on value."""
        self._power_on()

    def stuck(self, stuck: bool = True) -> None:
        """Freeze the conversion results (the ADC stops updating its registers)."""
        self._stuck = stuck

    def force_overflow(self, forced: bool = True) -> None:
        """Flag a math overflow on every conversion."""
        self._overflow_forced = forced

    # Register access ------------------------------------------------------------------------

    def read_register(self, register: int) -> int:
        """Read over I²C: latches a completed conversion, then clears what reading clears."""
        self._acknowledge()
        self._convert()
        value = self.peek(register)
        self._after_read(register)
        return value

    def write_register(self, register: int, value: int) -> None:
        """Write over I²C; conversions completed before the write keep their results."""
        self._acknowledge()
        self._convert()
        self._write(register, value)

    def peek(self, register: int) -> int:
        """A register's value without side effects."""
        raise NotImplementedError

    def _write(self, register: int, value: int) -> None:
        raise NotImplementedError

    def _after_read(self, register: int) -> None:
        """Clear what reading `register` clears (nothing, unless the chip says so)."""

    def _power_on(self) -> None:
        raise NotImplementedError

    def _convert(self) -> None:
        """Latch the newest conversion completed since the last read, if one did."""
        due = self._due()
        if due:
            self._latch(self._moment(due[-1]))

    def _latch(self, moment: float) -> None:
        """Take the inputs at `moment` into the result registers."""
        raise NotImplementedError

    def _acknowledge(self) -> None:
        if self._nacks or not self._present:
            self._nacks = max(0, self._nacks - 1)
            raise OSError(NO_ACK, "Remote I/O error (simulated no ACK)")

    # Conversions ----------------------------------------------------------------------------

    def _restart_conversions(self, period: float, *, continuous: bool = True) -> None:
        """Conversions start afresh now, one every `period` seconds (0: none)."""
        self._origin = self._clock()
        self._period = period
        self._continuous = continuous
        self._completed = 0

    def _due(self) -> range:
        """The indices of the conversions completed since the last call (empty when stuck)."""
        if self._stuck or not self._period:
            return _NONE_DUE
        completed = int((self._clock() - self._origin) / self._period)
        if not self._continuous:
            completed = min(completed, 1)  # triggered: one conversion per mode write
        if completed <= self._completed:
            return _NONE_DUE  # most reads: no conversion finished since the last one
        due = range(self._completed + 1, completed + 1)
        self._completed = max(completed, self._completed)
        return due

    def _moment(self, index: int) -> float:
        """When conversion `index` completed."""
        return self._origin + index * self._period

    def _inputs(self, moment: float) -> tuple[float, float, float]:
        """(bus volts, amps, shunt volts with noise) at `moment`."""
        bus_volts, amps = self._profile(moment)
        shunt_volts = amps * self.shunt_ohms
        if self.shunt_noise_volts:
            shunt_volts += self.shunt_noise_volts * noise_unit(0, moment)
        return bus_volts, amps, shunt_volts


class ConfiguredChip(SimulatedChip):
    """A chip configured in register 0x00 (INA219, INA226, INA260, INA3221): writing RST (bit
    15) powers it on again; otherwise the writable bits (`CONFIG_WRITABLE`) take the value, the
    others keep their power-on value (`POWER_ON_CONFIG`), and conversions restart, one every
    `_conversion_seconds()`, continuously while MODE3 (bit 2) is set. Subclasses set the other
    registers' power-on values in `_power_on_registers`.
    """

    POWER_ON_CONFIG: ClassVar[int] = 0
    CONFIG_WRITABLE: ClassVar[int] = 0x7FFF
    _config: int
    _ready: bool  # conversion ready: CNVR on the INA219, CVRF on the others

    def _power_on(self) -> None:
        self._config = self.POWER_ON_CONFIG
        self._power_on_registers()
        self._restart()

    def _power_on_registers(self) -> None:
        raise NotImplementedError

    def _write(self, register: int, value: int) -> None:
        if register != REG_CONFIG:
            self._write_register(register, value)
        elif value & CONFIG_RST:
            self._power_on()
        else:
            fixed = self.POWER_ON_CONFIG & ~self.CONFIG_WRITABLE
            self._config = value & self.CONFIG_WRITABLE | fixed
            self._restart()

    def _write_register(self, register: int, value: int) -> None:
        """A register other than the configuration; the read-only ones ignore writes."""

    def _restart(self) -> None:
        # Writing the configuration clears conversion-ready and starts conversions afresh.
        continuous = bool(self._config & MODE_CONTINUOUS)
        self._restart_conversions(self._conversion_seconds(), continuous=continuous)
        self._ready = False

    def _conversion_seconds(self) -> float:
        """Seconds from one result to the next under the configuration."""
        raise NotImplementedError


def calibrated_math(
    shunt: int, bus: int, calibration: int, divisors: tuple[int, int]
) -> tuple[int, int, bool]:
    """The current and power registers of an INA219 or INA226, and whether their math
    overflowed: current = shunt × calibration / divisors[0], power = |current| × bus /
    divisors[1], each saturating at its register's range."""
    current_divisor, power_divisor = divisors
    magnitude = abs(shunt) * calibration // current_divisor
    power = magnitude * bus // power_divisor
    overflow = magnitude > 0x7FFF or power > 0xFFFF
    magnitude = min(magnitude, 0x7FFF)
    return -magnitude if shunt < 0 else magnitude, min(power, 0xFFFF), overflow
