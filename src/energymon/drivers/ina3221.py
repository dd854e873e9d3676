"""The INA3221 on SMBus (TI SBOS576): three channels, 26 V, 13-bit, ±163.8 mV shunt range.

One appliance per channel (`channel = 1..3`). The chip has no current or power registers:
current is the shunt voltage over the shunt, power is current times bus voltage. Its channels
share one configuration and one conversion-ready flag, so the channels of a chip share one
`_Chip` (found in the bus's `shared` dict): it enables exactly the configured channels and
counts finished conversion cycles, so every channel sees each new cycle once.
"""

from __future__ import annotations

from pydantic import Field

from energymon.drivers import ina2xx
from energymon.drivers.base import Measurement, Sensor, SMBusLike
from energymon.drivers.chip import Chip
from energymon.drivers.driver import Bench, Context, Driver, Location
from energymon.drivers.profiles import Load
from energymon.drivers.smbus import to_signed

__all__ = ["DRIVER", "INA3221Channel", "INA3221Options", "bus_register", "shunt_register"]

# The driver's line in `energymon drivers`.
SUMMARY = "TI INA3221: three channels (one appliance each), 26 V, 13-bit, ±163.8 mV"
# Register pointer addresses (SBOS576, register map).
REG_CONFIG = 0x00  # R/W, power-on 0x7127: all three channels, AVG 1, 1.1 ms, continuous
REG_MASK_ENABLE = 0x0F  # R/W, power-on 0x0002; reading it clears CVRF
DIE_ID = 0x3220
CHANNELS = (1, 2, 3)

POWER_ON_CONFIG = 0x7127
CONFIG_CHANNEL_ENABLE = {1: 1 << 14, 2: 1 << 13, 3: 1 << 12}  # CH1en, CH2en, CH3en
MASK_CVRF = 1 << 0  # conversion ready: every enabled channel converted
DATA_SHIFT = 3  # shunt and bus values sit in bits 15..3
SHUNT_LSB_VOLTS = 40e-6
SHUNT_FULL_SCALE = 0x0FFF  # 4095 × 40 µV = 163.8 mV
BUS_LSB_VOLTS = 8e-3


def shunt_register(channel: int) -> int:
    """Channel-n shunt voltage register: 0x01, 0x03, 0x05."""
    return 2 * channel - 1


def bus_register(channel: int) -> int:
    """Channel-n bus voltage register: 0x02, 0x04, 0x06."""
    return 2 * channel


def bus_volts(value: int) -> float:
    """The voltage in a channel's bus voltage register value."""
    return (to_signed(value) >> DATA_SHIFT) * BUS_LSB_VOLTS


class _Chip(Chip):
    """What the channels of one INA3221 share: its configuration and its conversion cycles."""

    CHIP = "INA3221"

    def __init__(self, bus: SMBusLike, address: int, bus_number: int) -> None:
        super().__init__(bus, address, bus_number, retries=3)
        self.channels: set[int] = set()
        self.cycles = 0  # conversion cycles seen finished (CVRF) since the start

    @property
    def config(self) -> int:
        """Averaging 4 × 1.1 ms per input, continuous, with the configured channels enabled."""
        enabled = sum(CONFIG_CHANNEL_ENABLE[channel] for channel in self.channels)
        return ina2xx.config_word(fixed_bits=enabled)

    def _settings(self) -> dict[int, int]:
        return {REG_CONFIG: self.config}

    def poll(self) -> None:
        """Count a finished cycle (reading Mask/Enable clears CVRF); repair a reset chip."""
        if self.read_register(REG_CONFIG) != self.config:  # a brown-out reset the chip
            self._repair()
        elif self.read_register(REG_MASK_ENABLE) & MASK_CVRF:
            self.cycles += 1

    def read_register(self, register: int) -> int:
        """One of the chip's registers."""
        return self._registers.read(register)


class INA3221Channel:
    """One channel of an INA3221, as one appliance's sensor."""

    def __init__(self, chip: _Chip, channel: int, shunt_ohms: float) -> None:
        """Enable the channel on the shared chip; no I/O."""
        chip.channels.add(channel)
        self._chip = chip
        self.channel = channel
        self.shunt_ohms = shunt_ohms
        self.address = chip.address
        self._seen = -1

    @property
    def conversion_time_seconds(self) -> float:
        """One cycle through every enabled channel."""
        chip = self._chip
        return ina2xx.conversion_seconds(chip.config, channels=len(chip.channels))

    def configure(self) -> None:
        """Configure the chip (every channel of it)."""
        self._chip.configure()
        self._seen = self._chip.cycles

    def read(self) -> Measurement:
        """This channel's latest shunt and bus voltage, and the current and power they give."""
        chip = self._chip
        chip.poll()
        read = chip.read_register
        shunt = to_signed(read(shunt_register(self.channel))) >> DATA_SHIFT
        volts = bus_volts(read(bus_register(self.channel)))
        shunt_volts = shunt * SHUNT_LSB_VOLTS
        amps = shunt_volts / self.shunt_ohms
        ready, self._seen = chip.cycles != self._seen, chip.cycles
        return Measurement(
            bus_volts=volts,
            shunt_volts=shunt_volts,
            amps=amps,
            watts=amps * volts,
            overflow=abs(shunt) >= SHUNT_FULL_SCALE,
            conversion_ready=ready,
        )

    def close(self) -> None:
        """Nothing to release: the bus belongs to whoever opened it."""


class INA3221Options(ina2xx.ShuntOptions):
    """One channel of an INA3221: shunt up to ±163.8 mV, bus up to 26 V."""

    ADDRESSES = range(0x40, 0x44)  # A0 to GND, VS, SDA or SCL
    CHIP = "INA3221"
    FULL_SCALE_VOLTS = SHUNT_FULL_SCALE * SHUNT_LSB_VOLTS
    MAX_BUS_VOLTS = 26.0

    channel: int = Field(1, ge=1, le=3)
    # The common three-channel boards carry 0.1 Ω shunts (R100): ±1.6 A.
    shunt_ohms: float = Field(0.1, gt=0)
    max_expected_amps: float = Field(1.6, gt=0)

    def location(self) -> Location:
        """The chip's address and this appliance's channel."""
        return Location(self.address, self.channel)


def _open(options: INA3221Options, context: Context) -> Sensor:
    key = ("ina3221", options.address)
    chip = context.shared.get(key)
    if chip is None:
        chip = context.shared[key] = _Chip(context.bus, options.address, context.bus_number)
    return INA3221Channel(chip, options.channel, options.shunt_ohms)


def _simulate(options: INA3221Options, bench: Bench, load: Load) -> None:
    from energymon.drivers.sim.ina3221 import SimulatedINA3221

    key = ("sim-ina3221", options.address)
    chip = bench.shared.get(key)
    if chip is None:
        chip = bench.shared[key] = SimulatedINA3221(clock=bench.clock)
        bench.bus.attach(options.address, chip)
    chip.connect(options.channel, load, options.shunt_ohms)


_probe = ina2xx.prober("ina3221", DIE_ID, bus_volts, tuple({"channel": c} for c in CHANNELS))
DRIVER = Driver("ina3221", SUMMARY, INA3221Options, _open, _probe, _simulate)
