"""The driver seam: discovery of built-ins and plugins, broken plugins, and driver options."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from typing import Any

import pytest
from pydantic import Field

from energymon.drivers import registry
from energymon.drivers.base import Measurement, Sensor
from energymon.drivers.driver import Context, Driver, I2COptions
from energymon.errors import ConfigError
from energymon.settings import settings_from_mapping

BUILTIN_NAMES = {"ina219", "simulated"}


class ToyOptions(I2COptions):
    """A toy chip's options: its own default and limit."""

    ADDRESSES = range(0x60, 0x62)
    volts: float = Field(5.0, gt=0, le=10)


class ToySensor:
    """Reads its configured voltage and no current."""

    conversion_time_seconds = 0.0

    def __init__(self, options: ToyOptions, context: Context) -> None:
        self.options = options
        self.address = options.address

    def configure(self) -> None:
        """Nothing to set up."""

    def read(self) -> Measurement:
        """The configured voltage."""
        return Measurement(self.options.volts, None, 0.0, 0.0)

    def close(self) -> None:
        """Nothing to release."""


def open_toy(options: ToyOptions, context: Context) -> Sensor:
    """A ToySensor."""
    return ToySensor(options, context)


TOY = Driver(name="toy", summary="a toy", options=ToyOptions, open=open_toy)


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Each test discovers afresh and leaves no driver behind."""
    registry.reset()
    yield
    registry.reset()


def entry_points_returning(*entries: EntryPoint) -> Any:
    """A stand-in for importlib.metadata.entry_points that yields these entries."""

    def select(group: str) -> tuple[EntryPoint, ...]:
        assert group == registry.ENTRY_POINT_GROUP
        return entries

    return select


def appliance(**keys: Any) -> dict[str, Any]:
    """One appliance mapping with an id and a name."""
    return {"id": 1, "name": "Fridge", **keys}


def test_builtin_drivers_are_found_without_plugins() -> None:
    """energymon's own drivers are there, and none is reported broken."""
    assert set(registry.available()) >= BUILTIN_NAMES
    assert registry.broken() == []
    assert {f.origin for f in registry.found() if f.driver.name in BUILTIN_NAMES} == {"energymon"}


def test_a_plugin_through_its_entry_point_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin's driver validates its own options, with its own defaults and limits."""
    toy = EntryPoint("toy", f"{__name__}:TOY", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", entry_points_returning(toy))
    settings = settings_from_mapping({"appliances": [appliance(driver="toy", address=0x61)]})
    options = settings.appliances[0].options
    assert isinstance(options, ToyOptions)
    assert (options.address, options.volts) == (0x61, 5.0)
    with pytest.raises(ConfigError, match=r"appliances\[0\]\.volts \(Fridge\): .*less than or"):
        settings_from_mapping({"appliances": [appliance(driver="toy", address=0x60, volts=11)]})
    with pytest.raises(ConfigError, match=r"address \(Fridge\): must be between 0x60 and 0x61"):
        settings_from_mapping({"appliances": [appliance(driver="toy")]})


def test_a_plugin_does_not_take_another_drivers_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """INA219 keys on another driver are unknown keys, named as in the file."""
    toy = EntryPoint("toy", f"{__name__}:TOY", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", entry_points_returning(toy))
    mapping = {"appliances": [appliance(driver="toy", address=0x60, shunt_ohms=0.1)]}
    with pytest.raises(ConfigError, match=r"appliances\[0\]\.shunt_ohms \(Fridge\): unknown key"):
        settings_from_mapping(mapping)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("no_such_module_anywhere:DRIVER", "ModuleNotFoundError"),
        (f"{__name__}:ToyOptions", "not a Driver"),
        ("energymon.drivers.ina219_driver:INA219_DRIVER", "'ina219' is taken by energymon"),
    ],
)
def test_a_broken_plugin_is_skipped_with_one_line_and_the_rest_works(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, value: str, reason: str
) -> None:
    """A plugin that fails to import, is no Driver or takes a taken name is reported and skipped."""
    bad = EntryPoint("bad", value, registry.ENTRY_POINT_GROUP)
    toy = EntryPoint("toy", f"{__name__}:TOY", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", entry_points_returning(bad, toy))
    with caplog.at_level(logging.WARNING, logger="energymon.drivers"):
        names = registry.available()
    assert {"toy", *BUILTIN_NAMES} <= set(names)
    (skipped,) = registry.broken()
    assert skipped.name == "bad"
    assert reason in skipped.reason
    (record,) = caplog.records
    assert "'bad'" in record.getMessage()
    assert reason in record.getMessage()
    assert "\n" not in record.getMessage()


def test_register_and_discovery_follow_one_rule() -> None:
    """register() adds a new name and refuses a taken one, as discovery does for plugins."""
    registry.register(TOY)
    assert registry.get("toy") is TOY
    with pytest.raises(ConfigError, match=r"'toy' is taken by register\(\)"):
        registry.register(TOY)
    with pytest.raises(ConfigError, match="'ina219' is taken by energymon"):
        registry.register(Driver(name="ina219", summary="", options=ToyOptions, open=open_toy))


def test_unknown_driver_is_a_configuration_error_naming_the_choices() -> None:
    """The error names the key, the appliance and the drivers there are."""
    with pytest.raises(ConfigError, match=r"appliances\[0\]\.driver \(Fridge\): unknown driver"):
        settings_from_mapping({"appliances": [appliance(driver="ina999")]})


def test_simulation_only_for_drivers_with_a_simulated_chip() -> None:
    """A simulation table on a driver without a simulated chip is refused at its key."""
    registry.register(TOY)
    mapping = {"appliances": [appliance(driver="toy", address=0x60, simulation={})]}
    with pytest.raises(ConfigError, match=r"simulation \(Fridge\): driver 'toy' has no simulated"):
        settings_from_mapping(mapping)


def test_ina219_with_a_simulation_table_is_simulated() -> None:
    """driver = "ina219" plus [simulation] runs on a simulated chip, as "simulated" always does."""
    settings = settings_from_mapping(
        {
            "appliances": [
                appliance(driver="ina219", simulation={"profile": "constant"}),
                {"id": 2, "name": "Oven", "driver": "simulated", "address": 0x41},
                {"id": 3, "name": "Lamp", "driver": "ina219", "address": 0x44},
            ]
        }
    )
    assert [a.simulated for a in settings.appliances] == [True, True, False]


def test_invert_turns_the_sign_through_the_channel_factor() -> None:
    """Every driver takes `invert`; the sampler's scaling then carries a minus sign."""
    from energymon.bootstrap.sensors import build_sensors
    from energymon.service.clock import ManualClock

    appliances = [
        appliance(driver="simulated", calibration_factor=1.02, invert=True),
        {"id": 2, "name": "Oven", "driver": "simulated", "address": 0x41},
    ]
    settings = settings_from_mapping({"appliances": appliances})
    (group,) = build_sensors(settings, clock=ManualClock())
    assert [c.calibration_factor for c in group.channels] == [-1.02, 1.0]
