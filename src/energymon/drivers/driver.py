"""What a sensor driver declares: its name, options, how to open it, probe it and simulate it.

A driver is data (`Driver`), not a subclass: a name, a pydantic options model validated when the
configuration is loaded, and functions. energymon's own drivers and plugins (found through the
`energymon.drivers` entry point group) declare themselves the same way; docs/plugins.md shows one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from energymon.drivers.base import Sensor, SMBusLike
from energymon.drivers.profiles import Load, LoadLimits

if TYPE_CHECKING:
    from energymon.drivers.fakebus import FakeBus
    from energymon.drivers.sim.sysfs import FakeSysfs
    from energymon.drivers.sysfs import SysfsLike

__all__ = [
    "Bench",
    "Context",
    "Driver",
    "DriverOptions",
    "I2COptions",
    "Identified",
    "Location",
    "Opener",
    "Prober",
    "Simulator",
]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a sensor sits on its bus: two appliances may share a place only on two channels."""

    address: int | None = None
    channel: int | None = None


class DriverOptions(BaseModel):
    """The keys of one `[[appliances]]` entry that belong to its driver, with their defaults.

    Subclass it for a driver; unknown keys are errors. Every driver gets `invert`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The shunt is wired the other way round: current and power change sign.
    invert: bool = False

    def location(self) -> Location:
        """Where the sensor sits: address and channel, where the driver has them."""
        return Location()

    def load_limits(self) -> LoadLimits:
        """What a simulated load may draw on this chip (override: the INA219 breakout's)."""
        return LoadLimits()


class I2COptions(DriverOptions):
    """Options of a chip on an I²C bus: its `address`, within the chip's own `ADDRESSES`."""

    # A0/A1 each tie to GND, VS, SDA or SCL: 16 addresses on the INA2xx chips.
    ADDRESSES: ClassVar[range] = range(0x40, 0x50)

    # Checked even when left out: a chip whose ADDRESSES exclude 0x40 must be given one.
    address: int = Field(0x40, validate_default=True)

    def location(self) -> Location:
        """The chip's address on its bus."""
        return Location(self.address)

    @field_validator("address")
    @classmethod
    def _address_in_range(cls, address: int) -> int:
        first, last = cls.ADDRESSES[0], cls.ADDRESSES[-1]
        if address not in cls.ADDRESSES:
            shown = f", got 0x{address:02X}" if address >= 0 else ""
            raise ValueError(f"must be between 0x{first:02X} and 0x{last:02X}{shown}")
        return address


@dataclass(frozen=True, slots=True)
class Context:
    """Where one appliance's sensor is: its bus, and what the chips of that bus share.

    `shared` is one dict per bus for drivers whose chips serve several appliances (INA3221
    channels): key it by (driver name, address). `sysfs` is set when hwmon devices are
    simulated; None means the real /sys.
    """

    appliance: str
    bus_number: int
    bus: SMBusLike
    shared: dict[Hashable, Any] = field(default_factory=dict)
    sysfs: SysfsLike | None = None


@dataclass(frozen=True, slots=True)
class Bench:
    """The simulated hardware of one bus: a fake SMBus, a fake sysfs, and physical time."""

    bus: FakeBus
    sysfs: FakeSysfs
    clock: Callable[[], float]
    bus_number: int = 1
    shared: dict[Hashable, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Identified:
    """What `scan` found at an address: the driver that fits and a line about the chip.

    `appliances` holds the option sets to suggest in the config snippet (several for a chip with
    several channels); `certain` is True when the chip said its name (ID registers) rather than
    its register values merely fitting.
    """

    driver: str
    detail: str
    bus_volts: float | None = None
    certain: bool = True
    appliances: tuple[Mapping[str, Any], ...] = ({},)


_Options = TypeVar("_Options", bound=DriverOptions)
Opener = Callable[[_Options, Context], Sensor]
Prober = Callable[[SMBusLike, int], Identified | None]
Simulator = Callable[[_Options, Bench, Load], None]


@dataclass(frozen=True, slots=True)
class Driver(Generic[_Options]):
    """A named way to measure an appliance.

    Args:
        options: the driver's options model; validated when the configuration is loaded.
        open: builds the sensor without touching the bus.
        probe: reads (never writes) the registers at an address for `energymon scan`: an
            Identified when the chip there is this driver's, else None.
        simulate: puts a simulated chip on the bench's fake bus (or sysfs) for `load`; with it,
            an appliance with an `[appliances.simulation]` table runs the real driver on it.
        transport: "i2c" drivers get the appliance's bus; "sysfs" drivers read files instead.
        simulated_only: always simulated, with or without a simulation table ("simulated").
    """

    name: str
    summary: str
    options: type[_Options]
    open: Callable[[_Options, Context], Sensor]
    probe: Prober | None = None
    simulate: Callable[[_Options, Bench, Load], None] | None = None
    transport: Literal["i2c", "sysfs"] = "i2c"
    simulated_only: bool = False
