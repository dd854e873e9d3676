"""Drivers by the name the TOML `driver` key uses: energymon's own and those of plugins.

Plugins are packages with an entry point in the `energymon.drivers` group whose object is a
`Driver`. Discovery runs once, on first use, which is before any configuration is validated (the
settings look drivers up to validate each appliance's options). A plugin that fails to load, is
not a Driver or takes a name already taken is skipped and reported in one line on the
`energymon.drivers` logger (stderr); every other driver stays usable.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from energymon.drivers.driver import Driver
from energymon.errors import ConfigError

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "Broken",
    "Found",
    "available",
    "broken",
    "found",
    "get",
    "register",
    "reset",
]

ENTRY_POINT_GROUP = "energymon.drivers"

# energymon's own drivers, as "module:attribute" like an entry point names its object.
BUILTIN = (
    "energymon.drivers.ina219_driver:INA219_DRIVER",
    "energymon.drivers.ina219_driver:SIMULATED_DRIVER",
    "energymon.drivers.ina226:DRIVER",
    "energymon.drivers.ina260:DRIVER",
    "energymon.drivers.ina3221:DRIVER",
    "energymon.drivers.ina228:DRIVER",
    "energymon.drivers.hwmon:DRIVER",
)

log = logging.getLogger("energymon.drivers")


@dataclass(frozen=True, slots=True)
class Found:
    """A usable driver and where it came from: "energymon" or the plugin's distribution."""

    driver: Driver[Any]
    origin: str


@dataclass(frozen=True, slots=True)
class Broken:
    """A plugin that was skipped, and why (one line)."""

    name: str
    origin: str
    reason: str


class _Registry:
    def __init__(self) -> None:
        self.drivers: dict[str, Found] = {}
        self.broken: list[Broken] = []
        self.discovered = False

    def add(self, driver: Driver[Any], origin: str) -> None:
        """The one rule for every driver: a name is taken once, by whoever came first."""
        taken = self.drivers.get(driver.name)
        if taken is not None:
            raise ValueError(f"the name {driver.name!r} is taken by {taken.origin}")
        self.drivers[driver.name] = Found(driver, origin)

    def discover(self) -> None:
        if self.discovered:
            return
        self.discovered = True
        for path in BUILTIN:  # our own: a failure here is a bug, and raises
            module, _, attribute = path.partition(":")
            self.add(getattr(importlib.import_module(module), attribute), "energymon")
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            self._load_plugin(entry)

    def _load_plugin(self, entry: EntryPoint) -> None:
        origin = f"plugin {entry.dist.name}" if entry.dist is not None else "plugin"
        try:
            driver = entry.load()
            if not isinstance(driver, Driver):
                raise TypeError(f"{entry.value} is a {type(driver).__name__}, not a Driver")
            self.add(driver, origin)
        except Exception as exc:  # any failure of foreign code skips that plugin
            reason = f"{type(exc).__name__}: {exc}"
            self.broken.append(Broken(entry.name, origin, reason))
            log.warning("energymon: driver plugin %r (%s) skipped: %s", entry.name, origin, reason)


_registry = _Registry()


def register(driver: Driver[Any], origin: str = "register()") -> None:
    """Make a driver available under its name; ConfigError when the name is taken."""
    _registry.discover()
    try:
        _registry.add(driver, origin)
    except ValueError as exc:
        raise ConfigError(f"cannot register driver {driver.name!r}: {exc}") from None


def found() -> list[Found]:
    """Every usable driver, by name."""
    _registry.discover()
    return [_registry.drivers[name] for name in sorted(_registry.drivers)]


def available() -> list[str]:
    """Names of every driver that can be configured."""
    return [entry.driver.name for entry in found()]


def broken() -> list[Broken]:
    """The plugins that were skipped."""
    _registry.discover()
    return list(_registry.broken)


def get(name: str) -> Driver[Any]:
    """The driver called `name`; ConfigError naming the choices when there is none."""
    _registry.discover()
    try:
        return _registry.drivers[name].driver
    except KeyError:
        choices = ", ".join(sorted(_registry.drivers))
        raise ConfigError(f"unknown driver {name!r} (available: {choices})") from None


def reset() -> None:
    """Forget every driver and plugin; the next use discovers again (tests)."""
    global _registry  # noqa: PLW0603 - one registry per process; tests start it afresh
    _registry = _Registry()
