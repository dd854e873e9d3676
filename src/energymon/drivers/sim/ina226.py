"""Register-level INA226 (TI SBOS547) and INA260 (TI SBOS656) for the FakeBus.

Both follow their datasheets: power-on values, RST, the manufacturer and die IDs, shunt and bus
saturation, current and power arithmetic with their divisors, CVRF set per completed conversion
and cleared by reading Mask/Enable or writing the configuration, OVF when the math overflows.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from energymon.drivers import ina2xx
from energymon.drivers import ina226 as ina226_reg
from energymon.drivers import ina260 as ina260_reg
from energymon.drivers.loads import Profile
from energymon.drivers.sim.chip import SimulatedChip

__all__ = ["SimulatedINA226", "SimulatedINA260"]

_MAX_BUS_CODE = 0x7FFF  # 40.96 V at 1.25 mV: the register's full scale (the pins take 36 V)


class _Family(SimulatedChip):
    """Configuration, Mask/Enable and the ID registers, as the INA226 and INA260 share them."""

    POWER_ON_CONFIG = 0
    DIE_ID = 0

    def _power_on(self) -> None:
        self._config = self.POWER_ON_CONFIG
        self._mask = 0
        self._cvrf = self._ovf = False
        self._power_on_results()
        self._restart()

    def _power_on_results(self) -> None:
        raise NotImplementedError

    def _flags(self) -> int:
        cvrf = ina226_reg.MASK_CVRF if self._cvrf else 0
        return self._mask | cvrf | (ina226_reg.MASK_OVF if self._ovf else 0)

    def _family_register(self, register: int) -> int | None:
        """Configuration, Mask/Enable and IDs; None for the chip's own registers."""
        values = {
            ina226_reg.REG_CONFIG: self._config,
            ina226_reg.REG_MASK_ENABLE: self._flags(),
            ina2xx.REG_MANUFACTURER_ID: ina2xx.MANUFACTURER_TI,
            ina2xx.REG_DIE_ID: self.DIE_ID,
        }
        return values.get(register)

    def _after_read(self, register: int) -> None:
        if register == ina226_reg.REG_MASK_ENABLE:
            self._cvrf = False

    def _write(self, register: int, value: int) -> None:
        if register == ina226_reg.REG_CONFIG:
            if value & ina2xx.CONFIG_RST:
                self._power_on()
            else:  # bits 14..12 are fixed
                self._config = value & 0x0FFF | self.POWER_ON_CONFIG & 0x7000
                self._restart()
        elif register == ina226_reg.REG_MASK_ENABLE:
            self._mask = value & 0xFC13  # the alert enables and polarity/latch bits
        else:
            self._write_own(register, value)

    def _write_own(self, register: int, value: int) -> None:
        """Registers of one chip only; the read-only ones ignore writes."""

    def _restart(self) -> None:
        continuous = bool(self._config & ina2xx.MODE_CONTINUOUS)
        self._restart_conversions(ina2xx.conversion_seconds(self._config), continuous=continuous)
        self._cvrf = False

    def _bus_code(self, bus_volts: float) -> int:
        return max(0, min(_MAX_BUS_CODE, round(bus_volts / ina226_reg.BUS_LSB_VOLTS)))


class SimulatedINA226(_Family):
    """An INA226 behind `shunt_ohms`, its inputs from `profile(t) -> (bus_volts, amps)`."""

    POWER_ON_CONFIG = ina226_reg.POWER_ON_CONFIG
    DIE_ID = ina226_reg.DIE_ID

    def _power_on_results(self) -> None:
        self._calibration = 0
        self._shunt = self._bus = self._current = self._power = 0

    def peek(self, register: int) -> int:
        """A register's value without side effects."""
        family = self._family_register(register)
        if family is not None:
            return family
        values = {
            ina226_reg.REG_SHUNT_VOLTAGE: self._shunt & 0xFFFF,
            ina226_reg.REG_BUS_VOLTAGE: self._bus,
            ina226_reg.REG_POWER: self._power,
            ina226_reg.REG_CURRENT: self._current & 0xFFFF,
            ina226_reg.REG_CALIBRATION: self._calibration,
        }
        return values.get(register, 0)

    def _write_own(self, register: int, value: int) -> None:
        if register == ina226_reg.REG_CALIBRATION:
            self._calibration = value & 0x7FFF  # bit 15 is reserved

    def _convert(self) -> None:
        due = self._due()
        if not due:
            return
        bus_volts, _, shunt_volts = self._inputs(self._moment(due[-1]))
        full_scale = ina226_reg.SHUNT_FULL_SCALE
        if self._config & ina2xx.MODE_SHUNT:
            code = round(shunt_volts / ina226_reg.SHUNT_LSB_VOLTS)
            self._shunt = max(-full_scale - 1, min(full_scale, code))
        if self._config & ina2xx.MODE_BUS:
            self._bus = self._bus_code(bus_volts)
        # Equations 3 and 4: current = shunt × CAL / 2048, power = current × bus / 20000.
        magnitude = abs(self._shunt) * self._calibration // ina226_reg.CALIBRATION_DIVISOR
        power = magnitude * self._bus // ina226_reg.POWER_DIVISOR
        self._ovf = self._overflow_forced or magnitude > 0x7FFF or power > 0xFFFF
        magnitude = min(magnitude, 0x7FFF)
        self._current = -magnitude if self._shunt < 0 else magnitude
        self._power = min(power, 0xFFFF)
        self._cvrf = True


class SimulatedINA260(_Family):
    """An INA260, its 2 mΩ shunt inside, its inputs from `profile(t) -> (bus_volts, amps)`."""

    POWER_ON_CONFIG = ina260_reg.POWER_ON_CONFIG
    DIE_ID = ina260_reg.DIE_ID

    def __init__(
        self,
        profile: Profile,
        *,
        clock: Callable[[], float] = time.time,
        shunt_noise_volts: float = 0.0,
    ) -> None:
        """A chip just powered on; the shunt is the chip's own."""
        super().__init__(
            profile,
            clock=clock,
            shunt_ohms=ina260_reg.SHUNT_OHMS,
            shunt_noise_volts=shunt_noise_volts,
        )

    def _power_on_results(self) -> None:
        self._current = self._bus = self._power = 0

    def peek(self, register: int) -> int:
        """A register's value without side effects."""
        family = self._family_register(register)
        if family is not None:
            return family
        values = {
            ina260_reg.REG_CURRENT: self._current & 0xFFFF,
            ina260_reg.REG_BUS_VOLTAGE: self._bus,
            ina260_reg.REG_POWER: self._power,
        }
        return values.get(register, 0)

    def _convert(self) -> None:
        due = self._due()
        if not due:
            return
        bus_volts, _, shunt_volts = self._inputs(self._moment(due[-1]))
        if self._config & ina2xx.MODE_SHUNT:
            code = round(shunt_volts / ina260_reg.SHUNT_OHMS / ina260_reg.CURRENT_LSB_AMPS)
            self._current = max(-0x8000, min(0x7FFF, code))
        if self._config & ina2xx.MODE_BUS:
            self._bus = self._bus_code(bus_volts)
        power = abs(self._current) * self._bus // ina260_reg.POWER_DIVISOR
        self._ovf = self._overflow_forced or power > 0xFFFF
        self._power = min(power, 0xFFFF)
        self._cvrf = True
