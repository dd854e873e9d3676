"""What the register-level chip drivers share: a chip at one address of a shared bus whose
settings are written and read back, and which is configured again after a brown-out.

`Chip` is that much. `CalibratedChip` adds the read of the INA219 and INA226, which share a
register map (SBOS448, SBOS547): configuration 0x00, shunt voltage 0x01, bus voltage 0x02,
power 0x03, current 0x04 and calibration 0x05, a register that a reset clears to 0.
"""

from __future__ import annotations

from typing import ClassVar

from energymon.drivers.base import Measurement, SMBusLike
from energymon.drivers.smbus import Registers, to_signed

__all__ = ["CalibratedChip", "Chip"]

REG_CONFIG = 0x00
REG_SHUNT_VOLTAGE = 0x01
REG_BUS_VOLTAGE = 0x02
REG_POWER = 0x03
REG_CURRENT = 0x04
REG_CALIBRATION = 0x05


class Chip:
    """One chip on a shared SMBus: `configure()` once, then `read()` as often as needed.

    Subclasses name the chip (`CHIP`, in errors), give the register values `configure` writes
    and reads back (`_settings`, in the order they are written) and implement `read`.
    """

    CHIP: ClassVar[str]

    def __init__(self, bus: SMBusLike, address: int, bus_number: int, retries: int) -> None:
        """No I/O; `bus_number` names the bus in errors."""
        self._registers = Registers(bus, address, bus_number, retries)
        self.address = address
        self.resets = 0  # chip resets (brown-outs) noticed and repaired by read()
        self._calibrated = False  # a conversion has completed under our settings

    def _settings(self) -> dict[int, int]:
        raise NotImplementedError

    def _writes(self, settings: dict[int, int]) -> list[tuple[int, int]]:
        """What configure() writes to land `settings`: by default, the settings themselves."""
        return list(settings.items())

    def configure(self) -> None:
        """Write the chip's settings, then read them back to check they stuck."""
        self._calibrated = False
        settings = self._settings()
        self._registers.setup(self.CHIP, self._writes(settings), settings)

    def _repair(self) -> None:
        """A brown-out reset the chip (a register lost what configure() wrote): configure it
        again."""
        self.resets += 1
        self.configure()

    def read(self) -> Measurement:
        """Read the latest conversion; raises SensorError."""
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to release: the bus belongs to whoever opened it."""


class CalibratedChip(Chip):
    """An INA219 or INA226: amps and watts from its current and power registers once a
    conversion has completed under our calibration, from its shunt register until then.

    Subclasses say which register holds the conversion-ready and overflow flags
    (`FLAGS_REGISTER`: it is read first, as reading it, or the INA219's power register, clears
    conversion-ready), the flags (`READY`, `OVERFLOW`), the `SHUNT_LSB_VOLTS` and how their
    bus voltage register reads (`bus_volts`); their __init__ sets `config`, `calibration`,
    `current_lsb`, `power_lsb` and `shunt_full_scale`.
    """

    FLAGS_REGISTER: ClassVar[int]
    READY: ClassVar[int]
    OVERFLOW: ClassVar[int]
    SHUNT_LSB_VOLTS: ClassVar[float]
    config: int
    calibration: int
    current_lsb: float
    power_lsb: float
    shunt_full_scale: int  # a shunt register this large (either sign) is saturated

    @staticmethod
    def bus_volts(bus_register: int) -> float:
        """The voltage in a bus voltage register value."""
        raise NotImplementedError

    def _settings(self) -> dict[int, int]:
        return {REG_CONFIG: self.config, REG_CALIBRATION: self.calibration}

    def read(self) -> Measurement:
        """Read the latest conversion; repairs a chip that reset since the last read."""
        read = self._registers.read
        flags = read(self.FLAGS_REGISTER)
        # The INA219 keeps its flags in the low bits of the bus voltage register.
        bus = flags if self.FLAGS_REGISTER == REG_BUS_VOLTAGE else read(REG_BUS_VOLTAGE)
        shunt = to_signed(read(REG_SHUNT_VOLTAGE))
        current = to_signed(read(REG_CURRENT))
        power = read(REG_POWER)
        ready = bool(flags & self.READY)
        if read(REG_CALIBRATION) != self.calibration:  # cleared by a reset
            self._repair()
        elif ready:
            self._calibrated = True
        volts = self.bus_volts(bus)
        amps, watts = self._amps_and_watts(shunt, current, power, volts)
        return Measurement(
            bus_volts=volts,
            shunt_volts=shunt * self.SHUNT_LSB_VOLTS,
            amps=amps,
            watts=watts,
            overflow=bool(flags & self.OVERFLOW) or abs(shunt) >= self.shunt_full_scale,
            conversion_ready=ready,
        )

    def _amps_and_watts(
        self, shunt: int, current: int, power: int, volts: float
    ) -> tuple[float, float]:
        """Signed amps and watts. The power register holds a magnitude: it takes the current's
        sign. Until a conversion has completed under our calibration, current and power still
        hold results computed without it (0 after a reset); the shunt register does not depend
        on it and gives the reading: with the calibrations we write, current equals shunt."""
        if self._calibrated:
            watts = power * self.power_lsb
            return current * self.current_lsb, -watts if current < 0 else watts
        amps = shunt * self.current_lsb
        return amps, amps * volts
