"""A register-level INA219 (TI SBOS448) for the FakeBus."""

from __future__ import annotations

from energymon.domain.calibration import SHUNT_LSB_VOLTS
from energymon.drivers import ina219 as reg
from energymon.drivers.sim.chip import ConfiguredChip, calibrated_math

__all__ = ["SimulatedINA219"]

# Equations 4 and 5: current = shunt × calibration / 4096, power = current × bus / 5000.
_DIVISORS = (reg.CALIBRATION_DIVISOR, reg.POWER_DIVISOR)


class SimulatedINA219(ConfiguredChip):
    """Register-level INA219: the analog inputs come from `profile(t) -> (bus_volts, amps)`.

    Follows SBOS448: power-on values, RST, calibration bit 0 void, PGA saturation, current =
    shunt × cal / 4096, power = |current| × bus / 5000, OVF when that math overflows, CNVR set
    per completed conversion and cleared by reading power, conversions timed by the ADC settings
    on `clock`. `shunt_noise_volts` adds deterministic ADC noise of up to that amplitude.
    """

    POWER_ON_CONFIG = reg.POWER_ON_CONFIG
    CONFIG_WRITABLE = 0xBFFF  # bit 14 is reserved

    def _power_on_registers(self) -> None:
        """Calibration 0, no results yet."""
        self._calibration = 0
        self._shunt = self._bus_code = self._current = self._power = 0
        self._ovf = False

    def peek(self, register: int) -> int:  # noqa: PLR0911 - one return per register, as in the map
        """A register's value without side effects (no ACK check, conversion or CNVR clear)."""
        if register == reg.REG_CONFIG:
            return self._config
        if register == reg.REG_SHUNT_VOLTAGE:
            return self._shunt & 0xFFFF
        if register == reg.REG_BUS_VOLTAGE:
            flags = (reg.BUS_CNVR if self._ready else 0) | (reg.BUS_OVF if self._ovf else 0)
            return self._bus_code << reg.BUS_VOLTAGE_SHIFT | flags
        if register == reg.REG_POWER:
            return self._power
        if register == reg.REG_CURRENT:
            return self._current & 0xFFFF
        if register == reg.REG_CALIBRATION:
            return self._calibration
        return 0  # the pointer wraps onto no register: reads as 0 here

    def _after_read(self, register: int) -> None:
        if register == reg.REG_POWER:  # reading power clears CNVR
            self._ready = False

    def _write_register(self, register: int, value: int) -> None:
        if register == reg.REG_CALIBRATION:
            self._calibration = value & 0xFFFE  # FS0 is void

    def _conversion_seconds(self) -> float:
        return reg.conversion_seconds(self._config)

    def _latch(self, moment: float) -> None:
        bus_volts, _, shunt_volts = self._inputs(moment)
        config = self._config
        if config & reg.MODE_SHUNT:
            full_scale = reg.shunt_full_scale(config)
            self._shunt = max(-full_scale, min(full_scale, round(shunt_volts / SHUNT_LSB_VOLTS)))
        if config & reg.MODE_BUS:
            limit = 8000 if config & reg.CONFIG_BRNG else 4000  # 32 V or 16 V at 4 mV
            self._bus_code = max(0, min(limit, round(bus_volts / reg.BUS_VOLTAGE_LSB_VOLTS)))
        self._current, self._power, overflow = calibrated_math(
            self._shunt, self._bus_code, self._calibration, _DIVISORS
        )
        self._ovf = self._overflow_forced or overflow
        self._ready = True
