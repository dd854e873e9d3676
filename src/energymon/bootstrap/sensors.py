"""Sensors from settings: one group of channels per bus, each channel a driver and its window."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from energymon.domain.energy import WindowAccumulator
from energymon.drivers.base import SensorError, SMBusLike
from energymon.drivers.driver import Bench, Context, Driver
from energymon.drivers.profiles import Load, make_profile
from energymon.errors import ConfigError
from energymon.service.clock import Clock, steady_time
from energymon.service.sampler import Channel
from energymon.settings import ApplianceSettings, Settings

__all__ = ["BusFactory", "SensorGroup", "build_sensors"]

BusFactory = Callable[[int], SMBusLike]


@dataclass(frozen=True, slots=True)
class SensorGroup:
    """The channels sharing one bus (a real /dev/i2c-N or one FakeBus of simulated chips)."""

    name: str
    bus: SMBusLike
    channels: list[Channel]


class _UnavailableBus:
    """Stands in for a bus that could not be opened: every transfer fails with the reason."""

    def __init__(self, error: SensorError) -> None:
        self.error = error

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        raise self.error

    def write_word_data(
        self, i2c_addr: int, register: int, value: int, force: bool | None = None
    ) -> None:
        raise self.error

    def read_i2c_block_data(
        self, i2c_addr: int, register: int, length: int, force: bool | None = None
    ) -> list[int]:
        raise self.error

    def close(self) -> None:
        """Nothing to release."""


def _open_real_bus(number: int) -> SMBusLike:
    from energymon.drivers.bus import open_bus

    try:
        return open_bus(number)
    except SensorError as exc:
        # The service still starts: those appliances report the reason as offline.
        return _UnavailableBus(exc)


def _load(appliance: ApplianceSettings) -> Load:
    """The simulated load of an appliance, within what its chip measures."""
    simulation = appliance.simulation.model_dump(exclude_none=True) if appliance.simulation else {}
    return make_profile(simulation, appliance.name, appliance.options.load_limits())


@dataclass(frozen=True, slots=True)
class _Place:
    group: SensorGroup
    context: Context
    bench: Bench | None  # the simulated hardware, for simulated appliances


class _Buses:
    """The buses sensors run on, each opened once: real ones, fake ones, sysfs."""

    def __init__(self, open_real: BusFactory, clock: Callable[[], float]) -> None:
        self.open_real = open_real
        self.clock = clock  # physical time for simulated chips
        self.groups: dict[tuple[bool, str, int], SensorGroup] = {}
        self.benches: dict[tuple[bool, str, int], Bench] = {}
        self.shared: dict[tuple[bool, str, int], dict[Hashable, Any]] = {}

    def place(self, appliance: ApplianceSettings, driver: Driver[Any]) -> _Place:
        """Where an appliance's sensor runs; its group is created (its bus opened) on first use."""
        key = (appliance.simulated, driver.transport, appliance.bus)
        if key not in self.groups:
            self.groups[key] = self._open(key)
        group, bench = self.groups[key], self.benches.get(key)
        if bench is None:
            context = Context(appliance.name, appliance.bus, group.bus, self.shared[key])
            return _Place(group, context, None)
        context = Context(appliance.name, appliance.bus, bench.bus, bench.shared, bench.sysfs)
        return _Place(group, context, bench)

    def _open(self, key: tuple[bool, str, int]) -> SensorGroup:
        from energymon.drivers.fakebus import FakeBus
        from energymon.drivers.sim.sysfs import FakeSysfs

        simulated, transport, number = key
        self.shared[key] = {}
        if transport == "i2c":  # the names the service always gave its buses
            name = f"sim-{number}" if simulated else f"i2c-{number}"
        else:
            name = f"{'sim-' if simulated else ''}{transport}-{number}"
        bus: SMBusLike
        if simulated:
            bench = self.benches[key] = Bench(FakeBus(), FakeSysfs(), self.clock, number)
            bus = bench.bus
        elif transport == "i2c":
            bus = self.open_real(number)
        else:
            bus = _UnavailableBus(SensorError(f"{name}: sensors here read files, not I²C"))
        return SensorGroup(name, bus, [])


def build_sensors(
    settings: Settings, *, clock: Clock, bus_factory: BusFactory | None = None
) -> list[SensorGroup]:
    """One group of channels per bus; no I/O on the sensors yet."""
    sampling = settings.sampling
    # Simulated chips follow physical time: they do not follow the wall clock's steps.
    buses = _Buses(bus_factory or _open_real_bus, steady_time(clock))
    for appliance in settings.appliances:
        driver, options = appliance.driver_spec, appliance.options
        place = buses.place(appliance, driver)
        try:
            if place.bench is not None and driver.simulate is not None:
                driver.simulate(options, place.bench, _load(appliance))
            sensor = driver.open(options, place.context)
        except ValueError as exc:
            raise ConfigError(f"appliance {appliance.name!r}: {exc}") from exc
        accumulator = WindowAccumulator(
            appliance.id, sampling.interval_seconds, sampling.effective_max_gap_seconds
        )
        # A shunt wired the other way round: the same scaling, with the sign turned.
        factor = appliance.calibration_factor * (-1.0 if options.invert else 1.0)
        place.group.channels.append(
            Channel(appliance.id, appliance.name, sensor, accumulator, factor)
        )
    return list(buses.groups.values())
