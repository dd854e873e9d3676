"""A fake SMBus with simulated INA219 chips, so the real driver runs on any machine."""

from __future__ import annotations

import errno
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from energymon.domain.calibration import SHUNT_LSB_VOLTS
from energymon.drivers import ina219 as reg
from energymon.drivers.profiles import Profile, noise_unit

__all__ = ["FakeBus", "RegisterChip", "SimulatedINA219"]

_NO_ACK = errno.EREMOTEIO  # what Linux i2c adapters report when nobody ACKs the address


def _no_ack(address: int) -> OSError:
    return OSError(_NO_ACK, f"Remote I/O error (no ACK from 0x{address:02X})")


class RegisterChip(Protocol):
    """A device on the fake bus: 16-bit registers in the chip's own (big-endian) byte order."""

    def read_register(self, register: int) -> int:
        """The register's value; OSError when the chip does not answer."""
        ...

    def write_register(self, register: int, value: int) -> None:
        """Write the register; OSError when the chip does not answer."""
        ...


class FakeBus:
    """An SMBus in memory: same methods and byte order as `smbus2.SMBus`, chips by address.

    `log` holds the last completed transactions as (op, address, register, register value),
    op "read" or "write", the value as the chip holds it (not the SMBus word).
    """

    def __init__(self, *, log_size: int = 1000) -> None:
        """An empty bus; attach chips to give it devices."""
        self._chips: dict[int, RegisterChip] = {}
        self.log: deque[tuple[str, int, int, int]] = deque(maxlen=log_size)
        self.closed = False

    def attach(self, address: int, chip: RegisterChip) -> None:
        """Put `chip` on the bus at `address`, replacing any chip there."""
        self._chips[address] = chip

    def detach(self, address: int) -> RegisterChip | None:
        """Take the chip at `address` off the bus; transactions to it then get no ACK."""
        return self._chips.pop(address, None)

    def _chip(self, address: int) -> RegisterChip:
        if self.closed:
            raise OSError(errno.EBADF, "Bad file descriptor (bus closed)")
        chip = self._chips.get(address)
        if chip is None:
            raise _no_ack(address)
        return chip

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        """Read a register; the chip sends its high byte first, SMBus makes it the low byte."""
        value = self._chip(i2c_addr).read_register(register)
        self.log.append(("read", i2c_addr, register, value))
        return int.from_bytes(value.to_bytes(2, "big"), "little")

    def write_word_data(
        self, i2c_addr: int, register: int, value: int, force: bool | None = None
    ) -> None:
        """Write a register; SMBus sends the word's low byte first, the chip takes it as high."""
        chip_value = int.from_bytes(value.to_bytes(2, "little"), "big")
        self._chip(i2c_addr).write_register(register, chip_value)
        self.log.append(("write", i2c_addr, register, chip_value))

    def close(self) -> None:
        """Close the bus; later transactions fail with EBADF like a closed smbus2.SMBus."""
        self.closed = True


