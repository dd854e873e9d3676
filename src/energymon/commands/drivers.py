"""Subcommands about drivers: `drivers` lists them with their options, `scan` finds chips."""

from __future__ import annotations

import argparse
import json
import typing
from collections.abc import Mapping
from typing import Any

from pydantic.fields import FieldInfo

from energymon.drivers import registry
from energymon.drivers.driver import Driver, DriverOptions, I2COptions

__all__ = ["drivers", "scan", "snippet"]

# The addresses `scan` probes: every one an INA2xx can take (A0/A1 on GND, VS, SDA or SCL).
SCAN_ADDRESSES = range(0x40, 0x50)


def drivers(args: argparse.Namespace) -> int:
    """Every driver found, built-in or plugin, with its options and their defaults."""
    for entry in registry.found():
        driver = entry.driver
        print(f"{driver.name}  ({entry.origin})  {driver.summary}")
        for line in _option_lines(driver):
            print(f"    {line}")
        if driver.simulated_only:
            print("    always simulated")
        elif driver.simulate is not None:
            print("    simulated chip: with an [appliances.simulation] table")
        print()
    for skipped in registry.broken():
        print(f"{skipped.name}  ({skipped.origin})  SKIPPED: {skipped.reason}")
    return 0


def _option_lines(driver: Driver[Any]) -> list[str]:
    fields = driver.options.model_fields
    common = DriverOptions.model_fields  # every driver's (invert): listed after its own
    ordered = [k for k in fields if k not in common] + [k for k in fields if k in common]
    lines = []
    for key in ordered:
        info = fields[key]
        default = info.get_default(call_default_factory=True)
        value = _toml(key, default) if default is not None else "(unset)"
        lines.append(f"{key} = {value}{_limits(key, info, driver)}")
    return lines


def _limits(key: str, info: FieldInfo, driver: Driver[Any]) -> str:
    """The values a key allows, as a trailing comment."""
    options = driver.options
    if key == "address" and issubclass(options, I2COptions):
        first, last = options.ADDRESSES[0], options.ADDRESSES[-1]
        return f"    # 0x{first:02X}..0x{last:02X}"
    if typing.get_origin(info.annotation) is typing.Literal:
        return "    # " + " | ".join(_toml(key, v) for v in typing.get_args(info.annotation))
    bounds = []
    for constraint in info.metadata:
        for name, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            if (limit := getattr(constraint, name, None)) is not None:
                bounds.append(f"{sign} {limit:g}")
    return f"    # {', '.join(bounds)}" if bounds else ""


def _toml(key: str, value: Any) -> str:
    """A value as TOML writes it (addresses in hex, as people write them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if key == "address" and isinstance(value, int):
        return f"0x{value:02X}"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def snippet(
    driver: Driver[Any], bus: int, address: int, given: Mapping[str, Any], appliance_id: int
) -> str:
    """An `[[appliances]]` table for a chip `scan` found, with the driver's defaults to edit."""
    values = {
        key: info.get_default(call_default_factory=True)
        for key, info in driver.options.model_fields.items()
    }
    values |= {"address": address, **given}
    name = f"{driver.name} at 0x{address:02X}"
    if "channel" in given:
        name += f" channel {given['channel']}"
    lines = [
        "[[appliances]]",
        f"id = {appliance_id}",
        f"name = {json.dumps(name)}",
        f'driver = "{driver.name}"',
        f"bus = {bus}",
    ]
    lines += [f"{k} = {_toml(k, v)}" for k, v in values.items() if v is not None and k != "invert"]
    return "\n".join(lines)


def scan(args: argparse.Namespace) -> int:
    """List the devices answering at 0x40-0x4F, the chip each is, and a config snippet."""
    from energymon.drivers.bus import open_bus
    from energymon.drivers.scan import identify
    from energymon.drivers.sysfs import SysfsTree

    drivers_found = [entry.driver for entry in registry.found()]
    bus = open_bus(args.bus)
    sysfs = SysfsTree()

    def bound_to(address: int) -> str | None:
        try:  # the name the kernel was given for the device (a device-tree overlay's chip)
            return sysfs.read(f"bus/i2c/devices/{args.bus}-{address:04x}/name") or None
        except OSError:
            return None

    try:
        results = identify(bus, drivers_found, SCAN_ADDRESSES, bound_to=bound_to)
    finally:
        bus.close()
    if not results:
        print(
            f"no device answers at 0x40-0x4F on bus {args.bus} "
            "(check wiring and power; `sudo i2cdetect -y 1` should show 40)"
        )
        return 1
    snippets: list[str] = []
    for result in results:
        identified = result.identified
        chip = identified.driver if identified is not None else "?"
        volts = identified.bus_volts if identified is not None else None
        shown = f"{volts:5.2f} V" if volts is not None else "    - V"
        print(f"0x{result.address:02X}  {chip:<8} {shown}  {result.detail}")
        if identified is not None:
            driver = registry.get(identified.driver)
            for given in identified.appliances:
                snippets.append(snippet(driver, args.bus, result.address, given, len(snippets) + 1))
    if snippets:
        print("\n# For the configuration file (edit names, shunts and currents):\n")
        print("\n\n".join(snippets))
    return 0
