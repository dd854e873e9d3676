"""`energymon scan`: which chip answers at each address, and a config snippet that loads."""

from __future__ import annotations

import errno
import tomllib
from typing import Any

import pytest

from energymon.cli import main
from energymon.drivers import registry
from energymon.drivers.fakebus import FakeBus, SimulatedINA219
from energymon.drivers.scan import identify
from energymon.drivers.sim.ina226 import SimulatedINA226, SimulatedINA260
from energymon.drivers.sim.ina228 import SimulatedINA228
from energymon.drivers.sim.ina3221 import SimulatedINA3221
from energymon.service.clock import ManualClock
from energymon.settings import settings_from_mapping


class Busy:
    """An address a kernel driver holds: i2c-dev refuses it with EBUSY."""

    def read_register(self, register: int) -> int:
        raise OSError(errno.EBUSY, "Device or resource busy")

    def write_register(self, register: int, value: int) -> None:
        raise OSError(errno.EBUSY, "Device or resource busy")


class Stranger:
    """Some other device: answers every register with 0xFFFF."""

    def read_register(self, register: int) -> int:
        return 0xFFFF

    def write_register(self, register: int, value: int) -> None:
        raise AssertionError("scan must not write")


def populated_bus() -> FakeBus:
    """One of each chip, a stranger and a busy address."""
    clock = ManualClock().time
    load = lambda t: (12.0, 0.5)  # noqa: E731 - one load for every chip
    bus = FakeBus()
    bus.attach(0x40, SimulatedINA219(load, clock=clock))
    bus.attach(0x41, SimulatedINA226(load, clock=clock))
    bus.attach(0x42, SimulatedINA260(load, clock=clock))
    bus.attach(0x43, SimulatedINA3221(clock=clock))
    bus.attach(0x44, SimulatedINA228(load, clock=clock))
    bus.attach(0x45, Stranger())
    bus.attach(0x46, Busy())
    return bus


def test_each_chip_is_named_by_its_registers() -> None:
    """ID registers name four chips; the INA219 is known by its reset values; others say so."""
    drivers = [found.driver for found in registry.found()]
    results = {
        found.address: found for found in identify(populated_bus(), drivers, range(0x40, 0x50))
    }
    named = {a: f.identified.driver for a, f in results.items() if f.identified is not None}
    assert named == {
        0x40: "ina219",
        0x41: "ina226",
        0x42: "ina260",
        0x43: "ina3221",
        0x44: "ina228",
        0x46: "hwmon",
    }
    assert not results[0x40].identified.certain  # type: ignore[union-attr]
    assert "no driver recognises it" in results[0x45].detail
    assert 'driver = "hwmon"' in results[0x46].detail


def test_an_address_the_kernel_holds_is_named_by_its_i2c_device() -> None:
    """EBUSY means a kernel driver has the chip: scan names the chip sysfs says it was given."""
    drivers = [entry.driver for entry in registry.found()]
    names = {0x46: "ina226"}
    [found] = identify(populated_bus(), drivers, [0x46], bound_to=names.get)
    assert found.identified is not None
    assert (found.identified.driver, found.identified.certain) == ("hwmon", True)
    assert "kernel's driver for 'ina226'" in found.detail


def test_scan_prints_each_chip_and_a_snippet_that_loads(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every suggested appliance (three for the INA3221) validates as a configuration."""
    bus = populated_bus()
    monkeypatch.setattr("energymon.drivers.bus.open_bus", lambda number: bus)
    assert main(["scan", "--bus", "1"]) == 0
    out = capsys.readouterr().out
    table, snippet = out.split("# For the configuration file", 1)
    assert "0x41  ina226" in table
    assert "0x43  ina3221" in table
    document: dict[str, Any] = tomllib.loads(snippet.split("\n", 1)[1])
    appliances = document["appliances"]
    assert [a["driver"] for a in appliances] == [
        "ina219",
        "ina226",
        "ina260",
        "ina3221",
        "ina3221",
        "ina3221",
        "ina228",
        "hwmon",
    ]
    settings = settings_from_mapping(document)
    assert [a.options.location().channel for a in settings.appliances][3:6] == [1, 2, 3]


def test_drivers_lists_every_driver_with_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    """`energymon drivers` names each chip driver, its origin and its options with defaults."""
    assert main(["drivers"]) == 0
    out = capsys.readouterr().out
    for name in ("ina219", "ina226", "ina260", "ina3221", "ina228", "hwmon", "simulated"):
        assert f"\n{name}  (energymon)" in f"\n{out}"
    assert "shunt_ohms = 0.015" in out  # the INA228's default
    assert "channel = 1    # >= 1, <= 3" in out
