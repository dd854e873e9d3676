"""What the INA226, INA260 and INA3221 share: the configuration register, timing and IDs.

Their configuration registers have one layout (SBOS547, SBOS656, SBOS576): RST in bit 15,
AVG in bits 11..9, VBUSCT in 8..6, VSHCT in 5..3, MODE in 2..0; bits 14..12 are fixed on the
INA226/INA260 and are the channel enables on the INA3221. Each chip names itself in two
read-only registers: manufacturer ID 0xFE = 0x5449 ("TI") and a die ID in 0xFF.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

from pydantic import Field, model_validator

from energymon.drivers.base import SMBusLike
from energymon.drivers.driver import I2COptions, Identified, Prober
from energymon.drivers.profiles import LoadLimits
from energymon.drivers.smbus import Registers

__all__ = [
    "AVERAGES",
    "CONVERSION_MICROSECONDS",
    "MANUFACTURER_TI",
    "Averaging",
    "ConversionTime",
    "Mode",
    "ShuntOptions",
    "config_word",
    "conversion_seconds",
    "names_itself",
    "prober",
]

REG_BUS_VOLTAGE = 0x02  # on the INA3221, channel 1's
REG_MANUFACTURER_ID = 0xFE
REG_DIE_ID = 0xFF
MANUFACTURER_TI = 0x5449  # "TI" in ASCII

CONFIG_RST = 1 << 15  # write 1: every register back to its power-on value; self-clearing
CONFIG_AVG_SHIFT = 9  # AVG2..AVG0, bits 11..9
CONFIG_VBUSCT_SHIFT = 6  # VBUSCT2..0, bits 8..6
CONFIG_VSHCT_SHIFT = 3  # VSHCT2..0, bits 5..3
CONFIG_FIELD_MASK = 0b111
MODE_SHUNT, MODE_BUS, MODE_CONTINUOUS = 0b001, 0b010, 0b100

# Conversion time by VBUSCT/VSHCT code, and samples averaged by AVG code (same three datasheets).
CONVERSION_MICROSECONDS = (140, 204, 332, 588, 1100, 2116, 4156, 8244)
AVERAGES = (1, 4, 16, 64, 128, 256, 512, 1024)


class ConversionTime(enum.IntEnum):
    """VBUSCT/VSHCT codes, named by their conversion time."""

    US_140 = 0
    US_204 = 1
    US_332 = 2
    US_588 = 3
    US_1100 = 4
    US_2116 = 5
    US_4156 = 6
    US_8244 = 7


class Averaging(enum.IntEnum):
    """AVG codes, named by how many samples each result averages."""

    SAMPLES_1 = 0
    SAMPLES_4 = 1
    SAMPLES_16 = 2
    SAMPLES_64 = 3
    SAMPLES_128 = 4
    SAMPLES_256 = 5
    SAMPLES_512 = 6
    SAMPLES_1024 = 7


class Mode(enum.IntEnum):
    """MODE3..MODE1: bit 0 converts the shunt, bit 1 the bus, bit 2 continuously."""

    POWER_DOWN = 0b000
    SHUNT_TRIGGERED = 0b001
    BUS_TRIGGERED = 0b010
    SHUNT_AND_BUS_TRIGGERED = 0b011
    SHUNT_CONTINUOUS = 0b101
    BUS_CONTINUOUS = 0b110
    SHUNT_AND_BUS_CONTINUOUS = 0b111


class ShuntOptions(I2COptions):
    """Options of a chip measuring across an external shunt with a fixed range.

    Subclasses set the chip's `CHIP`, `FULL_SCALE_VOLTS` (largest shunt voltage) and
    `MAX_BUS_VOLTS`, and the defaults of `shunt_ohms` and `max_expected_amps`.
    """

    CHIP: ClassVar[str] = "INA2xx"
    FULL_SCALE_VOLTS: ClassVar[float] = 0.08192
    MAX_BUS_VOLTS: ClassVar[float] = 36.0

    shunt_ohms: float = Field(0.1, gt=0)
    max_expected_amps: float = Field(0.8, gt=0)

    @model_validator(mode="after")
    def _shunt_range_fits(self) -> Self:
        shunt_volts = self.max_expected_amps * self.shunt_ohms
        if shunt_volts > self.FULL_SCALE_VOLTS * (1 + 1e-9):
            raise ValueError(
                f"max_expected_amps × shunt_ohms: {shunt_volts * 1e3:.1f} mV exceeds the "
                f"{self.CHIP}'s ±{self.FULL_SCALE_VOLTS * 1e3:g} mV range; "
                "lower max_expected_amps or use a smaller shunt"
            )
        return self

    def load_limits(self) -> LoadLimits:
        """The shunt range across this shunt, and the chip's bus voltage."""
        why = f"±{self.FULL_SCALE_VOLTS * 1e3:g} mV across a {self.shunt_ohms:g} Ω shunt"
        return LoadLimits(self.FULL_SCALE_VOLTS / self.shunt_ohms, self.MAX_BUS_VOLTS, why)


def config_word(
    *,
    fixed_bits: int,
    averaging: Averaging = Averaging.SAMPLES_4,
    bus_time: ConversionTime = ConversionTime.US_1100,
    shunt_time: ConversionTime = ConversionTime.US_1100,
    mode: Mode = Mode.SHUNT_AND_BUS_CONTINUOUS,
) -> int:
    """The configuration register value; `fixed_bits` are bits 14..12 as the chip wants them."""
    return (
        fixed_bits
        | averaging << CONFIG_AVG_SHIFT
        | bus_time << CONFIG_VBUSCT_SHIFT
        | shunt_time << CONFIG_VSHCT_SHIFT
        | mode
    )


def conversion_seconds(config: int, channels: int = 1) -> float:
    """Seconds from one result to the next: each enabled input's time, averaged, per channel."""
    mode = config & CONFIG_FIELD_MASK
    microseconds = 0
    if mode & MODE_SHUNT:
        microseconds += CONVERSION_MICROSECONDS[config >> CONFIG_VSHCT_SHIFT & CONFIG_FIELD_MASK]
    if mode & MODE_BUS:
        microseconds += CONVERSION_MICROSECONDS[config >> CONFIG_VBUSCT_SHIFT & CONFIG_FIELD_MASK]
    averages = AVERAGES[config >> CONFIG_AVG_SHIFT & CONFIG_FIELD_MASK]
    return microseconds * averages * channels * 1e-6


def names_itself(bus: SMBusLike, address: int, die_id: int) -> bool:
    """Whether the chip at `address` reads TI's manufacturer ID and this die ID (reads only)."""
    registers = Registers(bus, address, retries=0)
    return (
        registers.read(REG_MANUFACTURER_ID) == MANUFACTURER_TI
        and registers.read(REG_DIE_ID) == die_id
    )


def prober(
    driver: str,
    die_id: int,
    bus_volts: Callable[[int], float],
    appliances: tuple[Mapping[str, Any], ...] = ({},),
) -> Prober:
    """A driver's `probe` for a chip with ID registers: its name, and the bus voltage that
    `bus_volts` reads in register 0x02 (on the INA3221, channel 1's)."""

    def probe(bus: SMBusLike, address: int) -> Identified | None:
        if not names_itself(bus, address, die_id):
            return None
        volts = bus_volts(Registers(bus, address, retries=0).read(REG_BUS_VOLTAGE))
        detail = f"{driver.upper()} (manufacturer 0x{MANUFACTURER_TI:04X}, die 0x{die_id:04X})"
        return Identified(driver, detail, volts, appliances=appliances)

    return probe
