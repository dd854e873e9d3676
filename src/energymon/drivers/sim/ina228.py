"""A register-level INA228 (TI SBOSA20) for the FakeBus, energy and charge accumulators included.

Power-on values for every register, RST and RSTACC, ADCRANGE, 20-bit results in bits 23..4,
CURRENT = VSHUNT × 4096 / SHUNT_CAL (what SHUNT_CAL = 13107.2 × 10⁶ × CURRENT_LSB × R means at
312.5 nV per shunt LSB, and at 78.125 nV with SHUNT_CAL × 4), POWER = |CURRENT| × VBUS / 16384
(3.2 × CURRENT_LSB at 195.3125 µV per bus LSB), ENERGY += POWER × t / 16 and CHARGE +=
CURRENT × t at every conversion, ENERGY wrapping at 2⁴⁰ with ENERGYOF, CNVRF per conversion.
"""

from __future__ import annotations

from energymon.drivers import ina228 as reg
from energymon.drivers.sim.chip import SimulatedChip

__all__ = ["SimulatedINA228"]

# Power-on values (SBOSA20, register map); results start at 0.
_POWER_ON = {
    reg.REG_CONFIG: 0x0000,
    reg.REG_ADC_CONFIG: reg.POWER_ON_ADC_CONFIG,
    reg.REG_SHUNT_CAL: 0x1000,
    0x03: 0x0000,  # SHUNT_TEMPCO
    0x06: 0x0000,  # DIETEMP
    reg.REG_DIAG_ALRT: 0x0001,  # MEMSTAT: trim memory good
    0x0C: 0x7FFF,  # SOVL
    0x0D: 0x8000,  # SUVL
    0x0E: 0x7FFF,  # BOVL
    0x0F: 0x0000,  # BUVL
    0x10: 0x7FFF,  # TEMP_LIMIT
    0x11: 0xFFFF,  # PWR_LIMIT
    reg.REG_MANUFACTURER_ID: 0x5449,
    reg.REG_DEVICE_ID: 0x2281,
}
_WIDTH = {
    reg.REG_VSHUNT: 3,
    reg.REG_VBUS: 3,
    reg.REG_CURRENT: 3,
    reg.REG_POWER: 3,
    reg.REG_ENERGY: 5,
    reg.REG_CHARGE: 5,
}
_READ_ONLY = {*_WIDTH, 0x06, reg.REG_MANUFACTURER_ID, reg.REG_DEVICE_ID}
_AVERAGES = (1, 4, 16, 64, 128, 256, 512, 1024)
_MODE_BUS, _MODE_SHUNT, _MODE_CONTINUOUS = 0x1, 0x2, 0x8
_MAX_20 = (1 << 19) - 1
_LOOP_LIMIT = 4096  # conversions computed one by one per read; beyond, the rest take the last


