"""config/examples/: one configuration per chip, each valid and running on simulated hardware."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from energymon.bootstrap import build_sensors
from energymon.cli import main
from energymon.drivers import registry
from energymon.service.clock import ManualClock
from energymon.settings import load_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"
CHIPS = ("ina219", "ina226", "ina260", "ina3221", "ina228", "hwmon")


def test_there_is_one_example_per_chip_driver() -> None:
    """Every built-in chip driver has its example, named after it."""
    assert sorted(path.stem for path in EXAMPLES.glob("*.toml")) == sorted(CHIPS)
    assert set(CHIPS) <= set(registry.available())


@pytest.mark.parametrize("chip", CHIPS)
def test_check_config_accepts_the_example(chip: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`energymon check-config` validates it and shows the driver's options with defaults."""
    assert main(["check-config", "--config", str(EXAMPLES / f"{chip}.toml")]) == 0
    appliances = json.loads(capsys.readouterr().out)["appliances"]
    assert {appliance["driver"] for appliance in appliances} == {chip}
    assert all("invert" in appliance for appliance in appliances)


@pytest.mark.parametrize("chip", CHIPS)
def test_the_example_runs_the_real_driver_on_a_simulated_chip(chip: str) -> None:
    """Every appliance reads a fresh, plausible measurement from its simulated chip."""
    settings = load_settings(EXAMPLES / f"{chip}.toml")
    assert all(appliance.simulated for appliance in settings.appliances)
    clock = ManualClock()
    channels = [c for group in build_sensors(settings, clock=clock) for c in group.channels]
    for channel in channels:
        channel.sensor.configure()
    clock.advance(0.2)  # longer than any example's conversion time
    for channel in channels:
        m = channel.sensor.read()
        assert m.conversion_ready, channel.name
        assert 3.0 < m.bus_volts < 85.0, channel.name
