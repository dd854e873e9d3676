"""The INA219 current/power monitor on SMBus: register map, configuration and reads (TI SBOS448)."""

from __future__ import annotations

import enum

from energymon.domain.calibration import SHUNT_LSB_VOLTS, calibrate
from energymon.drivers.base import SMBusLike
from energymon.drivers.chip import CalibratedChip
from energymon.drivers.smbus import register_from_smbus, smbus_from_register, to_signed

__all__ = [
    "INA219",
    "POWER_ON_CONFIG",
    "Adc",
    "Mode",
    "bus_volts",
    "config_word",
    "conversion_seconds",
    "register_from_smbus",
    "shunt_full_scale",
    "smbus_from_register",
    "to_signed",
]

# Register pointer addresses (SBOS448, register map).
REG_CONFIG = 0x00  # R/W, power-on 0x399F
REG_SHUNT_VOLTAGE = 0x01  # R, signed, LSB 10 µV at every PGA gain
REG_BUS_VOLTAGE = 0x02  # R, bits 15..3 voltage (LSB 4 mV), bit 1 CNVR, bit 0 OVF
REG_POWER = 0x03  # R, unsigned, power LSB = 20 × current LSB; reading it clears CNVR
REG_CURRENT = 0x04  # R, signed, = shunt × calibration / 4096
REG_CALIBRATION = 0x05  # R/W, power-on 0; bit 0 (FS0) is void and reads 0

# Configuration register fields (SBOS448, Configuration Register).
CONFIG_RST = 1 << 15  # write 1: reset every register to its power-on value; self-clearing
CONFIG_BRNG = 1 << 13  # bus voltage range: 0 = 16 V, 1 = 32 V full scale
CONFIG_PG_SHIFT = 11  # PG1..PG0, bits 12..11: shunt PGA gain /1 /2 /4 /8 = ±40..±320 mV
CONFIG_PG_MASK = 0b11
CONFIG_BADC_SHIFT = 7  # BADC4..BADC1, bits 10..7: bus ADC resolution/averaging
CONFIG_SADC_SHIFT = 3  # SADC4..SADC1, bits 6..3: shunt ADC resolution/averaging
CONFIG_ADC_MASK = 0b1111
CONFIG_MODE_MASK = 0b111  # MODE3..MODE1, bits 2..0
POWER_ON_CONFIG = 0x399F  # 32 V, ±320 mV, 12-bit bus and shunt, shunt+bus continuous

# Bus voltage register fields (SBOS448, Bus Voltage Register); bit 2 is reserved.
BUS_VOLTAGE_SHIFT = 3  # BD12..BD0 in bits 15..3
BUS_VOLTAGE_LSB_VOLTS = 0.004  # 4 mV whatever BRNG says
BUS_CNVR = 1 << 1  # conversion ready: set when a conversion completes, cleared by reading power
BUS_OVF = 1 << 0  # math overflow: the current or power calculation is out of range

CALIBRATION_DIVISOR = 4096  # current = shunt × calibration / 4096 (equation 4)
POWER_DIVISOR = 5000  # power = current × bus / 5000 (equation 5)


class Adc(enum.IntEnum):
    """BADC/SADC settings: one conversion at 9..12 bits, or 2..128 12-bit samples averaged."""

    BITS_9 = 0b0000
    BITS_10 = 0b0001
    BITS_11 = 0b0010
    BITS_12 = 0b0011
    SAMPLES_2 = 0b1001
    SAMPLES_4 = 0b1010
    SAMPLES_8 = 0b1011
    SAMPLES_16 = 0b1100
    SAMPLES_32 = 0b1101
    SAMPLES_64 = 0b1110
    SAMPLES_128 = 0b1111


# Conversion time in µs by BADC/SADC code (SBOS448, ADC settings): 0X00..0X11 ignore the X bit,
# 1000 is 12-bit again, 1001..1111 average 2..128 samples.
_ADC_MICROSECONDS = (84, 148, 276, 532) * 2 + (532, 1060, 2130, 4260, 8510, 17020, 34050, 68100)


