"""A register-level INA3221 (TI SBOS576) for the FakeBus: three channels, each with its load.

Power-on values for every register, RST, channel enables, shunt (40 µV) and bus (8 mV)
values in bits 15..3, saturation at ±163.8 mV, one conversion cycle through the enabled
channels at a time, CVRF set when a cycle ends and cleared by reading Mask/Enable or writing
the configuration.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from energymon.drivers import ina2xx
from energymon.drivers import ina3221 as reg
from energymon.drivers.loads import Profile, noise_unit
from energymon.drivers.sim.chip import ConfiguredChip

__all__ = ["SimulatedINA3221"]

# Power-on values of the registers the driver leaves alone (SBOS576, register map).
_POWER_ON = {
    **dict.fromkeys(range(0x07, 0x0D), 0x7FF8),  # critical and warning alert limits
    0x0D: 0x0000,  # shunt-voltage sum
    0x0E: 0x7FFE,  # shunt-voltage sum limit
    0x10: 0x2710,  # power-valid upper limit, 10 V
    0x11: 0x2328,  # power-valid lower limit, 9 V
}
_MAX_BUS_CODE = 0x0FFF  # 32.76 V at 8 mV, the register's full scale (the pins take 26 V)


def _idle(t: float) -> tuple[float, float]:
    return 0.0, 0.0


class SimulatedINA3221(ConfiguredChip):
    """Three channels: `connect(channel, profile, shunt_ohms)` gives each its load."""

    POWER_ON_CONFIG = reg.POWER_ON_CONFIG

    def __init__(
        self, *, clock: Callable[[], float] = time.time, shunt_noise_volts: float = 0.0
    ) -> None:
        """A chip just powered on, nothing connected (0 V, 0 A on every channel)."""
        self._loads: dict[int, tuple[Profile, float]] = dict.fromkeys(reg.CHANNELS, (_idle, 0.1))
        super().__init__(_idle, clock=clock, shunt_noise_volts=shunt_noise_volts)

    def connect(self, channel: int, profile: Profile, shunt_ohms: float) -> None:
        """Put `profile` on `channel`, measured across `shunt_ohms`."""
        self._loads[channel] = (profile, shunt_ohms)

    def _power_on_registers(self) -> None:
        self._registers = dict(_POWER_ON)
        self._shunt = dict.fromkeys(reg.CHANNELS, 0)
        self._bus = dict.fromkeys(reg.CHANNELS, 0)
        self._ready = False

    def _enabled(self) -> list[int]:
        return [c for c in reg.CHANNELS if self._config & reg.CONFIG_CHANNEL_ENABLE[c]]

    def peek(self, register: int) -> int:  # noqa: PLR0911 - one return per register, as in the map
        """A register's value without side effects."""
        if register == reg.REG_CONFIG:
            return self._config
        if register in (1, 3, 5):
            return (self._shunt[(register + 1) // 2] << reg.DATA_SHIFT) & 0xFFFF
        if register in (2, 4, 6):
            return (self._bus[register // 2] << reg.DATA_SHIFT) & 0xFFFF
        if register == reg.REG_MASK_ENABLE:
            return 0x0002 | (reg.MASK_CVRF if self._ready else 0)  # TCF, set at power-on
        if register == ina2xx.REG_MANUFACTURER_ID:
            return ina2xx.MANUFACTURER_TI
        if register == ina2xx.REG_DIE_ID:
            return reg.DIE_ID
        return self._registers.get(register, 0)

    def _after_read(self, register: int) -> None:
        if register == reg.REG_MASK_ENABLE:
            self._ready = False

    def _write_register(self, register: int, value: int) -> None:
        if register in self._registers:
            self._registers[register] = value

    def _conversion_seconds(self) -> float:
        return ina2xx.conversion_seconds(self._config, channels=len(self._enabled()))

    def _latch(self, moment: float) -> None:
        for channel in self._enabled():
            profile, shunt_ohms = self._loads[channel]
            bus_volts, amps = profile(moment)
            shunt_volts = amps * shunt_ohms + self.shunt_noise_volts * noise_unit(channel, moment)
            if self._config & ina2xx.MODE_SHUNT:
                code = round(shunt_volts / reg.SHUNT_LSB_VOLTS)
                self._shunt[channel] = max(-reg.SHUNT_FULL_SCALE, min(reg.SHUNT_FULL_SCALE, code))
            if self._config & ina2xx.MODE_BUS:
                code = round(bus_volts / reg.BUS_LSB_VOLTS)
                self._bus[channel] = max(0, min(_MAX_BUS_CODE, code))
        self._ready = True
