"""The INA228 on SMBus (TI SBOSA20): 85 V, 20-bit, ±163.84 / ±40.96 mV, energy accumulator.

SHUNT_CAL = 13107.2 × 10⁶ × CURRENT_LSB × R_SHUNT (× 4 with ADCRANGE = 1), CURRENT_LSB =
max_expected_amps / 2¹⁹. Voltage, current and power registers are 24 bits wide (20-bit values
in bits 23..4), the energy register 40 bits: they are read as I²C blocks. The chip integrates
power at every conversion; its accumulator (energy_joules in each Measurement) is preferred
to integrating 20 readings a second, and survives its 40-bit wrap (energymon.drivers.accumulator).
"""

from __future__ import annotations

from pydantic import Field

from energymon.drivers import ina2xx
from energymon.drivers.accumulator import EnergyCounter
from energymon.drivers.base import Measurement, SMBusLike
from energymon.drivers.chip import Chip
from energymon.drivers.driver import Bench, Context, Driver, Identified
from energymon.drivers.profiles import Load
from energymon.drivers.smbus import Registers, to_signed

__all__ = ["DRIVER", "INA228", "INA228Options", "adc_range_for", "bus_volts", "shunt_calibration"]

# The driver's line in `energymon drivers`.
SUMMARY = "TI INA228: 85 V, 20-bit, ±163.84/40.96 mV, energy and charge accumulators"
# Register pointer addresses and widths (SBOSA20, register map).
REG_CONFIG = 0x00  # 16 bits, power-on 0x0000
REG_ADC_CONFIG = 0x01  # 16 bits, power-on 0xFB68
REG_SHUNT_CAL = 0x02  # 16 bits, power-on 0x1000; bit 15 reserved
REG_VSHUNT = 0x04  # 24 bits, signed 20-bit value in bits 23..4
REG_VBUS = 0x05  # 24 bits, 20-bit value in bits 23..4, 195.3125 µV
REG_CURRENT = 0x07  # 24 bits, signed 20-bit value in bits 23..4, CURRENT_LSB
REG_POWER = 0x08  # 24 bits, unsigned, 3.2 × CURRENT_LSB
REG_ENERGY = 0x09  # 40 bits, unsigned, 16 × 3.2 × CURRENT_LSB joules
REG_CHARGE = 0x0A  # 40 bits, signed, CURRENT_LSB coulombs
REG_DIAG_ALRT = 0x0B  # 16 bits, power-on 0x0001; reading it clears CNVRF
REG_MANUFACTURER_ID = 0x3E  # 0x5449
REG_DEVICE_ID = 0x3F  # 0x2281: DIEID 0x228 in bits 15..4, revision in 3..0
DIE_ID = 0x228

CONFIG_RST = 1 << 15
CONFIG_RSTACC = 1 << 14  # clears ENERGY and CHARGE
CONFIG_ADCRANGE = 1 << 4  # 0: ±163.84 mV, 1: ±40.96 mV
POWER_ON_ADC_CONFIG = 0xFB68  # continuous bus, shunt and temperature, 1052 µs each, AVG 1
DIAG_ENERGYOF = 1 << 11  # the energy register wrapped; cleared by reading ENERGY
DIAG_MATHOF = 1 << 9  # an arithmetic result overflowed
DIAG_CNVRF = 1 << 1  # conversion completed

# ADC_CONFIG: MODE 0xB (shunt and bus, continuous), VBUSCT = VSHCT = VTCT = 5 (1052 µs), AVG 1 (4).
ADC_CONFIG = 0xB << 12 | 5 << 9 | 5 << 6 | 5 << 3 | 1
CONVERSION_MICROSECONDS = (50, 84, 150, 280, 540, 1052, 2074, 4120)
CONVERSION_SECONDS = 2 * CONVERSION_MICROSECONDS[5] * 4 * 1e-6  # shunt + bus, 4 samples

DATA_SHIFT = 4
SHUNT_LSB_VOLTS = {0: 312.5e-9, 1: 78.125e-9}  # by ADCRANGE
FULL_SCALE_VOLTS = {0: 0.16384, 1: 0.04096}
BUS_LSB_VOLTS = 195.3125e-6
CURRENT_BITS = 19  # CURRENT_LSB = max expected current / 2^19
CAL_CONSTANT = 13107.2e6
POWER_PER_CURRENT_LSB = 3.2
ENERGY_PER_POWER_LSB = 16
ENERGY_BITS = 40
MAX_BUS_VOLTS = 85.0
MAX_SHUNT_CAL = 0x7FFF


def adc_range_for(shunt_volts: float) -> int:
    """ADCRANGE 1 (±40.96 mV, 4× finer) when the shunt voltage fits it, else 0 (±163.84 mV)."""
    return 1 if shunt_volts <= FULL_SCALE_VOLTS[1] * (1 + 1e-9) else 0


def bus_volts(vbus_register: int) -> float:
    """The voltage in a (24-bit) VBUS register value."""
    return (vbus_register >> DATA_SHIFT) * BUS_LSB_VOLTS


def shunt_calibration(current_lsb: float, shunt_ohms: float, adc_range: int) -> int:
    """SHUNT_CAL = 13107.2 × 10⁶ × CURRENT_LSB × R_SHUNT, × 4 at ADCRANGE = 1 (SBOSA20)."""
    return round(CAL_CONSTANT * current_lsb * shunt_ohms * (4 if adc_range else 1))


