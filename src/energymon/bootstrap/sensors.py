"""Sensors from settings: one group of channels per bus, each channel a driver and its window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from energymon.domain.energy import WindowAccumulator
from energymon.drivers import registry
from energymon.drivers.base import SensorError, SensorSpec, SMBusLike
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

    def close(self) -> None:
        """Nothing to release."""


def _open_real_bus(number: int) -> SMBusLike:
    from energymon.drivers.bus import open_bus

    try:
        return open_bus(number)
    except SensorError as exc:
        # The service still starts: those appliances report the reason as offline.
        return _UnavailableBus(exc)


def _spec(appliance: ApplianceSettings) -> SensorSpec:
    simulation = appliance.simulation.model_dump(exclude_none=True) if appliance.simulation else {}
    return SensorSpec(
        name=appliance.name,
        bus=appliance.bus,
        address=appliance.address,
        shunt_ohms=appliance.shunt_ohms,
        max_expected_amps=appliance.max_expected_amps,
        bus_voltage_range=appliance.bus_voltage_range,
        simulation=simulation,
    )


def build_sensors(
    settings: Settings, *, clock: Clock, bus_factory: BusFactory | None = None
) -> list[SensorGroup]:
    """One group of channels per bus; no I/O on the sensors yet."""
    from energymon.drivers.fakebus import FakeBus

    open_real = bus_factory or _open_real_bus
    sampling = settings.sampling
    physical_time = steady_time(clock)  # simulated chips do not follow the wall clock's steps
    groups: dict[tuple[bool, int], SensorGroup] = {}
    for index, appliance in enumerate(settings.appliances):
        try:
            driver = registry.get(appliance.driver)
        except ConfigError as exc:
            raise ConfigError(f"appliances[{index}].driver ({appliance.name}): {exc}") from None
        key = (driver.simulated, appliance.bus)
        if key not in groups:
            bus = FakeBus() if driver.simulated else open_real(appliance.bus)
            name = f"{'sim' if driver.simulated else 'i2c'}-{appliance.bus}"
            groups[key] = SensorGroup(name, bus, [])
        group = groups[key]
        try:
            sensor = driver.create(_spec(appliance), group.bus, physical_time)
        except ValueError as exc:
            raise ConfigError(f"appliance {appliance.name!r}: {exc}") from exc
        accumulator = WindowAccumulator(
            appliance.id, sampling.interval_seconds, sampling.effective_max_gap_seconds
        )
        group.channels.append(
            Channel(appliance.id, appliance.name, sensor, accumulator, appliance.calibration_factor)
        )
    return list(groups.values())
