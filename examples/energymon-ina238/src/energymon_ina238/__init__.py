"""The TI INA238 (SBOSA26: 85 V, 16-bit, ±163.84 mV) as an energymon driver plugin."""

from pydantic import Field

from energymon.drivers import Measurement, SMBusLike
from energymon.drivers.driver import Bench, Context, Driver, I2COptions, Identified
from energymon.drivers.profiles import Load, LoadLimits
from energymon.drivers.smbus import Registers, to_signed
from energymon_ina238.sim import SimulatedINA238

CONFIG, ADC_CONFIG, SHUNT_CAL, VBUS, CURRENT, DIAG_ALRT = 0x00, 0x01, 0x02, 0x05, 0x07, 0x0B
ADC_SETUP = 0xB << 12 | 5 << 9 | 5 << 6 | 5 << 3 | 1  # shunt+bus continuous, 1052 µs, 4 samples


class Options(I2COptions):
    """An INA238 across an external shunt (ADCRANGE 0: ±163.84 mV)."""

    shunt_ohms: float = Field(0.015, gt=0)
    max_expected_amps: float = Field(10.0, gt=0)  # CURRENT_LSB = max_expected_amps / 2^15

    def load_limits(self) -> LoadLimits:
        return LoadLimits(0.16384 / self.shunt_ohms, 85.0, "±163.84 mV across the shunt")


class INA238:
    """Bus voltage (3.125 mV per bit) and signed current (CURRENT_LSB); power is V × A."""

    conversion_time_seconds = 2 * 1052e-6 * 4

    def __init__(self, options: Options, context: Context) -> None:
        self.address = options.address
        self.registers = Registers(context.bus, options.address, context.bus_number)
        self.current_lsb = options.max_expected_amps / 2**15
        self.calibration = round(819.2e6 * self.current_lsb * options.shunt_ohms)  # SHUNT_CAL

    def configure(self) -> None:
        wanted = {CONFIG: 0, ADC_CONFIG: ADC_SETUP, SHUNT_CAL: self.calibration}
        self.registers.setup("INA238", list(wanted.items()), wanted)

    def read(self) -> Measurement:
        read = self.registers.read
        ready = bool(read(DIAG_ALRT) & 1 << 1)  # CNVRF, which this read clears
        volts, amps = read(VBUS) * 3.125e-3, to_signed(read(CURRENT)) * self.current_lsb
        return Measurement(volts, None, amps, volts * amps, conversion_ready=ready)

    def close(self) -> None: ...


def probe(bus: SMBusLike, address: int) -> Identified | None:
    read = Registers(bus, address, retries=0).read
    named = read(0x3E) == 0x5449 and read(0x3F) >> 4 == 0x238  # manufacturer "TI", die 0x238
    return Identified("ina238", "INA238 (manufacturer 0x5449, die 0x238)") if named else None


def simulate(options: Options, bench: Bench, load: Load) -> None:
    chip = SimulatedINA238(load, clock=bench.clock, shunt_ohms=options.shunt_ohms)
    bench.bus.attach(options.address, chip)


DRIVER = Driver("ina238", "TI INA238: 85 V, 16-bit (plugin)", Options, INA238, probe, simulate)
