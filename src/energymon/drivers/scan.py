"""Find INA219s on a bus for `energymon scan`: which addresses answer, and what answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from energymon.drivers import ina219 as reg
from energymon.drivers.base import SMBusLike

__all__ = ["INA219_ADDRESSES", "ProbeResult", "probe"]

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
    results = []
    for address in addresses:
        try:
            config = _read(bus, address, reg.REG_CONFIG)
        except OSError:
            continue  # no ACK: nothing at this address
        results.append(_inspect(bus, address, config))
    return results


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
