"""The INA226 on SMBus (TI SBOS547): 36 V, 16-bit, ±81.92 mV shunt range, calibration register.

Calibration follows the datasheet's equation 1, CAL = 0.00512 / (Current_LSB × R_SHUNT), with
Current_LSB = 2.5 µV / R_SHUNT: CAL is then 2048 and the current register equals the shunt
register, so no resolution is lost to truncation (as the INA219 driver does with 4096).
"""

from __future__ import annotations

from pydantic import Field

from energymon.drivers import ina2xx
from energymon.drivers.chip import CalibratedChip
from energymon.drivers.driver import Bench, Context, Driver
from energymon.drivers.profiles import Load

__all__ = ["DRIVER", "INA226", "INA226Options", "calibration_value"]

# The driver's line in `energymon drivers`.
SUMMARY = "TI INA226: 36 V, 16-bit, ±81.92 mV shunt range"
# Register pointer addresses (SBOS547, register map).
REG_CONFIG = 0x00  # R/W, power-on 0x4127
REG_SHUNT_VOLTAGE = 0x01  # R, signed, LSB 2.5 µV
REG_BUS_VOLTAGE = 0x02  # R, LSB 1.25 mV
REG_POWER = 0x03  # R, unsigned, power LSB = 25 × current LSB
REG_CURRENT = 0x04  # R, signed, = shunt × CAL / 2048
REG_CALIBRATION = 0x05  # R/W, power-on 0; bit 15 reserved
REG_MASK_ENABLE = 0x06  # R/W; reading it clears CVRF
DIE_ID = 0x2260

POWER_ON_CONFIG = 0x4127  # AVG 1, 1.1 ms bus and shunt, shunt+bus continuous
CONFIG_FIXED = 0x4000  # bits 14..12 read 100
MASK_CVRF = 1 << 3  # conversion ready: set when a conversion completes
MASK_OVF = 1 << 2  # math overflow: current or power out of range
SHUNT_LSB_VOLTS = 2.5e-6
SHUNT_FULL_SCALE = 0x7FFF  # ±81.92 mV
BUS_LSB_VOLTS = 1.25e-3
CALIBRATION_CONSTANT = 0.00512  # equation 1's internal fixed value
CALIBRATION_DIVISOR = 2048  # current = shunt × CAL / 2048 (equation 3)
POWER_DIVISOR = 20000  # power = current × bus / 20000 (equation 4)
POWER_LSB_PER_CURRENT_LSB = 25


def calibration_value(current_lsb: float, shunt_ohms: float) -> int:
    """CAL = trunc(0.00512 / (Current_LSB × R_SHUNT)) (SBOS547 equation 1)."""
    return int(CALIBRATION_CONSTANT / (current_lsb * shunt_ohms) + 1e-9)


class INA226(CalibratedChip):
    """One INA226 on a shared SMBus, opened with its options: `configure()` once, then `read()`
    as often as needed."""

    CHIP = "INA226"
    FLAGS_REGISTER = REG_MASK_ENABLE  # reading it clears CVRF
    READY = MASK_CVRF
    OVERFLOW = MASK_OVF
    SHUNT_LSB_VOLTS = SHUNT_LSB_VOLTS
    shunt_full_scale = SHUNT_FULL_SCALE

    def __init__(self, options: INA226Options, context: Context, *, retries: int = 3) -> None:
        """Derive the register values; no I/O."""
        super().__init__(context.bus, options.address, context.bus_number, retries)
        self.current_lsb = SHUNT_LSB_VOLTS / options.shunt_ohms
        self.power_lsb = POWER_LSB_PER_CURRENT_LSB * self.current_lsb
        self.calibration = calibration_value(self.current_lsb, options.shunt_ohms)
        self.config = ina2xx.config_word(fixed_bits=CONFIG_FIXED)
        self.conversion_time_seconds = ina2xx.conversion_seconds(self.config)

    @staticmethod
    def bus_volts(bus_register: int) -> float:
        """The voltage in a bus voltage register value."""
        return bus_register * BUS_LSB_VOLTS


class INA226Options(ina2xx.ShuntOptions):
    """An INA226: shunt up to ±81.92 mV, bus up to 36 V."""

    CHIP = "INA226"
    FULL_SCALE_VOLTS = 0.08192  # ±81.92 mV (SBOS547 electrical characteristics)
    MAX_BUS_VOLTS = 36.0  # common-mode and bus range (SBOS547 recommended operating conditions)

    # Common breakouts carry a 0.1 Ω shunt (R100): ±0.8 A; a 2 mΩ shunt measures ±40 A.
    shunt_ohms: float = Field(0.1, gt=0)
    max_expected_amps: float = Field(0.8, gt=0)


def _simulate(options: INA226Options, bench: Bench, load: Load) -> None:
    from energymon.drivers.sim.ina226 import SimulatedINA226

    chip = SimulatedINA226(load, clock=bench.clock, shunt_ohms=options.shunt_ohms)
    bench.bus.attach(options.address, chip)


_probe = ina2xx.prober("ina226", DIE_ID, INA226.bus_volts)
DRIVER = Driver("ina226", SUMMARY, INA226Options, INA226, _probe, _simulate)