class INA228(Chip):
    """One INA228 on a shared SMBus, opened with its options: `configure()` once, then `read()`
    as often as needed."""

    CHIP = "INA228"

    def __init__(self, options: INA228Options, context: Context, *, retries: int = 3) -> None:
        """Derive the register values; no I/O. ValueError when SHUNT_CAL cannot hold them."""
        super().__init__(context.bus, options.address, context.bus_number, retries)
        shunt_ohms, max_expected_amps = options.shunt_ohms, options.max_expected_amps
        self.shunt_ohms = shunt_ohms
        self.adc_range = adc_range_for(max_expected_amps * shunt_ohms)
        self.calibration = shunt_calibration(
            max_expected_amps / 2**CURRENT_BITS, shunt_ohms, self.adc_range
        )
        if not 1 <= self.calibration <= MAX_SHUNT_CAL:
            raise ValueError(
                f"SHUNT_CAL {self.calibration} is outside 1..{MAX_SHUNT_CAL}: "
                "max_expected_amps and shunt_ohms are too far from each other"
            )
        scale = CAL_CONSTANT * shunt_ohms * (4 if self.adc_range else 1)
        self.current_lsb = self.calibration / scale  # what the rounded SHUNT_CAL gives
        self.power_lsb = POWER_PER_CURRENT_LSB * self.current_lsb
        self.config = CONFIG_ADCRANGE if self.adc_range else 0
        self.conversion_time_seconds = CONVERSION_SECONDS
        self.energy = EnergyCounter(ENERGY_BITS, ENERGY_PER_POWER_LSB * self.power_lsb)

    def _settings(self) -> dict[int, int]:
        return {
            REG_CONFIG: self.config,
            REG_ADC_CONFIG: ADC_CONFIG,
            REG_SHUNT_CAL: self.calibration,
        }

    def _writes(self, settings: dict[int, int]) -> list[tuple[int, int]]:
        """The settings, the configuration with RSTACC: the accumulators start again."""
        return [(REG_CONFIG, self.config | CONFIG_RSTACC), *list(settings.items())[1:]]

    def configure(self) -> None:
        """Write configuration (clearing the accumulators) and calibration; read them back."""
        super().configure()
        self.energy.restart()

    def read(self) -> Measurement:
        """Read the latest conversion and the energy accumulator; repairs a chip that reset."""
        registers = self._registers
        if registers.read(REG_ADC_CONFIG) != ADC_CONFIG:  # a brown-out reset the chip
            self._repair()
        flags = registers.read(REG_DIAG_ALRT)  # CNVRF first: reading DIAG_ALRT clears it
        wide = registers.read_wide
        shunt = to_signed(wide(REG_VSHUNT, 3), 24) >> DATA_SHIFT
        volts = bus_volts(wide(REG_VBUS, 3))
        current = to_signed(wide(REG_CURRENT, 3), 24) >> DATA_SHIFT
        power = wide(REG_POWER, 3) * self.power_lsb
        energy_raw = wide(REG_ENERGY, 5)
        if flags & DIAG_CNVRF:
            self._calibrated = True
        shunt_volts = shunt * SHUNT_LSB_VOLTS[self.adc_range]
        if self._calibrated:
            amps, watts = current * self.current_lsb, -power if current < 0 else power
        else:  # CURRENT and POWER still come from the power-on SHUNT_CAL: use the shunt
            amps = shunt_volts / self.shunt_ohms
            watts = amps * volts
        return Measurement(
            bus_volts=volts,
            shunt_volts=shunt_volts,
            amps=amps,
            watts=watts,
            overflow=bool(flags & DIAG_MATHOF) or abs(shunt) >= (1 << CURRENT_BITS) - 1,
            conversion_ready=bool(flags & DIAG_CNVRF),
            energy_joules=self.energy.update(energy_raw, watts),
        )


class INA228Options(ina2xx.ShuntOptions):
    """An INA228: shunt up to ±163.84 mV (±40.96 mV picked when it holds), bus up to 85 V."""

    CHIP = "INA228"
    FULL_SCALE_VOLTS = FULL_SCALE_VOLTS[0]
    MAX_BUS_VOLTS = MAX_BUS_VOLTS

    # Adafruit's breakout: a 15 mΩ shunt for up to 10 A.
    shunt_ohms: float = Field(0.015, gt=0)
    max_expected_amps: float = Field(10.0, gt=0)


def _simulate(options: INA228Options, bench: Bench, load: Load) -> None:
    from energymon.drivers.sim.ina228 import SimulatedINA228

    chip = SimulatedINA228(load, clock=bench.clock, shunt_ohms=options.shunt_ohms)
    bench.bus.attach(options.address, chip)


def _probe(bus: SMBusLike, address: int) -> Identified | None:
    registers = Registers(bus, address, retries=0)
    device = registers.read(REG_DEVICE_ID)
    if registers.read(REG_MANUFACTURER_ID) != ina2xx.MANUFACTURER_TI or device >> 4 != DIE_ID:
        return None
    volts = bus_volts(registers.read_wide(REG_VBUS, 3))
    detail = f"INA228 (manufacturer 0x5449, device 0x{device:04X}: die 0x228 rev {device & 0xF})"
    return Identified("ina228", detail, volts)


DRIVER = Driver("ina228", SUMMARY, INA228Options, INA228, _probe, _simulate)
