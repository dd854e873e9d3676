"""A register-level INA238 (TI SBOSA26) for energymon's FakeBus: the plugin's simulated chip.

Power-on values (ADC_CONFIG 0xFB68, SHUNT_CAL 0x1000, DIAG_ALRT 0x0001, IDs 0x5449 and 0x2381),
16-bit results: VSHUNT at 5 µV, VBUS at 3.125 mV, CURRENT = VSHUNT × 4096 / SHUNT_CAL (what
SHUNT_CAL = 819.2 × 10⁶ × CURRENT_LSB × R means at 5 µV), CNVRF per conversion.
"""

from energymon.drivers.sim.chip import SimulatedChip

_POWER_ON = {0x00: 0x0000, 0x01: 0xFB68, 0x02: 0x1000, 0x0B: 0x0001, 0x3E: 0x5449, 0x3F: 0x2381}
_RESULTS = {0x04, 0x05, 0x07}  # VSHUNT, VBUS, CURRENT
CNVRF = 1 << 1


class SimulatedINA238(SimulatedChip):
    """An INA238 behind `shunt_ohms`, its inputs from `profile(t) -> (bus_volts, amps)`."""

    def _power_on(self) -> None:
        self._registers = dict(_POWER_ON) | dict.fromkeys(_RESULTS, 0)
        self._restart()

    def peek(self, register: int) -> int:
        return self._registers.get(register, 0) & 0xFFFF

    def _after_read(self, register: int) -> None:
        if register == 0x0B:
            self._registers[0x0B] &= ~CNVRF

    def _write(self, register: int, value: int) -> None:
        if register == 0x00 and value & 0x8000:  # RST
            self._power_on()
        elif register in (0x00, 0x01, 0x02):  # CONFIG, ADC_CONFIG, SHUNT_CAL
            self._registers[register] = value & (0x7FFF if register == 0x02 else 0xFFFF)
            if register == 0x01:
                self._restart()

    def _restart(self) -> None:
        adc = self._registers[0x01]
        microseconds = 1052 * 2 if adc >> 12 == 0xB else 1052 * 3  # shunt+bus, or all three
        averages = (1, 4, 16, 64, 128, 256, 512, 1024)[adc & 0b111]
        self._restart_conversions(microseconds * averages * 1e-6)

    def _convert(self) -> None:
        due = self._due()
        if not due:
            return
        bus_volts, _, shunt_volts = self._inputs(self._moment(due[-1]))
        shunt = max(-0x8000, min(0x7FFF, round(shunt_volts / 5e-6)))
        calibration = self._registers[0x02]
        current = int(shunt * 4096 / calibration) if calibration else 0
        self._registers[0x04] = shunt
        self._registers[0x05] = max(0, min(0x7FFF, round(bus_volts / 3.125e-3)))
        self._registers[0x07] = max(-0x8000, min(0x7FFF, current))
        self._registers[0x0B] |= CNVRF
