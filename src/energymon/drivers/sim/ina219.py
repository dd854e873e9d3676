"""A register-level INA219 (TI SBOS448) for the FakeBus."""

from __future__ import annotations

from energymon.domain.calibration import SHUNT_LSB_VOLTS
from energymon.drivers import ina219 as reg
from energymon.drivers.sim.chip import SimulatedChip

__all__ = ["SimulatedINA219"]


class SimulatedINA219(SimulatedChip):
    """Register-level INA219: the analog inputs come from `profile(t) -> (bus_volts, amps)`.

    Follows SBOS448: power-on values, RST, calibration bit 0 void, PGA saturation, current =
    shunt × cal / 4096, power = |current| × bus / 5000, OVF when that math overflows, CNVR set
    per completed conversion and cleared by reading power, conversions timed by the ADC settings
    on `clock`. `shunt_noise_volts` adds deterministic ADC noise of up to that amplitude.
    """

    def _power_on(self) -> None:
        """Reset every register to its power-on value (config 0x399F, calibration 0)."""
        self._config = reg.POWER_ON_CONFIG
        self._calibration = 0
        self._shunt = self._bus_code = self._current = self._power = 0
        self._ovf = False
        self._restart()

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

    def _after_read(self, register: int) -> None:
        if register == reg.REG_POWER:  # reading power clears CNVR
            self._cnvr = False

    def _write(self, register: int, value: int) -> None:
        """Config (RST resets everything) or calibration; the other registers are read-only."""
        if register == reg.REG_CONFIG:
            if value & reg.CONFIG_RST:
                self._power_on()
            else:
                self._config = value & ~(1 << 14)  # bit 14 is reserved
                self._restart()
        elif register == reg.REG_CALIBRATION:
            self._calibration = value & 0xFFFE  # FS0 is void

    def _restart(self) -> None:
        # Writing the configuration clears CNVR and starts conversions afresh (SBOS448).
        continuous = bool(self._config & reg.MODE_CONTINUOUS)
        self._restart_conversions(reg.conversion_seconds(self._config), continuous=continuous)
        self._cnvr = False

    def _convert(self) -> None:
        """Latch the newest conversion completed by now, with the inputs at its end."""
        due = self._due()
        if not due:
            return
        bus_volts, _, shunt_volts = self._inputs(self._moment(due[-1]))
        config = self._config
        if config & reg.MODE_SHUNT:
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
