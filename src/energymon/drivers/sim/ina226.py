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
from energymon.drivers.sim.chip import ConfiguredChip, calibrated_math

__all__ = ["SimulatedINA226", "SimulatedINA260"]

_MAX_BUS_CODE = 0x7FFF  # 40.96 V at 1.25 mV: the register's full scale (the pins take 36 V)
# Equations 3 and 4: current = shunt × CAL / 2048, power = current × bus / 20000.
_DIVISORS = (ina226_reg.CALIBRATION_DIVISOR, ina226_reg.POWER_DIVISOR)


class _Family(ConfiguredChip):
    """Configuration, Mask/Enable and the ID registers, as the INA226 and INA260 share them."""

    CONFIG_WRITABLE = 0x0FFF  # bits 14..12 are fixed
    DIE_ID = 0

    def _power_on_registers(self) -> None:
        self._mask = 0
        self._ready = self._ovf = False
        self._current = self._bus = self._power = 0
        self._power_on_results()

    def _power_on_results(self) -> None:
        """The chip's own registers at power-on."""

    def _flags(self) -> int:
        cvrf = ina226_reg.MASK_CVRF if self._ready else 0
        return self._mask | cvrf | (ina226_reg.MASK_OVF if self._ovf else 0)

    def peek(self, register: int) -> int:
        """A register's value without side effects."""
        values = {
            ina226_reg.REG_CONFIG: self._config,
            ina226_reg.REG_MASK_ENABLE: self._flags(),
            ina2xx.REG_MANUFACTURER_ID: ina2xx.MANUFACTURER_TI,
            ina2xx.REG_DIE_ID: self.DIE_ID,
            **self._own_registers(),
        }
        return values.get(register, 0)

    def _own_registers(self) -> dict[int, int]:
        """The values of the registers of one chip only."""
        raise NotImplementedError

    def _after_read(self, register: int) -> None:
        if register == ina226_reg.REG_MASK_ENABLE:
            self._ready = False

    def _write_register(self, register: int, value: int) -> None:
        if register == ina226_reg.REG_MASK_ENABLE:
            self._mask = value & 0xFC13  # the alert enables and polarity/latch bits
        else:
            self._write_own(register, value)

    def _write_own(self, register: int, value: int) -> None:
        """Registers of one chip only; the read-only ones ignore writes."""

    def _conversion_seconds(self) -> float:
        return ina2xx.conversion_seconds(self._config)

    def _latch(self, moment: float) -> None:
        """Latch the inputs at `moment` (`_results`), flag the conversion complete."""
        bus_volts, _, shunt_volts = self._inputs(moment)
        if self._config & ina2xx.MODE_BUS:
            self._bus = max(0, min(_MAX_BUS_CODE, round(bus_volts / ina226_reg.BUS_LSB_VOLTS)))
        self._results(shunt_volts)
        self._ready = True

    def _results(self, shunt_volts: float) -> None:
        raise NotImplementedError


class SimulatedINA226(_Family):
    """An INA226 behind `shunt_ohms`, its inputs from `profile(t) -> (bus_volts, amps)`."""

    POWER_ON_CONFIG = ina226_reg.POWER_ON_CONFIG
    DIE_ID = ina226_reg.DIE_ID

    def _power_on_results(self) -> None:
        self._calibration = self._shunt = 0

    def _own_registers(self) -> dict[int, int]:
        return {
            ina226_reg.REG_SHUNT_VOLTAGE: self._shunt & 0xFFFF,
            ina226_reg.REG_BUS_VOLTAGE: self._bus,
            ina226_reg.REG_POWER: self._power,
            ina226_reg.REG_CURRENT: self._current & 0xFFFF,
            ina226_reg.REG_CALIBRATION: self._calibration,
        }

    def _write_own(self, register: int, value: int) -> None:
        if register == ina226_reg.REG_CALIBRATION:
            self._calibration = value & 0x7FFF  # bit 15 is reserved

    def _results(self, shunt_volts: float) -> None:
        if self._config & ina2xx.MODE_SHUNT:
            full_scale = ina226_reg.SHUNT_FULL_SCALE
            code = round(shunt_volts / ina226_reg.SHUNT_LSB_VOLTS)
            self._shunt = max(-full_scale - 1, min(full_scale, code))
        self._current, self._power, overflow = calibrated_math(
            self._shunt, self._bus, self._calibration, _DIVISORS
        )
        self._ovf = self._overflow_forced or overflow


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

    def _own_registers(self) -> dict[int, int]:
        return {
            ina260_reg.REG_CURRENT: self._current & 0xFFFF,
            ina260_reg.REG_BUS_VOLTAGE: self._bus,
            ina260_reg.REG_POWER: self._power,
        }

    def _results(self, shunt_volts: float) -> None:
        if self._config & ina2xx.MODE_SHUNT:
            code = round(shunt_volts / ina260_reg.SHUNT_OHMS / ina260_reg.CURRENT_LSB_AMPS)
            self._current = max(-0x8000, min(0x7FFF, code))
        power = abs(self._current) * self._bus // ina260_reg.POWER_DIVISOR
        self._ovf = self._overflow_forced or power > 0xFFFF
        self._power = min(power, 0xFFFF)
