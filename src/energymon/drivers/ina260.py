"""The INA260 on SMBus (TI SBOS656): 36 V, ±15 A through its own 2 mΩ shunt, no calibration.

Current, bus voltage and power come out in fixed units (1.25 mA, 1.25 mV, 10 mW): there is no
calibration register, so a reset shows only as the configuration back at its power-on value.
"""

from __future__ import annotations

from energymon.drivers import ina2xx
from energymon.drivers.base import Measurement, Sensor, SMBusLike
from energymon.drivers.driver import Bench, Context, Driver, I2COptions, Identified
from energymon.drivers.profiles import Load, LoadLimits
from energymon.drivers.smbus import Registers, to_signed

__all__ = ["DRIVER", "INA260", "INA260Options"]

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


class INA260:
    """One INA260 on a shared SMBus: `configure()` once, then `read()` as often as needed."""

    def __init__(
        self, bus: SMBusLike, *, address: int = 0x40, bus_number: int = 1, retries: int = 3
    ) -> None:
        """Derive the configuration; no I/O."""
        self._registers = Registers(bus, address, bus_number, retries)
        self.address = address
        self.config = ina2xx.config_word(fixed_bits=CONFIG_FIXED)
        self.conversion_time_seconds = ina2xx.conversion_seconds(self.config)
        self.resets = 0  # chip resets (brown-outs) noticed and repaired by read()

    def configure(self) -> None:
        """Write the configuration and read it back."""
        self._registers.setup("INA260", [(REG_CONFIG, self.config)], {REG_CONFIG: self.config})

    def read(self) -> Measurement:
        """Read the latest conversion; repairs a chip that reset since the last read."""
        read = self._registers.read
        flags = read(REG_MASK_ENABLE)  # CVRF first: reading the mask clears it
        current = to_signed(read(REG_CURRENT))
        volts = read(REG_BUS_VOLTAGE) * BUS_LSB_VOLTS
        power = read(REG_POWER) * POWER_LSB_WATTS
        if read(REG_CONFIG) != self.config:  # a brown-out reset the chip
            self.resets += 1
            self.configure()
            flags &= ~MASK_CVRF  # that result came from the power-on configuration
        amps = current * CURRENT_LSB_AMPS
        return Measurement(
            bus_volts=volts,
            shunt_volts=None,
            amps=amps,
            watts=-power if current < 0 else power,
            overflow=bool(flags & MASK_OVF) or current in (-0x8000, 0x7FFF),
            conversion_ready=bool(flags & MASK_CVRF),
        )

    def close(self) -> None:
        """Nothing to release: the bus belongs to whoever opened it."""


class INA260Options(I2COptions):
    """An INA260: the shunt is inside, so the address is all there is to set."""

    def load_limits(self) -> LoadLimits:
        """15 A through the package, 36 V."""
        return LoadLimits(MAX_AMPS, MAX_BUS_VOLTS, "the INA260's continuous current rating")


def _open(options: INA260Options, context: Context) -> Sensor:
    return INA260(context.bus, address=options.address, bus_number=context.bus_number)


def _simulate(options: INA260Options, bench: Bench, load: Load) -> None:
    from energymon.drivers.sim.ina226 import SimulatedINA260

    bench.bus.attach(options.address, SimulatedINA260(load, clock=bench.clock))


def _probe(bus: SMBusLike, address: int) -> Identified | None:
    return ina2xx.identify(
        bus,
        address,
        driver="ina260",
        die_id=DIE_ID,
        bus_register=REG_BUS_VOLTAGE,
        bus_volts=lambda raw: raw * BUS_LSB_VOLTS,
    )


DRIVER = Driver(
    name="ina260",
    summary="TI INA260: 36 V, ±15 A, 2 mΩ shunt inside, 16-bit",
    options=INA260Options,
    open=_open,
    probe=_probe,
    simulate=_simulate,
)