class Mode(enum.IntEnum):
    """Operating modes (MODE3..MODE1): MODE1 converts shunt, MODE2 bus, MODE3 continuously."""

    POWER_DOWN = 0b000
    SHUNT_TRIGGERED = 0b001
    BUS_TRIGGERED = 0b010
    SHUNT_AND_BUS_TRIGGERED = 0b011
    ADC_OFF = 0b100
    SHUNT_CONTINUOUS = 0b101
    BUS_CONTINUOUS = 0b110
    SHUNT_AND_BUS_CONTINUOUS = 0b111


MODE_SHUNT, MODE_BUS, MODE_CONTINUOUS = 0b001, 0b010, 0b100


def shunt_full_scale(config: int) -> int:
    """The largest shunt register magnitude at the config's PGA gain: 4000 × 2^PG (40..320 mV)."""
    return 4000 << (config >> CONFIG_PG_SHIFT & CONFIG_PG_MASK)


def bus_volts(bus_register: int) -> float:
    """The voltage in a bus voltage register value (its flags in bits 2..0 ignored)."""
    return (bus_register >> BUS_VOLTAGE_SHIFT) * BUS_VOLTAGE_LSB_VOLTS


def config_word(*, bus_voltage_range: int, pga_code: int, adc: Adc, mode: Mode) -> int:
    """The configuration register value; `adc` applies to both the bus and the shunt ADC."""
    if bus_voltage_range not in (16, 32):
        raise ValueError(f"bus_voltage_range must be 16 or 32 (volts), got {bus_voltage_range}")
    brng = CONFIG_BRNG if bus_voltage_range == 32 else 0
    return (
        brng
        | (pga_code & CONFIG_PG_MASK) << CONFIG_PG_SHIFT
        | adc << CONFIG_BADC_SHIFT
        | adc << CONFIG_SADC_SHIFT
        | mode
    )


def conversion_seconds(config: int) -> float:
    """Seconds for one full set of conversions: shunt then bus in the shunt+bus modes, else 0."""
    mode = config & CONFIG_MODE_MASK
    seconds = 0.0
    if mode & MODE_SHUNT:
        seconds += _ADC_MICROSECONDS[config >> CONFIG_SADC_SHIFT & CONFIG_ADC_MASK] * 1e-6
    if mode & MODE_BUS:
        seconds += _ADC_MICROSECONDS[config >> CONFIG_BADC_SHIFT & CONFIG_ADC_MASK] * 1e-6
    return seconds


class INA219(CalibratedChip):
    """One INA219 on a shared SMBus: `configure()` once, then `read()` as often as needed."""

    CHIP = "INA219"
    FLAGS_REGISTER = REG_BUS_VOLTAGE  # read before power: reading power clears CNVR
    READY = BUS_CNVR
    OVERFLOW = BUS_OVF
    SHUNT_LSB_VOLTS = SHUNT_LSB_VOLTS

    def __init__(
        self,
        bus: SMBusLike,
        *,
        address: int = 0x40,
        shunt_ohms: float = 0.1,
        max_expected_amps: float = 3.2,
        bus_voltage_range: int = 32,
        bus_number: int = 1,
        adc: Adc = Adc.BITS_12,
        mode: Mode = Mode.SHUNT_AND_BUS_CONTINUOUS,
        retries: int = 3,
    ) -> None:
        """Derive the register values; no I/O. ValueError for settings the chip cannot meet."""
        super().__init__(bus, address, bus_number, retries)
        setup = calibrate(shunt_ohms, max_expected_amps)
        self.bus_number = bus_number
        self.shunt_ohms = shunt_ohms
        self.config = config_word(
            bus_voltage_range=bus_voltage_range, pga_code=setup.pga_code, adc=adc, mode=mode
        )
        self.calibration = setup.calibration
        self.current_lsb = setup.current_lsb
        self.power_lsb = setup.power_lsb
        self.full_scale_volts = setup.full_scale_volts
        self.conversion_time_seconds = conversion_seconds(self.config)
        self.shunt_full_scale = shunt_full_scale(self.config)

    bus_volts = staticmethod(bus_volts)
