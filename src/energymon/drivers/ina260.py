"""The INA260 on SMBus (TI SBOS656): 36 V, ±15 A through its own 2 mΩ shunt, no calibration.

Current, bus voltage and power come out in fixed units (1.25 mA, 1.25 mV, 10 mW): there is no
calibration register, so a reset shows only as the configuration back at its power-on value.
"""

from __future__ import annotations

from energymon.drivers import ina2xx
from energymon.drivers.base import Measurement
from energymon.drivers.chip import Chip
from energymon.drivers.driver import Bench, Context, Driver, I2COptions
from energymon.drivers.profiles import Load, LoadLimits
from energymon.drivers.smbus import to_signed

__all__ = ["DRIVER", "INA260", "INA260Options"]

# The driver's line in `energymon drivers`.
SUMMARY = "TI INA260: 36 V, ±15 A, 2 mΩ shunt inside, 16-bit"
# Register pointer addresses (SBOS656, register map); Mask/Enable and IDs as on the INA226.
REG_CONFIG = 0x00  # R/W, power-on 0x6127
REG_CURRENT = 0x01  # R, signed, LSB 1.25 mA
REG_BUS_VOLTAGE = 0x02  # R, LSB 1.25 mV
REG_POWER = 0x03  # R, unsigned, LSB 10 mW
REG_MASK_ENABLE = 0x06  # R/W; reading it clears CVRF
DIE_ID = 0x2270

POWER_ON_CONFIG = 0x6127  # AVG 1, 1.1 ms bus and current, continuous
CONFIG_FIXED = 0x6000  # bits 14..12 read 110
MASK_CVRF = 1 << 3
MASK_OVF = 1 << 2
SHUNT_OHMS = 0.002  # the shunt inside the package
CURRENT_LSB_AMPS = 1.25e-3
BUS_LSB_VOLTS = 1.25e-3
POWER_LSB_WATTS = 10e-3
POWER_DIVISOR = 6400  # 1.25 mA × 1.25 mV = 1.5625 µW; 10 mW / 1.5625 µW = 6400
MAX_AMPS = 15.0  # continuous current through the package (SBOS656 absolute maximum ratings)
MAX_BUS_VOLTS = 36.0


def bus_volts(bus_register: int) -> float:
    """The voltage in a bus voltage register value."""
    return bus_register * BUS_LSB_VOLTS


class INA260(Chip):
    """One INA260 on a shared SMBus, opened with its options: `configure()` once, then `read()`
    as often as needed."""

    CHIP = "INA260"

    def __init__(self, options: INA260Options, context: Context, *, retries: int = 3) -> None:
        """Derive the configuration; no I/O."""
        super().__init__(context.bus, options.address, context.bus_number, retries)
        self.config = ina2xx.config_word(fixed_bits=CONFIG_FIXED)
        self.conversion_time_seconds = ina2xx.conversion_seconds(self.config)

    def _settings(self) -> dict[int, int]:
        return {REG_CONFIG: self.config}

    def read(self) -> Measurement:
        """Read the latest conversion; repairs a chip that reset since the last read."""
        read = self._registers.read
        flags = read(REG_MASK_ENABLE)  # CVRF first: reading the mask clears it
        current = to_signed(read(REG_CURRENT))
        volts = bus_volts(read(REG_BUS_VOLTAGE))
        power = read(REG_POWER) * POWER_LSB_WATTS
        if read(REG_CONFIG) != self.config:  # back at its power-on value after a reset
            self._repair()
            flags &= ~MASK_CVRF  # that result came from the power-on configuration
        return Measurement(
            bus_volts=volts,
            shunt_volts=None,
            amps=current * CURRENT_LSB_AMPS,
            watts=-power if current < 0 else power,
            overflow=bool(flags & MASK_OVF) or current in (-0x8000, 0x7FFF),
            conversion_ready=bool(flags & MASK_CVRF),
        )


class INA260Options(I2COptions):
    """An INA260: the shunt is inside, so the address is all there is to set."""

    def load_limits(self) -> LoadLimits:
        """15 A through the package, 36 V."""
        return LoadLimits(MAX_AMPS, MAX_BUS_VOLTS, "the INA260's continuous current rating")


def _simulate(options: INA260Options, bench: Bench, load: Load) -> None:
    from energymon.drivers.sim.ina226 import SimulatedINA260

    bench.bus.attach(options.address, SimulatedINA260(load, clock=bench.clock))


_probe = ina2xx.prober("ina260", DIE_ID, bus_volts)
DRIVER = Driver("ina260", SUMMARY, INA260Options, INA260, _probe, _simulate)
