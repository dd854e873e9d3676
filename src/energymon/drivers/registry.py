"""Drivers by the name the TOML `driver` key uses; third parties add theirs by entry point."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Protocol

from energymon.drivers.base import Sensor, SensorSpec, SMBusLike
from energymon.errors import ConfigError

__all__ = ["ENTRY_POINT_GROUP", "Driver", "SensorFactory", "available", "get", "register"]

ENTRY_POINT_GROUP = "energymon.drivers"


class SensorFactory(Protocol):
    """Builds a sensor on a bus; `clock` gives wall-clock seconds (simulations follow it)."""

    def __call__(self, spec: SensorSpec, bus: SMBusLike, clock: Callable[[], float]) -> Sensor:
        """Build the sensor without touching the bus."""
        ...


@dataclass(frozen=True, slots=True)
class Driver:
    """A named way to build sensors.

    `simulated` drivers get a FakeBus per bus number instead of /dev/i2c-N.
    """

    name: str
    create: SensorFactory
    simulated: bool = False


def _create_ina219(spec: SensorSpec, bus: SMBusLike, clock: Callable[[], float]) -> Sensor:
    from energymon.drivers.ina219 import INA219

    return INA219(
        bus,
        address=spec.address,
        shunt_ohms=spec.shunt_ohms,
        max_expected_amps=spec.max_expected_amps,
        bus_voltage_range=spec.bus_voltage_range,
        bus_number=spec.bus,
    )


def _create_simulated(spec: SensorSpec, bus: SMBusLike, clock: Callable[[], float]) -> Sensor:
    from energymon.drivers.fakebus import FakeBus, SimulatedINA219
    from energymon.drivers.profiles import make_profile

    if not isinstance(bus, FakeBus):
        raise ConfigError(f"appliance {spec.name!r}: the simulated driver needs a FakeBus")
    profile = make_profile(spec.simulation, default_for=spec.name)
    bus.attach(spec.address, SimulatedINA219(profile, clock=clock, shunt_ohms=spec.shunt_ohms))
    return _create_ina219(spec, bus, clock)


_registry: dict[str, Driver] = {
    "ina219": Driver("ina219", _create_ina219),
    "simulated": Driver("simulated", _create_simulated, simulated=True),
}
_entry_points_loaded = False


def register(driver: Driver) -> None:
    """Make a driver available under its name (later registrations win)."""
    _registry[driver.name] = driver


def _load_entry_points() -> None:
    global _entry_points_loaded  # noqa: PLW0603 - loaded once per process, on first use
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            driver = entry.load()
        except Exception as exc:
            raise ConfigError(f"driver plugin {entry.name!r} failed to load: {exc}") from exc
        if not isinstance(driver, Driver):
            raise ConfigError(f"driver plugin {entry.name!r} is not an energymon Driver")
        _registry.setdefault(driver.name, driver)


def available() -> list[str]:
    """Names of every driver that can be configured."""
    _load_entry_points()
    return sorted(_registry)


def get(name: str) -> Driver:
    """The driver called `name`; ConfigError naming the choices when there is none."""
    _load_entry_points()
    try:
        return _registry[name]
    except KeyError:
        choices = ", ".join(sorted(_registry))
        raise ConfigError(f"unknown driver {name!r} (available: {choices})") from None