class SimulatedINA228(SimulatedChip):
    """An INA228 behind `shunt_ohms`, its inputs from `profile(t) -> (bus_volts, amps)`."""

    def _power_on(self) -> None:
        self._registers = dict(_POWER_ON)
        self._values = dict.fromkeys(_WIDTH, 0)
        self._energy = 0.0  # in ENERGY register counts, unwrapped
        self._charge = 0.0  # in CHARGE register counts
        self._restart()

    def set_energy(self, counts: int) -> None:
        """Preset the energy accumulator (tests of its wrap-around)."""
        self._energy = float(counts)

    def peek(self, register: int) -> int:
        """A register's whole value (24- and 40-bit ones too), without side effects."""
        if register == reg.REG_ENERGY:
            return int(self._energy) % (1 << 40)
        if register == reg.REG_CHARGE:
            return int(self._charge) % (1 << 40)
        if register in _WIDTH:
            shift = 0 if register == reg.REG_POWER else reg.DATA_SHIFT
            return (self._values[register] << shift) & 0xFFFFFF
        return self._registers.get(register, 0)

    def read_register(self, register: int) -> int:
        """A 16-bit read: of a wider register, its two most significant bytes."""
        value = super().read_register(register)
        return value >> 8 * (_WIDTH[register] - 2) if register in _WIDTH else value

    def read_wide(self, register: int, size: int) -> int:
        """A block read of `size` bytes: the register, then the idle bus's 0xFF bytes."""
        self._acknowledge()
        self._convert()
        value, width = self.peek(register), _WIDTH.get(register, 2)
        self._after_read(register)
        if size <= width:
            return value >> 8 * (width - size)
        padding = size - width
        return value << 8 * padding | (1 << 8 * padding) - 1

    def _after_read(self, register: int) -> None:
        diag = self._registers[reg.REG_DIAG_ALRT]
        if register == reg.REG_DIAG_ALRT:
            self._registers[reg.REG_DIAG_ALRT] = diag & ~reg.DIAG_CNVRF
        elif register == reg.REG_ENERGY:
            self._registers[reg.REG_DIAG_ALRT] = diag & ~reg.DIAG_ENERGYOF

    def _write(self, register: int, value: int) -> None:
        if register == reg.REG_CONFIG:
            if value & reg.CONFIG_RST:
                self._power_on()
                return
            if value & reg.CONFIG_RSTACC:  # clears the accumulators, MATHOF, and itself
                self._energy = self._charge = 0.0
                self._registers[reg.REG_DIAG_ALRT] &= ~reg.DIAG_MATHOF
            self._registers[register] = value & 0x3FF0
        elif register == reg.REG_SHUNT_CAL:
            self._registers[register] = value & 0x7FFF
        elif register not in _READ_ONLY:
            self._registers[register] = value
        if register == reg.REG_ADC_CONFIG:
            self._restart()

    def _restart(self) -> None:
        adc = self._registers[reg.REG_ADC_CONFIG]
        mode = adc >> 12
        microseconds = 0
        if mode & _MODE_BUS:
            microseconds += reg.CONVERSION_MICROSECONDS[adc >> 9 & 0b111]
        if mode & _MODE_SHUNT:
            microseconds += reg.CONVERSION_MICROSECONDS[adc >> 6 & 0b111]
        if mode & 0x4:  # the die temperature
            microseconds += reg.CONVERSION_MICROSECONDS[adc >> 3 & 0b111]
        period = microseconds * _AVERAGES[adc & 0b111] * 1e-6
        self._restart_conversions(period, continuous=bool(mode & _MODE_CONTINUOUS))
        self._registers[reg.REG_DIAG_ALRT] &= ~reg.DIAG_CNVRF

    def _convert(self) -> None:
        due = self._due()
        if not due:
            return
        for index in due[-_LOOP_LIMIT:]:
            self._convert_one(self._moment(index), 1)
        if len(due) > _LOOP_LIMIT:  # a long idle stretch: the rest as copies of the last one
            self._accumulate(len(due) - _LOOP_LIMIT)
        self._registers[reg.REG_DIAG_ALRT] |= reg.DIAG_CNVRF

    def _convert_one(self, moment: float, count: int) -> None:
        bus_volts, _, shunt_volts = self._inputs(moment)
        registers, values = self._registers, self._values
        mode = registers[reg.REG_ADC_CONFIG] >> 12
        adc_range = 1 if registers[reg.REG_CONFIG] & reg.CONFIG_ADCRANGE else 0
        if mode & _MODE_SHUNT:
            code = round(shunt_volts / reg.SHUNT_LSB_VOLTS[adc_range])
            values[reg.REG_VSHUNT] = max(-_MAX_20 - 1, min(_MAX_20, code))
        if mode & _MODE_BUS:
            code = round(bus_volts / reg.BUS_LSB_VOLTS)
            values[reg.REG_VBUS] = max(0, min((1 << 20) - 1, code))
        calibration = registers[reg.REG_SHUNT_CAL]
        current = int(values[reg.REG_VSHUNT] * 4096 / calibration) if calibration else 0
        math_overflow = self._overflow_forced or abs(current) > _MAX_20
        current = max(-_MAX_20 - 1, min(_MAX_20, current))
        values[reg.REG_CURRENT] = current
        values[reg.REG_POWER] = min(abs(current) * values[reg.REG_VBUS] // 16384, 0xFFFFFF)
        diag = registers[reg.REG_DIAG_ALRT]
        registers[reg.REG_DIAG_ALRT] = diag | reg.DIAG_MATHOF if math_overflow else diag
        self._accumulate(count)

    def _accumulate(self, count: int) -> None:
        """Add `count` conversions' worth of the latest power and current to the accumulators."""
        seconds = count * self._period
        before = int(self._energy) >> 40
        self._energy += self._values[reg.REG_POWER] * seconds / 16
        self._charge += self._values[reg.REG_CURRENT] * seconds
        if int(self._energy) >> 40 != before:
            self._registers[reg.REG_DIAG_ALRT] |= reg.DIAG_ENERGYOF