class SimulatedINA219:
    """Register-level INA219: the analog inputs come from `profile(t) -> (bus_volts, amps)`.

    Follows SBOS448: power-on values, RST, calibration bit 0 void, PGA saturation, current =
    shunt × cal / 4096, power = |current| × bus / 5000, OVF when that math overflows, CNVR set
    per completed conversion and cleared by reading power, conversions timed by the ADC settings
    on `clock`. `shunt_noise_volts` adds deterministic ADC noise of up to that amplitude.
    """

    def __init__(
        self,
        profile: Profile,
        *,
        clock: Callable[[], float] = time.time,
        shunt_ohms: float = 0.1,
        shunt_noise_volts: float = 0.0,
    ) -> None:
        """A chip just powered on, converting continuously at 12 bits."""
        self._profile = profile
        self._clock = clock
        self.shunt_ohms = shunt_ohms
        self.shunt_noise_volts = shunt_noise_volts
        self._nacks = 0
        self._present = True
        self._stuck = False
        self._overflow_forced = False
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
        """A supply dip: every register back to its power-on value (config 0x399F, cal 0)."""
        self._power_on()

    def stuck(self, stuck: bool = True) -> None:
        """Freeze the conversion results (the ADC stops updating its registers)."""
        self._stuck = stuck

    def force_overflow(self, forced: bool = True) -> None:
        """Set OVF on every conversion, as if the current or power math overflowed."""
        self._overflow_forced = forced

    def _power_on(self) -> None:
        """Reset every register to its power-on value and restart conversions."""
        self._config = reg.POWER_ON_CONFIG
        self._calibration = 0
        self._shunt = self._bus_code = self._current = self._power = 0
        self._ovf = False
        self._restart_conversions()

    # Register access ------------------------------------------------------------------------

    def peek(self, register: int) -> int:  # noqa: PLR0911 - one return per register, as in the map
        """A register's value without side effects (no ACK check, conversion or CNVR clear)."""
        if register == reg.REG_CONFIG:
            return self._config
        if register == reg.REG_SHUNT_VOLTAGE:
            return self._shunt & 0xFFFF
        if register == reg.REG_BUS_VOLTAGE:
            flags = (reg.BUS_CNVR if self._cnvr else 0) | (reg.BUS_OVF if self._ovf else 0)
            return self._bus_code << reg.BUS_VOLTAGE_SHIFT | flags
        if register == reg.REG_POWER:
            return self._power
        if register == reg.REG_CURRENT:
            return self._current & 0xFFFF
        if register == reg.REG_CALIBRATION:
            return self._calibration
        return 0  # the pointer wraps onto no register: reads as 0 here

    def read_register(self, register: int) -> int:
        """Read over I²C: latches a completed conversion; reading power clears CNVR."""
        self._acknowledge()
        self._convert()
        value = self.peek(register)
        if register == reg.REG_POWER:
            self._cnvr = False
        return value

    def write_register(self, register: int, value: int) -> None:
        """Write over I²C: config (RST resets everything) or calibration; others are read-only."""
        self._acknowledge()
        self._convert()  # conversions completed before this write keep their results
        if register == reg.REG_CONFIG:
            if value & reg.CONFIG_RST:
                self._power_on()
            else:
                self._config = value & ~(1 << 14)  # bit 14 is reserved
                self._restart_conversions()
        elif register == reg.REG_CALIBRATION:
            self._calibration = value & 0xFFFE  # FS0 is void

    # Conversions ----------------------------------------------------------------------------

    def _acknowledge(self) -> None:
        if self._nacks or not self._present:
            self._nacks = max(0, self._nacks - 1)
            raise OSError(_NO_ACK, "Remote I/O error (simulated no ACK)")

    def _restart_conversions(self) -> None:
        # Writing the configuration clears CNVR and starts conversions afresh (SBOS448).
        self._origin = self._clock()
        self._period = reg.conversion_seconds(self._config)
        self._completed = 0
        self._cnvr = False

    def _convert(self) -> None:
        """Latch the newest conversion completed by now, with the inputs at its end."""
        if self._stuck or not self._period:
            return
        completed = int((self._clock() - self._origin) / self._period)
        if not self._config & reg.MODE_CONTINUOUS:
            completed = min(completed, 1)  # triggered: one conversion per mode write
        if completed == self._completed:
            return
        self._completed = completed
        moment = self._origin + completed * self._period
        bus_volts, amps = self._profile(moment)
        config = self._config
        if config & reg.MODE_SHUNT:
            shunt_volts = amps * self.shunt_ohms
            if self.shunt_noise_volts:
                shunt_volts += self.shunt_noise_volts * noise_unit(0, moment)
            full_scale = reg.shunt_full_scale(config)
            self._shunt = max(-full_scale, min(full_scale, round(shunt_volts / SHUNT_LSB_VOLTS)))
        if config & reg.MODE_BUS:
            limit = 8000 if config & reg.CONFIG_BRNG else 4000  # 32 V or 16 V at 4 mV
            self._bus_code = max(0, min(limit, round(bus_volts / reg.BUS_VOLTAGE_LSB_VOLTS)))
        magnitude = abs(self._shunt) * self._calibration // reg.CALIBRATION_DIVISOR
        power = magnitude * self._bus_code // reg.POWER_DIVISOR
        self._ovf = self._overflow_forced or magnitude > 0x7FFF or power > 0xFFFF
        magnitude = min(magnitude, 0x7FFF)
        self._current = -magnitude if self._shunt < 0 else magnitude
        self._power = min(power, 0xFFFF)
        self._cnvr = True
