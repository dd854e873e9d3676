"""Find chips on a bus for `energymon scan`: which addresses answer, and which driver fits.

Every probe only reads. Chips with ID registers (INA226, INA260, INA3221, INA228) say what they
are; the INA219 has none, so its register values are checked against what an INA219 can hold.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from energymon.drivers import ina219 as reg
from energymon.drivers.base import SensorError, SMBusLike
from energymon.drivers.driver import Driver, Identified

__all__ = ["INA219_ADDRESSES", "Found", "ProbeResult", "identify", "inspect_ina219", "probe"]

# A0 and A1 each tie to GND, VS+, SDA or SCL: 16 addresses (SBOS448, address pins).
INA219_ADDRESSES = range(0x40, 0x50)
_RESERVED_CONFIG_BITS = reg.CONFIG_RST | 1 << 14  # RST self-clears; bit 14 is unused: both read 0


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """An address that answered, and what its registers say about the device there."""

    address: int
    looks_like_ina219: bool
    power_on_defaults: bool  # config 0x399F and calibration 0: not configured since power-on
    config: int | None
    calibration: int | None
    bus_volts: float | None
    detail: str  # why it does or does not look like an INA219

    def describe(self) -> str:
        """One line for `energymon scan`, e.g. `0x40  12.00 V  INA219 at power-on defaults ...`."""
        volts = f"{self.bus_volts:5.2f} V" if self.bus_volts is not None else "    - V"
        return f"0x{self.address:02X}  {volts}  {self.detail}"


def probe(bus: SMBusLike, addresses: Iterable[int] = INA219_ADDRESSES) -> list[ProbeResult]:
    """Read (never write) the registers at each address; one result per address that answers."""
    return [r for r in (inspect_ina219(bus, address) for address in addresses) if r is not None]


def inspect_ina219(bus: SMBusLike, address: int) -> ProbeResult | None:
    """How much the device at `address` looks like an INA219; None when nothing answers."""
    try:
        config = _read(bus, address, reg.REG_CONFIG)
    except OSError:
        return None  # no ACK: nothing at this address
    return _inspect(bus, address, config)


@dataclass(frozen=True, slots=True)
class Found:
    """An address that answered and what is there: a driver's Identified, or why none fits."""

    address: int
    identified: Identified | None
    detail: str


def identify(
    bus: SMBusLike,
    drivers: Sequence[Driver[Any]],
    addresses: Iterable[int],
    *,
    bound_to: Callable[[int], str | None] = lambda address: None,
) -> list[Found]:
    """Ask every driver's probe about each answering address; a chip that names itself wins.

    An address whose device is bound to a kernel driver (EBUSY) is the `hwmon` driver's, which
    reads it through sysfs; `bound_to(address)` names the chip the kernel was told is there
    (its I²C device's `name`), when it can.
    """
    found = []
    for address in addresses:
        try:
            bus.read_word_data(address, 0x00)  # every INA2xx has register 0 (configuration)
        except OSError as exc:
            if exc.errno == errno.EBUSY:
                found.append(_kernel_bound(address, bound_to(address)))
            continue
        matches = [m for m in (_ask(d, bus, address) for d in drivers) if m is not None]
        matches.sort(key=lambda match: not match.certain)  # an ID register beats a likeness
        if matches:
            found.append(Found(address, matches[0], matches[0].detail))
        else:
            found.append(Found(address, None, "answers, but no driver recognises it"))
    return found


def _kernel_bound(address: int, chip: str | None) -> Found:
    held = f"bound to the kernel's driver for {chip!r}" if chip else "in use by a kernel driver"
    detail = f'{held}: read it with driver = "hwmon"'
    return Found(address, Identified("hwmon", detail, certain=chip is not None), detail)


def _ask(driver: Driver[Any], bus: SMBusLike, address: int) -> Identified | None:
    if driver.probe is None or driver.simulated_only:
        return None
    try:
        return driver.probe(bus, address)
    except (OSError, ValueError, SensorError):
        return None  # registers the driver expects are missing or odd: not its chip


def _read(bus: SMBusLike, address: int, register: int) -> int:
    return reg.register_from_smbus(bus.read_word_data(address, register))


def _inspect(bus: SMBusLike, address: int, config: int) -> ProbeResult:
    try:
        shunt = reg.to_signed(_read(bus, address, reg.REG_SHUNT_VOLTAGE))
        bus_word = _read(bus, address, reg.REG_BUS_VOLTAGE)
        calibration = _read(bus, address, reg.REG_CALIBRATION)
    except OSError as exc:
        detail = f"answers, but not like an INA219: its registers 0x01..0x05 fail ({exc})"
        return ProbeResult(address, False, False, config, None, None, detail)
    problems = []
    if config & _RESERVED_CONFIG_BITS:
        problems.append(f"config 0x{config:04X} has bit 15 or 14 set")
    if calibration & 1:
        problems.append(f"calibration {calibration} has bit 0 set")
    shunt_full_scale = reg.shunt_full_scale(config)
    if abs(shunt) > shunt_full_scale:
        problems.append(f"shunt reading {shunt} is beyond its PGA range ±{shunt_full_scale}")
    power_on = config == reg.POWER_ON_CONFIG and calibration == 0
    if problems:
        detail = "answers, but not like an INA219: " + "; ".join(problems)
    elif power_on:
        detail = f"INA219 at power-on defaults (config 0x{config:04X}, not calibrated)"
    else:
        detail = f"INA219, configured (config 0x{config:04X}, calibration {calibration})"
    return ProbeResult(
        address, not problems, power_on, config, calibration, reg.bus_volts(bus_word), detail
    )
